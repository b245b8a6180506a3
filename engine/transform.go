package engine

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
)

// Transform is a change written in Go, for what no declarative operation can
// say. Rule files name it (`transform: jakarta-scripts`); it is registered
// here and documented one by one in docs/rules.md.
type Transform struct {
	Name string
	Doc  string
	// NotImplemented, when set, says why the transform does nothing: the
	// vendor's effect is not public. A rule naming it loads, and every run
	// reports that the vendor's change was not made.
	NotImplemented string
	// Satisfied, for a not-implemented transform, tells whether the tree
	// already holds what it would make, so there is nothing to report.
	Satisfied func(t *Tree, args *amjson.Value) bool
	// Check validates the rule's args at load time.
	Check func(args *amjson.Value) error
	Apply func(t *TransformContext, args *amjson.Value) error
}

// transforms is the registry: every transform, by name. It is built once,
// from the lists below, and never changes after, so that every run (and
// every goroutine of a run) sees the same transforms, and no code outside
// this package can add one that reaches into a document behind the engine's
// back.
var transforms = sync.OnceValue(func() map[string]*Transform {
	m := map[string]*Transform{}
	for _, t := range slices.Concat(scriptTransforms(), vendorTransforms()) {
		if _, dup := m[t.Name]; dup {
			// Two built-ins of one name: TestTransformsRegistry catches it.
			panic("engine: two transforms named " + t.Name)
		}
		m[t.Name] = t
	}
	return m
})

// LookupTransform returns the transform of that name.
func LookupTransform(name string) (*Transform, bool) {
	t, ok := transforms()[name]
	return t, ok
}

// Transforms returns every transform, by name.
func Transforms() []*Transform {
	out := slices.Collect(maps.Values(transforms()))
	slices.SortFunc(out, func(a, b *Transform) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// TransformContext is what a transform may read and change: the document's
// data and the section the rule selected. Every change goes through Set,
// Delete or Append (or Touch before an edit in place, then Changed), so that
// the document is marked changed, `original()` still sees the data as read,
// and the change is reported.
type TransformContext struct{ c *opContext }

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

// Set sets the member at ptr (relative to data) to v, and reports the
// change; it does nothing when the member already holds an equal value. The
// parent object must exist.
func (t *TransformContext) Set(ptr amjson.Pointer, v *amjson.Value) error {
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
func (t *TransformContext) Delete(ptr amjson.Pointer) {
	if len(ptr) == 0 {
		return
	}
	parent := t.c.data.At(ptr[:len(ptr)-1])
	if parent == nil || parent.Kind != amjson.Object {
		return
	}
	old := parent.Get(ptr[len(ptr)-1])
	if old == nil {
		return
	}
	t.Touch()
	parent.Delete(ptr[len(ptr)-1])
	t.Changed(ptr, old, nil)
}

// Append adds v at the end of the array at ptr (relative to data), and
// reports it.
func (t *TransformContext) Append(ptr amjson.Pointer, v *amjson.Value) error {
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

// TransformOp runs a registered transform.
type TransformOp struct {
	T    *Transform
	Args *amjson.Value
}

func (o *TransformOp) Name() string { return "transform " + o.T.Name }

func (o *TransformOp) apply(c *opContext) error {
	if o.T.NotImplemented != "" {
		c.run.notImplemented(c.rule, o.T, c.doc.Path)
		return nil
	}
	c.currentOp = o.Name()
	if err := o.T.Apply(&TransformContext{c}, o.Args); err != nil {
		return c.errorf("transform %s: %v", o.T.Name, err)
	}
	return nil
}

// scriptTransforms rewrite what AM 8's move to Tomcat 10 (Jakarta EE)
// breaks in scripts and their allow-lists.
func scriptTransforms() []*Transform {
	return []*Transform{{
		Name: "jakarta-allowlist",
		Doc: "For every `javax.servlet.*` and `javax.websocket.*` entry of the section's `whiteList`, " +
			"appends the `jakarta.` twin when absent (AM 8 runs on Tomcat 10). The javax entries stay.",
		Apply: func(t *TransformContext, _ *amjson.Value) error {
			wl := t.Section().Get("whiteList")
			if wl == nil || wl.Kind != amjson.Array {
				return nil
			}
			for _, it := range append([]*amjson.Value(nil), wl.Items...) {
				twin, ok := jakartaName(it.Text)
				if it.Kind != amjson.String || !ok || containsString(wl, twin) {
					continue
				}
				if err := t.Append(append(t.SectionPointer(), "whiteList"), amjson.NewString(twin)); err != nil {
					return err
				}
			}
			return nil
		},
	}, {
		Name: "jakarta-scripts",
		Doc: "Rewrites `javax.servlet` to `jakarta.servlet` and `javax.websocket` to `jakarta.websocket` in the " +
			"section's `script` attribute, a base64 script body (Amster) or a plain one. A `$base64:encode` or " +
			"`$inline` reference to a script file is left alone and reported.",
		Apply: func(t *TransformContext, _ *amjson.Value) error {
			s := t.Section().Get("script")
			if s != nil && s.Kind == amjson.Object {
				t.Notice(NoticeFileReference, append(t.SectionPointer(), "script"),
					fmt.Sprintf("the script is a reference to a file (%s); javax references in it are not rewritten: edit the file", briefValue(s)))
				return nil
			}
			if s == nil || s.Kind != amjson.String {
				return nil
			}
			body, err := base64.StdEncoding.DecodeString(s.Text)
			encoded := err == nil
			if !encoded {
				body = []byte(s.Text)
			}
			out := jakartaReplacer.Replace(string(body))
			if out == string(body) {
				return nil
			}
			if encoded {
				out = base64.StdEncoding.EncodeToString([]byte(out))
			}
			return t.Set(append(t.SectionPointer(), "script"), amjson.NewString(out))
		},
	}}
}

var jakartaReplacer = strings.NewReplacer("javax.servlet", "jakarta.servlet", "javax.websocket", "jakarta.websocket")

func jakartaName(s string) (string, bool) {
	for _, p := range []string{"javax.servlet.", "javax.websocket."} {
		if strings.HasPrefix(s, p) {
			return "jakarta." + strings.TrimPrefix(s, "javax."), true
		}
	}
	return "", false
}

func containsString(arr *amjson.Value, s string) bool {
	for _, it := range arr.Items {
		if it.Kind == amjson.String && it.Text == s {
			return true
		}
	}
	return false
}

// notImplemented is a vendor transform whose effect is not public.
func notImplemented(name, why string) *Transform {
	return &Transform{Name: name, NotImplemented: why, Doc: fmt.Sprintf("Not implemented: %s.", why)}
}
