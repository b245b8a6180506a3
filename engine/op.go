package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
)

// opContext is what an operation works on: one document, one section.
type opContext struct {
	run      *Run
	doc      *Document
	rule     *Rule
	ruleIdx  int // the rule's index in the chain
	part     *Part
	data     *amjson.Value  // the document's data object
	scope    *amjson.Value  // the section (within), an object
	scopePtr amjson.Pointer // the section's pointer from data
	version  Version        // the tracked configurationVersion this rule sees
	events   *[]Event
	// currentOp names the transform being applied, for its events.
	currentOp string
}

func (c *opContext) errorf(format string, args ...any) error {
	return &Error{Code: CodeApply, Pos: c.part.Pos, RuleID: c.rule.ID, File: c.doc.Path, Msg: fmt.Sprintf(format, args...)}
}

// record notes one change: the document is marked changed and an event is
// kept for the report.
func (c *opContext) record(op string, ptr amjson.Pointer, old, new *amjson.Value) {
	c.doc.Changed = true
	*c.events = append(*c.events, Event{
		RuleID: c.rule.ID, Step: c.rule.Step, File: c.doc.Path, Type: c.doc.Entity.Type, Pointer: ptr.String(),
		Op: op, Old: old, New: new,
	})
}

// ValueSource gives the value an operation writes: a literal, another
// attribute's current or original value, or an expression.
type ValueSource struct {
	Literal  *amjson.Value
	Ref      *Path
	Original bool
	Expr     *Expr
}

// get returns the value for this document; ok is false when the source
// attribute is absent.
func (s ValueSource) get(c *opContext) (v *amjson.Value, ok bool, err error) {
	switch {
	case s.Expr != nil:
		v, err := c.evalValue(s.Expr)
		return v, err == nil, err
	case s.Ref != nil && s.Original:
		v := c.originalAt(*s.Ref)
		return v.Clone(), v != nil, nil
	case s.Ref != nil:
		v := c.lookup(*s.Ref)
		return v.Clone(), v != nil, nil
	}
	return s.Literal.Clone(), true, nil
}

// Assign is one path and its value in add, set and replace.
type Assign struct {
	Path  Path
	Value ValueSource
}

// AssignOp adds (only when absent), sets (always) or replaces (only when
// present) attributes.
type AssignOp struct {
	Kind  string // "add", "set" or "replace"
	Items []Assign
	// ReplacePlaceholder lets the operation overwrite a value that holds a
	// property expression (&{…}) or a $inline / $base64:encode / $string …
	// wrapper; without it such a value is kept and reported.
	ReplacePlaceholder bool
}

func (o *AssignOp) Name() string { return o.Kind }

func (o *AssignOp) apply(c *opContext) error {
	for _, it := range o.Items {
		if len(it.Path.Ptr) == 0 {
			return c.errorf("%s needs an attribute name, not the section itself", o.Kind)
		}
		parent, key := c.locate(c.data, it.Path)
		if parent == nil {
			continue
		}
		old := parent.Get(key)
		if (o.Kind == "add" && old != nil) || (o.Kind == "replace" && old == nil) {
			continue
		}
		v, ok, err := it.Value.get(c)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if old != nil && amjson.Equal(old, v) && old.Kind == v.Kind {
			continue
		}
		if old != nil && !o.ReplacePlaceholder {
			if at, ok := placeholderIn(old, v); ok {
				c.keepPlaceholder(append(c.full(it.Path), at...), old.At(at))
				continue
			}
		}
		c.doc.touch()
		parent.Set(key, v)
		c.record(o.Kind, c.full(it.Path), old, v)
	}
	return nil
}

// DeleteOp removes attributes.
type DeleteOp struct{ Paths []Path }

func (o *DeleteOp) Name() string { return "delete" }

func (o *DeleteOp) apply(c *opContext) error {
	for _, p := range o.Paths {
		parent, key := c.locate(c.data, p)
		if parent == nil {
			continue
		}
		if old := parent.Get(key); old != nil {
			c.doc.touch()
			parent.Delete(key)
			c.record("delete", c.full(p), old, nil)
		}
	}
	return nil
}

// SetItems is one array and the values added to or removed from it.
type SetItems struct {
	Path   Path
	Values []*amjson.Value
}

// SetOp adds values an array lacks (at its end, in order) or removes values.
type SetOp struct {
	Remove bool
	Items  []SetItems
}

func (o *SetOp) Name() string {
	if o.Remove {
		return "remove-from-set"
	}
	return "add-to-set"
}

func (o *SetOp) apply(c *opContext) error {
	for _, it := range o.Items {
		arr := c.lookup(it.Path)
		if arr == nil {
			continue
		}
		if IsPlaceholder(arr) {
			// {"$list": "&{…}"}: AM makes the list at start-up.
			c.keepPlaceholder(c.full(it.Path), arr)
			continue
		}
		if arr.Kind != amjson.Array {
			return c.errorf("%s: %s is %s, not an array", o.Name(), it.Path.Text, arr.Kind)
		}
		for _, want := range it.Values {
			idx := -1
			for i, have := range arr.Items {
				if amjson.Equal(have, want) {
					idx = i
					break
				}
			}
			switch {
			case !o.Remove && idx < 0:
				c.doc.touch()
				arr.Items = append(arr.Items, want.Clone())
				c.record(o.Name(), c.full(it.Path), nil, want)
			case o.Remove && idx >= 0:
				c.doc.touch()
				kept := arr.Items[:0]
				for _, have := range arr.Items {
					if !amjson.Equal(have, want) {
						kept = append(kept, have)
					}
				}
				arr.Items = kept
				c.record(o.Name(), c.full(it.Path), want, nil)
			}
		}
	}
	return nil
}

// EntryPair is one key (and value) of a key=value set.
type EntryPair struct{ Key, Value string }

// EntriesOp works on a string array of key=value entries, such as the
// serverconfig set of server defaults.
type EntriesOp struct {
	Kind  string // add-entries, replace-entries, remove-entries, rename-entries
	Path  Path
	Pairs []EntryPair // for remove-entries only Key is set; for rename, Value is the new key
	// When guards replace-entries; it sees the entry's current value as `old`.
	When *Expr
	// ReplacePlaceholder lets replace-entries overwrite a value holding &{…}.
	ReplacePlaceholder bool
}

func (o *EntriesOp) Name() string { return o.Kind }

// entryIndex returns the index of the entry with key in a key=value set.
func entryIndex(arr *amjson.Value, key string) int {
	if arr == nil || arr.Kind != amjson.Array {
		return -1
	}
	for i, it := range arr.Items {
		if it.Kind == amjson.String {
			if k, _, _ := strings.Cut(it.Text, "="); k == key {
				return i
			}
		}
	}
	return -1
}

func (o *EntriesOp) apply(c *opContext) error {
	arr := c.lookup(o.Path)
	if arr == nil {
		return nil
	}
	if IsPlaceholder(arr) {
		c.keepPlaceholder(c.full(o.Path), arr)
		return nil
	}
	if arr.Kind != amjson.Array {
		return c.errorf("%s: %s is %s, not an array of key=value entries", o.Kind, o.Path.Text, arr.Kind)
	}
	ptr := c.full(o.Path)
	for _, pair := range o.Pairs {
		i := entryIndex(arr, pair.Key)
		switch o.Kind {
		case "add-entries":
			if i < 0 {
				c.doc.touch()
				v := amjson.NewString(pair.Key + "=" + pair.Value)
				arr.Items = append(arr.Items, v)
				c.record(o.Kind, ptr, nil, v)
			}
		case "replace-entries":
			if i < 0 {
				continue
			}
			old := arr.Items[i]
			_, oldVal, _ := strings.Cut(old.Text, "=")
			if oldVal == pair.Value {
				continue
			}
			if !o.ReplacePlaceholder && strings.Contains(oldVal, "&{") {
				c.keepPlaceholder(append(ptr, fmt.Sprint(i)), old)
				continue
			}
			if o.When != nil {
				ok, err := c.evalBool(o.When, oldVal)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			c.doc.touch()
			arr.Items[i] = amjson.NewString(pair.Key + "=" + pair.Value)
			c.record(o.Kind, ptr, old, arr.Items[i])
		case "remove-entries":
			if i >= 0 {
				c.doc.touch()
				old := arr.Items[i]
				arr.Items = append(arr.Items[:i], arr.Items[i+1:]...)
				c.record(o.Kind, ptr, old, nil)
			}
		case "rename-entries":
			if i >= 0 && entryIndex(arr, pair.Value) < 0 {
				c.doc.touch()
				old := arr.Items[i]
				_, val, _ := strings.Cut(old.Text, "=")
				arr.Items[i] = amjson.NewString(pair.Value + "=" + val)
				c.record(o.Kind, ptr, old, arr.Items[i])
			}
		}
	}
	return nil
}

// MoveOp moves (or copies) a value to another place in the document.
type MoveOp struct {
	From, To Path
	Copy     bool
}

func (o *MoveOp) Name() string {
	if o.Copy {
		return "copy"
	}
	return "move"
}

func (o *MoveOp) apply(c *opContext) error {
	fromParent, fromKey := c.locate(c.data, o.From)
	if fromParent == nil {
		return nil
	}
	v := fromParent.Get(fromKey)
	if v == nil {
		return nil
	}
	if toParent, toKey := c.locate(c.data, o.To); toParent != nil && toParent.Get(toKey) == nil {
		nv := v.Clone()
		c.doc.touch()
		toParent.Set(toKey, nv)
		c.record(o.Name(), c.full(o.To), nil, nv)
	}
	if !o.Copy {
		c.doc.touch()
		fromParent.Delete(fromKey)
		c.record(o.Name(), c.full(o.From), v, nil)
	}
	return nil
}

// DeleteInstanceOp deletes the whole entity.
type DeleteInstanceOp struct{}

func (DeleteInstanceOp) Name() string { return "delete-instance" }

func (DeleteInstanceOp) apply(c *opContext) error {
	c.doc.touch()
	c.doc.Deleted = true
	c.record("delete-instance", nil, nil, nil)
	return nil
}

// SetEntityIDOp changes the entity id (and data._id); an Amster file is
// renamed to match.
type SetEntityIDOp struct{ ID string }

func (o *SetEntityIDOp) Name() string { return "set-entity-id" }

func (o *SetEntityIDOp) apply(c *opContext) error {
	if c.doc.Entity.ID == o.ID {
		return nil
	}
	c.doc.touch()
	md := c.doc.root.Get("metadata")
	old := md.Get("entityId")
	md.Set("entityId", amjson.NewString(o.ID))
	c.record("set-entity-id", amjson.Pointer{"metadata", "entityId"}, old, amjson.NewString(o.ID))
	if id := c.data.Get("_id"); id != nil && id.Kind == amjson.String {
		c.data.Set("_id", amjson.NewString(o.ID))
	}
	e := *c.doc.Entity
	oldID := e.ID
	e.ID = o.ID
	c.doc.Entity = &e
	// An Amster file named after its entity id follows the new id; one named
	// after a path parameter (ScriptingEngineConfiguration/<context>.json)
	// keeps its name.
	dir, base := c.doc.Path[:strings.LastIndex(c.doc.Path, "/")+1], c.doc.Path[strings.LastIndex(c.doc.Path, "/")+1:]
	if c.run.tree.Layout.Mode == Amster && base == SanitizeName(oldID)+".json" {
		if c.doc.renamedFrom == "" {
			c.doc.renamedFrom = c.doc.Path
		}
		c.doc.Path = dir + SanitizeName(o.ID) + ".json"
	}
	return nil
}

// placeholderKeys are the wrapper objects of AM's property value
// substitution: {"$bool": "&{…}"}, {"$inline": "file"} and the like.
var placeholderKeys = []string{"$string", "$bool", "$int", "$number", "$list", "$array", "$object", "$inline", "$base64:encode", "$base64:decode", "$location"}

// IsPlaceholder reports whether a value is resolved by AM at start-up from
// the environment or a file: a string holding &{…}, or a one-key wrapper
// object. Rules must not overwrite such a value by accident: the vendor
// tool once replaced an inline serverconfig.xml reference that way.
func IsPlaceholder(v *amjson.Value) bool {
	switch v.Kind {
	case amjson.String:
		return strings.Contains(v.Text, "&{")
	case amjson.Object:
		if len(v.Members) == 1 {
			for _, k := range placeholderKeys {
				if v.Members[0].Key == k {
					return true
				}
			}
		}
	}
	return false
}

// placeholderIn finds a placeholder anywhere in old (an element of an
// array, a member of an object, at any depth) that the new value would not
// keep at the same place, and returns its pointer relative to old: an
// operation that writes new over old would lose it. A placeholder new
// holds at the same place (a rule that rewrites around it) is no loss.
func placeholderIn(old, new *amjson.Value) (amjson.Pointer, bool) {
	if old == nil {
		return nil, false
	}
	if IsPlaceholder(old) {
		if new != nil && amjson.Equal(old, new) {
			return nil, false
		}
		return amjson.Pointer{}, true
	}
	switch old.Kind {
	case amjson.Array:
		for i, it := range old.Items {
			var n *amjson.Value
			if new != nil && new.Kind == amjson.Array && i < len(new.Items) {
				n = new.Items[i]
			}
			if at, ok := placeholderIn(it, n); ok {
				return append(amjson.Pointer{strconv.Itoa(i)}, at...), true
			}
		}
	case amjson.Object:
		for _, m := range old.Members {
			var n *amjson.Value
			if new != nil && new.Kind == amjson.Object {
				n = new.Get(m.Key)
			}
			if at, ok := placeholderIn(m.Value, n); ok {
				return append(amjson.Pointer{m.Key}, at...), true
			}
		}
	}
	return nil, false
}

// keepPlaceholder reports a placeholder an operation left in place.
func (c *opContext) keepPlaceholder(ptr amjson.Pointer, old *amjson.Value) {
	c.run.notice(Notice{Code: NoticeKeptPlaceholder, RuleID: c.rule.ID, File: c.doc.Path, Pointer: ptr.String(),
		Message: fmt.Sprintf("holds a placeholder (%s): kept; write replace-placeholder: true in the rule to replace it", BriefValue(old))})
}

// BriefValue is a value as a message quotes it: its JSON on one line, cut
// to 60 characters, so that a notice names what it found without holding a
// whole script or certificate.
func BriefValue(v *amjson.Value) string {
	s := strings.Join(strings.Fields(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))), " ")
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}

// guarded applies an operation only when its own condition holds.
type guarded struct {
	When *Expr
	Op   Op
}

// Guard wraps op so that it runs only when the condition holds.
func Guard(when *Expr, op Op) Op { return &guarded{When: when, Op: op} }

func (g *guarded) Name() string { return g.Op.Name() }

func (g *guarded) apply(c *opContext) error {
	ok, err := c.evalBool(g.When, nil)
	if err != nil || !ok {
		return err
	}
	return g.Op.apply(c)
}

// Unwrap returns the operation inside a guard and the guard's condition, or
// op itself and nil.
func Unwrap(op Op) (Op, *Expr) {
	if g, ok := op.(*guarded); ok {
		return g.Op, g.When
	}
	return op, nil
}
