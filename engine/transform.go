package engine

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

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

var transforms = map[string]*Transform{}

// RegisterTransform adds a transform; it panics on a duplicate name, which is
// a programming error.
func RegisterTransform(t *Transform) {
	if _, dup := transforms[t.Name]; dup {
		panic("duplicate transform " + t.Name)
	}
	transforms[t.Name] = t
}

// LookupTransform returns the registered transform of that name.
func LookupTransform(name string) (*Transform, bool) {
	t, ok := transforms[name]
	return t, ok
}

// Transforms returns every registered transform, by name.
func Transforms() []*Transform {
	out := make([]*Transform, 0, len(transforms))
	for _, t := range transforms {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TransformContext is what a transform may touch: the document's data and
// the section the rule selected, and the report.
type TransformContext struct{ c *opContext }

// Data returns the document's data object.
func (t *TransformContext) Data() *amjson.Value { return t.c.data }

// Section returns the rule's section (its `within`), or data.
func (t *TransformContext) Section() *amjson.Value { return t.c.scope }

// Entity returns the document's identity.
func (t *TransformContext) Entity() *Entity { return t.c.doc.Entity }

// Changed records a change the transform made at ptr (relative to data).
func (t *TransformContext) Changed(ptr amjson.Pointer, old, new *amjson.Value) {
	t.c.record(t.c.currentOp, append(amjson.Pointer{"data"}, ptr...), old, new)
}

// TransformOp runs a registered transform.
type TransformOp struct {
	T    *Transform
	Args *amjson.Value
}

func (o *TransformOp) Name() string { return "transform " + o.T.Name }

func (o *TransformOp) apply(c *opContext) error {
	if o.T.NotImplemented != "" {
		c.run.notImplemented(c.rule, o.T)
		return nil
	}
	c.currentOp = o.Name()
	if err := o.T.Apply(&TransformContext{c}, o.Args); err != nil {
		return c.errorf("transform %s: %v", o.T.Name, err)
	}
	return nil
}

func init() {
	RegisterTransform(&Transform{
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
				v := amjson.NewString(twin)
				t.c.doc.touch()
				wl.Items = append(wl.Items, v)
				t.Changed(append(t.c.scopePtr, "whiteList"), nil, v)
			}
			return nil
		},
	})
	RegisterTransform(&Transform{
		Name: "jakarta-scripts",
		Doc: "Rewrites `javax.servlet` to `jakarta.servlet` and `javax.websocket` to `jakarta.websocket` in the " +
			"section's `script` attribute, a base64 script body (Amster) or a plain one. A `$base64:encode` or " +
			"`$inline` reference to a script file is left alone and reported.",
		Apply: func(t *TransformContext, _ *amjson.Value) error {
			s := t.Section().Get("script")
			if s != nil && s.Kind == amjson.Object {
				t.c.run.warn("rule %s: %s at %s: the script is a reference to a file (%s); javax references in it are not rewritten: edit the file",
					t.c.rule.ID, t.c.doc.Path, append(amjson.Pointer{"data"}, append(t.c.scopePtr, "script")...), briefValue(s))
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
			nv := amjson.NewString(out)
			t.c.doc.touch()
			t.Section().Set("script", nv)
			t.Changed(append(t.c.scopePtr, "script"), s, nv)
			return nil
		},
	})
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

// RegisterNotImplemented registers a vendor transform whose effect is not
// public.
func RegisterNotImplemented(name, why string) {
	RegisterTransform(&Transform{Name: name, NotImplemented: why, Doc: fmt.Sprintf("Not implemented: %s.", why)})
}
