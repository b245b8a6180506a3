package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/internal/rawfile"
)

// Tree is a configuration tree: every file's path, and for files read so
// far their bytes and identity.
type Tree struct {
	Root   string
	Layout Layout
	Docs   []*Document // sorted by Path
	// Notices are what reading found: links left out, files of the other
	// layout, byte order marks.
	Notices []Notice
	// dir is the folder the files are read from (Root with a link to it
	// resolved).
	dir string
}

// ReadTree reads every file under root into memory. Symbolic links are never
// followed, so nothing outside root is read: a link whose target stays
// inside the tree becomes a Document with Link set, which passes through
// unchanged (as a link); a link to an absolute path or out of the tree is
// left out, with a warning.
func ReadTree(ctx context.Context, root string, jobs int) (*Tree, error) {
	t, err := ScanTree(root)
	if err != nil {
		return nil, err
	}
	if err := t.loadAll(ctx, jobs); err != nil {
		return nil, err
	}
	return t, nil
}

// ScanTree lists the files under root without reading them: Upgrade reads
// each when it comes to it, and drops it once written, so that memory does
// not grow with the tree. Links are handled as ReadTree does.
func ScanTree(root string) (*Tree, error) {
	layout, err := DetectLayout(root)
	if err != nil {
		return nil, err
	}
	t := &Tree{Root: root, Layout: layout, dir: root}
	// The folder given may itself be a link to where the configuration
	// lives: that one link is followed (WalkDir would not enter it).
	if real, err := filepath.EvalSymlinks(root); err == nil {
		t.dir = real
	}
	root = t.dir
	entries, err := walkTree(root, newDirReader)
	if err != nil {
		return nil, err
	}
	t.Docs = make([]*Document, 0, len(entries))
	for _, e := range entries {
		switch e.kind {
		case entryLink:
			target, err := os.Readlink(filepath.Join(root, filepath.FromSlash(e.rel)))
			if err != nil {
				return nil, &Error{Code: CodeInput, File: e.rel, Msg: "cannot read the symbolic link; check its permissions", Err: unwrapPathError(err)}
			}
			if why := linkLeaves(root, e.rel, target); why != "" {
				t.Notices = append(t.Notices, Notice{Code: NoticeLinkLeftOut, File: e.rel, Message: fmt.Sprintf("a symbolic link to %s, %s: not followed, and not copied to the output (an upgrade in place removes it); copy what it points to into the tree, or recreate the link after the upgrade", target, why)})
				continue
			}
			t.Docs = append(t.Docs, &Document{Path: e.rel, Link: target})
		case entryOther:
			t.Notices = append(t.Notices, Notice{Code: NoticeNotRegular, File: e.rel, Message: "not a regular file: left out"})
		default:
			t.Docs = append(t.Docs, &Document{Path: e.rel, JSON: layout.IsConfig(e.rel), pending: true})
		}
	}
	return t, nil
}

// loadAll reads every file not read yet.
func (t *Tree) loadAll(ctx context.Context, jobs int) error {
	errs := make([]error, len(t.Docs))
	forEach(ctx, len(t.Docs), jobs, func(i int) {
		errs[i] = t.load(t.Docs[i])
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := gather(errs, func(i int) string { return t.Docs[i].Path }); err != nil {
		return err
	}
	t.noteLoadWarnings()
	return nil
}

// load reads one file, if not read yet, and its identity.
func (t *Tree) load(d *Document) error {
	if !d.pending {
		return nil
	}
	raw, mode, err := rawfile.Read(filepath.Join(t.dir, filepath.FromSlash(d.Path)))
	if errors.Is(err, rawfile.ErrNotRegular) {
		return &Error{Code: CodeInput, File: d.Path, Err: fmt.Errorf("%w, but was one when the tree was listed: put the file back or remove it, and run again", unwrapPathError(err))}
	}
	if err != nil {
		return &Error{Code: CodeInput, File: d.Path, Msg: "cannot read; check its permissions", Err: unwrapPathError(err)}
	}
	d.pending = false
	d.Raw, d.Mode = raw, mode
	if d.JSON {
		d.Entity, d.notConfig = scanConfig(raw)
		// A file of the other layout (the vendor tool run with Amster rules
		// leaves Amster files in FBC trees) passes through byte for byte: no
		// rule sees it, and it is not re-printed. An FBC file has a uid; an
		// Amster file has none (and, from Amster, an amsterVersion, which -a
		// also writes into FBC files).
		if e := d.Entity; e != nil && (t.Layout.Mode == FBC && !e.UID && e.AmsterVersion != "" || t.Layout.Mode == Amster && e.UID) {
			d.Entity, d.JSON, d.stray = nil, false, true
		}
		d.bom = d.JSON && bytes.HasPrefix(raw, utf8BOM)
	}
	d.input = d.Entity
	return nil
}

// noteLoadWarnings warns, in path order, about what reading the files found:
// strays of the other layout, then byte order marks.
func (t *Tree) noteLoadWarnings() {
	what := map[Mode]string{FBC: "an Amster file inside a file-based configuration", Amster: "a file-based configuration file inside an Amster export"}[t.Layout.Mode]
	for _, d := range t.Docs {
		if d.stray {
			d.stray = false
			t.Notices = append(t.Notices, Notice{Code: NoticeOtherLayout, File: d.Path, Message: what + ": passed through unchanged"})
		}
	}
	for _, d := range t.Docs {
		if d.notConfig != "" {
			t.Notices = append(t.Notices, Notice{Code: NoticeNotConfiguration, File: d.Path, Message: "not an AM configuration file: " + d.notConfig +
				"; no rule changes it (it is checked as JSON and re-printed)"})
			d.notConfig = ""
		}
	}
	for _, d := range t.Docs {
		if d.bom {
			d.bom = false
			t.Notices = append(t.Notices, Notice{Code: NoticeByteOrderMark, File: d.Path, Message: "starts with a UTF-8 byte order mark: accepted, as AM does, and left out when the file is re-printed"})
		}
	}
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// linkLeaves says why the symbolic link at rel (slash path relative to root)
// with the given target would lead out of the tree, or returns "" when it
// stays inside. The target is resolved as the kernel would, following the
// links it passes through (a link that is itself inside may point out, and
// ".." after a link climbs from where the link points), but nothing is read
// other than links.
func linkLeaves(root, rel, target string) string {
	if target == "" {
		return "which is empty"
	}
	if filepath.IsAbs(target) || strings.HasPrefix(filepath.ToSlash(target), "/") {
		return "an absolute path"
	}
	const outside = "outside the tree"
	if p := path.Join(path.Dir(rel), filepath.ToSlash(target)); p == ".." || strings.HasPrefix(p, "../") {
		return outside
	}
	// stack holds the components resolved so far, from root; todo those still
	// to resolve, the next one last.
	var stack []string
	todo := reversed(strings.Split(filepath.ToSlash(target), "/"))
	todo = append(todo, reversed(strings.Split(path.Dir(rel), "/"))...)
	for hops := 0; len(todo) > 0; {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return outside
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		p := filepath.Join(append([]string{root}, stack...)...)
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > 40 {
			return "" // a loop, or a chain too long to follow: it leads nowhere
		}
		next, err := os.Readlink(p)
		if err != nil {
			return "which cannot be resolved (" + unwrapPathError(err).Error() + ")"
		}
		if filepath.IsAbs(next) || strings.HasPrefix(filepath.ToSlash(next), "/") {
			return "through " + path.Join(stack...) + ", which is a link to an absolute path"
		}
		stack = stack[:len(stack)-1]
		todo = append(todo, reversed(strings.Split(filepath.ToSlash(next), "/"))...)
	}
	return ""
}

func reversed(s []string) []string {
	slices.Reverse(s)
	return s
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

// find returns the document read from path p (or created there), or nil.
func (t *Tree) find(p string) *Document {
	i := sort.Search(len(t.Docs), func(i int) bool { return t.Docs[i].inputPath() >= p })
	if i < len(t.Docs) && t.Docs[i].inputPath() == p {
		return t.Docs[i]
	}
	return nil
}

// AmsterVersion returns the amsterVersion most files of an Amster export
// carry, or "" when they carry none (placeholders and build tokens are not
// versions).
func (t *Tree) AmsterVersion() string {
	count := map[string]int{}
	for _, d := range t.Docs {
		if e := d.inputEntity(); e != nil {
			if _, ok := releaseText(e.AmsterVersion); ok {
				count[e.AmsterVersion]++
			}
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
