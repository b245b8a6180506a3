package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amupgrade/amupgrade/amjson"
)

// Options are the settings of one upgrade run.
type Options struct {
	Jobs int // parallel workers; < 1 means one per CPU
	// From is the AM version the tree comes from, for trees without version
	// tracking (--from, or what the tree records); FromSource says where it
	// was found, for the notice that the service was created.
	From, FromSource string
	// ReplaceVersionPlaceholders makes AmsterVersion replace a placeholder
	// or build token in metadata.amsterVersion too.
	ReplaceVersionPlaceholders bool
	// IgnoreNoRuleTracking runs without the ConfigurationVersionService:
	// nothing is recorded and every version gate is open.
	IgnoreNoRuleTracking bool
	// AmsterVersion, when set, is stamped into metadata.amsterVersion of
	// every file with metadata (-a), as the vendor tool does.
	AmsterVersion string
	// IgnoreRequiredSecretMapping turns a required entity that cannot be
	// created (its secret store is missing) into a warning.
	IgnoreRequiredSecretMapping bool
	// BaseDN is the configuration base DN used in the uid of new FBC
	// entities (--baseDn); default ou=am-config.
	BaseDN string
	// Reference is the folder of a configuration of the target release (an
	// FBC tree or an Amster export): creates that need what AM bundles
	// (global script bodies, default service files) take it from there
	// (--reference).
	Reference string
	// Seed salts the hashes securify-string writes (--seed). Without it the
	// salt comes from the file and the attribute alone; either way the
	// output depends on the input only.
	Seed string
	// FetchWellKnown lets transforms read documents over the network
	// through TransformContext.Fetch (--fetch-well-known: the providers'
	// discovery documents of configure-oidc-issuer-from-well-known);
	// FetchTimeout bounds each request (default 10 seconds), and HTTPClient,
	// when set, makes them (tests).
	FetchWellKnown bool
	FetchTimeout   time.Duration
	HTTPClient     *http.Client
}

// Event is one change made by a rule.
type Event struct {
	RuleID string
	Step   string
	File   string
	// Type is the file's entity type (its service), so that what reports a
	// change need not keep the identity of every file.
	Type    string
	Pointer string // JSON Pointer from the document root ("" for the whole file)
	Op      string
	Old     *amjson.Value
	New     *amjson.Value
}

// Result is what an upgrade did, before anything is written.
type Result struct {
	Tree   *Tree
	Chain  *Chain
	Events []Event
	// Recorded lists the tracked rule ids appended to appliedRuleIds;
	// Skipped those not run because they were already recorded.
	Recorded, Skipped []string
	// Unmatched lists the rules that applied to no document.
	Unmatched []*Rule
	// Notices are what the run tells besides its changes: vendor changes
	// it did not make, placeholders it kept, files it passed over. Sorted.
	Notices []Notice
	// StartVersion and EndVersion are the tracked configurationVersion
	// before and after ("" when unknown).
	StartVersion, EndVersion string
	Created, Deleted         []string
	// DeletedRaw holds the input bytes of the deleted files, for diffs
	// (Apply only: Upgrade hands them to its Sink instead).
	DeletedRaw map[string][]byte
	// Changed lists, sorted, the files of the new tree whose bytes differ
	// from the input (created ones included); Differ counts them plus the
	// deleted files. Reprinted lists those of Changed that differ only
	// because they were printed in AM's layout (no rule changed them).
	// Upgrade sets them, or Render after Apply.
	Changed   []string
	Reprinted []string
	Differ    int
}

// rulePlan is what is known of a rule before any document is touched.
type rulePlan struct {
	enabled bool
	version Version // the configurationVersion the rule sees
}

// Run holds the state of one Apply.
type Run struct {
	tree  *Tree
	chain *Chain
	opts  Options
	plan  []rulePlan

	tracking     *Document
	applied      []string
	startVersion Version
	endVersion   Version

	ctx     context.Context
	mu      sync.Mutex
	matched []bool
	// selected: a rule's selector matched a document, whether or not its version gate or
	// condition then let it change it.
	selected       []atomic.Bool
	notices        []Notice
	manualSeen     map[manualKey]bool
	createdAt      map[*Document]int // first rule a created document sees
	treeTransforms []treeTransform
	pending        []pendingCreate     // creates asked for by transforms, by rule
	secrets        []pendingCreate     // secret mappings waiting for create-secret-stores
	exists         map[string]bool     // identities as read, and as created after the pass
	ref            *Reference          // --reference
	fetched        map[string]*fetched // Fetch, by URL
	// keptVersionTokens counts the files whose amsterVersion placeholder -a
	// kept; keptVersionToken is one of them.
	keptVersionTokens int
	keptVersionToken  string
	// crossLayout: Amster rules on an FBC tree, as the vendor tool runs them.
	crossLayout bool
	// cache holds the paths and regular expressions the expressions name.
	cache runCache

	sink   Sink // nil for Apply
	render RenderOptions
}

// treeTransform is a whole-tree transform of an enabled rule, run once
// every identity is known.
type treeTransform struct {
	idx int // the rule's index
	op  *TransformOp
}

// Apply runs the chain over the tree. It changes the documents in memory
// only; nothing is written, and Render prints them. All documents are
// processed in parallel, each through the rules in order; the outcome does
// not depend on the number of workers.
func Apply(ctx context.Context, tree *Tree, chain *Chain, opts Options) (*Result, error) {
	return run(ctx, tree, chain, opts, RenderOptions{}, nil)
}

// Upgrade runs the chain over the tree and hands every file of the new tree
// (and every deleted file) to sink as soon as it is done, then forgets it:
// only identities and events are kept, so a tree from ScanTree is read,
// upgraded, printed and handed over file by file, in bounded memory.
//
// What must be known before the first file is the version tracking, read
// first from its path. Entities of create rules are decided after the pass,
// from the identities of the files as read, and then go through the rules
// after their own; the tracking document is updated and handed over last.
// The Result lists what Apply and Render would; an error (of any file, or
// two files with one path) means the files handed over must be thrown away.
func Upgrade(ctx context.Context, tree *Tree, chain *Chain, opts Options, ro RenderOptions, sink Sink) (*Result, error) {
	if sink == nil {
		return nil, errors.New("engine.Upgrade: nil sink")
	}
	return run(ctx, tree, chain, opts, ro, sink)
}

// run is Apply (sink nil: documents stay in memory, unprinted) and Upgrade.
func run(ctx context.Context, tree *Tree, chain *Chain, opts Options, ro RenderOptions, sink Sink) (*Result, error) {
	cross := chain.Mode == Amster && tree.Layout.Mode == FBC
	if chain.Mode != tree.Layout.Mode && !cross {
		return nil, modeError(tree, chain)
	}
	if opts.BaseDN == "" {
		opts.BaseDN = "ou=am-config"
	}
	r := &Run{tree: tree, chain: chain, opts: opts, ctx: ctx, matched: make([]bool, len(chain.Rules)), selected: make([]atomic.Bool, len(chain.Rules)),
		manualSeen: map[manualKey]bool{}, createdAt: map[*Document]int{}, sink: sink, render: ro, crossLayout: cross}
	res := &Result{Tree: tree, Chain: chain, DeletedRaw: map[string][]byte{}}
	if err := r.readReference(); err != nil {
		return nil, err
	}
	if err := r.loadTracking(ctx, res); err != nil {
		return nil, err
	}
	r.planRules(res)

	docs := slices.Clone(tree.Docs)
	errs := make([]error, len(docs))
	forEach(ctx, len(docs), opts.Jobs, func(i int) {
		errs[i] = r.process(docs[i], 0)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tree.noteLoadWarnings()
	var all Errors
	if err := gather(errs, func(i int) string { return docs[i].Path }); err != nil {
		all = err.(Errors)
	}
	if err := r.postPass(res); err != nil {
		var es Errors
		if errors.As(err, &es) {
			all = append(all, es...)
		} else {
			all = append(all, asError(err, ""))
		}
	}
	if len(all) > 0 {
		return nil, r.failed(all)
	}
	for _, d := range tree.Docs {
		res.Events = append(res.Events, d.events...)
		d.events = nil
	}
	if err := r.updateTracking(res); err != nil {
		return nil, err
	}
	if d := r.tracking; d != nil {
		if err := r.stamp(d); err != nil {
			return nil, err
		}
		if err := r.emit(d); err != nil {
			return nil, r.failed(Errors{asError(err, d.Path)})
		}
	}
	r.finish(res)
	if sink != nil {
		if err := checkCollisions(tree.Docs, res.Events); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// process runs the rules from rule index start over one document (reading
// it first if need be) and, in an Upgrade, prints it and hands it over. The
// tracking document waits for the end of the run.
func (r *Run) process(d *Document, start int) error {
	if err := r.tree.load(d); err != nil {
		return err
	}
	if d.input == nil && !d.Created {
		d.input = d.Entity // a Tree built in memory
	}
	if d.Entity != nil {
		events, err := r.applyDoc(d, start)
		d.events = append(d.events, events...)
		if err != nil {
			return err
		}
	}
	if d == r.tracking {
		return nil
	}
	if err := r.stamp(d); err != nil {
		return err
	}
	return r.emit(d)
}

// emit prints a finished document, hands it to the sink and forgets its
// bytes. Without a sink (Apply) the document stays as it is for Render.
func (r *Run) emit(d *Document) error {
	if r.sink == nil {
		return nil
	}
	f := &FileResult{Path: d.Path, From: d.renamedFrom, In: d.Raw, Mode: d.Mode, Link: d.Link, JSON: d.JSON,
		Entity: d.Entity, Created: d.Created, Deleted: d.Deleted}
	if d.Deleted {
		if d.Created {
			return nil
		}
		f.Path, f.From = d.inputPath(), ""
	} else {
		buf := renderBuffers.Get().(*[]byte)
		defer func() {
			// A buffer grown by one huge file is not worth keeping.
			if cap(*buf) <= 1<<20 {
				renderBuffers.Put(buf)
			}
		}()
		out, printed, err := renderDoc((*buf)[:0], d, amjson.PrintOptions{PrettyArrays: r.render.PrettyArrays}, r.render.KeepFormat)
		if err != nil {
			return err
		}
		if printed && cap(out) > cap(*buf) {
			*buf = out[:0]
		}
		f.Out = out
		f.Unchanged = !d.Created && d.renamedFrom == "" && bytes.Equal(out, d.Raw)
		f.Reprinted = !f.Unchanged && !d.Changed && !d.Created && d.renamedFrom == ""
		d.differs = !f.Unchanged
		d.reprinted = f.Reprinted
	}
	err := r.sink(f)
	// Only the identity and the changes stay; the changes' values are
	// copied out of the document's memory, which goes with it.
	d.Raw, d.root, d.original = nil, nil, nil
	for i := range d.events {
		d.events[i].Old, d.events[i].New = d.events[i].Old.Clone(), d.events[i].New.Clone()
	}
	return err
}

// renderBuffers hold printed files while a sink looks at them: FileResult.Out
// is only valid during the call.
var renderBuffers = sync.Pool{New: func() any { return new([]byte) }}

// failed reports the errors of a run; when some come from two documents
// written to one path, the explanation of that replaces them.
func (r *Run) failed(all Errors) error {
	if r.sink != nil {
		var dup bool
		for _, e := range all {
			dup = dup || errors.Is(e, fs.ErrExist)
		}
		if dup {
			docs := slices.Clone(r.tree.Docs)
			var events []Event
			for _, d := range docs {
				events = append(events, d.events...)
			}
			sort.SliceStable(docs, func(i, j int) bool { return docs[i].Path < docs[j].Path })
			if err := checkCollisions(liveDocs(docs), events); err != nil {
				return err
			}
		}
		return all.Err()
	}
	return withMalformed(r.tree.Docs, all)
}

func liveDocs(docs []*Document) []*Document {
	var live []*Document
	for _, d := range docs {
		if !d.Deleted {
			live = append(live, d)
		}
	}
	return live
}

// withMalformed adds to the errors of a run that stops early every
// malformed file no rule read, so that one run reports them all, in path
// order; errors about no file come last.
func withMalformed(docs []*Document, known Errors) error {
	byFile := map[string][]*Error{}
	for _, e := range known {
		byFile[e.File] = append(byFile[e.File], e)
	}
	var all Errors
	for _, d := range docs {
		if es, ok := byFile[d.Path]; ok {
			all = append(all, es...)
			delete(byFile, d.Path)
			continue
		}
		if d.JSON && d.root == nil && d.Link == "" && !d.pending {
			if _, err := amjson.Reformat(nil, d.Raw, amjson.PrintOptions{}); err != nil {
				all = append(all, d.syntaxError(err).(*Error))
			}
		}
	}
	for _, e := range known {
		if _, ok := byFile[e.File]; ok {
			all = append(all, e)
		}
	}
	return all.Err()
}

func asError(err error, file string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeApply, File: file, Err: err}
}

func modeError(tree *Tree, chain *Chain) error {
	if tree.Layout.Mode == FBC {
		return &Error{Code: CodeInput, Msg: fmt.Sprintf("%s is a file-based configuration but the rules are for Amster exports; use --fileBasedMode with FBC rules (fbc/latest)", tree.Root)}
	}
	return &Error{Code: CodeInput, Msg: fmt.Sprintf("%s is an Amster export but the rules are for file-based configuration; leave out --fileBasedMode and use Amster rules (for example amster/7.5.x-to-8.1.x), or --to VERSION", tree.Root)}
}

// planRules decides, before any document is touched, which rules run and
// which configuration version each sees: tracking and set-version do not
// depend on document contents, so every document can then be processed on
// its own.
func (r *Run) planRules(res *Result) {
	r.plan = make([]rulePlan, len(r.chain.Rules))
	// A rule is skipped when the tree records its id as applied by an
	// earlier run. Steps of one run may share a ticket id for different
	// changes (the vendor's early steps recorded nothing, so each ran):
	// each runs, and the id is recorded once.
	applied, recorded := map[string]bool{}, map[string]bool{}
	for _, id := range r.applied {
		applied[id] = true
	}
	v := r.startVersion
	for i, rule := range r.chain.Rules {
		if rule.Tracked && r.tracking != nil && applied[rule.ID] {
			if !slices.Contains(res.Skipped, rule.ID) {
				res.Skipped = append(res.Skipped, rule.ID)
			}
			continue
		}
		r.plan[i] = rulePlan{enabled: true, version: v}
		if rule.Tracked && r.tracking != nil && !recorded[rule.ID] {
			recorded[rule.ID] = true
			res.Recorded = append(res.Recorded, rule.ID)
		}
		if rule.SetVersion != nil {
			// The version only moves forward: a tree already past this point
			// of the cumulative rules keeps its newer version.
			if v == nil || v.Less(rule.SetVersion) {
				v = rule.SetVersion
			}
			r.matched[i] = true
		}
		for _, p := range rule.Parts {
			if p.Select == nil {
				// A part without a selector holds whole-tree transforms.
				r.matched[i] = true
				for _, op := range p.Ops {
					if t, ok := op.(*TransformOp); ok && t.T.Tree {
						r.treeTransforms = append(r.treeTransforms, treeTransform{i, t})
					}
				}
			}
		}
	}
	r.endVersion = v
}

// applyDoc runs the enabled rules, from rule index start, over one document.
func (r *Run) applyDoc(d *Document, start int) ([]Event, error) {
	var events []Event
	for i := start; i < len(r.chain.Rules); i++ {
		if !r.plan[i].enabled {
			continue
		}
		rule := r.chain.Rules[i]
		for _, part := range rule.Parts {
			if part.Select == nil || !part.Select.Match(d.Entity) {
				continue
			}
			if !r.selected[i].Load() {
				r.selected[i].Store(true)
			}
			if !gateOpen(part.VersionBefore, r.plan[i].version) {
				continue
			}
			data, err := d.data()
			if err != nil {
				return events, err
			}
			if data == nil {
				continue
			}
			c := &opContext{run: r, doc: d, rule: rule, ruleIdx: i, part: part, data: data, version: r.plan[i].version, events: &events}
			c.scope = data.At(part.Within)
			if c.scope == nil && part.CreateWithin {
				c.scope = r.createSection(c, part.Within)
			}
			if c.scope == nil || c.scope.Kind != amjson.Object {
				continue
			}
			c.scopePtr = part.Within
			if part.When != nil {
				ok, err := c.evalBool(part.When, nil)
				if err != nil {
					return events, err
				}
				if !ok {
					continue
				}
			}
			r.markMatched(i)
			for _, op := range part.Ops {
				if err := op.apply(c); err != nil {
					return events, err
				}
				if d.Deleted {
					return events, nil
				}
			}
		}
	}
	return events, nil
}

// createSection makes the missing objects of a section path.
func (r *Run) createSection(c *opContext, within amjson.Pointer) *amjson.Value {
	cur := c.data
	for i, seg := range within {
		next := cur.Get(seg)
		if next == nil {
			next = amjson.NewObject()
			c.doc.touch()
			cur.Set(seg, next)
			c.record("add", append(amjson.Pointer{"data"}, within[:i+1]...), nil, next)
		}
		if next.Kind != amjson.Object {
			return nil
		}
		cur = next
	}
	return cur
}

func (r *Run) markMatched(i int) {
	r.mu.Lock()
	r.matched[i] = true
	r.mu.Unlock()
}

// manualKey is one vendor change not made: a rule's transform, in a file,
// at a pointer.
type manualKey struct{ rule, transform, file, pointer, message string }

// manual notes a vendor change the run did not make, once.
func (r *Run) manual(n Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := manualKey{n.RuleID, n.Transform, n.File, n.Pointer, n.Message}
	if r.manualSeen[key] {
		return
	}
	r.manualSeen[key] = true
	r.notices = append(r.notices, n)
}

// notice adds a notice of the run.
func (r *Run) notice(n Notice) {
	r.mu.Lock()
	r.notices = append(r.notices, n)
	r.mu.Unlock()
}

func (r *Run) versionText(v Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// finish gathers what the report needs once every document is done.
func (r *Run) finish(res *Result) {
	for i, rule := range r.chain.Rules {
		if r.plan[i].enabled && !r.matched[i] && (len(rule.Parts) > 0 || rule.Create != nil) {
			res.Unmatched = append(res.Unmatched, rule)
			// Warned only when the selector found nothing: a tree past the rule's version gate,
			// or without what its condition looks for, is what the rule expects.
			if rule.Tracked && r.tracking != nil && !r.selected[i].Load() && slices.Contains(res.Recorded, rule.ID) {
				r.notices = append(r.notices, Notice{Code: NoticeRecordedUnmatched, RuleID: rule.ID, Message: fmt.Sprintf(
					"matched no document, and is recorded as applied: a later run skips it, even once the tree has what it selects; "+
						"if its selector is wrong (%s), fix it and remove %s from appliedRuleIds", rule.Pos, rule.ID)})
			}
		}
	}
	if r.keptVersionTokens > 0 {
		r.notices = append(r.notices, Notice{Code: NoticeKeptPlaceholder, Pointer: "/metadata/amsterVersion", Message: fmt.Sprintf(
			"%d files hold a placeholder or build token in metadata.amsterVersion (%s): kept, not stamped with %s; --replace-version-placeholders stamps them too",
			r.keptVersionTokens, r.keptVersionToken, r.opts.AmsterVersion)})
	}
	if r.crossLayout {
		r.notices = append(r.notices, Notice{Code: NoticeOtherLayout, Message: "Amster rule files on a file-based configuration, as the vendor tool runs them: " +
			"each rule changes the entities its selector names; an entity an Amster rule would create is not (an FBC tree keeps it elsewhere). " +
			"fbc/latest (--fileBasedMode --to VERSION) is the rule set made for file-based configuration"})
	}
	res.Notices = append(append(res.Notices, r.tree.Notices...), r.notices...)
	sortNotices(res.Notices)
	res.StartVersion, res.EndVersion = r.versionText(r.startVersion), r.versionText(r.endVersion)
	kept := r.tree.Docs[:0]
	for _, d := range r.tree.Docs {
		switch {
		case d.Deleted && !d.Created:
			res.Deleted = append(res.Deleted, d.inputPath())
			if r.sink == nil {
				res.DeletedRaw[d.inputPath()] = d.Raw
			}
		case d.Deleted:
		default:
			if d.Created {
				res.Created = append(res.Created, d.Path)
			} else if d.renamedFrom != "" {
				res.Deleted = append(res.Deleted, d.renamedFrom)
				if r.sink == nil {
					res.DeletedRaw[d.renamedFrom] = d.Raw
				}
				res.Created = append(res.Created, d.Path)
			}
			if d.differs {
				res.Changed = append(res.Changed, d.Path)
			}
			if d.reprinted {
				res.Reprinted = append(res.Reprinted, d.Path)
			}
			kept = append(kept, d)
		}
	}
	clear(r.tree.Docs[len(kept):])
	r.tree.Docs = kept
	sort.Slice(r.tree.Docs, func(i, j int) bool { return r.tree.Docs[i].Path < r.tree.Docs[j].Path })
	slices.Sort(res.Created)
	slices.Sort(res.Deleted)
	slices.Sort(res.Changed)
	slices.Sort(res.Reprinted)
	if r.sink != nil {
		res.Differ = len(res.Changed) + len(res.Deleted) - countRenamed(res)
	}
}
