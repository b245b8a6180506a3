package checklist

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/amupgrade/amupgrade/engine"
)

// Facts gathers, while an upgrade streams, what the checklist reads of the
// upgraded tree. It keeps no file's bytes: only the few values each item
// reads, and the evidence of the items that look into every file, found as
// each file goes by. Safe for concurrent use.
type Facts struct {
	mu sync.Mutex
	f  facts
}

// NewFacts makes the facts of a tree of the given layout.
func NewFacts(mode engine.Mode) *Facts {
	return &Facts{f: facts{mode: mode}}
}

// Observe takes one file of the new tree; deleted files are no evidence.
func (t *Facts) Observe(f *engine.FileResult) {
	if f.Deleted {
		return
	}
	// What reads the bytes runs before the lock is taken.
	e := identify(f)
	got := gather(t.f.mode, f, e)
	t.mu.Lock()
	t.f.add(e, got)
	t.mu.Unlock()
}

// sorted returns what the checklist reads, in path order.
func (t *Facts) sorted() *facts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.f.sorted()
}

// entity is the identity of a file of the new tree, as the checklist reads
// it.
type entity struct {
	Path   string
	JSON   bool
	Type   string // metadata.entityType
	ID     string // metadata.entityId
	Realm  string // metadata.realm; "" when global
	Global bool
	SunSID string
}

var (
	metadataKey = []byte(`"metadata"`)
)

// identify reads a file's identity: the engine's, or for a configuration
// file it found none in, the metadata of the bytes written.
func identify(f *engine.FileResult) entity {
	x := entity{Path: f.Path, JSON: f.JSON}
	switch e := f.Entity; {
	case e != nil:
		x.Type, x.ID, x.Realm, x.Global, x.SunSID = e.Type, e.ID, e.Realm, e.Global, e.SunServiceID
	case f.JSON && bytes.Contains(f.Out, metadataKey):
		md := gjson.GetBytes(f.Out, "metadata")
		if md.IsObject() {
			x.Type = md.Get("entityType").String()
			x.ID = md.Get("entityId").String()
			realm := md.Get("realm")
			x.Global = realm.Type == gjson.Null
			x.Realm = realm.String()
			x.SunSID = md.Get("sunServiceID").String()
		}
	}
	return x
}

// facts is what the checklist reads of the upgraded tree: the few documents
// each item looks at, reduced to the values it reads, and the evidence of
// the items that look into every file, found file by file. Facts.Observe
// adds to it in any order; sorted puts it in path order.
type facts struct {
	mode engine.Mode
	// mappings are the documents that map the transient-state label;
	// stores the global secret stores that may hold them.
	mappings []secretMapping
	stores   []secretStore
	// idStores are the realm documents that may be LDAP identity stores.
	idStores []storeDoc
	// devices holds, per deviceFeatures entry, the documents that show
	// the feature configured.
	devices    [len(deviceFeatures)]deviceUse
	dirConfigs []dirConfig
	properties []fileProperties
	javax      []javaxFile
}

// secretMapping is a document mapping the transient-state label.
type secretMapping struct {
	entity
	aliases []string
	// storeType and storeID name the store in an Amster export
	// (metadata.pathParams).
	storeType, storeID string
}

// secretStore is a global secret store. Only types named *SecretStore*
// are kept: AM's stores that hold mappings all are (KeyStoreSecretStore,
// HsmSecretStore, GoogleSecretManagerSecretStoreProvider, …).
type secretStore struct {
	entity
	file      string
	hasFile   bool
	storeType string
}

// storeDoc is a realm document that may be an LDAP identity store, with
// the indexes of webauthnDeviceProfilesContainer in its user object
// classes.
type storeDoc struct {
	entity
	webauthnAt []int
}

// deviceUse is how many documents show one device feature, and the first
// five by path.
type deviceUse struct {
	n     int
	first []entity
}

// dirConfig is an Amster server's configuration store settings.
type dirConfig struct {
	entity
	bindDN string
}

// fileProperties is the custom server properties of one file, as read.
type fileProperties struct {
	path  string
	props []customProperty
}

// customProperty is a server property of the input that is not one of
// AM's own.
type customProperty struct {
	key, val  string
	perServer bool
	server    string
	// kept: the upgraded file has the key, at pointer.
	kept    bool
	pointer string
}

// javaxFile is the javax references found in one file.
type javaxFile struct {
	path             string
	evidence         []Evidence
	scripts, entries int
}

// found is what one file adds to the facts.
type found struct {
	mapping    *secretMapping
	store      *secretStore
	idStore    *storeDoc
	devices    []int // indexes into deviceFeatures
	dirConfig  *dirConfig
	properties []customProperty
	javax      *javaxFile
}

// gather reads what the checklist needs of one file of the new tree. It
// runs for every file: each check starts with what can be told from the
// identity, or with bytes.Contains, before anything is parsed.
func gather(mode engine.Mode, f *engine.FileResult, e entity) found {
	var got found
	if e.Type != "" && isTransientMapping(mode, e, f.Out) {
		m := &secretMapping{entity: e, aliases: stringsOf(get(f.Out, "aliases"))}
		gjson.GetBytes(f.Out, "metadata.pathParams").ForEach(func(k, v gjson.Result) bool {
			m.storeType, m.storeID = k.String(), v.String()
			return false
		})
		got.mapping = m
	}
	if e.Global && strings.Contains(e.Type, "SecretStore") && !strings.Contains(e.ID, "/mappings/") {
		file := get(f.Out, "file")
		got.store = &secretStore{entity: e, file: file.String(), hasFile: file.Exists(), storeType: get(f.Out, "storetype").String()}
	}
	if isStoreDoc(mode, e) {
		s := &storeDoc{entity: e}
		for i, oc := range get(f.Out, "userconfig", userObjectClass).Array() {
			if oc.String() == "webauthnDeviceProfilesContainer" {
				s.webauthnAt = append(s.webauthnAt, i)
			}
		}
		got.idStore = s
	}
	if e.Type != "" && configured(mode, e) {
		for i, feat := range deviceFeatures {
			if slices.Contains(feat.types, e.Type) {
				got.devices = append(got.devices, i)
			}
		}
	}
	if e.Type == "DirectoryConfiguration" {
		if dn := get(f.Out, "directoryConfiguration", "bindDn"); dn.Exists() {
			got.dirConfig = &dirConfig{entity: e, bindDN: dn.String()}
		}
	}
	if isServerProperties(mode, e) {
		got.properties = customProperties(mode, e, f.In, f.Out)
	}
	got.javax = javaxIn(e, f.Out)
	return got
}

// add records what one file showed. The caller holds the Facts' lock.
func (t *facts) add(e entity, got found) {
	if got.mapping != nil {
		t.mappings = append(t.mappings, *got.mapping)
	}
	if got.store != nil {
		t.stores = append(t.stores, *got.store)
	}
	if got.idStore != nil {
		t.idStores = append(t.idStores, *got.idStore)
	}
	for _, i := range got.devices {
		u := &t.devices[i]
		u.n++
		at, _ := slices.BinarySearchFunc(u.first, e.Path, func(x entity, p string) int { return strings.Compare(x.Path, p) })
		if at < 5 {
			u.first = slices.Insert(u.first, at, e)
			u.first = u.first[:min(len(u.first), 5)]
		}
	}
	if got.dirConfig != nil {
		t.dirConfigs = append(t.dirConfigs, *got.dirConfig)
	}
	if len(got.properties) > 0 {
		t.properties = append(t.properties, fileProperties{path: e.Path, props: got.properties})
	}
	if got.javax != nil {
		t.javax = append(t.javax, *got.javax)
	}
}

// sorted returns a copy of the facts in path order, which the checklist
// reads them in.
func (t *facts) sorted() *facts {
	s := *t
	s.mappings = sortedBy(t.mappings, func(m secretMapping) string { return m.Path })
	s.stores = sortedBy(t.stores, func(m secretStore) string { return m.Path })
	s.idStores = sortedBy(t.idStores, func(m storeDoc) string { return m.Path })
	s.dirConfigs = sortedBy(t.dirConfigs, func(m dirConfig) string { return m.Path })
	s.properties = sortedBy(t.properties, func(m fileProperties) string { return m.path })
	s.javax = sortedBy(t.javax, func(m javaxFile) string { return m.path })
	return &s
}

func sortedBy[T any](s []T, path func(T) string) []T {
	s = slices.Clone(s)
	sort.SliceStable(s, func(i, j int) bool { return path(s[i]) < path(s[j]) })
	return s
}

// needle is a text looked for in the bytes of every file. It is searched
// by anchor, a part of it that starts with a byte rarer in configuration
// files than its first: bytes.Index skips along by the first byte, and
// quotes or an "a" are everywhere.
type needle struct {
	s, anchor []byte
	off       int // where anchor starts in s
}

var (
	transientNeedle = newNeedle(transientLabel, "hn.trees.")
	scriptNeedle    = newNeedle(`"script"`, `script"`)
)

func newNeedle(s, anchor string) needle {
	return needle{s: []byte(s), anchor: []byte(anchor), off: strings.Index(s, anchor)}
}

// index returns where the needle first is in data, or -1.
func (n needle) index(data []byte) int {
	for from := 0; ; {
		i := bytes.Index(data[from:], n.anchor)
		if i < 0 {
			return -1
		}
		if at := from + i - n.off; at >= 0 && bytes.HasPrefix(data[at:], n.s) {
			return at
		}
		from += i + 1
	}
}

func (n needle) in(data []byte) bool { return n.index(data) >= 0 }

// get reads data/<segs…> of a document.
func get(data []byte, segs ...string) gjson.Result {
	path := "data"
	for _, s := range segs {
		path += "." + gjson.Escape(s)
	}
	return gjson.GetBytes(data, path)
}
