package ruleset

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/transforms"
)

var opNames = []string{"add", "set", "replace", "delete", "add-to-set", "remove-from-set",
	"add-entries", "replace-entries", "remove-entries", "rename-entries",
	"move", "copy", "delete-instance", "set-entity-id", "transform"}

func (l *loader) ops(n *yaml.Node) []engine.Op {
	n = l.deref(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "do must be a list of operations, each like `- add: {name: value}`")
		return nil
	}
	var out []engine.Op
	for _, item := range n.Content {
		out = append(out, l.op(item)...)
	}
	return out
}

func (l *loader) op(n *yaml.Node) []engine.Op {
	n = l.deref(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "an operation must be a mapping such as `add: {name: value}`, not %s", kindName(n))
		return nil
	}
	var name string
	var body, when, args *yaml.Node
	var replacePH bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Value == "when":
			when = v
		case k.Value == "args":
			args = v
		case k.Value == "replace-placeholder":
			replacePH = l.boolean(v, "replace-placeholder")
		case slices.Contains(opNames, k.Value):
			if name != "" {
				l.errorf(k, "one operation per list item: %q and %q are in the same item; start a new `- ` item", name, k.Value)
				return nil
			}
			name, body = k.Value, v
		default:
			l.errorf(k, "unknown operation %q%s", k.Value, suggest(k.Value, opNames))
			return nil
		}
	}
	if name == "" {
		l.errorf(n, "the item names no operation (one of %v)", opNames)
		return nil
	}
	if args != nil && name != "transform" {
		l.errorf(args, "args belongs to transform only")
	}
	var cond *engine.Expr
	if when != nil {
		cond = l.expr(when, true)
	}
	ops := l.opBody(name, body, args, cond)
	if replacePH {
		allowed := false
		for _, op := range ops {
			switch op := op.(type) {
			case *engine.AssignOp:
				op.ReplacePlaceholder, allowed = true, true
			case *engine.EntriesOp:
				op.ReplacePlaceholder, allowed = true, op.Kind == "replace-entries"
			}
		}
		if !allowed {
			l.errorf(n, "replace-placeholder belongs to set, replace and replace-entries")
		}
	}
	if cond != nil && name != "replace-entries" {
		for i, op := range ops {
			ops[i] = engine.Guard(cond, op)
		}
	}
	return ops
}

func (l *loader) opBody(name string, body, args *yaml.Node, when *engine.Expr) []engine.Op {
	body = l.deref(body)
	switch name {
	case "add", "set", "replace":
		op := &engine.AssignOp{Kind: name}
		l.eachPair(body, name, func(k, v *yaml.Node) {
			op.Items = append(op.Items, engine.Assign{Path: l.attrPath(k, name, "an attribute name"), Value: l.source(v)})
		})
		return []engine.Op{op}
	case "delete":
		op := &engine.DeleteOp{}
		for _, p := range l.strsNodes(body) {
			op.Paths = append(op.Paths, l.rulePath(p))
		}
		return []engine.Op{op}
	case "add-to-set", "remove-from-set":
		op := &engine.SetOp{Remove: name == "remove-from-set"}
		l.eachPair(body, name, func(k, v *yaml.Node) {
			item := engine.SetItems{Path: l.attrPath(k, name, "the path of an array")}
			for _, e := range l.strsNodes(v) {
				item.Values = append(item.Values, l.literal(e))
			}
			op.Items = append(op.Items, item)
		})
		return []engine.Op{op}
	case "add-entries", "replace-entries", "rename-entries", "remove-entries":
		var ops []engine.Op
		l.eachPair(body, name, func(k, v *yaml.Node) {
			op := &engine.EntriesOp{Kind: name, Path: l.attrPath(k, name, "the path of an array")}
			if name == "replace-entries" {
				op.When = when
			}
			v = l.deref(v)
			if name == "remove-entries" {
				for _, e := range l.strsNodes(v) {
					op.Pairs = append(op.Pairs, engine.EntryPair{Key: l.scalarText(e)})
				}
			} else {
				l.eachPair(v, name+" of "+k.Value, func(ek, ev *yaml.Node) {
					op.Pairs = append(op.Pairs, engine.EntryPair{Key: ek.Value, Value: l.scalarText(ev)})
				})
			}
			ops = append(ops, op)
		})
		return ops
	case "move", "copy":
		fs := l.fields(body, name, "from", "to")
		if fs == nil {
			return nil
		}
		if fs["from"] == nil || fs["to"] == nil {
			l.errorf(body, "%s needs from and to", name)
			return nil
		}
		return []engine.Op{&engine.MoveOp{From: l.rulePath(fs["from"]), To: l.rulePath(fs["to"]), Copy: name == "copy"}}
	case "delete-instance":
		if !l.boolean(body, "delete-instance") {
			l.errorf(body, "write `delete-instance: true`")
		}
		return []engine.Op{engine.DeleteInstanceOp{}}
	case "set-entity-id":
		return []engine.Op{&engine.SetEntityIDOp{ID: l.str(body, "set-entity-id")}}
	case "transform":
		tname := l.str(body, "transform")
		t, ok := transforms.Lookup(tname)
		if !ok {
			var names []string
			for _, t := range transforms.All() {
				names = append(names, t.Name)
			}
			l.errorf(body, "unknown transform %q%s", tname, suggest(tname, names))
			return nil
		}
		var a *amjson.Value
		if args != nil {
			a = l.literal(args)
		}
		if t.Check != nil {
			if err := t.Check(a); err != nil {
				l.errorf(args, "transform %s: %v", tname, err)
			}
		}
		return []engine.Op{&engine.TransformOp{T: t, Args: a}}
	}
	return nil
}

func (l *loader) eachPair(n *yaml.Node, what string, fn func(k, v *yaml.Node)) {
	n = l.deref(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s takes a mapping of names to values, not %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			l.errorf(k, "%q is given twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		fn(k, n.Content[i+1])
	}
}

func (l *loader) rulePath(n *yaml.Node) engine.Path {
	s := l.str(n, "a path")
	p, err := engine.ParsePath(s)
	if err != nil {
		l.errorf(n, "path %q: %v", s, err)
	}
	return p
}

// attrPath reads the path an operation writes to, which names something
// inside the section: "/" (data itself) is refused, as a run would.
func (l *loader) attrPath(n *yaml.Node, op, want string) engine.Path {
	p := l.rulePath(n)
	if p.Text != "" && len(p.Ptr) == 0 {
		l.errorf(n, "%s needs %s, not %q (the whole data object)", op, want, p.Text)
	}
	return p
}

// scalarText reads a key=value entry's value: strings as they are, numbers
// and booleans as written.
func (l *loader) scalarText(n *yaml.Node) string {
	n = l.deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "an entry value must be a string, number or boolean, not %s", kindName(n))
		return ""
	}
	return n.Value
}

// source reads an operation's value: a literal, or one of the tags that
// compute it per document.
func (l *loader) source(n *yaml.Node) engine.ValueSource {
	n = l.deref(n)
	switch n.Tag {
	case "!value", "!original":
		if n.Kind != yaml.ScalarNode {
			l.errorf(n, "%s takes a path", n.Tag)
			return engine.ValueSource{}
		}
		p := l.rulePath(n)
		return engine.ValueSource{Ref: &p, Original: n.Tag == "!original"}
	case "!expr":
		return engine.ValueSource{Expr: l.expr(n, false)}
	}
	return engine.ValueSource{Literal: l.literal(n)}
}

// jsonNumber reports whether s is a number in JSON's form: an integer, or
// with frac also a fraction and an exponent. (A function rather than a
// regular expression, which would be compiled at every start-up.)
func jsonNumber(s string, frac bool) bool {
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		return n
	}
	s = strings.TrimPrefix(s, "-")
	n := digits()
	if n == 0 || n > 1 && s[0] == '0' {
		return false
	}
	s = s[n:]
	if !frac {
		return s == ""
	}
	if rest, ok := strings.CutPrefix(s, "."); ok {
		s = rest
		if n = digits(); n == 0 {
			return false
		}
		s = s[n:]
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		if n = digits(); n == 0 {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

// literal turns YAML into the JSON value it spells, keeping map order and
// number text.
func (l *loader) literal(n *yaml.Node) *amjson.Value {
	if n != nil && n.Kind == yaml.AliasNode {
		if l.outerAlias == nil {
			l.outerAlias = n
			defer func() { l.outerAlias = nil }()
		}
		if l.expanding[n.Alias] {
			l.errorf(n, "the alias *%s stands for a value that holds this alias: it never ends; write the value out", n.Value)
			return amjson.NewNull()
		}
		if l.expanding == nil {
			l.expanding = map[*yaml.Node]bool{}
		}
		l.expanding[n.Alias] = true
		defer delete(l.expanding, n.Alias)
	}
	n = l.deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		if n.Tag != "!!seq" {
			l.errorf(n, "unknown tag %s here", n.Tag)
		}
		arr := amjson.NewArray()
		for _, c := range n.Content {
			arr.Items = append(arr.Items, l.literal(c))
		}
		return arr
	case yaml.MappingNode:
		if n.Tag != "!!map" {
			l.errorf(n, "unknown tag %s here", n.Tag)
		}
		obj := amjson.NewObject()
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := l.deref(n.Content[i])
			if seen[k.Value] {
				l.errorf(k, "key %q is given twice", k.Value)
			}
			seen[k.Value] = true
			obj.Members = append(obj.Members, amjson.Member{Key: k.Value, Value: l.literal(n.Content[i+1])})
		}
		return obj
	}
	switch n.Tag {
	case "!!str":
		return amjson.NewString(n.Value)
	case "!!null":
		return amjson.NewNull()
	case "!!bool":
		return amjson.NewBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case "!!int":
		if !jsonNumber(n.Value, false) {
			l.errorf(n, "number %s: write numbers in plain decimal (JSON) form, or quote it to make a string", n.Value)
		}
		return amjson.NewNumber(n.Value)
	case "!!float":
		if !jsonNumber(n.Value, true) {
			l.errorf(n, "number %s: write numbers in plain decimal (JSON) form, or quote it to make a string", n.Value)
		}
		return amjson.NewNumber(n.Value)
	case "!value", "!original", "!expr":
		l.errorf(n, "%s computes an operation's value; it cannot stand inside a literal list or map", n.Tag)
		return amjson.NewNull()
	}
	l.errorf(n, "unknown tag %s (values may be tagged !value, !original or !expr)", n.Tag)
	return amjson.NewNull()
}

// checkRelPath refuses a file path that would leave the tree, as the engine
// does when it writes a created entity (engine/tracking.go): TestCreateFile
// holds them to the same answers.
func checkRelPath(p string) error {
	if strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("the path must be relative to the tree's top folder, such as global/Service/name.json")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("the path must stay inside the tree, without empty, . or .. parts, such as global/Service/name.json")
		}
	}
	return nil
}

func (l *loader) create(n *yaml.Node) *engine.Create {
	fs := l.fields(n, "create", "service", "scope", "realm", "entityId", "pathParams", "file", "metadata", "data", "requires", "unless", "required")
	if fs == nil {
		return nil
	}
	c := &engine.Create{}
	for _, k := range []string{"service", "entityId"} {
		if fs[k] == nil {
			l.errorf(n, "create needs %s", k)
		}
	}
	if v := fs["service"]; v != nil {
		c.Entity.Type = l.str(v, "service")
	}
	if v := fs["entityId"]; v != nil {
		c.Entity.ID = l.str(v, "entityId")
	}
	c.Entity.Global = true
	if v := fs["scope"]; v != nil {
		switch sc := l.str(v, "scope"); sc {
		case "global":
		case "realm":
			c.Entity.Global = false
			c.Entity.Realm = "/"
		default:
			l.errorf(v, "create scope must be global or realm, not %q", sc)
		}
	}
	if v := fs["realm"]; v != nil {
		if c.Entity.Global {
			l.errorf(v, "realm needs scope: realm")
		}
		c.Entity.Realm = l.str(v, "realm")
	}
	if v := fs["pathParams"]; v != nil {
		pv := l.deref(v)
		c.Entity.PathParams = map[string]string{}
		l.eachPair(pv, "pathParams", func(k, v *yaml.Node) { c.Entity.PathParams[k.Value] = l.scalarText(v) })
	}
	if v := fs["file"]; v != nil {
		c.File = l.str(v, "file")
		if err := checkRelPath(c.File); c.File != "" && err != nil {
			l.errorf(v, "create file %q: %v", c.File, err)
		}
	}
	if v := fs["requires"]; v != nil {
		c.Requires = l.selector(v)
	}
	if v := fs["unless"]; v != nil {
		c.Unless = l.selector(v)
	}
	if v := fs["required"]; v != nil {
		c.Required = l.boolean(v, "required")
		if c.Requires == nil {
			l.errorf(v, "required needs requires: the entity that must exist")
		}
	}
	if v := fs["metadata"]; v != nil {
		c.Metadata = l.literal(v)
		if c.Metadata.Kind != amjson.Object {
			l.errorf(v, "metadata must be a mapping")
		}
	}
	if v := fs["data"]; v != nil {
		c.Data = l.literal(v)
		if c.Data.Kind != amjson.Object {
			l.errorf(v, "data must be a mapping")
		}
	} else {
		l.errorf(n, "create needs data")
	}
	return c
}
