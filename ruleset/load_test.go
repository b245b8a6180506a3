package ruleset_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
	"github.com/google/go-cmp/cmp"
)

// aliasBomb is a rule whose value holds 10^levels strings in a few lines of
// aliases of aliases.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do:\n      - add:\n")
	b.WriteString(`          a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]` + "\n")
	for i := 1; i <= levels; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("          a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	return b.String()
}

const head = "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n"

// What a rule file may not be, each refused quickly at its place in the
// file: too large, too many values once its aliases are expanded, YAML that
// go-yaml places badly or not at all, and what a run would refuse.
func TestLoadLimitsAndPlaces(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
	}{
		{"an alias bomb of 9 levels", aliasBomb(9),
			"test.yaml:13:55: the rule file holds more than 100000 YAML values once its aliases are expanded (an alias *name repeats all that its anchor &name holds, each time it is used); write the values out, or use fewer aliases of aliases"},
		{"an alias bomb of 7 levels", aliasBomb(7),
			"test.yaml:13:55: the rule file holds more than 100000 YAML values once its aliases are expanded (an alias *name repeats all that its anchor &name holds, each time it is used); write the values out, or use fewer aliases of aliases"},
		{"an alias inside its own value", head + "  - id: A\n    select: {service: S}\n    do: [{add: {a: &x [1, {b: *x}]}}]\n",
			"test.yaml:7:31: the alias *x stands for a value that holds this alias: it never ends; write the value out"},
		{"too many values without aliases", head + "  - id: A\n    select: {service: S}\n    do: [{add: {a: [" + strings.Repeat("1,", ruleset.MaxNodes) + "1]}}]\n",
			"test.yaml:7:199987: the rule file holds more than 100000 YAML values, the limit for a rule file; split it into several files"},
		{"too large", head + "  - id: A\n    select: {service: S}\n    do: [{add: {a: \"" + strings.Repeat("x", ruleset.MaxFileSize) + "\"}}]\n",
			"test.yaml: the rule file is larger than 1048576 bytes (1 MiB), the limit for a rule file; split it into several files"},
		{"unknown anchor", head + "  - id: A\n    select: {service: S}\n    # not *nope here\n    do: [{add: {a: '*nope', b: *nope}}]\n",
			"test.yaml:8:32: YAML syntax: unknown anchor 'nope' referenced: no &nope before this *nope; define the anchor first"},
		{"invalid UTF-8", head + "  - id: A\n    select: {service: S}\n    do: [{add: {é: \"b\xffc\"}}]\n",
			"test.yaml:7:22: YAML syntax: invalid leading UTF-8 octet: byte 0xFF is not UTF-8; save the file as UTF-8"},
		{"a control character", head + "  - id: A\n    select: {service: S}\n    do: [{add: {é: \"b\x01c\"}}]\n",
			`test.yaml:7:22: YAML syntax: control characters are not allowed: U+0001 here; remove it, or write it as \u0001 inside double quotes`},
		{"a key indented too far", head + "  - id: A\n    select: {service: S}\n    do:\n      - add:\n          a: 1\n          b: 2\n          c: 3\n          d: 4\n          e: 5\n          f: 6\n          g: 7\n          h: 8\n         i: 9\n",
			"test.yaml:17:10: YAML syntax: did not find expected key (in the mapping that begins on line 8): check the indentation of this line"},
		{"a field indented too little", head + "  - id: A\n    select: {service: S}\n    within: x\n    when: has(\"y\")\n    do:\n      - add: {a: 1}\n      - delete: [b]\n   since: 7.0.0\n",
			"test.yaml:12:4: YAML syntax: did not find expected '-' indicator (in the list that begins on line 5): check the indentation of this line"},
		{"a bracket not closed", head + "  - id: A\n    select: {service: S\n    do: []\n",
			"test.yaml:6:5: YAML syntax: did not find expected ',' or '}': the bracket opened on this line is not closed"},
		{"create outside the tree", head + "  - id: A\n    create: {service: S, entityId: x, file: /etc/x.json, data: {}}\n  - id: B\n    create: {service: S, entityId: y, file: ../../x.json, data: {}}\n  - id: C\n    create: {service: S, entityId: z, file: a/./b.json, data: {}}\n",
			"test.yaml:6:45: create file \"/etc/x.json\": the path must be relative to the tree's top folder, such as global/Service/name.json\n" +
				"test.yaml:8:45: create file \"../../x.json\": the path must stay inside the tree, without empty, . or .. parts, such as global/Service/name.json\n" +
				"test.yaml:10:45: create file \"a/./b.json\": the path must stay inside the tree, without empty, . or .. parts, such as global/Service/name.json"},
		{"an operation on the data object itself", head + "  - id: A\n    select: {service: S}\n    do: [{set: {/: 1}}, {add-to-set: {/: [x]}}, {remove-entries: {/: [k]}}]\n",
			"test.yaml:7:17: set needs an attribute name, not \"/\" (the whole data object)\n" +
				"test.yaml:7:39: add-to-set needs the path of an array, not \"/\" (the whole data object)\n" +
				"test.yaml:7:67: remove-entries needs the path of an array, not \"/\" (the whole data object)"},
		{"a bad path inside an expression", head + "  - id: A\n    select: {service: S}\n    when: value(\"a~2\") == 1\n    do: [{add: {a: 1}}]\n",
			"test.yaml:7:17: expression \"value(\\\"a~2\\\") == 1\": path \"a~2\": invalid JSON pointer \"/a~2\": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ruleset.Parse("test.yaml", []byte(tt.src))
			if diff := cmp.Diff(tt.want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if code := engine.CodeOf(err); code != engine.CodeRule {
				t.Errorf("error code %q, want %q", code, engine.CodeRule)
			}
		})
	}
}

// A created entity's file is refused when the file is loaded exactly when
// a run would refuse it.
func TestCreateFile(t *testing.T) {
	tests := []struct {
		path string
		bad  bool
	}{
		{"/abs.json", true}, {"../x.json", true}, {"a/../../x.json", true}, {"a//b.json", true}, {"./a.json", true},
		{"a/.", true}, {"a/b/", true}, {"a\x00b.json", true},
		{"realm/root/s/1.0/globalconfig/x.json", false}, {"..x/y..json", false},
	}
	for _, tt := range tests {
		p := tt.path
		rule := "  - id: C\n    create: {service: S, entityId: x, file: %q, data: {}}\n"
		_, loadErr := ruleset.Parse("test.yaml", []byte(head+strings.Replace(rule, "%q", strconvQuote(p), 1)))
		// The run, given the same rule with the load's check passed by.
		f, err := ruleset.Parse("test.yaml", []byte(head+strings.Replace(rule, "%q", `"ok.json"`, 1)))
		if err != nil {
			t.Fatal(err)
		}
		f.Rules[0].Create.File = p
		chain, err := (&ruleset.Set{}).Compile([]*ruleset.File{f}, ruleset.Config{})
		if err != nil {
			t.Fatal(err)
		}
		tree, err := engine.ReadTree(context.Background(), writeFiles(t, map[string]string{trackingPath: trackingDoc}), 1)
		if err != nil {
			t.Fatal(err)
		}
		_, runErr := engine.Apply(context.Background(), tree, chain, engine.Options{})
		if (loadErr != nil) != tt.bad || (runErr != nil) != tt.bad {
			t.Errorf("file %q: when loaded: %v; when run: %v; want an error of both: %v", p, loadErr, runErr, tt.bad)
		}
	}
}

func strconvQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\x00", `\0`).Replace(s) + `"`
}

// LoadFile is what a run and `rules check` read a rule file with.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", head+"  - id: A\n    select: {service: S}\n    do: [{add: {a: 1}}]\n")
	f, err := ruleset.LoadFile(good)
	if err != nil || len(f.Rules) != 1 || f.Name != strings.TrimSuffix(good, ".yaml") {
		t.Errorf("LoadFile(good) = %+v, %v", f, err)
	}
	tests := []struct{ path, want string }{
		{write("composite.yaml", "from: 7.0.0\nto: 7.2.0\nmode: fbc\ninclude: [a, b]\n"),
			"%s: a file with include can only be bundled; name the bundled step, or list the included files"},
		{write("large.yaml", head+"# "+strings.Repeat("x", 2*ruleset.MaxFileSize)+"\n"),
			"%s: the rule file is larger than 1048576 bytes (1 MiB), the limit for a rule file; split it into several files"},
		{filepath.Join(dir, "missing.yaml"), "%s: cannot read the rule file: open %[1]s: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := ruleset.LoadFile(tt.path)
		want := strings.ReplaceAll(tt.want, "%[1]s", tt.path)
		want = strings.Replace(want, "%s", tt.path, 1)
		if diff := cmp.Diff(want, errText(err)); diff != "" {
			t.Errorf("LoadFile(%s) (-want +got):\n%s", filepath.Base(tt.path), diff)
		}
		if code := engine.CodeOf(err); code != engine.CodeRule {
			t.Errorf("LoadFile(%s): error code %q, want %q", filepath.Base(tt.path), code, engine.CodeRule)
		}
	}
}
