package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// Every file's identity is read from its metadata without a full parse.
func BenchmarkScanEntity(b *testing.B) {
	p := filepath.Join("..", "..", "shared", "testdata", "real", "fbc-7.5.0-darkedges", "services",
		"realm", "root", "oauth2provider", "1.0", "organizationconfig", "default.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		b.Skipf("real tree absent (%v)", err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if e := scanEntity(raw); e == nil || e.Type != "OAuth2Provider" {
			b.Fatal("no entity")
		}
	}
}
