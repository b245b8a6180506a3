package migrate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/ldif"
)

// Realm attributes are stored on the realm entry as <service>-<attribute>
// (OrganizationConfigManager): the two the realm file holds.
const (
	realmStatus  = "sunidentityrepositoryservice-sunorganizationstatus"
	realmAliases = "sunidentityrepositoryservice-sunorganizationaliases"
)

// notFBC are the attributes of SMS entries that no FBC file holds.
var notFBC = map[string]bool{"sunsmspriority": true, "labeleduri": true, "description": true}

// operational reports whether an attribute is one the directory server
// maintains (export-ldif includes them unless -O), which is not
// configuration.
func operational(name string) bool {
	switch strings.ToLower(name) {
	case "entryuuid", "entrydn", "createtimestamp", "modifytimestamp", "creatorsname", "modifiersname",
		"pwdpolicysubentry", "subschemasubentry", "hassubordinates", "numsubordinates", "structuralobjectclass",
		"governingstructurerule", "etag", "aci", "ismemberof", "nsuniqueid", "entryid":
		return true
	}
	return strings.HasPrefix(strings.ToLower(name), "ds-")
}

// at is where an entry is, for notices.
type at struct {
	r      *run
	in     int
	e      *ldif.Entry
	output string
}

func (a *at) note(code, key, ptr, msg string) { a.noteLine(a.e.Line, code, key, ptr, msg) }

// noteLine is note for a notice about one attribute line of the entry.
func (a *at) noteLine(line int, code, key, ptr, msg string) {
	a.r.notices.add(key, Notice{Code: code, Msg: msg, File: a.r.inputs[a.in].Name, Line: line, DN: a.e.DNText,
		Output: a.output, Pointer: ptr, order: a.in})
}

// entry converts one entry. An entry that becomes no file gives the reason
// in stats.skipped.
func (r *run) entry(in int, e *ldif.Entry) (output, entryStats, error) {
	st := entryStats{skipped: -1}
	where := &at{r: r, in: in, e: e}
	if !e.DN.HasSuffix(r.base) {
		st.skipped = skipOutside
		if _, _, dyn := dynamicOutside(e.DN); dyn && r.opts.Dynamic == DynamicExclude {
			st.skipped = skipExcluded
			return output{}, st, nil
		}
		suffix := ""
		if len(e.DN) > 0 {
			suffix = ldif.DN{e.DN[len(e.DN)-1]}.String()
		}
		where.note(NoticeOutside, suffix, "", fmt.Sprintf("entries outside %s are not AM configuration; not migrated", r.base))
		return output{}, st, nil
	}
	p := locate(e.DN, r.base)
	if _, _, dyn := dynamicRoot(&p, e.DN, r.base); dyn && r.opts.Dynamic == DynamicExclude {
		st.skipped = skipExcluded
		return output{}, st, nil
	}
	handled := map[string]bool{"objectclass": true, "ou": true, "sunserviceid": true, "sunkeyvalue": true, "sunxmlkeyvalue": true}
	switch p.kind {
	case kindOutside:
		st.skipped = skipOutside
		if len(e.DN) == 0 {
			where.note(NoticeOutside, "", "", "the entry with the empty DN (the root DSE) is not AM configuration; not migrated")
			return output{}, st, nil
		}
		top := e.DN[len(e.DN)-len(r.base)-1]
		where.note(NoticeOutside, top.Value(), "", fmt.Sprintf("entries below %s that are not below ou=services,%s are not AM configuration (the service account, ou=admins, …); not migrated", ldif.DN{top}, r.base))
		return output{}, st, nil
	case kindStructure, kindSchema:
		st.skipped = skipStructure
		if p.kind == kindSchema {
			st.skipped = skipSchema
			handled["sunserviceschema"], handled["sunpluginschema"] = true, true
		}
		st.operational = r.otherAttrs(where, handled)
		if kvs := keyValues(e, func(*ldif.Attr) {}); len(kvs) > 0 {
			where.note(NoticeNoFile, strings.ToLower(p.container)+"/"+p.version, "", fmt.Sprintf(
				"%d attributes stored on a %s entry, which AM's file-based configuration has no file for; they are in no file", len(kvs), map[bool]string{true: "version", false: "container"}[p.kind == kindSchema]))
		}
		return output{}, st, nil
	case kindRealm:
		handled["o"] = true
	}

	path, odd := p.path(e.DN)
	where.output = path
	if odd {
		where.note(NoticeFileName, path, "", "the DN holds characters (control characters, '\\', or a name '.' or '..') that no real FBC tree shows in a file name; each was written as '_'")
	}
	entityType := p.service
	if p.kind == kindBase || p.kind == kindRealm {
		entityType = ""
	}
	id := p.entityID(e.DN)

	meta := amjson.NewObject()
	switch {
	case p.kind == kindBase:
		meta.Set("realm", amjson.NewString("/"))
	case p.kind == kindConfig && p.global():
		meta.Set("realm", amjson.NewNull())
	default:
		meta.Set("realm", amjson.NewString(p.realmPath()))
	}
	meta.Set("entityType", amjson.NewString(entityType))
	meta.Set("entityId", amjson.NewString(id))
	meta.Set("uid", amjson.NewString(e.DNText))
	sids := e.Strings("sunserviceID")
	if len(sids) > 0 {
		meta.Set("sunServiceID", amjson.NewString(sids[0]))
	} else {
		meta.Set("sunServiceID", amjson.NewNull())
	}
	ocs := e.Strings("objectClass")
	sort.SliceStable(ocs, func(i, j int) bool { return strings.ToLower(ocs[i]) < strings.ToLower(ocs[j]) })
	meta.Set("objectClass", strArray(ocs))
	meta.Set("pathParams", amjson.NewObject())
	if p.kind == kindRealm {
		meta.Set("ou", amjson.NewArray())
	} else {
		meta.Set("ou", strArray(e.Strings("ou")))
	}

	data := amjson.NewObject()
	typ := amjson.NewObject()
	typ.Set("_id", amjson.NewString(entityType))
	typ.Set("name", amjson.NewString(entityType))
	typ.Set("collection", amjson.NewBool(false))
	skip := func(a *ldif.Attr) {
		where.noteLine(a.Line, NoticeNoEquals, string(a.Value), "", fmt.Sprintf("the %s value %q has no '=' (name=value); skipped, as AM's reader skips it", a.Name, clip(string(a.Value), 60)))
	}
	kvs := keyValues(e, skip)
	switch p.kind {
	case kindRealm:
		st.realm = p.realmPath()
		data.Set("_id", amjson.NewString(p.realmDir()))
		data.Set("_type", typ)
		r.realm(where, &p, data, kvs)
	default:
		data.Set("_id", amjson.NewString(id))
		data.Set("_type", typ)
		r.attributes(where, &p, e, data, kvs)
	}
	st.operational = r.otherAttrs(where, handled)

	doc := amjson.NewObject()
	doc.Set("metadata", meta)
	doc.Set("data", data)
	if !validStrings(doc) {
		where.note(NoticeBadValue, "utf8", "", "the entry holds bytes that are not UTF-8 (a directory string always is: the export is damaged); written with U+FFFD in their place")
	}
	return output{path: path, doc: doc}, st, nil
}

// otherAttrs reports the attributes of an entry that are neither handled nor
// operational, and counts the operational values.
func (r *run) otherAttrs(where *at, handled map[string]bool) int {
	ops := 0
	var names []string
	counted := map[string]bool{}
	for i := range where.e.Attrs {
		a := &where.e.Attrs[i]
		n := strings.ToLower(a.Name)
		if handled[n] {
			continue
		}
		if operational(n) {
			ops++
			continue
		}
		if !counted[n] {
			counted[n] = true
			names = append(names, a.Name)
		}
	}
	for _, n := range names {
		why := "FBC files do not hold it"
		if !notFBC[strings.ToLower(n)] {
			why = "it is not one of the attributes AM keeps configuration in (sunKeyValue, sunxmlKeyValue)"
		}
		where.note(NoticeNotWritten, strings.ToLower(n), "", fmt.Sprintf("the attribute %s is in no file: %s", n, why))
	}
	return ops
}

// realm fills the data of a realm file from the realm entry's attributes.
func (r *run) realm(where *at, p *place, data *amjson.Value, kvs []*keyValue) {
	parent := ""
	switch len(p.realm) {
	case 0:
	case 1:
		parent = "/"
	default:
		parent = "/" + strings.Join(p.realm[:len(p.realm)-1], "/")
	}
	name := "/"
	if len(p.realm) > 0 {
		name = p.realm[len(p.realm)-1]
	}
	active := true
	aliases := amjson.NewArray()
	var extra []*keyValue
	for _, kv := range kvs {
		switch strings.ToLower(kv.name) {
		case realmStatus:
			if len(kv.values) > 0 && strings.EqualFold(kv.values[0], "Inactive") {
				active = false
			}
		case realmAliases:
			for _, v := range kv.values {
				aliases.Items = append(aliases.Items, amjson.NewString(v))
			}
		default:
			extra = append(extra, kv)
		}
	}
	data.Set("parentPath", amjson.NewString(parent))
	data.Set("active", amjson.NewBool(active))
	data.Set("name", amjson.NewString(name))
	data.Set("aliases", aliases)
	for _, kv := range extra {
		ptr := "/data/" + escapePointer(kv.name)
		where.note(NoticeNotInSchema, "realm/"+strings.ToLower(kv.name), ptr, fmt.Sprintf(
			"the realm attribute %s is not one a realm file holds (status, aliases); written untyped under its stored name", kv.name))
		data.Set(kv.name, untyped(kv.values))
	}
}

// attributes fills the data of a service's configuration (or of any other
// entry with values) from its key-value attributes, typed by its schema.
func (r *run) attributes(where *at, p *place, e *ldif.Entry, data *amjson.Value, kvs []*keyValue) {
	if len(kvs) == 0 {
		if p.unknown != "" {
			r.noteUnknown(where, p)
		}
		return
	}
	var node *Schema
	sub := "" // the sub-schema name, for the sections
	switch {
	case p.kind != kindConfig:
		where.note(NoticeNoSchema, kindName(p.kind)+"/"+strings.ToLower(p.service), "", fmt.Sprintf(
			"values stored on a %s entry, which no schema describes; written untyped (a string for one value, an array for several)", kindName(p.kind)))
	case p.unknown != "":
		r.noteUnknown(where, p)
	default:
		node, sub = r.schemaOf(where, p, e)
	}
	type placed struct {
		key, section string
		v            *amjson.Value
	}
	var out []placed
	for _, kv := range kvs {
		jsonName := kv.name
		var v *amjson.Value
		if node != nil {
			a := node.Attr(kv.name)
			if a == nil {
				where.noteLine(kv.line, NoticeNotInSchema, strings.ToLower(p.service+"/"+sub+"/"+kv.name), "", fmt.Sprintf(
					"%s is stored on the entry but not in the schema of %s%s; written untyped under its stored name (AM's REST layer does not show it)", kv.name, p.service, subLabel(sub)))
				v = untyped(kv.values)
			} else {
				jsonName = a.JSONName()
				v = typed(a, kv.values, func(code, key, msg string) {
					where.noteLine(kv.line, code, strings.ToLower(p.service+"/"+sub+"/"+key), "", msg)
				})
			}
		} else {
			v = untyped(kv.values)
		}
		out = append(out, placed{key: jsonName, section: r.sections.Section(p.service, sub, kv.name, jsonName), v: v})
	}
	sections := map[string]*amjson.Value{}
	top := amjson.NewObject()
	for _, pl := range out {
		obj := top
		ptr := "/data/"
		if pl.section != "" {
			obj = sections[pl.section]
			if obj == nil {
				obj = amjson.NewObject()
				sections[pl.section] = obj
			}
			ptr += escapePointer(pl.section) + "/"
		}
		if obj.Get(pl.key) != nil {
			where.note(NoticeDuplicateKey, strings.ToLower(p.service+"/"+pl.key), ptr+escapePointer(pl.key), fmt.Sprintf(
				"two stored attributes become the key %s; the last is written", pl.key))
		}
		obj.Set(pl.key, pl.v)
	}
	for name, s := range sections {
		sortMembers(s)
		if top.Get(name) != nil {
			where.note(NoticeDuplicateKey, strings.ToLower(p.service+"/"+name), "/data/"+escapePointer(name), fmt.Sprintf(
				"the section %s has the name of an attribute; the section is written", name))
		}
		top.Set(name, s)
	}
	sortMembers(top)
	data.Members = append(data.Members, top.Members...)
}

func (r *run) noteUnknown(where *at, p *place) {
	where.note(NoticeUnknownContainer, strings.ToLower(p.service+"/"+p.unknown), "", fmt.Sprintf(
		"ou=%s below ou=%s,ou=%s is none of AM's containers (GlobalConfig, OrganizationConfig, PluginConfig, Instances, …); its entries are written as files, their values untyped",
		p.unknown, p.version, p.service))
}

// schemaOf finds the schema of a configuration: the service's schema of
// the container's kind, then, for each level below the configuration's
// top entry, the sub-schema named by that level's sunserviceID (or, when it
// has none, its name).
func (r *run) schemaOf(where *at, p *place, e *ldif.Entry) (*Schema, string) {
	k := p.schemaKind()
	svc := r.schemas[strings.ToLower(p.service)+"\x00"+p.version]
	sub := ""
	if len(p.below) > 1 {
		sub = r.levelID(e, 0)
	}
	if k == "" {
		where.note(NoticeNoSchema, strings.ToLower(p.service+"/"+p.container), "", fmt.Sprintf(
			"configurations below ou=%s of %s follow no service schema; written untyped (a string for one value, an array for several)", p.container, p.service))
		return nil, sub
	}
	if svc == nil {
		where.note(NoticeNoSchema, strings.ToLower(p.service), "", fmt.Sprintf(
			"the export holds no schema for %s (no sunServiceSchema on ou=%s,ou=%s,ou=services,%s); its values are written untyped (a string for one value, an array for several)",
			p.service, p.version, p.service, r.base))
		return nil, sub
	}
	node := svc.Kinds[k]
	if node == nil {
		where.note(NoticeNoSchema, strings.ToLower(p.service+"/"+k), "", fmt.Sprintf(
			"the schema of %s has no %s part for configurations below ou=%s; written untyped", p.service, k, p.container))
		return nil, sub
	}
	// Levels below the top configuration (default) of the container.
	for lvl := len(p.below) - 1; lvl >= 1; lvl-- {
		id := r.levelID(e, lvl-1)
		next := node.Sub(id)
		if next == nil {
			where.note(NoticeNoSchema, strings.ToLower(p.service+"/"+k+"/"+id), "", fmt.Sprintf(
				"the schema of %s has no sub-schema %q for this configuration (its sunserviceID, or its name); written untyped", p.service, id))
			return nil, id
		}
		node = next
	}
	if node != svc.Kinds[k] {
		sub = node.Name
	}
	return node, sub
}

// levelID names the schema of the entry's ancestor up (0: the entry
// itself): its sunserviceID, or its RDN value.
func (r *run) levelID(e *ldif.Entry, up int) string {
	if up == 0 {
		if ids := e.Strings("sunserviceID"); len(ids) > 0 {
			return ids[0]
		}
		return e.DN[0].Value()
	}
	if id, ok := r.ids.get(dnKey(e.DN[up:])); ok {
		return id
	}
	return e.DN[up].Value()
}

func kindName(k kind) string {
	switch k {
	case kindBase:
		return "base"
	case kindService:
		return "service"
	case kindRealm:
		return "realm"
	}
	return "configuration"
}

func subLabel(sub string) string {
	if sub == "" {
		return ""
	}
	return " (sub-schema " + sub + ")"
}

func strArray(ss []string) *amjson.Value {
	items := make([]*amjson.Value, len(ss))
	for i, s := range ss {
		items[i] = amjson.NewString(s)
	}
	return amjson.NewArray(items...)
}

// validStrings replaces bytes that are not UTF-8 in every string and key of
// v, and reports whether there were none.
func validStrings(v *amjson.Value) bool {
	ok := true
	switch v.Kind {
	case amjson.String:
		if s, good := validUTF8(v.Text); !good {
			v.Text, ok = s, false
		}
	case amjson.Array:
		for _, x := range v.Items {
			ok = validStrings(x) && ok
		}
	case amjson.Object:
		for i := range v.Members {
			if s, good := validUTF8(v.Members[i].Key); !good {
				v.Members[i].Key, ok = s, false
			}
			ok = validStrings(v.Members[i].Value) && ok
		}
	}
	return ok
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
