package engine

import (
	"fmt"
	"slices"

	"github.com/amupgrade/amupgrade/amjson"
)

// Transform is a change written in Go, for what no declarative operation can
// say. Rule files name it (`transform: jakarta-scripts`); package transforms
// holds the registry of them, and docs/rules.md documents them one by one.
// The engine runs the one a TransformOp carries and knows none by name.
type Transform struct {
	Name string
	Doc  string
	// Tree marks a transform of the whole tree: a rule names it in a part
	// without select, and ApplyTree runs once, after every document went
	// through the rules, where it may create entities. Otherwise Apply runs
	// on each document the part selects.
	Tree bool
	// Gap, when set, says what of the vendor's change the transform does
	// not make; every run reports each such change as a manual step.
	Gap *Gap
	// Inferred, when set, says which part of the effect is inferred from
	// public facts rather than observed in the vendor's output or stated by
	// the vendor.
	Inferred string
	// Check validates the rule's args at load time.
	Check     func(args *amjson.Value) error
	Apply     func(t *TransformContext, args *amjson.Value) error
	ApplyTree func(t *TreeContext, args *amjson.Value) error
}

// Gap is the part of a vendor change a transform leaves to the user.
type Gap struct {
	// None: the transform makes none of the change. Its Apply or ApplyTree,
	// if any, only finds what there is to do and reports it; without one,
	// every document the rule selects gets one notice. Otherwise the
	// transform makes the change where it can and reports the rest.
	None bool
	// Needs is why: what the missing part would need.
	Needs Need
	// Vendor says what the vendor's change is, as far as public sources
	// tell ("would have …"); Why, what is missing to make it.
	Vendor, Why string
	// Action says what to do by hand, where a notice has nothing more
	// precise to say.
	Action string
}

// Status is a transform's standing: implemented, partly implemented or not
// implemented (the words of docs/rules-coverage.md).
func (t *Transform) Status() string {
	switch {
	case t.Gap == nil:
		return "implemented"
	case t.Gap.None:
		return "not implemented"
	}
	return "partly implemented"
}

// TransformContext is what a transform may read and change: the document's
// data and the section the rule selected. Every change goes through Set,
// Delete or Append (or Touch before an edit in place, then Changed), so that
// the document is marked changed, `original()` still sees the data as read,
// and the change is reported. What the transform cannot do goes through
// ManualStep; new entities through Create.
type TransformContext struct {
	c *opContext
	t *Transform
}

// Data returns the document's data object.
func (t *TransformContext) Data() *amjson.Value { return t.c.data }

// Section returns the rule's section (its `within`), or data.
func (t *TransformContext) Section() *amjson.Value { return t.c.scope }

// SectionPointer returns the section's pointer, relative to data.
func (t *TransformContext) SectionPointer() amjson.Pointer { return slices.Clone(t.c.scopePtr) }

// Entity returns the document's identity.
func (t *TransformContext) Entity() *Entity { return t.c.doc.Entity }

// File returns the document's path in the tree.
func (t *TransformContext) File() string { return t.c.doc.Path }

// Layout returns the tree's layout.
func (t *TransformContext) Layout() Layout { return t.c.run.tree.Layout }

// Options returns the run's options (--seed, --fetch-well-known…).
func (t *TransformContext) Options() Options { return t.c.run.opts }

// changes refuses a change by a transform that makes none: whatever it
// finds, it may only report.
func (t *TransformContext) changes() error {
	if t.t != nil && t.t.Gap != nil && t.t.Gap.None {
		return fmt.Errorf("transform %s is not implemented: it may report manual steps, not change documents", t.t.Name)
	}
	return nil
}

// Set sets the member at ptr (relative to data) to v, and reports the
// change; it does nothing when the member already holds an equal value. The
// parent object must exist.
func (t *TransformContext) Set(ptr amjson.Pointer, v *amjson.Value) error {
	if err := t.changes(); err != nil {
		return err
	}
	if len(ptr) == 0 {
		return fmt.Errorf("Set needs a member, not data itself")
	}
	parent := t.c.data.At(ptr[:len(ptr)-1])
	if parent == nil || parent.Kind != amjson.Object {
		return fmt.Errorf("%s: no object to hold %q", append(amjson.Pointer{"data"}, ptr[:len(ptr)-1]...), ptr[len(ptr)-1])
	}
	old := parent.Get(ptr[len(ptr)-1])
	if old != nil && old.Kind == v.Kind && amjson.Equal(old, v) {
		return nil
	}
	t.Touch()
	parent.Set(ptr[len(ptr)-1], v)
	t.Changed(ptr, old, v)
	return nil
}

// Delete removes the member at ptr (relative to data), if there is one, and
// reports it.
func (t *TransformContext) Delete(ptr amjson.Pointer) error {
	if err := t.changes(); err != nil {
		return err
	}
	if len(ptr) == 0 {
		return nil
	}
	parent := t.c.data.At(ptr[:len(ptr)-1])
	if parent == nil || parent.Kind != amjson.Object {
		return nil
	}
	old := parent.Get(ptr[len(ptr)-1])
	if old == nil {
		return nil
	}
	t.Touch()
	parent.Delete(ptr[len(ptr)-1])
	t.Changed(ptr, old, nil)
	return nil
}

// Append adds v at the end of the array at ptr (relative to data), and
// reports it.
func (t *TransformContext) Append(ptr amjson.Pointer, v *amjson.Value) error {
	if err := t.changes(); err != nil {
		return err
	}
	arr := t.c.data.At(ptr)
	if arr == nil || arr.Kind != amjson.Array {
		return fmt.Errorf("%s is not an array", append(amjson.Pointer{"data"}, ptr...))
	}
	t.Touch()
	arr.Items = append(arr.Items, v)
	t.Changed(ptr, nil, v)
	return nil
}

// Touch must be called before the transform changes a value in place
// (through a *Value that Data or Section returned): it keeps the data as it
// was for `original()`, and marks the document changed.
func (t *TransformContext) Touch() { t.c.doc.touch() }

// Changed reports a change the transform made at ptr (relative to data),
// after Touch.
func (t *TransformContext) Changed(ptr amjson.Pointer, old, new *amjson.Value) {
	t.c.record(t.c.currentOp, append(amjson.Pointer{"data"}, ptr...), old, new)
}

// Notice reports something the transform did not do, at ptr (relative to
// data), with what the user should do instead.
func (t *TransformContext) Notice(code NoticeCode, ptr amjson.Pointer, msg string) {
	n := Notice{Code: code, RuleID: t.c.rule.ID, File: t.c.doc.Path, Message: msg}
	if ptr != nil {
		n.Pointer = append(amjson.Pointer{"data"}, ptr...).String()
	}
	t.c.run.notice(n)
}

// ManualStep reports a vendor change the run did not make in this document:
// what the vendor would have done at ptr (relative to data; nil for the
// document), and what to do by hand. The transform's Gap gives the reason.
func (t *TransformContext) ManualStep(ptr amjson.Pointer, what, action string) {
	n := manualNotice(t.c.rule, t.t, what, action)
	n.File = t.c.doc.Path
	if ptr != nil {
		n.Pointer = append(amjson.Pointer{"data"}, ptr...).String()
	}
	t.c.run.manual(n)
}

// Create asks for a new entity, made after every document went through the
// rules, as create rules are: when no entity of the same identity exists
// and c.Requires (if set) finds its holder; otherwise c.IfBlocked is
// reported. The new entity then goes through the rules after this one. With
// secret set, it waits for the next create-secret-stores of the chain, as
// the vendor's secret mappings wait for createSecretStores.
func (t *TransformContext) Create(c *Create, secret bool) {
	t.c.run.queueCreate(pendingCreate{rule: t.c.ruleIdx, c: c, from: t.c.doc.Path, secret: secret})
}

// ManualStepNotice builds, without reporting it, the notice of a vendor
// change left to the user in file at ptr (a pointer of the whole document,
// nil for none), as ManualStep would: the Create.IfBlocked of an entity
// asked for, reported only when what must hold it is missing.
func (t *TransformContext) ManualStepNotice(file string, ptr amjson.Pointer, what, action string) *Notice {
	n := manualNotice(t.c.rule, t.t, what, action)
	n.File = file
	if ptr != nil {
		n.Pointer = ptr.String()
	}
	return &n
}

// manualNotice is the notice of a vendor change left to the user.
func manualNotice(rule *Rule, t *Transform, what, action string) Notice {
	n := Notice{Code: NoticeNotImplemented, RuleID: rule.ID, Transform: t.Name, Message: what, Action: action}
	if g := t.Gap; g != nil {
		n.Reason, n.Needs = g.Why, g.Needs
		if n.Message == "" {
			n.Message = "the vendor's " + t.Name + " " + g.Vendor + "; not made: " + g.Why
		}
		if n.Action == "" {
			n.Action = g.Action
		}
	}
	return n
}

// TransformOp runs a registered transform.
type TransformOp struct {
	T    *Transform
	Args *amjson.Value
}

func (o *TransformOp) Name() string { return "transform " + o.T.Name }

func (o *TransformOp) apply(c *opContext) error {
	if o.T.Tree {
		// A whole-tree transform runs after the pass (see Run.postPass).
		return nil
	}
	c.currentOp = o.Name()
	tc := &TransformContext{c: c, t: o.T}
	if o.T.Apply == nil {
		// Not implemented, with nothing to look at: one manual step for
		// the section the rule selected.
		tc.ManualStep(c.scopePtr, "", "")
		return nil
	}
	if err := o.T.Apply(tc, o.Args); err != nil {
		return c.errorf("transform %s: %v", o.T.Name, err)
	}
	return nil
}
