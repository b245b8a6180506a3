package ruleset_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
	"github.com/google/go-cmp/cmp"
)

const lazyRules = `from: 7.0.0
to: 8.1.0
mode: fbc
rules:
  - id: A
    select: {service: OAuth2Provider}
    when: has("x") && vaule("y") == 1
    do: [{add: {x: 1}}]
  - id: B
    select: {service: NoSuchService}
    do:
      - set: {y: !expr 'hass("z")'}
  - id: C
    select: {service: OAuth2Provider}
    when: '!has("done")'
    do: [{add: {done: true}}]
`

// A bundled file's expressions are compiled on first use: a mistake in
// names or types is found then, and reported at its place in the rule file,
// or by File.Check, which the tests run on every bundled file. Syntax
// errors are still found when the file is loaded.
func TestLazyExpressions(t *testing.T) {
	load := func(src string) (*ruleset.Set, []*ruleset.File) {
		set, err := ruleset.LoadFS(fstest.MapFS{"fbc/step.yaml": {Data: []byte(src)}}, "rules/")
		if err != nil {
			t.Fatal(err)
		}
		files, err := set.Resolve("step", engine.FBC)
		if err != nil {
			t.Fatal(err)
		}
		return set, files
	}
	wantA := `rules/fbc/step.yaml:7:23: expression "has(\"x\") && vaule(\"y\") == 1": unknown name vaule`
	wantB := `rules/fbc/step.yaml:12:18: expression "hass(\"z\")": unknown name hass`

	_, files := load(lazyRules)
	if diff := cmp.Diff(wantA+"\n"+wantB, errText(files[0].Check())); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}

	// Rule B selects nothing, so its expression is never compiled; rule A's
	// fails on the first document it selects.
	set, files := load(lazyRules)
	chain, err := set.Compile(files, ruleset.Config{})
	if err != nil {
		t.Fatalf("loading found %v; names and types are for first use", err)
	}
	_, err = applyTree(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{}`)}, chain)
	want := `rules/fbc/step.yaml:7:23: rule A: ` + oauthPath + `: expression "has(\"x\") && vaule(\"y\") == 1": unknown name vaule`
	if diff := cmp.Diff(want, errText(err)); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	if code := engine.CodeOf(err); code != engine.CodeRule {
		t.Errorf("code %q, want %q", code, engine.CodeRule)
	}

	set, files = load(strings.Replace(lazyRules, `vaule("y") == 1`, `(`, 1))
	_, err = set.Compile(files, ruleset.Config{})
	if diff := cmp.Diff(`rules/fbc/step.yaml:7:23: expression "has(\"x\") && (": unexpected token EOF`, errText(err)); diff != "" {
		t.Errorf("syntax error (-want +got):\n%s", diff)
	}
}

// Many documents, many goroutines, one first use (go test -race).
func TestLazyExpressionsConcurrent(t *testing.T) {
	set, err := ruleset.LoadFS(fstest.MapFS{"fbc/step.yaml": {Data: []byte(lazyRules)}}, "rules/")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := set.Resolve("step", engine.FBC)
	chain, err := set.Compile(files, ruleset.Config{Only: []string{"C"}})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for i := range 64 {
		realm := fmt.Sprintf("r%d", i)
		docs["realm/root/realm/"+realm+"/oauth2provider/1.0/organizationconfig/default.json"] = fbcDoc("OAuth2Provider", "default", "/"+realm, `{}`)
	}
	got, err := applyTree(t, docs, chain)
	if err != nil {
		t.Fatal(err)
	}
	for p := range docs {
		if want := `{ "done" : true }`; dataOf(t, got[p]) != want {
			t.Errorf("%s: %s, want %s", p, dataOf(t, got[p]), want)
		}
	}
}

// applyTree writes files into an FBC tree and applies chain to it with
// several workers.
func applyTree(t *testing.T, files map[string]string, chain *engine.Chain) (map[string]string, error) {
	t.Helper()
	files = maps.Clone(files)
	files[trackingPath] = trackingDoc
	dir := writeFiles(t, files)
	ctx := context.Background()
	tree, err := engine.ReadTree(ctx, dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Apply(ctx, tree, chain, engine.Options{Jobs: 4})
	if err != nil {
		return nil, err
	}
	out, err := res.Render(ctx, engine.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range out.Files {
		got[f.Path] = compact(t, f.Data)
	}
	return got, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A file of a LoadFS set whose rules do not parse (its header does, so
// LoadFS takes it) is an error of Files, with its place, not a panic.
func TestFilesReportsBadFile(t *testing.T) {
	t.Parallel()
	src := "from: 7.0.0\nto: 8.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: X}\n    do: [{frobnicate: {}}]\n"
	set, err := ruleset.LoadFS(fstest.MapFS{"fbc/step.yaml": {Data: []byte(src)}}, "rules/")
	if err != nil {
		t.Fatal(err)
	}
	files, err := set.Files()
	if files != nil || err == nil || !strings.HasPrefix(err.Error(), "rules/fbc/step.yaml:7:") {
		t.Errorf("Files() = %v, %v; want an error at rules/fbc/step.yaml:7", files, err)
	}
}
