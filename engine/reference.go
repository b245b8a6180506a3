package engine

import (
	"encoding/base64"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
)

// Reference is a configuration of the target release (--reference): an FBC
// tree or an Amster export, of a fresh install for instance. Creates that
// need what AM bundles under its licence (the bodies of global scripts, the
// default files of new services) take the entity from it, converted to the
// tree's layout when the reference has the other one. A whole-tree
// transform reads it through TreeContext.Reference; it is read whole before
// the pass and never changes.
type Reference struct {
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
	r.ref = &Reference{tree: t}
	return nil
}

// Mode is the reference's layout.
func (ref *Reference) Mode() Mode { return ref.tree.Layout.Mode }

// Folder is the reference's folder, as --reference names it, for messages.
func (ref *Reference) Folder() string { return ref.tree.Root }

// Find returns the reference's documents whose identity matches, in path
// order.
func (ref *Reference) Find(match func(e *Entity) bool) []*Document {
	var out []*Document
	for _, d := range ref.tree.Docs {
		if d.Entity != nil && match(d.Entity) {
			out = append(out, d)
		}
	}
	return out
}

// Root returns a copy of a reference document (metadata and data), which
// the caller may change.
func (ref *Reference) Root(d *Document) (*amjson.Value, error) {
	v, err := d.parsed()
	if err != nil {
		return nil, fmt.Errorf("--reference %s: %w", ref.tree.Root, err)
	}
	return v.Clone(), nil
}

// Where names a reference file for messages.
func (ref *Reference) Where(d *Document) string {
	return path.Join(ref.tree.Root, d.Path)
}

// ScriptBody returns the body of a script attribute of the reference: an
// Amster export holds it in base64; an FBC tree as plain text, in base64
// (AM 7.2), or as {"$base64:encode": {"$inline": file}} beside the JSON file.
func (ref *Reference) ScriptBody(d *Document, v *amjson.Value) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("%s has no script", ref.Where(d))
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
				return nil, fmt.Errorf("%s refers to the script file %s, which the reference does not hold", ref.Where(d), v.Members[0].Value.Text)
			}
			return f.Raw, nil
		}
	}
	if v.Kind != amjson.String {
		return nil, fmt.Errorf("%s: the script is %s, not text", ref.Where(d), v.Kind)
	}
	if ref.Mode() == Amster || looksBase64(v.Text) {
		b, err := base64.StdEncoding.DecodeString(v.Text)
		if err != nil {
			return nil, fmt.Errorf("%s: the script is not base64: %v", ref.Where(d), err)
		}
		return b, nil
	}
	return []byte(v.Text), nil
}

// Copy returns the create of a reference document as it is (Create.Whole),
// at the same place in the layout, its FBC uid moved to baseDN (the run's
// --baseDn): an entity AM bundles, copied into a tree of the same layout.
func (ref *Reference) Copy(d *Document, baseDN string) (*Create, error) {
	root, err := ref.Root(d)
	if err != nil {
		return nil, err
	}
	md := root.Get("metadata")
	if md != nil && md.Kind == amjson.Object {
		if uid := md.Get("uid"); uid != nil && uid.Kind == amjson.String && uid.Text != "" {
			md.Set("uid", amjson.NewString(rebaseUID(uid.Text, baseDN)))
		}
	}
	return &Create{Entity: *entityFromValue(root), File: strings.TrimPrefix(d.Path, ref.tree.Layout.Prefix), Whole: root}, nil
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
