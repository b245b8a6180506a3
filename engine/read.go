package engine

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Tree is a configuration tree read into memory.
type Tree struct {
	Root     string
	Layout   Layout
	Docs     []*Document // sorted by Path
	Warnings []string
}

// ReadTree reads every file under root. Symbolic links are never followed:
// a link is reported and left out, so nothing outside root is read.
func ReadTree(ctx context.Context, root string, jobs int) (*Tree, error) {
	layout, err := DetectLayout(root)
	if err != nil {
		return nil, err
	}
	t := &Tree{Root: root, Layout: layout}
	var paths []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			rel, _ := filepath.Rel(root, p)
			return &Error{Code: CodeInput, File: filepath.ToSlash(rel), Msg: "cannot read; check its permissions", Err: unwrapPathError(err)}
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t.Warnings = append(t.Warnings, fmt.Sprintf("%s is a symbolic link: not followed, not copied", rel))
			return nil
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			t.Warnings = append(t.Warnings, fmt.Sprintf("%s is not a regular file: left out", rel))
			return nil
		}
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.Docs = make([]*Document, len(paths))
	errs := make([]error, len(paths))
	forEach(ctx, len(paths), jobs, func(i int) {
		raw, mode, err := readFile(filepath.Join(root, filepath.FromSlash(paths[i])))
		if err != nil {
			errs[i] = &Error{Code: CodeInput, File: paths[i], Msg: "cannot read; check its permissions", Err: unwrapPathError(err)}
			return
		}
		d := &Document{Path: paths[i], Raw: raw, Mode: mode, JSON: layout.IsConfig(paths[i])}
		if d.JSON {
			d.Entity = scanEntity(raw)
		}
		t.Docs[i] = d
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
	sort.Slice(t.Docs, func(i, j int) bool { return t.Docs[i].Path < t.Docs[j].Path })
	t.checkStrays()
	return t, nil
}

// readFile reads a file and its permission bits with one open, one fstat
// and one read: trees have tens of thousands of small files.
func readFile(p string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	buf := make([]byte, st.Size())
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF {
		err = nil // the file shrank while read: keep what is there
	}
	return buf[:n], st.Mode().Perm(), err
}

// checkStrays warns about files of the other layout inside the tree (the
// vendor tool run in the wrong mode leaves Amster files in FBC trees). They
// pass through unchanged.
func (t *Tree) checkStrays() {
	if t.Layout.Mode != FBC {
		return
	}
	for _, d := range t.Docs {
		if d.JSON && d.Entity != nil && d.Entity.AmsterVersion != "" {
			t.Warnings = append(t.Warnings, fmt.Sprintf("%s is an Amster file inside a file-based configuration: passed through unchanged", d.Path))
			d.Entity = nil
		}
	}
}

// forEach runs fn(0..n-1) on jobs goroutines (all CPUs when jobs < 1),
// stopping early when ctx is cancelled.
func forEach(ctx context.Context, n, jobs int, fn func(i int)) {
	if jobs < 1 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = min(jobs, n)
	if jobs <= 1 {
		for i := range n {
			if ctx.Err() != nil {
				return
			}
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, jobs)
	for range jobs {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// find returns the document at path p, or nil.
func (t *Tree) find(p string) *Document {
	i := sort.Search(len(t.Docs), func(i int) bool { return t.Docs[i].Path >= p })
	if i < len(t.Docs) && t.Docs[i].Path == p {
		return t.Docs[i]
	}
	return nil
}

// AmsterVersion returns the amsterVersion most files of an Amster export
// carry, or "" when they carry none.
func (t *Tree) AmsterVersion() string {
	count := map[string]int{}
	for _, d := range t.Docs {
		if d.Entity != nil && d.Entity.AmsterVersion != "" && !strings.HasPrefix(d.Entity.AmsterVersion, "&{") {
			count[d.Entity.AmsterVersion]++
		}
	}
	best := ""
	for _, v := range sortedKeys(count) {
		if count[v] > count[best] {
			best = v
		}
	}
	return best
}
