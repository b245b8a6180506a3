package migrate_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/amupgrade/amupgrade/migrate"
	"github.com/amupgrade/amupgrade/tools/fbcldif/ldifgen"
)

// BenchmarkMigrateRealTree migrates the export of the real AM 7.5.0 tree
// (1,517 entries, 1.2 MB) with a sink that drops the files: the reading,
// the typing and the printing, without the file system. make bench runs
// the whole command on a 20,000-file tree (tools/benchrun, rows h and i).
func BenchmarkMigrateRealTree(b *testing.B) {
	g, err := ldifgen.New(filepath.Join(realDir, "fbc-7.5.0-darkedges"))
	if err != nil {
		b.Skipf("real tree not available: %v", err)
	}
	var export bytes.Buffer
	if err := g.Write(&export); err != nil {
		b.Fatal(err)
	}
	in := []migrate.Input{memInput("export.ldif", export.Bytes())}
	b.SetBytes(int64(export.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := migrate.Migrate(context.Background(), in, migrate.Options{Dynamic: migrate.DynamicKeep}, func(*migrate.File) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
