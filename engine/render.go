package engine

import (
	"bytes"
	"context"
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
	Files []File
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
	out := &Output{Files: make([]File, len(docs)), Unchanged: make([]bool, len(docs))}
	errs := make([]error, len(docs))
	po := PrintOptions{PrettyArrays: opts.PrettyArrays}
	forEach(ctx, len(docs), opts.Jobs, func(i int) {
		d := docs[i]
		f := File{Path: d.Path, Mode: d.Mode, Data: d.Raw}
		switch {
		case !d.JSON:
		case d.root != nil && d.Changed:
			f.Data = AppendJSON(nil, d.root, po)
		default:
			b, err := Reformat(make([]byte, 0, len(d.Raw)+len(d.Raw)/8), d.Raw, po)
			if err != nil {
				errs[i] = d.syntaxError(err)
				return
			}
			if !opts.KeepFormat {
				f.Data = b
			}
		}
		out.Files[i] = f
		out.Unchanged[i] = !d.Created && d.renamedFrom == "" && bytes.Equal(f.Data, d.Raw)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all Errors
	for _, e := range errs {
		if e != nil {
			all = append(all, e.(*Error))
		}
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	for _, u := range out.Unchanged {
		if !u {
			out.Differ++
		}
	}
	out.Differ += len(res.Deleted) - countRenamed(res)
	return out, nil
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
