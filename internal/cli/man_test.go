package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

// docs/amupgrade.1 is generated from the flags; it must be current.
func TestManPageCurrent(t *testing.T) {
	var out bytes.Buffer
	if code := (&CLI{Stdout: &out, Stderr: &out}).Run(context.Background(), []string{"amupgrade", "man"}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	path := filepath.Join("..", "..", "docs", "amupgrade.1")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, out.Bytes()) {
		t.Errorf("docs/amupgrade.1 is stale; run 'go run ./cmd/amupgrade man > docs/amupgrade.1':\n%s", diff.Diff("docs/amupgrade.1", committed, "generated", out.Bytes()))
	}
}
