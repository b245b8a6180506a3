package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/checklist"
	"github.com/amupgrade/amupgrade/internal/upgradetest"
	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// Upgrade is an upgrade as the tests run it: the command line's read, plan,
// Apply and Render, then every file handed to a Collector the way
// engine.Upgrade hands it to its Sink. It is exported for the black-box
// tests of this package.
type Upgrade struct {
	In string
	// To plans the bundled steps up to this release (--to); Rules gives rule
	// files instead. With neither, no rule runs.
	To    string
	Rules []string
	With  []string // --with
	// AmsterVersion is -a; IgnoreNoRuleTracking --ignoreNoRuleTracking.
	AmsterVersion        string
	IgnoreNoRuleTracking bool
	// Run is the rest of the run as the report tells it (From is --from,
	// Masker --show-secrets, …). Input and Action default to In and check.
	Run Run
}

// Apply reads the tree and upgrades it in memory.
func (u Upgrade) Apply(tb testing.TB) (*engine.Result, *engine.Output) {
	tb.Helper()
	return u.upgrade().Apply(tb)
}

// Files runs the upgrade and returns the files as the streamed upgrade
// hands them over.
func (u Upgrade) Files(tb testing.TB) (*engine.Result, []*engine.FileResult) {
	tb.Helper()
	return u.upgrade().Files(tb)
}

func (u Upgrade) upgrade() upgradetest.Upgrade {
	return upgradetest.Upgrade{In: u.In, To: u.To, Rules: u.Rules, With: u.With, From: u.Run.From,
		AmsterVersion: u.AmsterVersion, IgnoreNoRuleTracking: u.IgnoreNoRuleTracking}
}

// Report runs the upgrade and builds its report, with diffs.
func (u Upgrade) Report(tb testing.TB) *Report {
	tb.Helper()
	res, files := u.Files(tb)
	c := NewCollector(res.Tree.Layout.Mode, DiffAll, u.Run.Masker)
	for _, f := range files {
		c.Observe(f)
	}
	return u.build(tb, res, c)
}

func (u Upgrade) build(tb testing.TB, res *engine.Result, c *Collector) *Report {
	tb.Helper()
	run := u.Run
	run.Result, run.Collector = res, c
	run.Evidence = upgradetest.Evidence(tb, u.In)
	if run.Input == "" {
		run.Input = u.In
	}
	if run.Action == "" {
		run.Action = "check"
	}
	r, err := Build(run)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// printedDiff is what --diff printed before the upgrade streamed, from the
// whole new tree in memory: the reference for Collector.Diffs.
func printedDiff(res *engine.Result, out *engine.Output, mk Masker) string {
	var w strings.Builder
	raw := map[string][]byte{}
	for _, d := range res.Tree.Docs {
		raw[d.Path] = d.Raw
	}
	for i, f := range out.Files {
		if out.Unchanged[i] {
			continue
		}
		old, oldName := raw[f.Path], "a/"+f.Path
		if slices.Contains(res.Created, f.Path) {
			old, oldName = nil, "/dev/null"
		}
		w.WriteString(mk.Diff(oldName, old, "b/"+f.Path, f.Data))
	}
	for _, p := range res.Deleted {
		w.WriteString(mk.Diff("a/"+p, res.DeletedRaw[p], "/dev/null", nil))
	}
	return w.String()
}

// checklistCases is where the checklist's test trees are.
var checklistCases = filepath.Join("..", "checklist", "testdata")

// txtarTree writes the checklist's test tree NAME out.
func txtarTree(tb testing.TB, name string) string {
	tb.Helper()
	return upgradetest.TxtarTree(tb, filepath.Join(checklistCases, name+".txtar"))
}

// copiedTree is the checklist's test tree NAME with the whole tree copied
// n more times under other realm and server folders (realm/root becomes
// realm/root1, global/Servers/01 global/Servers/02, …), so that
// every checklist item finds evidence in several files, in more than one
// place of the path order.
func copiedTree(tb testing.TB, name string, n int) string {
	tb.Helper()
	ar, err := txtar.ParseFile(filepath.Join(checklistCases, name+".txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	for i := range n + 1 {
		for _, f := range ar.Files {
			name := f.Name
			if i > 0 {
				name = strings.NewReplacer("realm/root", fmt.Sprintf("realm/root%d", i), "realms/root", fmt.Sprintf("realms/root%d", i),
					"Servers/01", fmt.Sprintf("Servers/%02d", i+1)).Replace(name)
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return dir
}

// renameRules renames the transient-state mapping of amster-651 (its old
// path is deleted, its new one created) and deletes the push module.
const renameRules = `from: 7.0.0
to: 7.1.0
mode: amster
rules:
  - id: rename-mapping
    title: Rename the mapping
    select: {service: KeyStoreMappings, scope: any}
    do:
      - set-entity-id: am.authn.trees.transientstate.encryption.renamed
  - id: drop-push
    title: Drop the push module
    select: {service: AuthenticatorPushModule, scope: any}
    do:
      - delete-instance: true
`

func renameUpgrade(t *testing.T) Upgrade {
	rules := filepath.Join(t.TempDir(), "rename.yaml")
	if err := os.WriteFile(rules, []byte(renameRules), 0o644); err != nil {
		t.Fatal(err)
	}
	return Upgrade{In: txtarTree(t, "amster-651"), Rules: []string{rules}, IgnoreNoRuleTracking: true}
}

// collectorCases are upgrades with changed, created, renamed and deleted
// files, in both modes.
func collectorCases(t *testing.T) map[string]Upgrade {
	cases := map[string]Upgrade{
		"example-fbc-7.5":  {In: filepath.Join("..", "..", "examples", "fbc-7.5", "services"), To: "8.1.0"},
		"fbc-70-device":    {In: txtarTree(t, "fbc-70-device"), To: "8.1.0", With: []string{"jakarta"}, Run: Run{From: "7.0.0"}},
		"amster-651":       {In: txtarTree(t, "amster-651"), IgnoreNoRuleTracking: true},
		"amster-651-renam": renameUpgrade(t),
		"fbc-70-device×7":  {In: copiedTree(t, "fbc-70-device", 6), IgnoreNoRuleTracking: true},
		"amster-651×7":     {In: copiedTree(t, "amster-651", 6), IgnoreNoRuleTracking: true},
	}
	real := filepath.Join("..", "..", "..", "shared", "testdata", "real")
	if _, err := os.Stat(real); err == nil {
		cases["real-fbc-7.0.0"] = Upgrade{In: filepath.Join(real, "fbc-7.0.0-forgeops-cdk", "services"), To: "8.1.0", Run: Run{From: "7.0.0"}}
		cases["real-amster-6.5.1"] = Upgrade{In: filepath.Join(real, "amster-6.5.1-forgeops-cdm"), To: "8.1.0", AmsterVersion: "8.1.0",
			IgnoreNoRuleTracking: true}
	}
	return cases
}

// written is a report as JSON and as the HTML page.
func written(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The files come from several workers in no particular order, and their
// bytes are gone once Observe returns: the report is the same as when they
// come one by one in path order.
func TestCollectorOrder(t *testing.T) {
	for name, u := range collectorCases(t) {
		t.Run(name, func(t *testing.T) {
			res, files := u.Files(t)
			inOrder := NewCollector(res.Tree.Layout.Mode, DiffAll, Masker{})
			for _, f := range files {
				inOrder.Observe(f)
			}
			want := written(t, u.build(t, res, inOrder))

			for seed := range uint64(3) {
				c := NewCollector(res.Tree.Layout.Mode, DiffAll, Masker{})
				observeShuffled(c, files, seed)
				if diff := cmp.Diff(want, written(t, u.build(t, res, c))); diff != "" {
					t.Errorf("report (-in order +shuffled):\n%s", diff)
				}
				if diff := cmp.Diff(inOrder.Diffs(), c.Diffs()); diff != "" {
					t.Errorf("diffs (-in order +shuffled):\n%s", diff)
				}
			}
		})
	}
}

// observeShuffled hands the files to c in an order of its own, from four
// goroutines, and spoils each file's bytes as soon as Observe returns, as
// the engine reuses them.
func observeShuffled(c *Collector, files []*engine.FileResult, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(files))))
	shuffled := slices.Clone(files)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	next := make(chan *engine.FileResult)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for f := range next {
				g := *f
				g.In, g.Out = bytes.Clone(f.In), bytes.Clone(f.Out)
				c.Observe(&g)
				scribble(g.In)
				scribble(g.Out)
			}
		})
	}
	for _, f := range shuffled {
		next <- f
	}
	close(next)
	wg.Wait()
}

func scribble(b []byte) {
	for i := range b {
		b[i] = '#'
	}
}

// Diffs lists changed and created files by path, then deleted ones by path,
// and says what --diff printed from the whole tree in memory.
func TestCollectorDiffs(t *testing.T) {
	u := renameUpgrade(t)
	res, out := u.Apply(t)
	c := NewCollector(res.Tree.Layout.Mode, DiffAll, Masker{})
	observeShuffled(c, upgradetest.FileResults(res, out), 1)
	var got []string
	var text strings.Builder
	for _, d := range c.Diffs() {
		got = append(got, d.Status+" "+d.Path)
		text.WriteString(d.Diff)
	}
	want := []string{
		"changed global/DefaultAdvancedProperties.json",
		"changed global/Servers/01/AdvancedProperties.json",
		"changed global/Servers/01/DirectoryConfiguration.json",
		"created realms/root/KeyStoreMappings/am.authn.trees.transientstate.encryption.renamed.json",
		"changed realms/root/OpenDJ/OpenDJ.json",
		"changed realms/root/Scripts/5e6f7a8b-3333-4c5a-9a4e-2f1d3c4b5a6e.json",
		"deleted realms/root/AuthenticatorPushModule/push.json",
		"deleted realms/root/KeyStoreMappings/am.authn.trees.transientstate.encryption.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diffs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(printedDiff(res, out, Masker{}), text.String()); diff != "" {
		t.Errorf("diff text (-printed from the tree in memory +collected):\n%s", diff)
	}
	for name, u := range collectorCases(t) {
		for _, mk := range []Masker{{}, {Show: true}} {
			res, out := u.Apply(t)
			c := NewCollector(res.Tree.Layout.Mode, DiffAll, mk)
			observeShuffled(c, upgradetest.FileResults(res, out), 2)
			var text strings.Builder
			for _, d := range c.Diffs() {
				text.WriteString(d.Diff)
			}
			if diff := cmp.Diff(printedDiff(res, out, mk), text.String()); diff != "" {
				t.Errorf("%s, %+v: diff text (-printed from the tree in memory +collected):\n%s", name, mk, diff)
			}
		}
	}
}

// diffBytes is the size of the diffs kept.
func (c *Collector) diffBytes() int {
	n := 0
	for _, d := range c.Diffs() {
		n += len(d.Diff)
	}
	return n
}

// Without diffs the collector keeps no diff and no bytes of any file, and
// the JSON report is the same; with diffs it keeps those of the files that
// differ only.
func TestCollectorWithoutDiffs(t *testing.T) {
	for name, u := range collectorCases(t) {
		t.Run(name, func(t *testing.T) {
			res, files := u.Files(t)
			lean := NewCollector(res.Tree.Layout.Mode, DiffNone, Masker{})
			full := NewCollector(res.Tree.Layout.Mode, DiffAll, Masker{})
			for _, f := range files {
				lean.Observe(f)
				full.Observe(f)
			}
			if d := lean.Diffs(); d != nil || lean.diffBytes() != 0 {
				t.Errorf("without diffs the collector keeps %d diffs, %d bytes", len(d), lean.diffBytes())
			}
			// The files that differ, and no other, have a diff.
			var want []string
			for _, f := range files {
				switch {
				case f.Deleted:
					want = append(want, "deleted "+f.Path)
				case f.From != "":
					want = append(want, "created "+f.Path, "deleted "+f.From)
				case f.Created:
					want = append(want, "created "+f.Path)
				case !f.Unchanged:
					want = append(want, "changed "+f.Path)
				}
			}
			var got []string
			for _, d := range full.Diffs() {
				got = append(got, d.Status+" "+d.Path)
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diffs (-want +got):\n%s", diff)
			}
			var a, b bytes.Buffer
			if err := u.build(t, res, lean).WriteJSON(&a); err != nil {
				t.Fatal(err)
			}
			if err := u.build(t, res, full).WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b.String(), a.String()); diff != "" {
				t.Errorf("JSON report (-with diffs +without):\n%s", diff)
			}
			if err := u.build(t, res, lean).WriteHTML(&a); err == nil || !strings.Contains(err.Error(), "diffs") {
				t.Errorf("an HTML page without diffs: %v", err)
			}
		})
	}
}

// BenchmarkCollector observes the files of the real 7.5.0 tree upgraded to
// 8.1 and builds the checklist from what was kept: what every run pays,
// without diffs (checklist) and with them (--report, --diff). kept-B is the
// heap the collector holds once every file went by.
func BenchmarkCollector(b *testing.B) {
	in := filepath.Join("..", "..", "..", "shared", "testdata", "real", "fbc-7.5.0-darkedges", "services")
	if _, err := os.Stat(in); err != nil {
		b.Skipf("%s is not here (the shared reference trees sit beside the repository)", in)
	}
	res, files := Upgrade{In: in, To: "8.1.0"}.Files(b)
	var size int64
	for _, f := range files {
		size += int64(len(f.Out))
	}
	observe := func(diffs Diffs) *Collector {
		c := NewCollector(res.Tree.Layout.Mode, diffs, Masker{})
		for _, f := range files {
			c.Observe(f)
		}
		return c
	}
	for _, diffs := range []Diffs{DiffNone, DiffChanged, DiffAll} {
		name := map[Diffs]string{DiffNone: "checklist", DiffChanged: "diffs", DiffAll: "all-diffs"}[diffs]
		b.Run(name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			c := observe(diffs)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(c)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				c := observe(diffs)
				if _, err := checklist.Build(c.facts, checklist.Options{Chain: res.Chain}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)), "kept-B")
		})
	}
}

// The console prints one line per item that applies, and nothing when
// none does; an upgrade to an earlier release says the later steps do not
// apply.
func TestConsoleLines(t *testing.T) {
	t.Parallel()
	r := Upgrade{In: txtarTree(t, "amster-651"), IgnoreNoRuleTracking: true}.Report(t)
	lines := r.ConsoleLines()
	if len(lines) != 1+len(r.Applicable()) || !strings.HasPrefix(lines[0], "Manual steps") {
		t.Fatalf("console lines:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[1], "  - Transient state encryption key: ") || !strings.HasSuffix(lines[1], " (guide: Before you upgrade)") {
		t.Errorf("first item line: %q", lines[1])
	}
	r.Checklist = []checklist.Item{{ID: "x", Applies: checklist.No}, {ID: "y", Applies: checklist.Unknown}}
	if lines := r.ConsoleLines(); lines != nil {
		t.Errorf("nothing applies, yet the console prints:\n%s", strings.Join(lines, "\n"))
	}

	r = Upgrade{In: txtarTree(t, "amster-651"), IgnoreNoRuleTracking: true, Run: Run{Target: engine.Version{7, 4, 0}}}.Report(t)
	want := []string{
		"Manual steps from the PingAM 8.1 upgrade guide (2; the report has the evidence):",
		"  - Identity store schema for the Retry Limit Decision node (opendj_retry_limit_node_count.ldif): upgrading from AM 6.5.1 with a PingDS identity store: apply opendj_retry_limit_node_count.ldif (guide: Identity store)",
		"  - Custom advanced server properties: 1 custom server-default property and 1 per-server property, which amupgrade keeps; check they are still wanted (guide: Update tools, scripts, and components)",
		"The PingAM 8.1 upgrade guide's steps for later releases do not apply to an upgrade to AM 7.4.0 (5 left out; the report lists them).",
	}
	if diff := cmp.Diff(want, r.ConsoleLines()); diff != "" {
		t.Errorf("--to 7.4.0 (-want +got):\n%s", diff)
	}
}
