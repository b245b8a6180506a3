package report

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/tidwall/gjson"
)

// Collector gathers, while the upgrade streams, what the report and the
// checklist need. Safe for concurrent use.
//
// The upgrade hands it every file once and then drops the file's bytes, so
// Observe keeps only what a report can still ask about: the entity type of
// each file (the service of a change), the paths that differ, the masked
// diffs of those when asked for, and the few values each checklist item
// reads (evidence found in any file is worked out as the file goes by). It
// keeps no file's bytes, and nothing of a file that no rule changed beyond
// its path and type.
type Collector struct {
	mode  engine.Mode
	diffs bool
	mk    Masker

	mu sync.Mutex
	// types is the entity type of every file of the new tree that has one
	// and differs from the input;
	// goneTypes that of every deleted file (a renamed file's old path
	// included). A path is in the new tree or deleted, except where a rule
	// creates an entity at a deleted one's path: the new one counts.
	types, goneTypes map[string]string
	newDiffs         []FileDiff
	goneDiffs        []FileDiff
	facts            facts
}

// FileDiff is the unified diff of one file that differs, masked. Status is
// changed, created (a renamed file's new path too, diffed from /dev/null)
// or deleted (a renamed file's old path too, diffed to /dev/null).
type FileDiff struct {
	Path   string
	Status string
	Diff   string
}

// NewCollector makes a collector for a tree of the given mode. With diffs
// set it keeps the masked diff of every file that differs (for --diff and
// the HTML report); mk masks them. Without, it keeps only what the
// checklist and the JSON report need.
func NewCollector(mode engine.Mode, diffs bool, mk Masker) *Collector {
	return &Collector{mode: mode, diffs: diffs, mk: mk, types: map[string]string{}, goneTypes: map[string]string{},
		facts: facts{mode: mode, amsterVersions: map[string]int{}}}
}

// Observe takes one file of the new tree (or a deleted one). It copies only
// what it keeps.
func (c *Collector) Observe(f *engine.FileResult) {
	// All that reads the bytes runs before the lock is taken.
	if f.Deleted {
		typ := entityType(f.In)
		var gone []FileDiff
		if c.diffs {
			gone = append(gone, c.gone(f.Path, f.In))
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if typ != "" {
			c.goneTypes[f.Path] = typ
		}
		c.goneDiffs = append(c.goneDiffs, gone...)
		return
	}
	e := identify(f)
	got := gather(c.mode, f, e)
	var diff, gone []FileDiff
	if c.diffs && !f.Unchanged {
		old, oldName, status := f.In, "a/"+f.Path, "changed"
		if f.Created || f.From != "" {
			// A new file, or a renamed one's new name, whose old name
			// is diffed to /dev/null below.
			old, oldName, status = nil, "/dev/null", "created"
		}
		diff = append(diff, FileDiff{Path: f.Path, Status: status, Diff: c.mk.Text(string(unifiedDiff(oldName, old, "b/"+f.Path, f.Out)))})
	}
	fromType := ""
	if f.From != "" {
		fromType = entityType(f.In)
		if c.diffs {
			gone = append(gone, c.gone(f.From, f.In))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Changes carry their file's type; only the files the report lists
	// need theirs kept.
	if e.Type != "" && !f.Unchanged {
		c.types[f.Path] = e.Type
	}
	if fromType != "" {
		c.goneTypes[f.From] = fromType
	}
	c.newDiffs = append(c.newDiffs, diff...)
	c.goneDiffs = append(c.goneDiffs, gone...)
	c.facts.add(e, got)
}

// gone is the diff of a file that is no longer there.
func (c *Collector) gone(p string, in []byte) FileDiff {
	return FileDiff{Path: p, Status: "deleted", Diff: c.mk.Text(string(unifiedDiff("a/"+p, in, "/dev/null", nil)))}
}

// Diffs returns the masked unified diffs (none unless the collector was
// made with diffs): changed and created files by path, then deleted files
// by path, the order --diff prints them in.
func (c *Collector) Diffs() []FileDiff {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.newDiffs)+len(c.goneDiffs) == 0 {
		return nil
	}
	byPath := func(a, b FileDiff) int { return strings.Compare(a.Path, b.Path) }
	d := slices.SortedStableFunc(slices.Values(c.newDiffs), byPath)
	return append(d, slices.SortedStableFunc(slices.Values(c.goneDiffs), byPath)...)
}

// service is the entity type of the file at p, in the new tree or deleted
// ("" when it has none).
func (c *Collector) service(p string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.types[p]; ok {
		return t
	}
	return c.goneTypes[p]
}

// sortedFacts returns what the checklist reads, in path order.
func (c *Collector) sortedFacts() *facts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.facts.sorted()
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
	metadataKey      = []byte(`"metadata"`)
	amsterVersionKey = []byte("amsterVersion")
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

// entityType is metadata.entityType of a file's bytes ("" when none).
func entityType(raw []byte) string {
	if !bytes.Contains(raw, metadataKey) {
		return ""
	}
	return gjson.GetBytes(raw, "metadata.entityType").String()
}

// facts is what the checklist reads of the upgraded tree: the few documents
// each item looks at, reduced to the values it reads, and the evidence of
// the items that look into every file, found file by file. Observe adds to
// it in any order; sorted puts it in path order.
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
	// amsterVersions counts the amsterVersion of the files as read
	// (Amster); serverVersion is the release the server defaults name
	// (FBC), found in serverVersionPath.
	amsterVersions                   map[string]int
	serverVersion, serverVersionPath string
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
	mapping       *secretMapping
	store         *secretStore
	idStore       *storeDoc
	devices       []int // indexes into deviceFeatures
	dirConfig     *dirConfig
	properties    []customProperty
	javax         *javaxFile
	amsterVersion string
	serverVersion string
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
	switch {
	case !f.JSON:
	case mode == engine.Amster:
		if bytes.Contains(f.In, amsterVersionKey) {
			got.amsterVersion = gjson.GetBytes(f.In, "metadata.amsterVersion").String()
		}
	case e.Type == "iPlanetAMPlatformService" && e.ID == "default/com-sun-identity-servers/server-default":
		got.serverVersion = serverVersion(f.In)
	}
	return got
}

// add records what one file showed. The caller holds the collector's lock.
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
	if v := got.amsterVersion; v != "" && !strings.HasPrefix(v, "&{") {
		t.amsterVersions[v]++
	}
	if got.serverVersion != "" && (t.serverVersionPath == "" || e.Path < t.serverVersionPath) {
		t.serverVersion, t.serverVersionPath = got.serverVersion, e.Path
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
