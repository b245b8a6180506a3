package engine

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// walkTree must list what filepath.WalkDir sees, in path order, whatever
// the shape of the tree.
func TestWalkTreeMatchesWalkDir(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		p := filepath.Join(root, fmt.Sprintf("realm/root-r%d/svc %d/1.0/e%d.json", i%7, i%13, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"empty/deeper/still", "realm/root-r1/x"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../e1.json", filepath.Join(root, "realm/link.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "realm/pipe"), 0o644); err != nil {
		t.Fatal(err)
	}

	var want []treeEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		kind := entryFile
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			kind = entryLink
		case !d.Type().IsRegular():
			kind = entryOther
		}
		want = append(want, treeEntry{filepath.ToSlash(rel), kind})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, func(a, b treeEntry) int { return strings.Compare(a.rel, b.rel) })
	got, err := walkTree(root, newDirReader)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(treeEntry{})); diff != "" {
		t.Errorf("walkTree differs from WalkDir (-want +got):\n%s", diff)
	}
}

// fakeDirs is a tree in memory: folder → subfolders; folders in bad fail.
type fakeDirs struct {
	dirs map[string][]string
	bad  map[string]bool
}

func (f fakeDirs) read(_, rel string) ([]treeEntry, []string, error) {
	if f.bad[rel] {
		return nil, nil, &Error{Code: CodeInput, File: rel, Msg: "cannot read; check its permissions", Err: syscall.EACCES}
	}
	return []treeEntry{{joinRel(rel, "f.json"), entryFile}}, f.dirs[rel], nil
}

// Of several unreadable folders, the first in the order of a depth-first
// walk is reported, so that the message does not depend on timing.
func TestWalkTreeReportsFirstUnreadable(t *testing.T) {
	tree := fakeDirs{
		dirs: map[string][]string{"": {"a b", "a", "c"}, "a b": {"a b/x"}, "a": {"a/x"}, "c": {"c/x"}},
		bad:  map[string]bool{"a b/x": true, "a/x": true, "c/x": true},
	}
	for range 50 {
		_, err := walkTree("", func() dirReader { return tree })
		if got, want := fmt.Sprint(err), "a/x: cannot read; check its permissions: permission denied"; got != want {
			t.Fatalf("error %q, want %q", got, want)
		}
	}
	tree.bad = nil
	got, err := walkTree("", func() dirReader { return tree })
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range got {
		paths = append(paths, e.rel)
	}
	if want := []string{"a b/f.json", "a b/x/f.json", "a/f.json", "a/x/f.json", "c/f.json", "c/x/f.json", "f.json"}; !slices.Equal(paths, want) {
		t.Errorf("entries %q, want %q", paths, want)
	}
}

func TestWalkOrder(t *testing.T) {
	paths := []string{"a b/x", "a/x", "a-b", "a/y/z", "a"}
	slices.SortFunc(paths, walkOrder)
	if want := []string{"a", "a/x", "a/y/z", "a b/x", "a-b"}; !slices.Equal(paths, want) {
		t.Errorf("walk order %q, want %q", paths, want)
	}
}
