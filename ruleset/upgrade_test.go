package ruleset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// streamed is what an Upgrade handed to its sink.
type streamed struct {
	mu      sync.Mutex
	files   map[string]string // path → bytes of the new tree
	deleted map[string]string // path → input bytes of a deleted file
	changed []string
	calls   int
	renamed int
}

func (s *streamed) sink(f *engine.FileResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if f.Deleted {
		s.deleted[f.Path] = string(f.In)
		return nil
	}
	if _, dup := s.files[f.Path]; dup {
		return fmt.Errorf("%s handed over twice", f.Path)
	}
	if f.From != "" {
		// A renamed file: its old path is gone, as a deleted file's is.
		s.deleted[f.From] = string(f.In)
		s.renamed++
	}
	s.files[f.Path] = string(f.Out)
	if f.Link != "" {
		s.files[f.Path] = "link:" + f.Link
	}
	if !f.Unchanged {
		s.changed = append(s.changed, f.Path)
	}
	return nil
}

// TestUpgradeMatchesApply upgrades every real tree twice, once in memory
// (ReadTree, Apply, Render) and once streamed (ScanTree, Upgrade), and wants
// the same files, the same changes and the same lists, whatever the number
// of workers.
func TestUpgradeMatchesApply(t *testing.T) {
	real := filepath.Join("..", "..", "shared", "testdata", "real")
	cases := []struct {
		dir, from string
		amster    string // -a
	}{
		{dir: "fbc-7.5.0-darkedges/services"},
		{dir: "fbc-8.0-darkedges-amupgraded/services"},
		{dir: "fbc-7.2-forgeops-cdk/services"},
		{dir: "fbc-7.0.0-forgeops-cdk/services", from: "7.0.0"},
		{dir: "amster-8.0.2-manoharreddy", amster: "8.1.0"},
		{dir: "amster-6.5.1-forgeops-cdm", amster: "8.1.0"},
	}
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	to := engine.MustVersion("8.1.0")
	for _, tc := range cases {
		t.Run(strings.Split(tc.dir, "/")[0], func(t *testing.T) {
			dir := filepath.Join(real, filepath.FromSlash(tc.dir))
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("real tree absent (%v): needs ../shared/testdata/real beside the checkout", err)
			}
			opts := engine.Options{From: tc.from, AmsterVersion: tc.amster}
			whole, err := engine.ReadTree(ctx, dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			var start engine.Version
			if v := whole.AmsterVersion(); v != "" {
				start = engine.MustVersion(v)
			}
			files, err := set.Plan(whole.Layout.Mode, start, to)
			if err != nil {
				t.Fatal(err)
			}
			chain, err := set.Compile(files, ruleset.Config{To: to})
			if err != nil {
				t.Fatal(err)
			}
			res, err := engine.Apply(ctx, whole, chain, opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := res.Render(ctx, engine.RenderOptions{PrettyArrays: true})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			var wantChanged []string
			for i, f := range out.Files {
				want[f.Path] = string(f.Data)
				if f.Link != "" {
					want[f.Path] = "link:" + f.Link
				}
				if !out.Unchanged[i] {
					wantChanged = append(wantChanged, f.Path)
				}
			}
			wantDeleted := map[string]string{}
			for p, raw := range res.DeletedRaw {
				wantDeleted[p] = string(raw)
			}

			for _, jobs := range []int{1, 4} {
				tree, err := engine.ScanTree(dir)
				if err != nil {
					t.Fatal(err)
				}
				s := &streamed{files: map[string]string{}, deleted: map[string]string{}}
				opts.Jobs = jobs
				got, err := engine.Upgrade(ctx, tree, chain, opts, engine.RenderOptions{PrettyArrays: true}, s.sink)
				if err != nil {
					t.Fatalf("-j %d: %v", jobs, err)
				}
				if diff := cmp.Diff(want, s.files); diff != "" {
					t.Errorf("-j %d: files differ (-Apply +Upgrade):\n%s", jobs, diff)
				}
				if diff := cmp.Diff(wantDeleted, s.deleted); diff != "" {
					t.Errorf("-j %d: deleted files differ (-Apply +Upgrade):\n%s", jobs, diff)
				}
				if s.calls != len(want)+len(wantDeleted)-s.renamed {
					t.Errorf("-j %d: sink called %d times for %d files and %d deleted", jobs, s.calls, len(want), len(wantDeleted))
				}
				slices.Sort(s.changed)
				if diff := cmp.Diff(wantChanged, s.changed); diff != "" {
					t.Errorf("-j %d: unchanged flags differ (-Apply +Upgrade):\n%s", jobs, diff)
				}
				if diff := cmp.Diff(wantChanged, got.Changed); diff != "" {
					t.Errorf("-j %d: Result.Changed differs (-Apply +Upgrade):\n%s", jobs, diff)
				}
				if got.Differ != out.Differ {
					t.Errorf("-j %d: Differ = %d, Render's %d", jobs, got.Differ, out.Differ)
				}
				if diff := cmp.Diff(summarize(res), summarize(got)); diff != "" {
					t.Errorf("-j %d: results differ (-Apply +Upgrade):\n%s", jobs, diff)
				}
			}
		})
	}
}

// summarize prints the lists of a result that do not hold file bytes.
func summarize(res *engine.Result) map[string][]string {
	var events, unmatched, notices []string
	for _, e := range res.Events {
		events = append(events, fmt.Sprintf("%s %s %s %s %s → %s", e.RuleID, e.Op, e.File, e.Pointer, jsonText(e.Old), jsonText(e.New)))
	}
	for _, r := range res.Unmatched {
		unmatched = append(unmatched, r.ID)
	}
	for _, n := range res.Notices {
		notices = append(notices, n.String())
	}
	return map[string][]string{
		"events": events, "created": res.Created, "deleted": res.Deleted, "recorded": res.Recorded,
		"skipped": res.Skipped, "unmatched": unmatched, "notices": notices,
		"versions": {res.StartVersion, res.EndVersion},
	}
}

func jsonText(v *amjson.Value) string {
	if v == nil {
		return "(none)"
	}
	return string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))
}

// The streamed pass over the real 936-file tree: reading each file, the
// FBC chain, printing, and a sink that drops everything.
func BenchmarkUpgradeRealTree(b *testing.B) {
	dir := realFBC(b)
	set, err := ruleset.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	to := engine.MustVersion("8.1.0")
	files, _ := set.Plan(engine.FBC, nil, to)
	chain, err := set.Compile(files, ruleset.Config{To: to})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tree, err := engine.ScanTree(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := engine.Upgrade(ctx, tree, chain, engine.Options{}, engine.RenderOptions{}, func(*engine.FileResult) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOperations times each operation kind over 200 documents of one
// service, in memory (reading is not timed): the document's parse, the
// operation, and printing it. "baseline" selects the documents and changes
// nothing, so the difference to it is the operation's own cost; the
// ns/doc metric is per document.
func BenchmarkOperations(b *testing.B) {
	const docs = 200
	files := map[string]string{}
	for i := range docs {
		files[fmt.Sprintf("realm/root/oauth2provider/1.0/organizationconfig/p%03d.json", i)] = fbcDoc("OAuth2Provider", fmt.Sprintf("p%d", i), "/",
			`{"a": 1, "b": {"c": 2, "d": [1, 2, 3]}, "whiteList": ["a", "b", "javax.servlet.x"],
			  "serverconfig": ["a=1", "max=10", "old.key=v"], "advancedOAuth2Config": {"scopeImplementationClass": "C", "whiteList": ["javax.servlet.y"]},
			  "filler": {"k1": "some text value", "k2": [true, false, null], "k3": {"n": 12345, "s": "another"}}}`)
	}
	files[trackingPath] = trackingDoc
	ops := []struct{ name, do string }{
		{"baseline", `[{delete: [absent]}]`},
		{"add", `[{add: {x: 1}}]`},
		{"set", `[{set: {a: 2}}]`},
		{"replace", `[{replace: {a: 2}}]`},
		{"delete", `[{delete: [a]}]`},
		{"add-to-set", `[{add-to-set: {whiteList: [c]}}]`},
		{"remove-from-set", `[{remove-from-set: {whiteList: [a]}}]`},
		{"add-entries", `[{add-entries: {serverconfig: {new: n}}}]`},
		{"replace-entries", `[{replace-entries: {serverconfig: {max: "100"}}}]`},
		{"remove-entries", `[{remove-entries: {serverconfig: [a]}}]`},
		{"rename-entries", `[{rename-entries: {serverconfig: {old.key: new.key}}}]`},
		{"move", `[{move: {from: advancedOAuth2Config/scopeImplementationClass, to: moved}}]`},
		{"copy", `[{copy: {from: a, to: acopy}}]`},
		{"value", `[{set: {v: !value b/c}}]`},
		{"expr", `[{set: {e: !expr 'value("a") + 1'}}]`},
		{"when", `[{set: {a: 2}, when: 'value("a") == 1'}]`},
		{"delete-instance", `[{delete-instance: true}]`},
		{"set-entity-id", `[{set-entity-id: newid}]`},
		{"transform", `[{transform: jakarta-allowlist}]`},
	}
	dir := writeFiles(b, files)
	ctx := context.Background()
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			src := "from: 7.0.0\nto: 8.1.0\nmode: fbc\nrules:\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: " + op.do + "\n"
			f, err := ruleset.Parse("bench.yaml", []byte(src))
			if err != nil {
				b.Fatal(err)
			}
			chain, err := (&ruleset.Set{}).Compile([]*ruleset.File{f}, ruleset.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				tree, err := engine.ReadTree(ctx, dir, 1)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := engine.Apply(ctx, tree, chain, engine.Options{Jobs: 1})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := res.Render(ctx, engine.RenderOptions{Jobs: 1}); err != nil {
					b.Fatal(err)
				}
				if op.name != "baseline" && len(res.Events) < docs {
					b.Fatalf("%d changes for %d documents: the operation did nothing", len(res.Events), docs)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*docs), "ns/doc")
		})
	}
}
