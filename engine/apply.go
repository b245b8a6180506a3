package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Options are the settings of one upgrade run.
type Options struct {
	Jobs int // parallel workers; < 1 means one per CPU
	// From is the AM version the tree comes from, for trees without version
	// tracking (--from).
	From string
	// IgnoreNoRuleTracking runs without the ConfigurationVersionService:
	// nothing is recorded and every version gate is open.
	IgnoreNoRuleTracking bool
	// AmsterVersion, when set, is stamped into metadata.amsterVersion of
	// every Amster file (-a).
	AmsterVersion string
	// IgnoreRequiredSecretMapping turns a required entity that cannot be
	// created (its secret store is missing) into a warning.
	IgnoreRequiredSecretMapping bool
	// BaseDN is the configuration base DN used in the uid of new FBC
	// entities (--baseDn); default ou=am-config.
	BaseDN string
}

// Event is one change made by a rule.
type Event struct {
	RuleID  string
	Step    string
	File    string
	Pointer string // JSON Pointer from the document root ("" for the whole file)
	Op      string
	Old     *Value
	New     *Value
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
	// NotImplemented lists rules that named a transform whose effect is not
	// public: the vendor's change was not made.
	NotImplemented []string
	// KeptPlaceholders lists values holding placeholders that an operation
	// would have overwritten and did not.
	KeptPlaceholders []string
	Warnings         []string
	// StartVersion and EndVersion are the tracked configurationVersion
	// before and after ("" when unknown).
	StartVersion, EndVersion string
	Created, Deleted         []string
	// DeletedRaw holds the input bytes of the deleted files, for diffs
	// (Apply only: Upgrade hands them to its Sink instead).
	DeletedRaw map[string][]byte
	// Changed lists, sorted, the files of the new tree whose bytes differ
	// from the input (created ones included); Differ counts them plus the
	// deleted files (Upgrade only; Render counts them in Output.Differ).
	Changed []string
	Differ  int
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

	mu               sync.Mutex
	keptPlaceholders []string
	matched          []bool
	notImpl          map[string]bool
	warnings         []string
	createdAt        map[*Document]int // first rule a created document sees
}

// Apply runs the chain over the tree. It changes the documents in memory
// only; nothing is written. All documents are processed in parallel, each
// through the rules in order; the outcome does not depend on the number of
// workers.
func Apply(ctx context.Context, tree *Tree, chain *Chain, opts Options) (*Result, error) {
	if chain.Mode != tree.Layout.Mode {
		return nil, modeError(tree, chain)
	}
	if opts.BaseDN == "" {
		opts.BaseDN = "ou=am-config"
	}
	r := &Run{tree: tree, chain: chain, opts: opts, matched: make([]bool, len(chain.Rules)),
		notImpl: map[string]bool{}, createdAt: map[*Document]int{}}
	res := &Result{Tree: tree, Chain: chain, DeletedRaw: map[string][]byte{}}
	if err := r.loadTracking(res); err != nil {
		return nil, err
	}
	r.planRules(res)
	if err := r.createEntities(res); err != nil {
		return nil, withMalformed(tree.Docs, nil, err)
	}

	docs := tree.Docs
	events := make([][]Event, len(docs))
	errs := make([]error, len(docs))
	forEach(ctx, len(docs), opts.Jobs, func(i int) {
		d := docs[i]
		if d.Entity == nil {
			return
		}
		events[i], errs[i] = r.applyDoc(d, r.createdAt[d])
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := gather(errs, func(i int) string { return docs[i].Path }); err != nil {
		return nil, withMalformed(docs, errs, nil)
	}
	for i := range docs {
		res.Events = append(res.Events, events[i]...)
	}
	if err := r.updateTracking(res); err != nil {
		return nil, err
	}
	if err := r.stampAmsterVersion(); err != nil {
		return nil, err
	}
	r.finish(res)
	return res, nil
}

// withMalformed adds to the errors of a run that stops early every
// malformed file no rule read, so that one run reports them all. perDoc is
// indexed like docs (or nil); runErr is an error about the whole run.
func withMalformed(docs []*Document, perDoc []error, runErr error) error {
	var all Errors
	for i, d := range docs {
		if perDoc != nil && perDoc[i] != nil {
			all = append(all, asError(perDoc[i], d.Path))
			continue
		}
		if d.JSON && d.root == nil && d.Link == "" {
			if _, err := Reformat(nil, d.Raw, PrintOptions{}); err != nil {
				all = append(all, d.syntaxError(err).(*Error))
			}
		}
	}
	if runErr != nil {
		all = append(all, asError(runErr, ""))
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
	seen := map[string]bool{}
	for _, id := range r.applied {
		seen[id] = true
	}
	v := r.startVersion
	for i, rule := range r.chain.Rules {
		if rule.Tracked && r.tracking != nil && seen[rule.ID] {
			res.Skipped = append(res.Skipped, rule.ID)
			continue
		}
		r.plan[i] = rulePlan{enabled: true, version: v}
		if rule.Tracked && r.tracking != nil {
			seen[rule.ID] = true
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
					if t, ok := op.(*TransformOp); ok && t.T.NotImplemented != "" &&
						(t.T.Satisfied == nil || !t.T.Satisfied(r.tree, t.Args)) {
						r.notImplemented(rule, t.T)
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
			if part.Select == nil || !part.Select.Match(d.Entity) || !gateOpen(part.VersionBefore, r.plan[i].version) {
				continue
			}
			data, err := d.data()
			if err != nil {
				return events, err
			}
			if data == nil {
				continue
			}
			c := &opContext{run: r, doc: d, rule: rule, part: part, data: data, version: r.plan[i].version, events: &events}
			c.scope = data.At(part.Within)
			if c.scope == nil && part.CreateWithin {
				c.scope = r.createSection(c, part.Within)
			}
			if c.scope == nil || c.scope.Kind != Object {
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
func (r *Run) createSection(c *opContext, within Pointer) *Value {
	cur := c.data
	for i, seg := range within {
		next := cur.Get(seg)
		if next == nil {
			next = NewObject()
			c.doc.touch()
			cur.Set(seg, next)
			c.record("add", append(Pointer{"data"}, within[:i+1]...), nil, next)
		}
		if next.Kind != Object {
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

func (r *Run) notImplemented(rule *Rule, t *Transform) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := rule.ID + "\x00" + t.Name
	if !r.notImpl[key] {
		r.notImpl[key] = true
	}
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
		}
	}
	for key := range r.notImpl {
		res.NotImplemented = append(res.NotImplemented, key)
	}
	sort.Strings(res.NotImplemented)
	for i, k := range res.NotImplemented {
		id, name, _ := cut0(k)
		res.NotImplemented[i] = fmt.Sprintf("rule %s: transform %s is not implemented (%s); the vendor's change was not made", id, name, transforms[name].NotImplemented)
	}
	res.Warnings = append(append(res.Warnings, r.tree.Warnings...), r.warnings...)
	res.KeptPlaceholders = r.keptPlaceholders
	sort.Strings(res.KeptPlaceholders)
	res.StartVersion, res.EndVersion = r.versionText(r.startVersion), r.versionText(r.endVersion)
	kept := r.tree.Docs[:0]
	for _, d := range r.tree.Docs {
		switch {
		case d.Deleted && !d.Created:
			res.Deleted = append(res.Deleted, d.Path)
			res.DeletedRaw[d.Path] = d.Raw
		case d.Deleted:
		default:
			if d.Created {
				res.Created = append(res.Created, d.Path)
			} else if d.renamedFrom != "" {
				res.Deleted = append(res.Deleted, d.renamedFrom)
				res.DeletedRaw[d.renamedFrom] = d.Raw
				res.Created = append(res.Created, d.Path)
			}
			kept = append(kept, d)
		}
	}
	r.tree.Docs = kept
	sort.Slice(r.tree.Docs, func(i, j int) bool { return r.tree.Docs[i].Path < r.tree.Docs[j].Path })
	slices.Sort(res.Created)
	slices.Sort(res.Deleted)
}

func cut0(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
