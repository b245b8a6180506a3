// Package upgradetest runs upgrades the way the command line does, for the
// tests of the packages that read what an upgrade hands over (the report,
// the checklist): the tree read, the steps planned, Apply and Render, then
// every file as engine.Upgrade hands it to its Sink.
package upgradetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// Upgrade is one upgrade in memory.
type Upgrade struct {
	In string
	// To plans the bundled steps up to this release (--to); Rules gives rule
	// files instead. With neither, no rule runs.
	To    string
	Rules []string
	With  []string // --with
	// From is --from; AmsterVersion -a; IgnoreNoRuleTracking
	// --ignoreNoRuleTracking.
	From                 string
	AmsterVersion        string
	IgnoreNoRuleTracking bool
}

// Apply reads the tree and upgrades it in memory.
func (u Upgrade) Apply(tb testing.TB) (*engine.Result, *engine.Output) {
	tb.Helper()
	ctx := context.Background()
	tree, err := engine.ReadTree(ctx, u.In, 0)
	if err != nil {
		tb.Fatal(err)
	}
	mode := tree.Layout.Mode
	chain := &engine.Chain{Mode: mode}
	if u.To != "" || u.Rules != nil {
		set, err := ruleset.Bundled()
		if err != nil {
			tb.Fatal(err)
		}
		var to engine.Version
		if u.To != "" {
			if to, err = engine.ParseVersion(u.To); err != nil {
				tb.Fatal(err)
			}
		}
		var files []*ruleset.File
		for _, r := range u.Rules {
			fs, err := set.Resolve(r, mode)
			if err != nil {
				tb.Fatal(err)
			}
			files = append(files, fs...)
		}
		if u.Rules == nil {
			var start engine.Version
			if u.From != "" {
				start, _ = engine.ParseVersion(u.From)
			} else if mode == engine.Amster {
				start, _ = engine.ParseVersion(tree.AmsterVersion())
			}
			if files, err = set.Plan(mode, start, to); err != nil {
				tb.Fatal(err)
			}
		}
		if chain, err = set.Compile(files, ruleset.Config{To: to, Groups: u.With}); err != nil {
			tb.Fatal(err)
		}
	}
	res, err := engine.Apply(ctx, tree, chain, engine.Options{From: u.From, IgnoreNoRuleTracking: u.IgnoreNoRuleTracking,
		AmsterVersion: u.AmsterVersion})
	if err != nil {
		tb.Fatal(err)
	}
	out, err := res.Render(ctx, engine.RenderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return res, out
}

// Files runs the upgrade and returns the files as the streamed upgrade
// hands them over.
func (u Upgrade) Files(tb testing.TB) (*engine.Result, []*engine.FileResult) {
	tb.Helper()
	res, out := u.Apply(tb)
	return res, FileResults(res, out)
}

// FileResults lists the files of an upgrade made with Apply and Render as
// engine.Upgrade hands them to its Sink: every file of the new tree (a
// renamed one once, under its new path, with From), then the deleted files.
func FileResults(res *engine.Result, out *engine.Output) []*engine.FileResult {
	created := map[string]bool{}
	for _, p := range res.Created {
		created[p] = true
	}
	var files []*engine.FileResult
	renamedFrom := map[string]bool{}
	for i, d := range res.Tree.Docs {
		f := &engine.FileResult{Path: d.Path, In: d.Raw, Out: out.Files[i].Data, Mode: d.Mode, Link: d.Link, JSON: d.JSON,
			Entity: d.Entity, Created: d.Created, Unchanged: out.Unchanged[i]}
		if created[d.Path] && !d.Created {
			// Renamed: Apply keeps the bytes read under the old path
			// too, in the same slice.
			for _, p := range res.Deleted {
				if raw := res.DeletedRaw[p]; len(raw) > 0 && len(d.Raw) > 0 && &raw[0] == &d.Raw[0] {
					f.From = p
					renamedFrom[p] = true
				}
			}
		}
		files = append(files, f)
	}
	for _, p := range res.Deleted {
		if !renamedFrom[p] {
			files = append(files, &engine.FileResult{Path: p, In: res.DeletedRaw[p], JSON: true, Deleted: true})
		}
	}
	return files
}

// TxtarTree writes the files of a txtar archive out as a tree, and returns
// its folder.
func TxtarTree(tb testing.TB, archive string) string {
	tb.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// Evidence reads what the tree at in records of its AM version, as the
// command line does before it upgrades.
func Evidence(tb testing.TB, in string) engine.VersionEvidence {
	tb.Helper()
	ctx := context.Background()
	tree, err := engine.ReadTree(ctx, in, 0)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := ruleset.Bundled()
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := tree.VersionEvidence(ctx, set.VersionHints())
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}
