// Package ldifgen writes the LDIF export that an AM configuration store
// would hold for a file-based configuration (FBC) tree: the inverse of the
// migration, for its round-trip tests and benchmarks.
//
// Each file with a metadata.uid becomes the entry of that DN: its
// objectClass, ou and sunserviceID from the metadata, its data as
// sunKeyValue "name=value" strings (sections flattened, as the store holds
// them). The ancestors a directory needs and the tree has no file for (the
// version entries, the containers) are added. Each service's version entry
// carries a sunServiceSchema whose attribute types are those the tree's
// values show; attribute names without '-' or '.' are stored under another
// name ("rn-" + name) with the JSON name as resourceName, so that both ways
// of naming are exercised.
//
// FBC placeholders ({"$bool": "&{prop|true}"}) have no counterpart in a
// configuration store; they are written as the value they stand for (the
// default after '|', or the type's zero value), and Expect says so.
package ldifgen

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/ldif"
	"github.com/amupgrade/amupgrade/migrate"
)

// DefaultBase replaces a templated base DN (%BASE_DN%) in uids.
const DefaultBase = "ou=am-config"

// Stats counts what Generate wrote.
type Stats struct {
	Entries  int // entries written
	Files    int // of them, files of the tree
	Added    int // ancestors the tree has no file for
	Schemas  int // services given a sunServiceSchema
	Values   int // sunKeyValue values
	Concrete int // placeholders written as the value they stand for
	Skipped  int // JSON files without metadata.uid (boot.json, Amster-layout files)
	// Unschemed counts values of entries that no schema describes: a
	// container's or a service entry's.
	Unschemed int
	Conflicts []string
}

// Generator holds what a first reading of a tree found.
type Generator struct {
	root    string // the services folder
	base    ldif.DN
	entries map[string]*entry // by normalized DN
	svcs    map[string]*service
	Stats   Stats
	// Moved lists the files whose name is not the one AM gives their entry
	// ("tree path → AM's path"), after Expected.
	Moved []string
	// Renamed lists the files whose entityId differs in case from their
	// DN's, which the migration follows.
	Renamed []string
}

type entry struct {
	dn     ldif.DN
	text   string // the DN as written in uid (base substituted)
	file   string // relative to root, "" for an added ancestor
	sid    string
	hasSID bool
}

type service struct {
	name    string // DN case
	version string
	kinds   map[string]*node
}

// node is one schema (a service's kind, or a sub-schema) as the values show it.
type node struct {
	name   string
	attrs  map[string]*attr // by JSON name
	order  []string
	subs   map[string]*node
	sorder []string
}

type attr struct {
	json, ldap string
	kind       string // bool, int, decimal, string, script, json, list, maplist, "" (only null seen)
	elem       string // list element kind: string, int, bool, decimal
}

// New reads the tree at dir (the folder holding services/, or services/).
func New(dir string) (*Generator, error) {
	root := dir
	if st, err := os.Stat(filepath.Join(dir, "services")); err == nil && st.IsDir() {
		root = filepath.Join(dir, "services")
	}
	g := &Generator{root: root, entries: map[string]*entry{}, svcs: map[string]*service{}}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	// First: every DN and its sunServiceID, and the base.
	for _, p := range files {
		doc, err := readJSON(p)
		if err != nil {
			return nil, err
		}
		md := doc.Get("metadata")
		uid := md.Get("uid")
		if md == nil || doc.Get("data") == nil || uid == nil || uid.Kind != amjson.String {
			g.Stats.Skipped++
			continue
		}
		text := strings.ReplaceAll(uid.Text, "%BASE_DN%", DefaultBase)
		dn, err := ldif.ParseDN(text)
		if err != nil {
			return nil, fmt.Errorf("%s: metadata.uid: %w", p, err)
		}
		for i := len(dn) - 1; i >= 0 && g.base == nil; i-- {
			if dn[i].Is("ou", "services") {
				g.base = dn[i+1:]
			}
		}
		rel, _ := filepath.Rel(root, p)
		e := &entry{dn: dn, text: text, file: filepath.ToSlash(rel)}
		if v := md.Get("sunServiceID"); v != nil && v.Kind == amjson.String {
			e.sid, e.hasSID = v.Text, true
		}
		g.entries[dn.Norm()] = e
	}
	if g.base == nil {
		return nil, errors.New(root + ": no file with a metadata.uid below ou=services")
	}
	for k, e := range g.entries {
		if !e.dn.HasSuffix(g.base) {
			delete(g.entries, k) // another configuration's: not in this export
			g.Stats.Skipped++
		}
	}
	// The ancestors a directory needs.
	for _, e := range sortedEntries(g.entries) {
		for i := 1; i < len(e.dn) && len(e.dn)-i >= len(g.base); i++ {
			anc := e.dn[i:]
			if !anc.HasSuffix(g.base) {
				break
			}
			n := anc.Norm()
			if g.entries[n] == nil {
				g.entries[n] = &entry{dn: anc, text: anc.String()}
			}
		}
	}
	// Then the types of each schema's attributes.
	for _, e := range sortedEntries(g.entries) {
		if e.file == "" {
			continue
		}
		doc, err := readJSON(filepath.Join(root, filepath.FromSlash(e.file)))
		if err != nil {
			return nil, err
		}
		n := g.nodeOf(e)
		if n == nil {
			continue
		}
		data := g.flatten(e, doc.Get("data"))
		for _, m := range data {
			if err := n.merge(m.Key, g.concrete(e, m.Value)); err != nil {
				g.Stats.Conflicts = append(g.Stats.Conflicts, fmt.Sprintf("%s: %s: %v", e.file, m.Key, err))
			}
		}
	}
	for _, s := range g.svcs {
		for _, n := range s.kinds {
			n.name = s.name
			n.assignNames()
		}
	}
	return g, nil
}

func readJSON(p string) (*amjson.Value, error) {
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	v, err := amjson.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return v, nil
}

// sortedEntries orders entries parents first, as an export does.
func sortedEntries(m map[string]*entry) []*entry {
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].dn, out[j].dn
		for k := 1; k <= len(a) && k <= len(b); k++ {
			x, y := strings.ToLower(ldif.DN{a[len(a)-k]}.String()), strings.ToLower(ldif.DN{b[len(b)-k]}.String())
			if x != y {
				return x < y
			}
		}
		return len(a) < len(b)
	})
	return out
}

// place finds where an entry sits: the RDN values below ou=services of its
// realm, root first.
func (g *Generator) rel(e *entry) []ldif.RDN {
	r := e.dn[:len(e.dn)-len(g.base)]
	out := make([]ldif.RDN, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

var containerKinds = map[string]string{
	"globalconfig": "Global", "organizationconfig": "Organization", "dynamicconfig": "Dynamic",
	"userconfig": "User", "policyconfig": "Policy",
}

// serviceAt returns the index in rel of the service RDN (after the realms),
// or -1 for a realm or an entry outside ou=services.
func serviceAt(rel []ldif.RDN) int {
	if len(rel) == 0 || !rel[0].Is("ou", "services") {
		return -1
	}
	i := 1
	for i < len(rel) {
		if _, ok := rel[i].Of("o"); ok {
			i += 2
			continue
		}
		return i
	}
	return -1
}

// isRealm reports whether rel is a realm's: ou=services (the root realm),
// or ending with o=<name>.
func isRealm(rel []ldif.RDN) bool {
	if serviceAt(rel) >= 0 || len(rel) == 0 || !rel[0].Is("ou", "services") {
		return false
	}
	_, sub := rel[len(rel)-1].Of("o")
	return len(rel) == 1 || sub
}

// Has reports whether the export holds the entry of a file of the tree
// whose uid is dn.
func (g *Generator) Has(dn string) bool {
	d, err := ldif.ParseDN(strings.ReplaceAll(dn, "%BASE_DN%", DefaultBase))
	if err != nil {
		return false
	}
	e := g.entries[d.Norm()]
	return e != nil && e.file != ""
}

// nodeOf returns the schema node of a configuration entry, creating it.
func (g *Generator) nodeOf(e *entry) *node {
	rel := g.rel(e)
	i := serviceAt(rel)
	if i < 0 || i+3 >= len(rel) {
		return nil
	}
	kind := containerKinds[strings.ToLower(rel[i+2].Value())]
	if kind == "" {
		return nil
	}
	svcName, version := rel[i].Value(), rel[i+1].Value()
	key := strings.ToLower(svcName) + "\x00" + version
	s := g.svcs[key]
	if s == nil {
		s = &service{name: svcName, version: version, kinds: map[string]*node{}}
		g.svcs[key] = s
	}
	if i == 1 { // the root realm names the service
		s.name = svcName
	}
	n := s.kinds[kind]
	if n == nil {
		n = newNode(svcName)
		s.kinds[kind] = n
	}
	// Levels below the top configuration: each named by its sunserviceID.
	for lvl := i + 4; lvl < len(rel); lvl++ {
		anc := g.entries[ldif.DN(reverse(rel[:lvl+1])).Norm()+","+g.base.Norm()]
		id := rel[lvl].Value()
		if anc != nil && anc.hasSID {
			id = anc.sid
		}
		sub := n.subs[id]
		if sub == nil {
			sub = newNode(id)
			n.subs[id] = sub
			n.sorder = append(n.sorder, id)
		}
		n = sub
	}
	return n
}

func reverse(r []ldif.RDN) []ldif.RDN {
	out := make([]ldif.RDN, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

func newNode(name string) *node {
	return &node{name: name, attrs: map[string]*attr{}, subs: map[string]*node{}}
}

// flatten returns the attributes of a file's data: its members but _id and
// _type, with the members of each section object in its place.
func (g *Generator) flatten(e *entry, data *amjson.Value) []amjson.Member {
	var out []amjson.Member
	if data == nil {
		return nil
	}
	svc, sub, ok := migrate.SectionKey(e.text, e.sid)
	for _, m := range data.Members {
		if m.Key == "_id" || m.Key == "_type" {
			continue
		}
		if ok && m.Value.Kind == amjson.Object && migrate.MinedHas(svc, sub, m.Key) {
			out = append(out, m.Value.Members...)
			continue
		}
		out = append(out, m)
	}
	return out
}

// kindOf names how a (concrete) value is typed.
func kindOf(v *amjson.Value) (kind, elem string) {
	switch v.Kind {
	case amjson.Null:
		return "", ""
	case amjson.Bool:
		return "bool", ""
	case amjson.Number:
		if _, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
			return "int", ""
		}
		return "decimal", ""
	case amjson.String:
		return "string", ""
	case amjson.Array:
		elem := ""
		for _, x := range v.Items {
			k, _ := kindOf(x)
			if k == "" {
				continue
			}
			if elem == "" {
				elem = k
			} else if elem != k {
				elem = "mixed"
			}
		}
		return "list", elem
	case amjson.Object:
		for _, m := range v.Members {
			if m.Value.Kind != amjson.String {
				return "json", ""
			}
		}
		return "maplist", ""
	}
	return "", ""
}

func (n *node) merge(name string, v *amjson.Value) error {
	k, elem := kindOf(v)
	a := n.attrs[name]
	if a == nil {
		a = &attr{json: name}
		n.attrs[name] = a
		n.order = append(n.order, name)
	}
	if k == "string" && a.kind == "" && isScriptAttr(n, name) {
		k = "script"
	}
	if k == "string" && a.kind == "script" {
		k = "script"
	}
	switch {
	case k == "":
	case a.kind == "":
		a.kind = k
	case a.kind != k:
		return fmt.Errorf("typed %s here, %s elsewhere", k, a.kind)
	}
	if elem == "mixed" || (elem != "" && a.elem != "" && a.elem != elem) {
		return fmt.Errorf("a list of mixed types")
	}
	if elem != "" {
		a.elem = elem
	}
	return nil
}

// isScriptAttr tells the attributes AM stores as script text and shows in
// base64: the script of a ScriptingService global script.
func isScriptAttr(n *node, name string) bool {
	return name == "script" && (n.name == "globalScript" || n.name == "globalScripts")
}

// assignNames gives each attribute its stored name: "rn-" + the JSON name,
// with the JSON name as resourceName, unless the name holds '-' or '.' (an
// LDAP-style name, kept as it is) or the other name is taken.
func (n *node) assignNames() {
	taken := map[string]bool{}
	for _, name := range n.order {
		if strings.ContainsAny(name, "-.") {
			taken[strings.ToLower(name)] = true
		}
	}
	for _, name := range n.order {
		a := n.attrs[name]
		a.ldap = name
		if !strings.ContainsAny(name, "-.") && !taken[strings.ToLower("rn-"+name)] {
			a.ldap = "rn-" + name
		}
		taken[strings.ToLower(a.ldap)] = true
		if a.kind == "" {
			a.kind = "string"
		}
	}
	for _, s := range n.subs {
		s.assignNames()
	}
}

// concrete writes placeholders as the values they stand for.
func (g *Generator) concrete(e *entry, v *amjson.Value) *amjson.Value {
	c, n := Concrete(v, func(name string) []byte {
		for _, dir := range []string{filepath.Dir(filepath.Join(g.root, filepath.FromSlash(e.file))), g.root} {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.Clean("/"+name))); err == nil {
				return b
			}
		}
		return nil
	})
	g.Stats.Concrete += n
	return c
}

// Concrete returns v with each FBC placeholder replaced by the value it
// stands for, and how many it replaced: $string by its text, $bool, $int,
// $number, $list and $array by the default after '|' in "&{prop|default}"
// (or false, 0, []), $inline by the file's text (read gives it; "" when
// missing), $base64:encode by the base64 of its concrete text.
func Concrete(v *amjson.Value, read func(name string) []byte) (*amjson.Value, int) {
	switch v.Kind {
	case amjson.Array:
		out := amjson.NewArray()
		total := 0
		for _, x := range v.Items {
			c, n := Concrete(x, read)
			out.Items = append(out.Items, c)
			total += n
		}
		return out, total
	case amjson.Object:
		if len(v.Members) == 1 && strings.HasPrefix(v.Members[0].Key, "$") {
			if c, ok := placeholder(v.Members[0].Key, v.Members[0].Value, read); ok {
				return c, 1
			}
		}
		out := amjson.NewObject()
		total := 0
		for _, m := range v.Members {
			c, n := Concrete(m.Value, read)
			out.Set(m.Key, c)
			total += n
		}
		return out, total
	}
	return v, 0
}

func placeholder(key string, arg *amjson.Value, read func(string) []byte) (*amjson.Value, bool) {
	text := ""
	if arg.Kind == amjson.String {
		text = arg.Text
	}
	def, hasDef := defaultOf(text)
	switch key {
	case "$string":
		return amjson.NewString(text), true
	case "$bool":
		return amjson.NewBool(hasDef && strings.EqualFold(def, "true")), true
	case "$int", "$number":
		if _, err := strconv.ParseInt(def, 10, 64); hasDef && err == nil {
			return amjson.NewNumber(def), true
		}
		return amjson.NewNumber("0"), true
	case "$list":
		out := amjson.NewArray()
		if hasDef && def != "" {
			for _, s := range splitTop(def) {
				out.Items = append(out.Items, amjson.NewString(s))
			}
		}
		return out, true
	case "$array":
		if hasDef {
			if v, err := amjson.Parse([]byte(def)); err == nil && v.Kind == amjson.Array {
				return v, true
			}
		}
		return amjson.NewArray(), true
	case "$inline":
		return amjson.NewString(string(read(text))), true
	case "$base64:encode":
		c, _ := Concrete(arg, read)
		if c.Kind == amjson.String {
			return amjson.NewString(base64.StdEncoding.EncodeToString([]byte(c.Text))), true
		}
	}
	return nil, false
}

// defaultOf returns the default of "&{prop|default}".
func defaultOf(s string) (string, bool) {
	if !strings.HasPrefix(s, "&{") || !strings.HasSuffix(s, "}") {
		return "", false
	}
	inner := s[2 : len(s)-1]
	depth := 0
	for i, c := range inner {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case '|':
			if depth == 0 {
				return inner[i+1:], true
			}
		}
	}
	return "", false
}

// splitTop splits at commas outside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Write writes the LDIF export.
func (g *Generator) Write(w io.Writer) error {
	lw := ldif.NewWriter(w)
	if err := lw.Version(); err != nil {
		return err
	}
	for _, e := range sortedEntries(g.entries) {
		le, err := g.ldifEntry(e)
		if err != nil {
			return err
		}
		lw.WriteEntry(le)
		g.Stats.Entries++
		if e.file != "" {
			g.Stats.Files++
		} else {
			g.Stats.Added++
		}
	}
	return lw.Flush()
}

func (g *Generator) ldifEntry(e *entry) (*ldif.Entry, error) {
	le := &ldif.Entry{DNText: e.text, DN: e.dn}
	add := func(name, v string) {
		le.Attrs = append(le.Attrs, ldif.Attr{Name: name, Value: []byte(v)})
	}
	var doc *amjson.Value
	if e.file != "" {
		var err error
		if doc, err = readJSON(filepath.Join(g.root, filepath.FromSlash(e.file))); err != nil {
			return nil, err
		}
		md := doc.Get("metadata")
		for _, oc := range stringsOf(md.Get("objectClass")) {
			add("objectClass", oc)
		}
	} else {
		for _, oc := range g.addedClasses(e) {
			add("objectClass", oc)
		}
	}
	rdn := e.dn[0]
	if v, ok := rdn.Of("o"); ok {
		add("o", v)
	}
	ous := []string(nil)
	if doc != nil {
		ous = stringsOf(doc.Get("metadata").Get("ou"))
	}
	if v, ok := rdn.Of("ou"); ok && len(ous) == 0 {
		ous = []string{v}
	}
	for _, o := range ous {
		add("ou", o)
	}
	if e.hasSID {
		add("sunserviceID", e.sid)
	}
	rel := g.rel(e)
	i := serviceAt(rel)
	// The schema of a root-realm service, on its version entry.
	if i == 1 && len(rel) == 3 {
		if s := g.svcs[strings.ToLower(rel[1].Value())+"\x00"+rel[2].Value()]; s != nil {
			add("sunServiceSchema", s.xml())
			g.Stats.Schemas++
		}
	}
	if doc == nil {
		return le, nil
	}
	data := doc.Get("data")
	if isRealm(rel) {
		// A realm: its status and aliases.
		active := data.Get("active")
		status := "Active"
		if active != nil && active.Kind == amjson.Bool && !active.Bool {
			status = "Inactive"
		}
		add("sunKeyValue", "sunidentityrepositoryservice-sunOrganizationStatus="+status)
		aliases, _ := Concrete(orEmpty(data.Get("aliases")), func(string) []byte { return nil })
		seen := map[string]bool{}
		for _, a := range aliases.Items {
			if a.Kind == amjson.String && a.Text != "" && !seen[strings.ToLower(a.Text)] {
				seen[strings.ToLower(a.Text)] = true
				add("sunxmlKeyValue", "sunidentityrepositoryservice-sunOrganizationAliases="+a.Text)
			}
		}
		return le, nil
	}
	n := g.nodeOf(e)
	seen := map[string]bool{}
	for _, m := range g.flatten(e, data) {
		var a *attr
		if n != nil {
			a = n.attrs[m.Key]
		} else {
			// Values on an entry no schema describes (a container file that
			// the vendor's Amster rules gave an attribute): stored as they
			// are, for the migration to report.
			k, _ := kindOf(m.Value)
			a = &attr{json: m.Key, ldap: m.Key, kind: k}
			g.Stats.Unschemed++
		}
		for _, s := range stored(a, g.concrete(e, m.Value)) {
			kv := a.ldap + "=" + s
			if seen[strings.ToLower(kv)] { // the directory refuses values equal but for case
				continue
			}
			seen[strings.ToLower(kv)] = true
			add("sunKeyValue", kv)
			g.Stats.Values++
		}
	}
	return le, nil
}

func orEmpty(v *amjson.Value) *amjson.Value {
	if v == nil {
		return amjson.NewArray()
	}
	return v
}

// addedClasses are the object classes of an ancestor the tree has no file for.
func (g *Generator) addedClasses(e *entry) []string {
	rel := g.rel(e)
	switch {
	case len(rel) == 0:
		return []string{"organizationalUnit", "top"}
	case len(e.dn[0]) == 1 && strings.EqualFold(e.dn[0][0].Type, "o"):
		return []string{"sunRealmService", "top"}
	}
	if i := serviceAt(rel); i >= 0 && (len(rel) == i+1 || len(rel) == i+2) {
		return []string{"sunService", "top"}
	}
	return []string{"organizationalunit", "sunServiceComponent", "top"}
}

// stored returns the values of an attribute as the store holds them (after
// "name="); no value is one empty string ("name=": present, no value).
func stored(a *attr, v *amjson.Value) []string {
	var out []string
	switch v.Kind {
	case amjson.Null:
	case amjson.Array:
		for _, x := range v.Items {
			if s := scalarText(a, x); s != "" {
				out = append(out, s)
			}
		}
	case amjson.Object:
		if a.kind == "maplist" {
			for _, m := range v.Members {
				out = append(out, "["+m.Key+"]="+m.Value.Text)
			}
		} else {
			out = append(out, string(amjson.AppendJSON(nil, v, amjson.PrintOptions{})))
		}
	default:
		if s := scalarText(a, v); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

func scalarText(a *attr, v *amjson.Value) string {
	switch v.Kind {
	case amjson.Bool:
		return strconv.FormatBool(v.Bool)
	case amjson.Number:
		return v.Text
	case amjson.String:
		return v.Text
	case amjson.Null:
		return ""
	}
	b, _ := json.Marshal(v.Interface())
	return string(b)
}

func stringsOf(v *amjson.Value) []string {
	if v == nil || v.Kind != amjson.Array {
		return nil
	}
	var out []string
	for _, x := range v.Items {
		if x.Kind == amjson.String {
			out = append(out, x.Text)
		}
	}
	return out
}

// xml is the sunServiceSchema of a service: its kinds, attributes and
// sub-schemas as the tree's values show them.
func (s *service) xml() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE ServicesConfiguration PUBLIC "=//iPlanet//Service Management Services (SMS) 1.0 DTD//EN" "jar://com/sun/identity/sm/sms.dtd">` + "\n")
	fmt.Fprintf(&b, `<ServicesConfiguration><Service name="%s" version="%s"><Schema serviceHierarchy="/DSAMEConfig/%s" revisionNumber="1">`,
		esc(s.name), esc(s.version), esc(s.name))
	for _, k := range []string{"Global", "Organization", "Dynamic", "User", "Policy"} {
		if n := s.kinds[k]; n != nil {
			fmt.Fprintf(&b, "<%s>", k)
			n.xml(&b)
			fmt.Fprintf(&b, "</%s>", k)
		}
	}
	b.WriteString("</Schema></Service></ServicesConfiguration>")
	return b.String()
}

func (n *node) xml(b *strings.Builder) {
	for _, name := range n.order {
		a := n.attrs[name]
		typ, syntax, ui := "single", a.kind, ""
		switch a.kind {
		case "bool":
			syntax = "boolean"
		case "int":
			syntax = "number"
		case "list":
			typ, syntax = "list", map[string]string{"int": "number", "bool": "boolean", "decimal": "decimal"}[a.elem]
			if syntax == "" {
				syntax = "string"
			}
		case "maplist":
			typ, syntax, ui = "list", "string", ` uitype="maplist"`
		}
		rn := ""
		if a.ldap != a.json {
			rn = ` resourceName="` + esc(a.json) + `"`
		}
		fmt.Fprintf(b, `<AttributeSchema name="%s" type="%s" syntax="%s"%s%s i18nKey="%s"/>`, esc(a.ldap), typ, syntax, ui, rn, esc(a.json))
	}
	for _, id := range n.sorder {
		fmt.Fprintf(b, `<SubSchema name="%s" inheritance="multiple">`, esc(id))
		n.subs[id].xml(b)
		b.WriteString("</SubSchema>")
	}
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

// Expected returns, for each file of the tree that a migration of the
// LDIF writes, the document it should write: the file as the configuration
// store holds it. It differs from the file only where a store cannot say
// what FBC says: placeholders are their values (Concrete); a value "" is
// none (null, or left out of a list); a list that is null is empty, a map
// that is null is {}; a list holds each value once, ignoring case; a
// script's base64 is written in its canonical form; metadata holds the
// eight keys AM writes from the entry (not amsterVersion, which the
// vendor's Amster rules add, nor 7.0's serviceVersion), its ou is the
// entry's ou attribute when the file had null, and a templated base DN in
// uid is DefaultBase. Skipped lists the files that give no file: the
// containers and version entries of AM's tree (the 7.0–7.2 trees wrote
// files for them), and files without a metadata.uid.
func (g *Generator) Expected() (map[string]*amjson.Value, []string, error) {
	want := map[string]*amjson.Value{}
	var skipped []string
	byFile := map[string]*entry{}
	for _, e := range g.entries {
		if e.file != "" {
			byFile[e.file] = e
		}
	}
	err := filepath.WalkDir(g.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(g.root, p)
		rel = filepath.ToSlash(rel)
		e := byFile[rel]
		if e == nil || !g.writes(e) {
			skipped = append(skipped, rel)
			return nil
		}
		doc, err := readJSON(p)
		if err != nil {
			return err
		}
		if at := g.pathOf(e); at != rel {
			// A hand-made tree may name a file otherwise than AM does.
			g.Moved = append(g.Moved, rel+" → "+at)
			rel = at
		}
		want[rel] = g.expect(e, doc)
		return nil
	})
	sort.Strings(skipped)
	sort.Strings(g.Moved)
	return want, skipped, err
}

// pathOf is the file AM names for an entry: global/realms/root[-realm].json
// for a realm, realm/root.json for the base, else realm/<realm>/ and the
// RDN values from the service down, lower-cased, ':' and '/' as '_'.
func (g *Generator) pathOf(e *entry) string {
	rel := g.rel(e)
	realm := "root"
	i := 1
	for i < len(rel) {
		v, ok := rel[i].Of("o")
		if !ok {
			break
		}
		realm += "-" + strings.ToLower(v)
		i += 2
	}
	switch {
	case len(rel) == 0:
		return "realm/root.json"
	case i >= len(rel):
		return "global/realms/" + realm + ".json"
	}
	parts := []string{"realm", realm}
	for _, r := range rel[i:] {
		parts = append(parts, strings.NewReplacer(":", "_", "/", "_").Replace(strings.ToLower(r.Value())))
	}
	return strings.Join(parts, "/") + ".json"
}

// Added reports whether the entry of a DN was added to the export as an
// ancestor the tree has no file for.
func (g *Generator) Added(dn string) bool {
	d, err := ldif.ParseDN(dn)
	if err != nil {
		return false
	}
	e := g.entries[d.Norm()]
	return e != nil && e.file == ""
}

// writes reports whether a migration writes a file for the entry.
func (g *Generator) writes(e *entry) bool {
	rel := g.rel(e)
	i := serviceAt(rel)
	if i < 0 {
		// The base, a realm; not a sub-realm's ou=services.
		return len(rel) == 0 || !rel[len(rel)-1].Is("ou", "services") || len(rel) == 1
	}
	switch {
	case len(rel) == i+2:
		return false // the version entry
	case len(rel) == i+3:
		switch strings.ToLower(rel[i+2].Value()) {
		case "globalconfig", "organizationconfig", "dynamicconfig", "userconfig", "policyconfig", "pluginconfig", "instances":
			return false
		}
	}
	return true
}

func (g *Generator) expect(e *entry, doc *amjson.Value) *amjson.Value {
	out := doc.Clone()
	md := out.Get("metadata")
	md.Set("uid", amjson.NewString(e.text))
	// The keys AM writes from the entry; others (amsterVersion, which the
	// vendor's Amster rules add; serviceVersion, in 7.0) a store does not hold.
	keep := md.Members[:0]
	for _, m := range md.Members {
		switch m.Key {
		case "realm", "entityType", "entityId", "uid", "sunServiceID", "objectClass", "pathParams", "ou":
			keep = append(keep, m)
		}
	}
	md.Members = keep
	rel := g.rel(e)
	realm := isRealm(rel)
	if ou := md.Get("ou"); !realm && (ou == nil || ou.Kind != amjson.Array || len(ou.Items) == 0) {
		if v, ok := e.dn[0].Of("ou"); ok {
			md.Set("ou", amjson.NewArray(amjson.NewString(v)))
		}
	}
	data := out.Get("data")
	if data.Get("_id") == nil && !realm && len(rel) > 0 {
		// AM writes _id in every file; a hand-made one may lack it.
		data.Set("_id", md.Get("entityId"))
	}
	if realm {
		aliases, _ := Concrete(orEmpty(data.Get("aliases")), func(string) []byte { return nil })
		data.Set("aliases", normList(aliases))
		return out
	}
	if i := serviceAt(rel); i >= 0 && len(rel) > i+3 {
		// entityId is the RDN values below the container; AM 7.0 wrote some
		// in another case (EngineConfiguration for ou=engineConfiguration).
		var vals []string
		for _, r := range rel[i+3:] {
			vals = append(vals, r.Value())
		}
		id := strings.Join(vals, "/")
		if old := md.Get("entityId"); old != nil && old.Text != id && strings.EqualFold(old.Text, id) {
			g.Renamed = append(g.Renamed, e.file+": "+old.Text+" → "+id)
			md.Set("entityId", amjson.NewString(id))
			data.Set("_id", amjson.NewString(id))
		}
	}
	n := g.nodeOf(e)
	if n == nil {
		return out
	}
	// The values as the store holds them, grouped into sections by the
	// migration's tables (AM 7.0 placed three OAuth2Provider attributes in
	// other sections than 7.4 and later, which the tables follow).
	svc, sub, _ := migrate.SectionKey(e.text, e.sid)
	sections := migrate.Mined()
	regrouped := amjson.NewObject()
	for _, m := range data.Members {
		if m.Key == "_id" || m.Key == "_type" {
			regrouped.Set(m.Key, m.Value)
		}
	}
	for _, m := range g.flatten(e, data) {
		v := normalize(n.attrs[m.Key], g.concrete(e, m.Value))
		sec := sections.Section(svc, sub, "", m.Key)
		if sec == "" {
			regrouped.Set(m.Key, v)
			continue
		}
		obj := regrouped.Get(sec)
		if obj == nil {
			obj = amjson.NewObject()
			regrouped.Set(sec, obj)
		}
		obj.Set(m.Key, v)
	}
	out.Set("data", regrouped)
	return out
}

// normalize gives a concrete value as the store holds it (see Expected).
func normalize(a *attr, v *amjson.Value) *amjson.Value {
	switch a.kind {
	case "list":
		if v.Kind == amjson.Null {
			return amjson.NewArray()
		}
		return normList(v)
	case "maplist":
		if v.Kind == amjson.Null {
			return amjson.NewObject()
		}
		return v
	case "json":
		return v
	}
	if v.Kind == amjson.String && v.Text == "" {
		return amjson.NewNull()
	}
	return v
}

func normList(v *amjson.Value) *amjson.Value {
	out := amjson.NewArray()
	seen := map[string]bool{}
	for _, x := range v.Items {
		if x.Kind == amjson.Null || x.Kind == amjson.String && x.Text == "" {
			continue
		}
		k := strings.ToLower(string(amjson.AppendJSON(nil, x, amjson.PrintOptions{})))
		if seen[k] {
			continue
		}
		seen[k] = true
		out.Items = append(out.Items, x)
	}
	return out
}
