package engine

import (
	"encoding/base64"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
)

// reference is a configuration of the target release (--reference): an FBC
// tree or an Amster export, of a fresh install for instance. Creates that
// need what AM bundles under its licence (the bodies of global scripts, the
// default files of new services) take the entity from it, converted to the
// tree's layout when the reference has the other one.
type reference struct {
	tree *Tree
}

// readReference reads --reference whole, before the pass, so that a wrong
// folder stops the run before anything is written.
func (r *Run) readReference() error {
	if r.opts.Reference == "" {
		return nil
	}
	if st, err := os.Stat(r.opts.Reference); err != nil || !st.IsDir() {
		why := "not a folder"
		if err != nil {
			why = unwrapPathError(err).Error()
		}
		return &Error{Code: CodeInput, Msg: fmt.Sprintf("--reference %s: %s; give the folder of an Amster export or of an FBC tree of the target release", r.opts.Reference, why)}
	}
	t, err := ReadTree(r.ctx, r.opts.Reference, r.opts.Jobs)
	if err != nil {
		return &Error{Code: CodeInput, Msg: fmt.Sprintf("--reference %s: cannot read the reference configuration; give the folder of an Amster export or of an FBC tree of the target release", r.opts.Reference), Err: err}
	}
	r.ref = &reference{tree: t}
	return nil
}

// mode is the reference's layout.
func (ref *reference) mode() Mode { return ref.tree.Layout.Mode }

// find returns the reference's documents whose identity matches, in path
// order.
func (ref *reference) find(match func(e *Entity) bool) []*Document {
	var out []*Document
	for _, d := range ref.tree.Docs {
		if d.Entity != nil && match(d.Entity) {
			out = append(out, d)
		}
	}
	return out
}

// root returns a copy of a reference document.
func (ref *reference) root(d *Document) (*amjson.Value, error) {
	v, err := d.parsed()
	if err != nil {
		return nil, fmt.Errorf("--reference %s: %w", ref.tree.Root, err)
	}
	return v.Clone(), nil
}

// where names a reference file for messages.
func (ref *reference) where(d *Document) string {
	return path.Join(ref.tree.Root, d.Path)
}

// scriptBody returns the body of a script attribute of the reference: an
// Amster export holds it in base64; an FBC tree as plain text, in base64
// (AM 7.2), or as {"$base64:encode": {"$inline": file}} beside the JSON file.
func (ref *reference) scriptBody(d *Document, v *amjson.Value) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("%s has no script", ref.where(d))
	}
	if v.Kind == amjson.Object && len(v.Members) == 1 {
		inner := v.Members[0].Value
		if v.Members[0].Key == "$base64:encode" && inner.Kind == amjson.Object && len(inner.Members) == 1 && inner.Members[0].Key == "$inline" {
			v = inner
		}
		if v.Kind == amjson.Object && len(v.Members) == 1 && v.Members[0].Key == "$inline" && v.Members[0].Value.Kind == amjson.String {
			p := path.Join(path.Dir(d.Path), v.Members[0].Value.Text)
			f := ref.tree.find(p)
			if f == nil || f.Raw == nil {
				return nil, fmt.Errorf("%s refers to the script file %s, which the reference does not hold", ref.where(d), v.Members[0].Value.Text)
			}
			return f.Raw, nil
		}
	}
	if v.Kind != amjson.String {
		return nil, fmt.Errorf("%s: the script is %s, not text", ref.where(d), v.Kind)
	}
	if ref.mode() == Amster || looksBase64(v.Text) {
		b, err := base64.StdEncoding.DecodeString(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s: the script is not base64: %v", ref.where(d), err)
		}
		return b, nil
	}
	return []byte(v.Text), nil
}

// looksBase64 tells a base64 script body from a plain one: script text has
// spaces and line breaks, base64 has neither.
func looksBase64(s string) bool {
	if s == "" || len(s)%4 != 0 || strings.ContainsAny(s, " \n\t\r") {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

// rebaseUID moves an FBC uid from the reference's base DN to this run's:
// what follows the last ",ou=services," is the base DN.
func rebaseUID(uid, baseDN string) string {
	i := strings.LastIndex(uid, ",ou=services,")
	if i < 0 {
		return uid
	}
	return uid[:i] + ",ou=services," + baseDN
}
