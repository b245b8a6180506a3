package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed tables are what the real trees give: go generate ./migrate
// would change nothing.
func TestTablesCurrent(t *testing.T) {
	real := filepath.Join("..", "..", "..", "..", "shared", "testdata", "real")
	if _, err := os.Stat(real); err != nil {
		t.Skipf("real trees not available (%v): the shared test data lives beside the repository", err)
	}
	src, _, err := generate(real)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "sections_mined.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, committed) {
		t.Error("migrate/sections_mined.go is stale: run go generate ./migrate and commit it")
	}
}
