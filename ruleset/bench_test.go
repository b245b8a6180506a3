package ruleset_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/rules"
	"github.com/amupgrade/amupgrade/ruleset"
)

// Reading and checking a rule file with every expression compiled, as
// `amupgrade rules check` and a run given a rule file of its own do.
func BenchmarkParseLatest(b *testing.B) {
	src, _ := fs.ReadFile(rules.FS, "fbc/latest.yaml")
	for b.Loop() {
		if _, err := ruleset.Parse("latest.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// What every FBC run pays for its rules once the bundled steps are indexed
// (BenchmarkBundled): fbc/latest read, its expressions parsed (they are
// compiled on first use), and the chain made.
func BenchmarkLoadLatest(b *testing.B) {
	to := engine.MustVersion("8.1.0")
	for b.Loop() {
		b.StopTimer()
		set, err := ruleset.Bundled()
		if err != nil {
			b.Fatal(err)
		}
		files, err := set.Plan(engine.FBC, nil, to)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := set.Compile(files, ruleset.Config{To: to}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBundled(b *testing.B) {
	for b.Loop() {
		if _, err := ruleset.Bundled(); err != nil {
			b.Fatal(err)
		}
	}
}

func realFBC(b *testing.B) string {
	dir := filepath.Join("..", "..", "shared", "testdata", "real", "fbc-7.5.0-darkedges", "services")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("real tree absent (%v): needs ../shared/testdata/real", err)
	}
	return dir
}

// The whole FBC chain over the real 936-file tree: selectors on metadata,
// operations on the documents they pick, tracking. Reading is not timed.
func BenchmarkApplyLatestRealTree(b *testing.B) {
	dir := realFBC(b)
	set, err := ruleset.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	files, _ := set.Plan(engine.FBC, nil, engine.MustVersion("8.1.0"))
	chain, err := set.Compile(files, ruleset.Config{To: engine.MustVersion("8.1.0")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tree, err := engine.ReadTree(ctx, dir, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := engine.Apply(ctx, tree, chain, engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Printing the whole upgraded tree in the vendor's format.
func BenchmarkRenderRealTree(b *testing.B) {
	dir := realFBC(b)
	ctx := context.Background()
	set, _ := ruleset.Bundled()
	files, _ := set.Plan(engine.FBC, nil, engine.MustVersion("8.1.0"))
	chain, _ := set.Compile(files, ruleset.Config{To: engine.MustVersion("8.1.0")})
	tree, err := engine.ReadTree(ctx, dir, 0)
	if err != nil {
		b.Fatal(err)
	}
	res, err := engine.Apply(ctx, tree, chain, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := res.Render(ctx, engine.RenderOptions{PrettyArrays: true}); err != nil {
			b.Fatal(err)
		}
	}
}
