package engine

import (
	"io/fs"
	"strings"
	"unique"

	"github.com/tidwall/gjson"

	"github.com/amupgrade/amupgrade/amjson"
)

// Entity is the identity of an AM configuration entity, read from the
// `metadata` object every Amster and FBC file carries.
type Entity struct {
	Type          string // metadata.entityType (Amster type or SMS service name)
	ID            string // metadata.entityId
	Realm         string // metadata.realm; "" for global entities
	Global        bool   // metadata.realm is null
	SunServiceID  string
	AmsterVersion string
	PathParams    map[string]string
	// UID is set when metadata has a uid: the LDAP entry an FBC file
	// stands for. Amster files have none.
	UID bool
}

// Document is one file of a configuration tree.
type Document struct {
	Path string // slash-separated, relative to the tree root
	Raw  []byte // the bytes as read (nil for a created document)
	Mode fs.FileMode
	// JSON is set for files the layout treats as configuration JSON: they are
	// validated and written in the vendor's format.
	JSON bool
	// Entity is nil for non-JSON files and JSON files without metadata.
	Entity *Entity
	// Link is set for a symbolic link (whose target stays inside the tree):
	// the target, as read. A link is never followed; Raw is nil and it is
	// written back as the same link.
	Link string

	root     *amjson.Value // the parsed document, on first need
	original *amjson.Value // a copy of data before the first change, on first need
	Changed  bool
	Deleted  bool
	Created  bool
	// renamedFrom holds the path a set-entity-id moved the file away from.
	renamedFrom string

	// pending: the file is listed but not read yet (ScanTree).
	pending bool
	// input is the identity as read, before any rule ran.
	input *Entity
	// bom and stray note what reading found, for warnings in path order.
	bom, stray bool
	// differs: the new bytes differ from the input (set once rendered).
	differs bool
	events  []Event
}

// inputPath is where the file was read from (or created).
func (d *Document) inputPath() string {
	if d.renamedFrom != "" {
		return d.renamedFrom
	}
	return d.Path
}

// inputEntity is the identity as read; for a created document, as created.
// A document built in memory, which no pass has seen yet, has only Entity.
func (d *Document) inputEntity() *Entity {
	if d.Created || d.input == nil {
		return d.Entity
	}
	return d.input
}

// key identifies an entity: its type, id, realm and path parameters (all
// of Amster's ScriptingEngineConfiguration entities have the id
// engineConfiguration and differ by their contexts parameter).
func (e *Entity) key() string {
	var b strings.Builder
	b.WriteString(e.Type + "\x00" + e.ID + "\x00")
	if e.Global {
		b.WriteString("\x01")
	} else {
		b.WriteString(e.Realm)
	}
	for _, k := range sortedKeys(e.PathParams) {
		b.WriteString("\x00" + k + "=" + e.PathParams[k])
	}
	return b.String()
}

// scanEntity reads the identity from metadata without decoding the file: the
// walker calls it for every file, and most files are matched by no rule.
func scanEntity(raw []byte) *Entity {
	md := gjson.GetBytes(raw, "metadata")
	if !md.IsObject() {
		return nil
	}
	e := &Entity{}
	var realm gjson.Result
	md.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "entityType":
			e.Type = intern(v.String())
		case "entityId":
			e.ID = intern(v.String())
		case "realm":
			realm = v
		case "sunServiceID":
			e.SunServiceID = intern(v.String())
		case "amsterVersion":
			e.AmsterVersion = intern(v.String())
		case "uid":
			e.UID = true
		case "pathParams":
			if v.IsObject() {
				v.ForEach(func(pk, pv gjson.Result) bool {
					if e.PathParams == nil {
						e.PathParams = map[string]string{}
					}
					e.PathParams[intern(pk.Str)] = intern(pv.String())
					return true
				})
			}
		}
		return true
	})
	e.Global = !realm.Exists() || realm.Type == gjson.Null
	if !e.Global {
		e.Realm = intern(realm.String())
	}
	return e
}

// intern returns one copy of each identity string: an upgrade keeps the
// identity of every file to the end, the same types, realms and ids recur
// over thousands of files, and the strings gjson returns would otherwise
// hold on to a copy of the whole metadata object each.
func intern(s string) string {
	return unique.Make(s).Value()
}

// entityFromValue reads the identity of a parsed document.
func entityFromValue(root *amjson.Value) *Entity {
	md := root.Get("metadata")
	if md == nil || md.Kind != amjson.Object {
		return nil
	}
	e := &Entity{}
	str := func(k string) string {
		if v := md.Get(k); v != nil && v.Kind == amjson.String {
			return v.Text
		}
		return ""
	}
	e.Type, e.ID, e.SunServiceID, e.AmsterVersion = str("entityType"), str("entityId"), str("sunServiceID"), str("amsterVersion")
	e.UID = md.Get("uid") != nil
	r := md.Get("realm")
	e.Global = r == nil || r.Kind == amjson.Null
	if !e.Global {
		e.Realm = r.Text
	}
	if pp := md.Get("pathParams"); pp != nil && pp.Kind == amjson.Object {
		for _, m := range pp.Members {
			if e.PathParams == nil {
				e.PathParams = map[string]string{}
			}
			e.PathParams[m.Key] = m.Value.Text
		}
	}
	return e
}

// parsed returns the document tree, parsing it on first use.
func (d *Document) parsed() (*amjson.Value, error) {
	if d.root == nil {
		v, err := amjson.Parse(d.Raw)
		if err != nil {
			return nil, d.syntaxError(err)
		}
		d.root = v
	}
	return d.root, nil
}

// Root returns the parsed document (nil for non-JSON files).
func (d *Document) Root() (*amjson.Value, error) {
	if !d.JSON {
		return nil, nil
	}
	return d.parsed()
}

// data returns the `data` object, or nil if the document has none.
func (d *Document) data() (*amjson.Value, error) {
	root, err := d.parsed()
	if err != nil {
		return nil, err
	}
	data := root.Get("data")
	if data == nil || data.Kind != amjson.Object {
		return nil, nil
	}
	return data, nil
}

// touch records that the document is about to change. The data as it was,
// for `!original` values, is parsed again from the bytes read when asked
// for (no bundled rule asks, so copying every changed document up front
// was wasted work); a document created in this run has no bytes, and keeps
// a copy of its data as created instead.
func (d *Document) touch() {
	if d.original == nil && d.root != nil && d.Raw == nil {
		if data := d.root.Get("data"); data != nil {
			d.original = data.Clone()
		}
	}
	d.Changed = true
}

// originalData returns the data as it was before this run changed it.
func (d *Document) originalData() *amjson.Value {
	if d.original == nil && d.Changed && d.Raw != nil {
		// The bytes parsed once already, so they parse again.
		if root, err := amjson.Parse(d.Raw); err == nil {
			d.original = root.Get("data")
		}
	}
	if d.original != nil {
		return d.original
	}
	if d.root == nil {
		return nil
	}
	return d.root.Get("data")
}

func (d *Document) syntaxError(err error) error {
	e := &Error{Code: CodeInput, File: d.Path, Msg: "malformed JSON", Err: err}
	if se, ok := err.(*amjson.SyntaxError); ok {
		e.Line, e.Col = se.Line, se.Column
		e.Msg = se.Msg
		e.Err = nil
	}
	return e
}
