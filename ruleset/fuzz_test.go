package ruleset_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/rules"
	"github.com/amupgrade/amupgrade/ruleset"
)

// FuzzParse: any bytes give a valid rule file or errors that each carry a
// position in it; never a panic.
func FuzzParse(f *testing.F) {
	// Seeds are the smaller bundled files: the large ones make each run
	// slow under coverage instrumentation without reaching new code.
	names, _ := fs.Glob(rules.FS, "*/*.yaml")
	for _, n := range names {
		if b, _ := fs.ReadFile(rules.FS, n); len(b) < 4_000 {
			f.Add(b)
		}
	}
	f.Add([]byte("from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    when: 'has(\"x\") && value(\"y\") > 1'\n    do: [{add: {x: !expr '1 + 2'}}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ruleset.Parse("f.yaml", src)
		if err == nil {
			if file == nil {
				t.Fatal("no file and no error")
			}
			return
		}
		var es engine.Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error is not a list of positioned errors: %T %v", err, err)
		}
		for _, e := range es {
			if e.Pos.File != "f.yaml" || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
		}
	})
}

// fuzzRules exercise every operation on whatever data the fuzzer gives.
const fuzzRules = `from: 7.0.0
to: 8.1.0
mode: fbc
rules:
  - id: F1
    select: {service: S}
    do:
      - add: {a: 1, b/c: [x], /z: {}}
      - set: {d: "v"}
      - replace: {e: null}
      - delete: [f, g/h]
      - add-to-set: {l: [x, 2], m: [{k: v}]}
      - remove-from-set: {l: [y]}
      - add-entries: {s: {k: v}}
      - replace-entries: {s: {k: w}}
        when: 'old != "q"'
      - remove-entries: {s: [gone]}
      - rename-entries: {s: {k: k2}}
      - move: {from: n, to: o}
      - copy: {from: p, to: q}
      - set: {r: !expr 'string(len(keys("/")))'}
        when: has("a") || !has("a")
  - id: F2
    select: {service: S}
    within: sec/inner
    create-within: true
    do:
      - add: {x: !value /a}
      - set: {y: !original /d}
`

// FuzzOperations: every operation on arbitrary JSON data never panics, and
// the output is valid JSON that keeps the keys no rule touched, in order.
func FuzzOperations(f *testing.F) {
	f.Add([]byte(`{"a": 2, "l": ["x", "y"], "s": ["k=1", "gone=2"], "n": {"deep": [1, 2.50]}, "keep": 12345678901234567890}`))
	f.Add([]byte(`{"sec": 1, "l": 3, "s": "k=v", "b": [], "g": {"h": 1}}`))
	f.Add([]byte(`{}`))
	file, err := ruleset.Parse("fuzz.yaml", []byte(fuzzRules))
	if err != nil {
		f.Fatal(err)
	}
	chain, err := (&ruleset.Set{}).Compile([]*ruleset.File{file}, ruleset.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := amjson.Parse(data)
		if err != nil || v.Kind != amjson.Object {
			return
		}
		dir := t.TempDir()
		doc := `{"metadata": {"realm": null, "entityType": "S", "entityId": "x"}, "data": ` + string(data) + "}"
		if err := os.WriteFile(filepath.Join(dir, "d.json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, "realm"), 0o755)
		tree, err := engine.ReadTree(context.Background(), dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := engine.Apply(context.Background(), tree, chain, engine.Options{IgnoreNoRuleTracking: true})
		if err != nil {
			return // a positioned error is a fine answer (a value of the wrong type)
		}
		out, err := res.Render(context.Background(), engine.RenderOptions{})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		got, err := amjson.Parse(out.Files[0].Data)
		if err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.Files[0].Data)
		}
		// Keys no operation names keep their value and relative order.
		touched := map[string]bool{"a": true, "b": true, "z": true, "d": true, "e": true, "f": true, "g": true, "l": true,
			"m": true, "s": true, "n": true, "o": true, "p": true, "q": true, "r": true, "sec": true, "x": true, "y": true}
		var before, after []string
		for _, m := range v.Members {
			if !touched[m.Key] {
				before = append(before, m.Key)
				if !amjson.Equal(m.Value, got.Get("data").Get(m.Key)) {
					t.Fatalf("untouched key %q changed", m.Key)
				}
			}
		}
		for _, m := range got.Get("data").Members {
			if !touched[m.Key] {
				after = append(after, m.Key)
			}
		}
		if len(before) != len(after) {
			t.Fatalf("untouched keys %v became %v", before, after)
		}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("untouched keys %v became %v", before, after)
			}
		}
	})
}
