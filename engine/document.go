package engine

import (
	"bytes"
	"io/fs"
	"strings"
	"unique"
	"unsafe"

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
	// notConfig says why a JSON file is not configuration (no metadata, a
	// realm that is not text…): no rule sees it.
	notConfig string
	// differs: the new bytes differ from the input (set once rendered);
	// reprinted: only because they were printed in AM's layout.
	differs, reprinted bool
	events             []Event
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
	e, _ := scanConfig(raw)
	return e
}

// scanConfig reads the identity of a configuration file, or says why the
// file is not one: a configuration file is an object with a metadata object
// (realm text or null, entityType and entityId text) and a data object.
func scanConfig(raw []byte) (*Entity, string) {
	raw = bytes.TrimPrefix(raw, utf8BOM)
	if first := bytes.TrimLeft(raw, " \t\r\n"); len(first) == 0 || first[0] != '{' {
		if len(first) > 0 && first[0] == '[' {
			return nil, "the top level is an array, not an object with metadata and data"
		}
		return nil, "the top level is not an object with metadata and data"
	}
	// gjson on a string that shares raw's memory: nothing is copied, and
	// nothing of it is kept past this call but the interned identity.
	text := unsafe.String(unsafe.SliceData(raw), len(raw))
	md := gjson.Get(text, "metadata")
	if !md.IsObject() {
		return nil, "it has no metadata object"
	}
	for _, k := range []string{"entityType", "entityId"} {
		if v := md.Get(k); v.Exists() && v.Type != gjson.String {
			return nil, "metadata." + k + " is not text"
		}
	}
	if r := md.Get("realm"); r.Exists() && r.Type != gjson.String && r.Type != gjson.Null {
		return nil, "metadata.realm is neither text nor null"
	}
	if !dataIsObject(text, md) {
		return nil, "it has no data object"
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
	return e, ""
}

// dataIsObject tells whether the top-level object text has a data member
// whose value is an object. AM's files have data right after metadata (or,
// hand-edited, first), so those two places are looked at without scanning
// the data itself; any other order takes a full lookup.
func dataIsObject(text string, md gjson.Result) bool {
	isData := func(rest string) bool {
		rest = strings.TrimLeft(rest, " \t\r\n,")
		if !strings.HasPrefix(rest, `"data"`) {
			return false
		}
		rest = strings.TrimLeft(rest[len(`"data"`):], " \t\r\n")
		if !strings.HasPrefix(rest, ":") {
			return false
		}
		return strings.HasPrefix(strings.TrimLeft(rest[1:], " \t\r\n"), "{")
	}
	if md.Index > 0 && md.Index+len(md.Raw) <= len(text) {
		if isData(text[md.Index+len(md.Raw):]) || isData(strings.TrimLeft(text, " \t\r\n")[1:]) {
			return true
		}
	}
	return gjson.Get(text, "data").IsObject()
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
