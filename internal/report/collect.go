package report

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/checklist"
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
	diffs Diffs
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
	facts            *checklist.Facts
}

// FileDiff is the unified diff of one file that differs, masked. Status is
// changed, created (a renamed file's new path too, diffed from /dev/null)
// or deleted (a renamed file's old path too, diffed to /dev/null).
// Reprinted marks a changed file that only differs because it was printed
// in AM's layout; its Diff is empty unless the collector keeps DiffAll.
type FileDiff struct {
	Path      string
	Status    string
	Diff      string
	Reprinted bool
}

// Diffs says which diffs a Collector keeps.
type Diffs int

const (
	// DiffNone keeps no diff: the JSON report and the checklist need none.
	DiffNone Diffs = iota
	// DiffChanged keeps those of the files rules changed, created or
	// deleted, and lists the re-printed files without their diffs.
	DiffChanged
	// DiffAll keeps the re-printed files' diffs too.
	DiffAll
)

// NewCollector makes a collector for a tree of the given mode, keeping the
// masked diffs asked for (for --diff and the HTML report); mk masks them.
func NewCollector(mode engine.Mode, diffs Diffs, mk Masker) *Collector {
	return &Collector{mode: mode, diffs: diffs, mk: mk, types: map[string]string{}, goneTypes: map[string]string{},
		facts: checklist.NewFacts(mode)}
}

// Observe takes one file of the new tree (or a deleted one). It copies only
// what it keeps.
func (c *Collector) Observe(f *engine.FileResult) {
	// All that reads the bytes runs before the lock is taken.
	if f.Deleted {
		typ := entityType(f.In)
		var gone []FileDiff
		if c.diffs != DiffNone {
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
	c.facts.Observe(f)
	typ := ""
	if f.Entity != nil {
		typ = f.Entity.Type
	} else if f.JSON {
		typ = entityType(f.Out)
	}
	var diff, gone []FileDiff
	switch {
	case c.diffs == DiffNone || f.Unchanged:
	case f.Reprinted && c.diffs != DiffAll:
		diff = append(diff, FileDiff{Path: f.Path, Status: "changed", Reprinted: true})
	default:
		old, oldName, status := f.In, "a/"+f.Path, "changed"
		if f.Created || f.From != "" {
			// A new file, or a renamed one's new name, whose old name
			// is diffed to /dev/null below.
			old, oldName, status = nil, "/dev/null", "created"
		}
		diff = append(diff, FileDiff{Path: f.Path, Status: status, Diff: c.mk.Diff(oldName, old, "b/"+f.Path, f.Out), Reprinted: f.Reprinted})
	}
	fromType := ""
	if f.From != "" {
		fromType = entityType(f.In)
		if c.diffs != DiffNone {
			gone = append(gone, c.gone(f.From, f.In))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Changes carry their file's type; only the files the report lists
	// need theirs kept.
	if typ != "" && !f.Unchanged {
		c.types[f.Path] = typ
	}
	if fromType != "" {
		c.goneTypes[f.From] = fromType
	}
	c.newDiffs = append(c.newDiffs, diff...)
	c.goneDiffs = append(c.goneDiffs, gone...)
}

// gone is the diff of a file that is no longer there.
func (c *Collector) gone(p string, in []byte) FileDiff {
	return FileDiff{Path: p, Status: "deleted", Diff: c.mk.Diff("a/"+p, in, "/dev/null", nil)}
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

// entityType is metadata.entityType of a file's bytes ("" when none).
func entityType(raw []byte) string {
	if !bytes.Contains(raw, metadataKey) {
		return ""
	}
	return gjson.GetBytes(raw, "metadata.entityType").String()
}

var metadataKey = []byte(`"metadata"`)
