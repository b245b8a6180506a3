package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
)

const trackingType = "ConfigurationVersionService"

// loadTracking finds the ConfigurationVersionService and reads which rules
// were applied and the configuration version. A tree without it is refused,
// unless --from (or, for Amster, the export's amsterVersion) says where it
// comes from, in which case the service is created; or unless
// --ignoreNoRuleTracking.
//
// The tracking document is read first, from its path; only when it is not
// there are all the files read to look for it elsewhere.
func (r *Run) loadTracking(ctx context.Context, res *Result) error {
	d := r.tree.find(r.tree.Layout.TrackingPath())
	if d != nil {
		if err := r.tree.load(d); err != nil {
			return err
		}
	}
	if d == nil || d.Entity == nil || d.Entity.Type != trackingType {
		d = nil
		if err := r.tree.loadAll(ctx, r.opts.Jobs); err != nil {
			return err
		}
		for _, doc := range r.tree.Docs {
			if doc.Entity != nil && doc.Entity.Type == trackingType && doc.Entity.Global {
				d = doc
				break
			}
		}
	}
	if d == nil {
		return r.missingTracking(res)
	}
	data, err := d.data()
	if err != nil {
		return err
	}
	if data == nil {
		return &Error{Code: CodeInput, File: d.Path, Msg: "the ConfigurationVersionService has no data object; restore the file from the AM export"}
	}
	r.tracking = d
	if ids := data.Get("appliedRuleIds"); ids != nil && ids.Kind == amjson.Array {
		for _, it := range ids.Items {
			r.applied = append(r.applied, it.Text)
		}
	}
	if cv := data.Get("configurationVersion"); cv != nil && cv.Kind == amjson.String && cv.Text != "" {
		v, err := ParseVersion(cv.Text)
		if err != nil {
			return &Error{Code: CodeInput, File: d.Path, Pointer: "/data/configurationVersion", Msg: err.Error()}
		}
		r.startVersion = v
	}
	return nil
}

func (r *Run) missingTracking(res *Result) error {
	where := r.tree.Layout.TrackingPath()
	if r.opts.IgnoreNoRuleTracking {
		r.notice(Notice{Code: NoticeTracking, File: where, Message: "no ConfigurationVersionService: version tracking ignored as asked (--ignoreNoRuleTracking); rules may apply again on a later run"})
		return nil
	}
	from, source := r.opts.From, cmp.Or(r.opts.FromSource, "--from")
	if from == "" && r.tree.Layout.Mode == Amster {
		from, source = r.tree.AmsterVersion(), "the export's amsterVersion"
	}
	if from == "" {
		return &Error{Code: CodeInput, File: where, Msg: "missing: the tree has no ConfigurationVersionService, so amupgrade cannot tell which rules were already applied, " +
			"and nothing else in it records the AM version it comes from (metadata.amsterVersion of the files, com.iplanet.am.version of the server defaults in " +
			r.tree.Layout.serverDefaultsPath() + "). Give --from VERSION (the AM version this configuration comes from) to create it, or --ignoreNoRuleTracking to run every rule without tracking"}
	}
	if _, err := ParseVersion(from); err != nil {
		return &Error{Code: CodeInput, Msg: fmt.Sprintf("%s: %v", source, err)}
	}
	cv := r.configVersionFor(from)
	if cv != "" {
		v, err := ParseVersion(cv)
		if err != nil {
			return &Error{Code: CodeRule, Msg: fmt.Sprintf("the rules map AM %s to the configuration version %q: %v; correct the versions table of the rule file", from, cv, err)}
		}
		r.startVersion = v
	}
	d, err := r.newTrackingDoc(cv)
	if err != nil {
		return err
	}
	r.tracking = d
	r.tree.Docs = append(r.tree.Docs, d)
	sort.Slice(r.tree.Docs, func(i, j int) bool { return r.tree.Docs[i].Path < r.tree.Docs[j].Path })
	r.notice(Notice{Code: NoticeTracking, File: d.Path, Message: fmt.Sprintf("no ConfigurationVersionService: created for AM %s (from %s)", from, source)})
	return nil
}

// configVersionFor maps an AM release to the configurationVersion it writes,
// by the chain's table: the exact release, else its release line.
func (r *Run) configVersionFor(am string) string {
	if cv, ok := r.chain.ConfigVersions[am]; ok {
		return cv
	}
	v, _ := ParseVersion(am)
	best, bestV := "", Version(nil)
	for k, cv := range r.chain.ConfigVersions {
		kv, err := ParseVersion(k)
		if err != nil || v.Less(kv) {
			continue
		}
		if bestV == nil || bestV.Less(kv) {
			best, bestV = cv, kv
		}
	}
	return best
}

func (r *Run) newTrackingDoc(configVersion string) (*Document, error) {
	e := Entity{Type: trackingType, Global: true, ID: "default"}
	if r.tree.Layout.Mode == Amster {
		e.ID = trackingType
	}
	data := amjson.NewObject()
	data.Set("_id", amjson.NewString(map[Mode]string{FBC: "default", Amster: ""}[r.tree.Layout.Mode]))
	typ := amjson.NewObject()
	typ.Set("_id", amjson.NewString(trackingType))
	typ.Set("name", amjson.NewString(map[Mode]string{FBC: trackingType, Amster: "Configuration Version Service"}[r.tree.Layout.Mode]))
	typ.Set("collection", amjson.NewBool(false))
	data.Set("_type", typ)
	data.Set("appliedRuleIds", amjson.NewArray())
	if configVersion != "" {
		data.Set("configurationVersion", amjson.NewString(configVersion))
	}
	extra := amjson.NewObject()
	if r.tree.Layout.Mode == FBC {
		extra.Set("objectClass", amjson.NewArray(amjson.NewString("organizationalunit"), amjson.NewString("sunServiceComponent"), amjson.NewString("top")))
		extra.Set("ou", amjson.NewArray(amjson.NewString("default")))
	}
	return r.newDocument(&Create{Entity: e, File: strings.TrimPrefix(r.tree.Layout.TrackingPath(), r.tree.Layout.Prefix), Metadata: extra, Data: data})
}

// updateTracking records the tracked rules that ran and the version reached.
func (r *Run) updateTracking(res *Result) error {
	if r.tracking == nil {
		return nil
	}
	data, err := r.tracking.data()
	if err != nil || data == nil {
		return err
	}
	rec := func(ptr amjson.Pointer, old, new *amjson.Value) {
		r.tracking.touch()
		op := "set"
		if old == nil {
			op = "add-to-set"
		}
		res.Events = append(res.Events, Event{RuleID: TrackingRuleID, File: r.tracking.Path, Type: trackingType, Pointer: ptr.String(), Op: op, Old: old, New: new})
	}
	if ids := data.Get("appliedRuleIds"); ids != nil && IsPlaceholder(ids) && len(res.Recorded) > 0 {
		// AM resolves the list at start-up; amupgrade cannot add to it.
		r.notice(Notice{Code: NoticeKeptPlaceholder, File: r.tracking.Path, Pointer: "/data/appliedRuleIds", Message: fmt.Sprintf(
			"holds a placeholder (%s): kept, so the %d rules applied now are not recorded and would apply again; write the list out to track them",
			BriefValue(ids), len(res.Recorded))})
		res.Recorded = nil
	}
	if len(res.Recorded) > 0 {
		ids := data.Get("appliedRuleIds")
		if ids == nil || ids.Kind != amjson.Array {
			ids = amjson.NewArray()
			data.Set("appliedRuleIds", ids)
		}
		added := amjson.NewArray()
		for _, id := range res.Recorded {
			ids.Items = append(ids.Items, amjson.NewString(id))
			added.Items = append(added.Items, amjson.NewString(id))
		}
		rec(amjson.Pointer{"data", "appliedRuleIds"}, nil, added)
	}
	if r.endVersion != nil && r.versionText(r.endVersion) != r.versionText(r.startVersion) {
		old := data.Get("configurationVersion")
		v := amjson.NewString(r.endVersion.String())
		data.Set("configurationVersion", v)
		rec(amjson.Pointer{"data", "configurationVersion"}, old, v)
	}
	return nil
}

// anyMatch reports whether some document of the tree is selected.
func (r *Run) anyMatch(s *Selector) bool {
	for _, d := range r.tree.Docs {
		if s.Match(d.inputEntity()) {
			return true
		}
	}
	return false
}

func describeMatcher(m *Matcher) string {
	if m == nil {
		return "entity"
	}
	if m.Is != nil {
		return *m.Is
	}
	if m.In != nil {
		return strings.Join(m.In, " or ")
	}
	return "entity"
}

// newDocument builds a new entity's document, its metadata in the order the
// layout's writer uses.
func (r *Run) newDocument(c *Create) (*Document, error) {
	e := c.Entity
	if c.Whole != nil {
		return r.placeDocument(c, c.Whole.Clone())
	}
	md := amjson.NewObject()
	if e.Global {
		md.Set("realm", amjson.NewNull())
	} else {
		md.Set("realm", amjson.NewString(e.Realm))
	}
	if r.tree.Layout.Mode == Amster {
		av := r.opts.AmsterVersion
		if av == "" {
			av = r.tree.AmsterVersion()
		}
		if av != "" {
			md.Set("amsterVersion", amjson.NewString(av))
		}
	}
	md.Set("entityType", amjson.NewString(e.Type))
	md.Set("entityId", amjson.NewString(e.ID))
	if r.tree.Layout.Mode == FBC {
		md.Set("uid", amjson.NewString(r.uid(e)))
		md.Set("sunServiceID", amjson.NewNull())
		md.Set("objectClass", amjson.NewArray(amjson.NewString("sunServiceComponent"), amjson.NewString("top")))
	}
	pp := amjson.NewObject()
	for _, k := range sortedKeys(e.PathParams) {
		pp.Set(k, amjson.NewString(e.PathParams[k]))
	}
	md.Set("pathParams", pp)
	if r.tree.Layout.Mode == FBC {
		segs := idSegments(e.ID)
		md.Set("ou", amjson.NewArray(amjson.NewString(segs[len(segs)-1])))
	}
	if c.Metadata != nil {
		for _, m := range c.Metadata.Members {
			md.Set(m.Key, m.Value.Clone())
		}
	}
	root := amjson.NewObject()
	root.Set("metadata", md)
	data := amjson.NewObject()
	if c.Data != nil {
		data = c.Data.Clone()
	}
	root.Set("data", data)
	return r.placeDocument(c, root)
}

// placeDocument makes the document of a new entity, at c.File or where the
// layout puts it.
func (r *Run) placeDocument(c *Create, root *amjson.Value) (*Document, error) {
	e := c.Entity
	p := c.File
	if p == "" {
		p = r.tree.Layout.EntityPath(&e)
	} else {
		p = r.tree.Layout.Prefix + p
	}
	if err := checkRelPath(p); err != nil {
		return nil, err
	}
	ent := entityFromValue(root)
	return &Document{Path: p, Mode: 0o644, JSON: true, Entity: ent, root: root, Created: true, Changed: true}, nil
}

// uid builds the LDAP DN AM gives an FBC entity.
func (r *Run) uid(e Entity) string {
	segs := idSegments(e.ID)
	var parts []string
	for i := len(segs) - 1; i >= 0; i-- {
		parts = append(parts, "ou="+segs[i])
	}
	if e.Global {
		parts = append(parts, "ou=GlobalConfig")
	} else {
		parts = append(parts, "ou=OrganizationConfig")
	}
	parts = append(parts, "ou=1.0", "ou="+e.Type, "ou=services")
	if !e.Global && e.Realm != "/" && e.Realm != "" {
		realms := strings.Split(strings.Trim(e.Realm, "/"), "/")
		for i := len(realms) - 1; i >= 0; i-- {
			parts = append(parts, "o="+realms[i])
		}
		parts = append(parts, "ou=services")
	}
	return strings.Join(append(parts, r.opts.BaseDN), ",")
}

// stamp writes -a into a file's metadata.amsterVersion, as the vendor tool
// does in every file it writes, FBC files included: in place where the key
// is there, as the last key of metadata where it is not. A placeholder or
// build token there (&{version}, @amsterVersion@) is kept unless
// Options.ReplaceVersionPlaceholders, and counted for a notice.
func (r *Run) stamp(d *Document) error {
	if r.opts.AmsterVersion == "" || d.Deleted || d.Entity == nil || d.Entity.AmsterVersion == r.opts.AmsterVersion {
		return nil
	}
	root, err := d.parsed()
	if err != nil {
		return err
	}
	md := root.Get("metadata")
	cur := md.Get("amsterVersion")
	if cur != nil && cur.Kind == amjson.String && cur.Text == r.opts.AmsterVersion {
		return nil
	}
	if cur != nil && cur.Kind == amjson.String && isVersionToken(cur.Text) && !r.opts.ReplaceVersionPlaceholders {
		r.mu.Lock()
		r.keptVersionTokens++
		if r.keptVersionToken == "" {
			r.keptVersionToken = cur.Text
		}
		r.mu.Unlock()
		return nil
	}
	d.touch()
	md.Set("amsterVersion", amjson.NewString(r.opts.AmsterVersion))
	if r.chain.Mode == Amster {
		metadataFirst(root)
	}
	e := *d.Entity
	e.AmsterVersion = r.opts.AmsterVersion
	d.Entity = &e
	return nil
}

// metadataFirst puts metadata before data, as the vendor tool's Amster
// writer does with every file it writes (a hand-edited FBC file may have
// them the other way round).
func metadataFirst(root *amjson.Value) {
	md, ok := root.Lookup("metadata")
	data, ok2 := root.Lookup("data")
	if !ok || !ok2 || md < data {
		return
	}
	m := root.Members[md]
	root.Members = slices.Delete(root.Members, md, md+1)
	root.Members = slices.Insert(root.Members, data, m)
}

// isVersionToken reports a metadata.amsterVersion that a deployment fills
// in: a property placeholder (&{version}) or a build token (@version@,
// ${project.version}).
func isVersionToken(s string) bool {
	return strings.Contains(s, "&{") || strings.Contains(s, "${") || len(s) > 1 && s[0] == '@' && s[len(s)-1] == '@'
}

// checkRelPath refuses a path that would leave the tree.
func checkRelPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("bad file path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("bad file path %q: it must stay inside the tree", p)
		}
	}
	return nil
}
