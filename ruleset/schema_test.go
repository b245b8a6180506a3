package ruleset_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/rules"
	"github.com/amupgrade/amupgrade/ruleset"
	"github.com/amupgrade/amupgrade/transforms"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	f, err := os.Open(filepath.Join("..", "docs", "rules.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("rules.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("rules.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON turns a YAML document into the JSON value an editor's schema
// validator sees: the computing tags (!expr, !value, !original) are strings.
func yamlToJSON(t *testing.T, src []byte) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		t.Fatal(err)
	}
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.DocumentNode:
			return conv(n.Content[0])
		case yaml.AliasNode:
			return conv(n.Alias)
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			out := []any{}
			for _, c := range n.Content {
				out = append(out, conv(c))
			}
			return out
		}
		var v any
		if strings.HasPrefix(n.Tag, "!!") {
			if err := n.Decode(&v); err != nil {
				t.Fatal(err)
			}
		} else {
			v = n.Value
		}
		// Round-trip through JSON so numbers are what the validator expects.
		b, _ := json.Marshal(v)
		var out any
		json.Unmarshal(b, &out)
		return out
	}
	return conv(&n)
}

// Every bundled rule file is valid against docs/rules.schema.json, so
// editors that use the schema accept what the loader accepts.
func TestBundledRulesMatchSchema(t *testing.T) {
	s := compileSchema(t)
	names, _ := fs.Glob(rules.FS, "*/*.yaml")
	for _, n := range names {
		src, _ := fs.ReadFile(rules.FS, n)
		if err := s.Validate(yamlToJSON(t, src)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// The schema catches the mistakes an editor should underline.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	for name, src := range map[string]string{
		"unknown field":            "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrulez: []\n",
		"bad mode":                 "from: 7.0.0\nto: 7.1.0\nmode: ldif\nrules: []\n",
		"unknown operation":        "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do: [{ad: {x: 1}}]\n",
		"two operations":           "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do: [{add: {x: 1}, delete: [y]}]\n",
		"unknown rule field":       "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    selects: {service: S}\n    do: []\n",
		"selector without service": "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {scope: realm}\n    do: []\n",
	} {
		if err := s.Validate(yamlToJSON(t, []byte(src))); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// The examples of docs/rules.md load: whole files as they are, a rule or a
// selector inside a minimal file around it.
func TestDocsExamplesLoad(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(src), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d yaml examples in docs/rules.md", len(blocks))
	}
	const head = "from: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n"
	for i, b := range blocks {
		text := b[1]
		var file string
		switch {
		case strings.HasPrefix(text, "from:"):
			file = text
		case strings.HasPrefix(text, "- id:"):
			file = head + indent(text, "  ")
		case strings.HasPrefix(text, "select:"):
			file = head + "  - id: X\n" + indent(text, "    ") + "    do: [{add: {x: 1}}]\n"
		case strings.HasPrefix(text, "entries:"):
			// an example of rules/layouts.yaml: checked as that file is,
			// but for naming every rule
			name := fmt.Sprintf("docs/rules.md example %d", i+1)
			set, err := ruleset.Bundled()
			if err != nil {
				t.Fatal(err)
			}
			newLayoutChecker(t, set, name).check(parseLayouts(t, name, []byte(text)))
			continue
		default:
			t.Errorf("example %d: unknown kind of example:\n%s", i+1, text)
			continue
		}
		if _, err := ruleset.Parse(fmt.Sprintf("docs/rules.md example %d", i+1), []byte(file)); err != nil {
			t.Errorf("example %d does not load:\n%s\n%v", i+1, text, err)
		}
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// Every registered transform is documented in docs/rules.md.
func TestTransformsDocumented(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range transforms.All() {
		if !strings.Contains(string(src), "| `"+tr.Name+"` |") {
			t.Errorf("transform %s has no row in docs/rules.md's Transforms tables", tr.Name)
		}
	}
}
