package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/atomictree"
)

// RenderOptions choose how configuration files are printed.
type RenderOptions struct {
	Jobs int
	// PrettyArrays prints one array element per line (--prettyArrays).
	PrettyArrays bool
	// KeepFormat copies files no rule changed byte for byte, instead of
	// re-printing every configuration file as the vendor tool does.
	KeepFormat bool
}

// Output is the new tree, in memory.
type Output struct {
	Files []atomictree.File
	// Differ counts the files whose bytes differ from the input (created
	// files included).
	Differ int
	// Unchanged[i] is true when Files[i] has the input's bytes.
	Unchanged []bool
}

// Render prints every document of the upgraded tree. Configuration files
// that no rule touched are re-printed straight from their bytes (checked as
// strict JSON on the way) without building a tree. A malformed file is
// reported with its line and column, every one of them at once.
func (res *Result) Render(ctx context.Context, opts RenderOptions) (*Output, error) {
	docs := res.Tree.Docs
	if err := checkCollisions(docs, res.Events); err != nil {
		return nil, err
	}
	out := &Output{Files: make([]atomictree.File, len(docs)), Unchanged: make([]bool, len(docs))}
	errs := make([]error, len(docs))
	po := amjson.PrintOptions{PrettyArrays: opts.PrettyArrays}
	forEach(ctx, len(docs), opts.Jobs, func(i int) {
		d := docs[i]
		f := atomictree.File{Path: d.Path, Mode: d.Mode, Link: d.Link}
		var err error
		if f.Data, _, err = renderDoc(nil, d, po, opts.KeepFormat); err != nil {
			errs[i] = err
			return
		}
		out.Files[i] = f
		out.Unchanged[i] = !d.Created && d.renamedFrom == "" && bytes.Equal(f.Data, d.Raw)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := gather(errs, func(i int) string { return docs[i].Path }); err != nil {
		return nil, err
	}
	res.Changed, res.Reprinted = nil, nil
	for i, u := range out.Unchanged {
		if !u {
			res.Changed = append(res.Changed, out.Files[i].Path)
			if d := docs[i]; !d.Changed && !d.Created && d.renamedFrom == "" {
				res.Reprinted = append(res.Reprinted, d.Path)
			}
		}
	}
	out.Differ = len(res.Changed) + len(res.Deleted) - countRenamed(res)
	res.Differ = out.Differ
	return out, nil
}

// renderDoc prints one document: a changed one from its tree, sized for the
// usual growth so that a large file is not copied over and over as the
// buffer grows; an unchanged one straight from its bytes (checked as strict
// JSON on the way), which KeepFormat keeps as they are. Other files keep
// their bytes.
//
// The bytes are appended to buf (nil: a new buffer); printed is false when
// the file keeps its input bytes instead.
func renderDoc(buf []byte, d *Document, po amjson.PrintOptions, keepFormat bool) (data []byte, printed bool, err error) {
	switch {
	case !d.JSON || d.Link != "":
		return d.Raw, false, nil
	case d.root != nil && d.Changed:
		return amjson.AppendJSON(slices.Grow(buf, len(d.Raw)+len(d.Raw)/4+512), d.root, po), true, nil
	}
	b, err := amjson.Reformat(slices.Grow(buf, len(d.Raw)+len(d.Raw)/8), d.Raw, po)
	if err != nil {
		return nil, false, d.syntaxError(err)
	}
	if keepFormat {
		return d.Raw, false, nil
	}
	return b, true, nil
}

// checkCollisions refuses two documents with one path, which rules can
// cause: set-entity-id renames an Amster file after the new id, onto another
// entity's file or onto the new name of another renamed file.
func checkCollisions(docs []*Document, events []Event) error {
	describe := func(d *Document) string {
		switch {
		case d.Created:
			return "a new entity"
		case d.renamedFrom != "":
			by := ""
			for _, e := range events {
				if e.Op == "set-entity-id" && e.File == d.renamedFrom {
					by = " by rule " + e.RuleID
				}
			}
			return "the entity of " + d.renamedFrom + ", renamed" + by + " after its new id"
		case d.Link != "":
			return "the symbolic link already there"
		case d.Entity == nil:
			return "the file already there"
		}
		return "the entity already there"
	}
	var all Errors
	for i := 1; i < len(docs); i++ {
		a, b := docs[i-1], docs[i]
		if a.Path != b.Path {
			continue
		}
		if a.renamedFrom == "" && b.renamedFrom != "" {
			a, b = b, a
		}
		all = append(all, &Error{Code: CodeApply, File: a.Path, Msg: fmt.Sprintf(
			"two entities would be written to this file (%s, and %s); set-entity-id names an Amster file after the entity id, so fix the rule or the ids so that they differ", describe(a), describe(b))})
	}
	return all.Err()
}

func countRenamed(res *Result) int {
	n := 0
	for _, d := range res.Tree.Docs {
		if d.renamedFrom != "" {
			n++
		}
	}
	return n
}
