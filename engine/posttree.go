package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
)

// pendingCreate is an entity a transform asked for while it worked on a
// document: it is made after the pass, when every identity is known.
type pendingCreate struct {
	rule   int // the index of the rule whose transform asked
	c      *Create
	from   string // the file the transform worked on
	secret bool   // a secret mapping: made by the next create-secret-stores
}

// queueCreate keeps a create for after the pass.
func (r *Run) queueCreate(p pendingCreate) {
	r.mu.Lock()
	r.pending = append(r.pending, p)
	r.mu.Unlock()
}

// postPass does, in rule order, what waits for every identity of the tree:
// the entities of create rules, the creates transforms asked for, and the
// whole-tree transforms. Each entity made then goes through the rules after
// the one that made it, at once, so that a later whole-tree transform sees
// it, and what those rules ask for in turn is done when their turn comes.
func (r *Run) postPass(res *Result) (err error) {
	r.exists = map[string]bool{}
	for _, d := range r.tree.Docs {
		if e := d.inputEntity(); e != nil {
			r.exists[e.key()] = true
		}
	}
	var all Errors
	for i, rule := range r.chain.Rules {
		if !r.plan[i].enabled {
			continue
		}
		switch {
		case rule.Create != nil && r.crossLayout:
			// The transforms build their entities in the tree's layout; a
			// create rule of an Amster file names an Amster entity.
			if !r.exists[rule.Create.Entity.key()] && (rule.Create.Unless == nil || !r.anyMatch(rule.Create.Unless)) {
				r.notice(Notice{Code: NoticeNotCreated, RuleID: rule.ID, Message: fmt.Sprintf(
					"%s %s is an Amster entity; it is not created in a file-based configuration, where AM would not read it", rule.Create.Entity.Type, rule.Create.Entity.ID)})
			}
		case rule.Create != nil:
			if err := r.create(res, i, rule.Create); err != nil {
				return err
			}
		}
		for _, p := range r.takePending(i) {
			if p.secret {
				r.secrets = append(r.secrets, p)
				continue
			}
			if err := r.create(res, i, p.c); err != nil {
				all = append(all, asError(err, p.from))
			}
		}
		for _, tt := range r.treeTransforms {
			if tt.idx != i {
				continue
			}
			tc := &TreeContext{r: r, res: res, idx: i, rule: rule, t: tt.op.T}
			switch {
			case tt.op.T.ApplyTree != nil:
				if err := tt.op.T.ApplyTree(tc, tt.op.Args); err != nil {
					all = append(all, &Error{Code: CodeApply, Pos: rule.Pos, RuleID: rule.ID, Msg: fmt.Sprintf("transform %s: %v", tt.op.T.Name, err)})
				}
			case tt.op.T.Gap != nil:
				tc.ManualStep("", "", "", "")
			}
		}
	}
	// Secret mappings no create-secret-stores came after (a run of some
	// rules only): the vendor would have written them there.
	for _, p := range r.secrets {
		if p.c.IfBlocked != nil {
			n := *p.c.IfBlocked
			label := ""
			if v := p.c.Data.Get("secretId"); v != nil && v.Kind == amjson.String {
				label = v.Text
			}
			n.Message = fmt.Sprintf("the vendor's %s would have written the mapping of secret label %s (%s) with the step's createSecretStores; not made: no create-secret-stores rule ran after it (a run of some rules only)",
				n.Transform, label, BriefValue(p.c.Data.Get("aliases")))
			n.Action = "run the step's create-secret-stores rule too, or " + n.Action
			r.manual(n)
		}
	}
	r.secrets = nil
	return all.Err()
}

// takePending returns, in a stable order, the creates rule i's transforms
// asked for: documents went through the rules in parallel.
func (r *Run) takePending(i int) []pendingCreate {
	r.mu.Lock()
	defer r.mu.Unlock()
	var mine, rest []pendingCreate
	for _, p := range r.pending {
		if p.rule == i {
			mine = append(mine, p)
		} else {
			rest = append(rest, p)
		}
	}
	r.pending = rest
	sort.SliceStable(mine, func(a, b int) bool { return realmFirst(mine[a].from) < realmFirst(mine[b].from) })
	return mine
}

// realmFirst is a sort key that puts the files of the root realm before
// those of its sub-realms (realm/root/… before realm/root-alpha/…), where
// the first of several asks wins.
func realmFirst(p string) string {
	return strings.Replace(p, "root/", "root\x00/", 1)
}

// create makes one entity, unless it exists, its purpose is served
// elsewhere, or what must hold it is missing; the new document then goes
// through the rules after rule i.
func (r *Run) create(res *Result, i int, c *Create) error {
	_, err := r.createDoc(res, i, c)
	return err
}

func (r *Run) createDoc(res *Result, i int, c *Create) (*Document, error) {
	rule := r.chain.Rules[i]
	k := c.Entity.key()
	if r.exists[k] || (c.Unless != nil && r.anyMatch(c.Unless)) {
		// The tree has what the rule makes: the rule found its target, as a selector
		// does (no recorded-unmatched warning).
		r.selected[i].Store(true)
		return nil, nil
	}
	if req := c.Requires; req != nil && !r.anyMatch(req) {
		if c.IfBlocked != nil {
			r.manual(*c.IfBlocked)
			return nil, nil
		}
		msg := fmt.Sprintf("%s %s cannot be created: the tree has no %s %s to hold it",
			c.Entity.Type, c.Entity.ID, strings.Join(req.Services, "/"), describeMatcher(req.EntityID))
		if c.Required && !r.opts.IgnoreRequiredSecretMapping {
			return nil, &Error{Code: CodeInput, Pos: rule.Pos, RuleID: rule.ID, Msg: msg +
				"; add it (or map the secret label in another global secret store and run with --ignoreRequiredSecretMapping)"}
		}
		r.notice(Notice{Code: NoticeNotCreated, RuleID: rule.ID, Message: msg})
		return nil, nil
	}
	d, err := r.newDocument(c)
	if err != nil {
		return nil, &Error{Code: CodeApply, Pos: rule.Pos, RuleID: rule.ID, Msg: err.Error()}
	}
	if old := r.tree.find(d.Path); old != nil {
		r.notice(Notice{Code: NoticeNotCreated, RuleID: rule.ID, File: d.Path, Message: "exists but holds another entity; not created"})
		return nil, nil
	}
	r.exists[k] = true
	r.matched[i] = true
	r.createdAt[d] = i + 1
	r.tree.Docs = append(r.tree.Docs, d)
	sort.Slice(r.tree.Docs, func(i, j int) bool { return r.tree.Docs[i].inputPath() < r.tree.Docs[j].inputPath() })
	res.Events = append(res.Events, Event{RuleID: rule.ID, Step: rule.Step, File: d.Path, Type: d.Entity.Type, Op: "create"})
	if err := r.process(d, i+1); err != nil {
		return d, asError(err, d.Path)
	}
	return d, nil
}

// TreeContext is what a whole-tree transform may read and do: look up the
// identities of the tree (as read, and as created so far), create
// entities, read the reference configuration, and report manual steps.
type TreeContext struct {
	r    *Run
	res  *Result
	idx  int
	rule *Rule
	t    *Transform
}

// Layout returns the tree's layout.
func (t *TreeContext) Layout() Layout { return t.r.tree.Layout }

// Options returns the run's options.
func (t *TreeContext) Options() Options { return t.r.opts }

// RuleID returns the id of the rule that runs the transform.
func (t *TreeContext) RuleID() string { return t.rule.ID }

// Transform returns the transform that runs, for its name in messages.
func (t *TreeContext) Transform() *Transform { return t.t }

// Reference returns the configuration of the target release that
// --reference names, or nil without one: where a create takes what AM
// bundles under its licence.
func (t *TreeContext) Reference() *Reference { return t.r.ref }

// Has reports whether some entity of the tree is selected.
func (t *TreeContext) Has(s *Selector) bool { return t.r.anyMatch(s) }

// Exists reports whether the tree holds an entity of that identity.
func (t *TreeContext) Exists(e Entity) bool { return t.r.exists[e.key()] }

// Create makes an entity now, as a create rule would (see Create), and
// reports whether it did. It then goes through the rules after this one.
func (t *TreeContext) Create(c *Create) (bool, error) {
	d, err := t.r.createDoc(t.res, t.idx, c)
	return d != nil, err
}

// ManualStep reports a vendor change the run did not make: what the vendor
// would have done in file at pointer (either may be ""), and what to do by
// hand. The transform's Gap gives the reason.
func (t *TreeContext) ManualStep(file, pointer, what, action string) {
	n := manualNotice(t.rule, t.t, what, action)
	n.File, n.Pointer = file, pointer
	t.r.manual(n)
}

// ReportManual reports a manual step built before, as it is (the
// Create.IfBlocked of a queued create, with what the transform learnt
// since): it keeps the rule and transform of the one that asked.
func (t *TreeContext) ReportManual(n Notice) { t.r.manual(n) }

// QueuedCreate is an entity a transform asked for with
// TransformContext.Create, and the file it was working on.
type QueuedCreate struct {
	Create *Create
	From   string
}

// TakeSecrets returns the secret mappings transforms asked for so far
// (TransformContext.Create with secret set), in rule order, and takes them
// from the run: the transform that writes them (create-secret-stores)
// makes or reports each. Those no such transform takes by the end of the
// pass are reported as not written.
func (t *TreeContext) TakeSecrets() []QueuedCreate {
	out := make([]QueuedCreate, len(t.r.secrets))
	for i, p := range t.r.secrets {
		out[i] = QueuedCreate{Create: p.c, From: p.from}
	}
	t.r.secrets = nil
	return out
}
