package ruleset_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
)

// layoutsFile pairs the rules of the Amster chain with those of the FBC
// chain (docs/rules.md, "One AM, two layouts").
const layoutsFile = "../rules/layouts.yaml"

// layoutKinds are the reasons a rule of one layout has no counterpart in
// the other.
var layoutKinds = []string{"transform", "no-entity", "layout", "tracking", "docs"}

// pairedFrom is the first Amster step whose every rule must be paired or
// explained: the FBC chain starts at AM 7.0.
var pairedFrom = engine.MustVersion("7.0.0")

// layoutEntry is one entry of rules/layouts.yaml.
type layoutEntry struct {
	line                int
	amster, fbc         map[string][]string // step name → rule ids
	kind, reason, note  string
	amsterRefs, fbcRefs []layoutRef
	hasAmster, hasFBC   bool
}

// layoutRef is a rule an entry names.
type layoutRef struct {
	file *ruleset.File
	rule *ruleset.Rule
}

func (r layoutRef) String() string { return r.file.Name + " " + r.rule.ID }

// release is the AM release a rule belongs to: its since, or its file's to.
func (r layoutRef) release() engine.Version {
	if r.rule.Since != nil {
		return r.rule.Since
	}
	return r.file.To
}

// parseLayouts reads entries in the form of rules/layouts.yaml; every
// entry keeps its line. name is the file, for messages.
func parseLayouts(t *testing.T, name string, src []byte) []*layoutEntry {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: want a mapping with the key entries", name)
	}
	top := root.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "entries" {
			t.Errorf("%s:%d: unknown key %q (want entries)", name, top.Content[i].Line, top.Content[i].Value)
			continue
		}
		list = top.Content[i+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		t.Fatalf("%s: entries: want a list", name)
	}
	var out []*layoutEntry
	for _, n := range list.Content {
		e := &layoutEntry{line: n.Line}
		if n.Kind != yaml.MappingNode {
			t.Errorf("%s:%d: an entry is a mapping", name, n.Line)
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var err error
			switch k.Value {
			case "amster":
				e.hasAmster = true
				err = v.Decode(&e.amster)
			case "fbc":
				e.hasFBC = true
				err = v.Decode(&e.fbc)
			case "kind":
				err = v.Decode(&e.kind)
			case "reason":
				err = v.Decode(&e.reason)
			case "note":
				err = v.Decode(&e.note)
			default:
				t.Errorf("%s:%d: unknown key %q (want amster, fbc, kind, reason, note)", name, k.Line, k.Value)
			}
			if err != nil {
				t.Errorf("%s:%d: %s: %v", name, k.Line, k.Value, err)
			}
		}
		out = append(out, e)
	}
	return out
}

// TestLayoutPairs checks rules/layouts.yaml against the bundled rules: every
// rule of the Amster steps from 7.0 → 7.1 on and every FBC rule is named,
// in a pair with its counterparts or alone with a kind and a reason; every
// name exists; the rules of a pair share their group; and each FBC rule of
// a pair carries the release of the earliest Amster step of the pair, so
// that an FBC upgrade to a release makes what that release's Amster step
// makes.
func TestLayoutPairs(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatalf("bundled rules do not load:\n%v", err)
	}
	src, err := os.ReadFile(layoutsFile)
	if err != nil {
		t.Fatalf("the layout pairs: %v", err)
	}
	c := newLayoutChecker(t, set, layoutsFile)
	entries := parseLayouts(t, layoutsFile, src)
	named, alone, pairs := c.check(entries)
	if pairs == 0 {
		t.Fatalf("%s pairs no rules", layoutsFile)
	}
	for name, lines := range named {
		if _, ok := alone[name]; ok && len(lines) > 1 {
			t.Errorf("%s: %s is named as without a counterpart and again at lines %v", layoutsFile, name, lines)
		}
	}
	for _, f := range bundledFiles(t, set) {
		if f.Composite() || (f.Mode == engine.Amster && f.From.Less(pairedFrom)) {
			continue
		}
		for _, r := range f.Rules {
			if len(named[layoutRef{f, r}.String()]) == 0 {
				t.Errorf("%s: rules/%s.yaml rule %s (%s) is neither paired with its counterpart in the other layout nor named as having none", layoutsFile, f.Name, r.ID, r.Title)
			}
		}
	}
}

// layoutChecker checks entries against the bundled rule files.
type layoutChecker struct {
	t     *testing.T
	name  string                   // the file the entries come from, for messages
	files map[string]*ruleset.File // "amster/7.1.x-to-7.2.x" → file
}

func newLayoutChecker(t *testing.T, set *ruleset.Set, name string) *layoutChecker {
	c := &layoutChecker{t: t, name: name, files: map[string]*ruleset.File{}}
	for _, f := range bundledFiles(t, set) {
		c.files[f.Name] = f
	}
	return c
}

// resolve finds the rules an entry names for one layout.
func (c *layoutChecker) resolve(e *layoutEntry, mode string, steps map[string][]string) []layoutRef {
	t := c.t
	var refs []layoutRef
	for _, step := range slices.Sorted(maps.Keys(steps)) {
		f, ok := c.files[mode+"/"+step]
		if !ok || f.Composite() {
			t.Errorf("%s:%d: %s: no bundled %s step of that name with rules of its own", c.name, e.line, step, mode)
			continue
		}
		byID := map[string]*ruleset.Rule{}
		for _, r := range f.Rules {
			byID[r.ID] = r
		}
		for _, id := range steps[step] {
			if id == "*" {
				for _, r := range f.Rules {
					refs = append(refs, layoutRef{f, r})
				}
				continue
			}
			r, ok := byID[id]
			if !ok {
				t.Errorf("%s:%d: %s/%s has no rule %s", c.name, e.line, mode, step, id)
				continue
			}
			refs = append(refs, layoutRef{f, r})
		}
	}
	return refs
}

// check checks each entry on its own, and returns the lines that name each
// rule ("<file> <id>"), the kind of the rules named alone, and the number
// of pairs.
func (c *layoutChecker) check(entries []*layoutEntry) (named map[string][]int, alone map[string]string, pairs int) {
	t := c.t
	named, alone = map[string][]int{}, map[string]string{}
	for _, e := range entries {
		e.amsterRefs = c.resolve(e, "amster", e.amster)
		e.fbcRefs = c.resolve(e, "fbc", e.fbc)
		for _, r := range append(slices.Clone(e.amsterRefs), e.fbcRefs...) {
			named[r.String()] = append(named[r.String()], e.line)
		}
		switch {
		case e.hasAmster && e.hasFBC:
			pairs++
			if e.kind != "" || e.reason != "" {
				t.Errorf("%s:%d: a pair has a note, not a kind or a reason", c.name, e.line)
			}
			c.checkPair(e)
		case e.hasAmster || e.hasFBC:
			if !slices.Contains(layoutKinds, e.kind) {
				t.Errorf("%s:%d: rules without a counterpart need a kind (one of %s), not %q", c.name, e.line, strings.Join(layoutKinds, ", "), e.kind)
			}
			if strings.TrimSpace(e.reason) == "" {
				t.Errorf("%s:%d: rules without a counterpart need a reason", c.name, e.line)
			}
			for _, r := range append(slices.Clone(e.amsterRefs), e.fbcRefs...) {
				alone[r.String()] = e.kind
			}
		default:
			t.Errorf("%s:%d: the entry names no rule (amster, fbc)", c.name, e.line)
		}
	}
	return named, alone, pairs
}

// checkPair checks that the rules of a pair share their group and that each
// FBC rule carries the release of the pair's earliest Amster step.
func (c *layoutChecker) checkPair(e *layoutEntry) {
	t := c.t
	all := append(slices.Clone(e.amsterRefs), e.fbcRefs...)
	if len(e.amsterRefs) == 0 || len(e.fbcRefs) == 0 {
		return // reported where the names did not resolve
	}
	for _, r := range all[1:] {
		if r.rule.Group != all[0].rule.Group {
			t.Errorf("%s:%d: %s is in group %q, %s in %q: a change is optional in both layouts or in neither", c.name, e.line, all[0], all[0].rule.Group, r, r.rule.Group)
		}
	}
	first := e.amsterRefs[0]
	for _, r := range e.amsterRefs[1:] {
		if r.release().Less(first.release()) {
			first = r
		}
	}
	for _, r := range e.fbcRefs {
		if r.release().Compare(first.release()) != 0 {
			t.Errorf("%s:%d: %s has since %s, but its counterpart %s comes with AM %s: give it since: %s", c.name, e.line, r, r.release(), first, first.release(), first.release())
		}
	}
}
