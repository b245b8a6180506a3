package ruleset_test

import (
	"io/fs"

	"github.com/amupgrade/amupgrade/rules"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
	"github.com/google/go-cmp/cmp"
)

// Every bundled rule file loads, every expression in it compiles (a run
// compiles them on first use only), and every chain the planner can be asked
// for compiles.
func TestBundledRulesLoad(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatalf("bundled rules do not load:\n%v", err)
	}
	for _, f := range bundledFiles(t, set) {
		if err := f.Check(); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		if _, err := set.Compile([]*ruleset.File{f}, ruleset.Config{}); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestPlanAmsterChains(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	names := func(files []*ruleset.File) []string {
		var out []string
		for _, f := range files {
			out = append(out, f.Name)
		}
		return out
	}
	tests := []struct {
		from, to string
		want     []string
	}{
		{"6.5.1", "8.1.0", []string{"amster/6.5.x-to-7.0.x", "amster/7.0.x-to-7.1.x", "amster/7.1.x-to-7.2.x", "amster/7.2.x-to-7.3.x",
			"amster/7.3.x-to-7.4.x", "amster/7.4.x-to-7.5.x", "amster/7.5.x-to-8.0.x", "amster/8.0.x-to-8.1.x"}},
		{"7.0.0", "8.1.0", []string{"amster/7.0.x-to-7.1.x", "amster/7.1.x-to-7.2.x", "amster/7.2.x-to-7.3.x",
			"amster/7.3.x-to-7.4.x", "amster/7.4.x-to-7.5.x", "amster/7.5.x-to-8.0.x", "amster/8.0.x-to-8.1.x"}},
		{"7.5.0", "8.0.1", []string{"amster/7.5.x-to-8.0.x"}},
		{"8.0.2", "8.1.0", []string{"amster/8.0.x-to-8.1.x"}},
		{"8.1.0", "8.1.0", nil},
	}
	for _, tt := range tests {
		files, err := set.Plan(engine.Amster, engine.MustVersion(tt.from), engine.MustVersion(tt.to))
		if err != nil {
			t.Errorf("%s → %s: %v", tt.from, tt.to, err)
			continue
		}
		if diff := cmp.Diff(tt.want, names(files)); diff != "" {
			t.Errorf("%s → %s (-want +got):\n%s", tt.from, tt.to, diff)
		}
		if len(files) > 0 {
			if _, err := set.Compile(files, ruleset.Config{To: engine.MustVersion(tt.to)}); err != nil {
				t.Errorf("%s → %s: %v", tt.from, tt.to, err)
			}
		}
	}
	if _, err := set.Plan(engine.Amster, engine.MustVersion("6.0.0"), engine.MustVersion("8.1.0")); err == nil {
		t.Error("planning from 6.0 should fail: there is no bundled 6.0 step")
	}
	fbc, err := set.Plan(engine.FBC, engine.MustVersion("7.0.0"), engine.MustVersion("8.1.0"))
	if err != nil || len(fbc) != 1 || fbc[0].Name != "fbc/latest" {
		t.Errorf("fbc plan: %v %v", names(fbc), err)
	}
}

// The header read at start-up says the same as the whole file.
func TestBundledHeaders(t *testing.T) {
	names, _ := fs.Glob(rules.FS, "*/*.yaml")
	for _, n := range names {
		src, _ := fs.ReadFile(rules.FS, n)
		head, err := ruleset.ParseHeader(n, src)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		full, err := ruleset.Parse(n, src)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		type header struct {
			Mode             engine.Mode
			From, To         string
			Aliases, Include []string
			ConfigVersions   map[string]string
		}
		h := func(f *ruleset.File) header {
			return header{f.Mode, f.From.String(), f.To.String(), f.Aliases, f.Include, f.ConfigVersions}
		}
		if diff := cmp.Diff(h(full), h(head)); diff != "" {
			t.Errorf("%s header (-full +head):\n%s", n, diff)
		}
	}
}

// bundledFiles is set.Files, failing the test when a file does not parse.
func bundledFiles(t *testing.T, set *ruleset.Set) []*ruleset.File {
	t.Helper()
	files, err := set.Files()
	if err != nil {
		t.Fatalf("bundled rules do not parse:\n%v", err)
	}
	return files
}

// The CLI reads a set's version hints while another goroutine compiles its
// chain (loading the bundled files on first use): under -race, this shows
// that loading a file does not write what the hints read.
func TestVersionHintsWhileLoading(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	files, err := set.Plan(engine.FBC, engine.MustVersion("7.0.0"), engine.MustVersion("8.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := set.Compile(files, ruleset.Config{})
		done <- err
	}()
	hints := set.VersionHints()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := hints.ConfigVersions["7.2.0"]; got != "4.0.0.0" {
		t.Errorf("the configuration version of AM 7.2.0 is %q, want 4.0.0.0 (rules/fbc/latest.yaml versions)", got)
	}
}
