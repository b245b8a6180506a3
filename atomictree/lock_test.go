package atomictree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// Who may hold a folder with whom: one run that replaces it, or any number that read it.
func TestLockFolderExcludes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		first, second bool // shared
		wantBusy      bool
	}{
		{"exclusive, exclusive", false, false, true},
		{"exclusive, shared", false, true, true},
		{"shared, exclusive", true, false, true},
		{"shared, shared", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "tree")
			treetest.Make(t, dir, map[string]string{"a.json": "a"})
			first, err := LockFolder(t.Context(), dir, LockOptions{Shared: tt.first, Owner: "pid 1 on host, started now: amupgrade -i tree -o tree"})
			if err != nil {
				t.Fatal(err)
			}
			second, err := LockFolder(t.Context(), dir, LockOptions{Shared: tt.second})
			if busy := errors.Is(err, ErrLocked); busy != tt.wantBusy {
				t.Fatalf("second lock: err = %v, want busy = %v", err, tt.wantBusy)
			}
			if tt.wantBusy {
				want := dir + " is in use by another run (pid 1 on host, started now: amupgrade -i tree -o tree); wait until it has finished, then run again"
				if tt.first {
					// A reader writes nothing into the lock file.
					want = dir + " is in use by another run; wait until it has finished, then run again"
				}
				if err.Error() != want {
					t.Errorf("err = %q\nwant  %q", err, want)
				}
			}
			second.Release()
			first.Release()
			// Released: the lock file is gone, and the folder can be locked again.
			if l := leftovers(t, dir); l != nil {
				t.Errorf("left over: %v", l)
			}
			again, err := LockFolder(t.Context(), dir, LockOptions{})
			if err != nil {
				t.Fatalf("after Release: %v", err)
			}
			again.Release()
		})
	}
}

// A run that only reads a folder writes nothing beside it, yet a writer must wait for it; and a
// reader that finds a writer's lock file waits for that writer.
func TestLockFolderReaderWritesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tree")
	treetest.Make(t, dir, map[string]string{"a.json": "a"})
	reader, err := LockFolder(t.Context(), dir, LockOptions{Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dir); l != nil {
		t.Errorf("a reader made %v beside the folder it reads", l)
	}
	if _, err := LockFolder(t.Context(), dir, LockOptions{Owner: "writer"}); !errors.Is(err, ErrLocked) {
		t.Errorf("writer while a reader holds the folder: err = %v, want ErrLocked", err)
	}
	reader.Release()

	writer, err := LockFolder(t.Context(), dir, LockOptions{Owner: "pid 1: the writer"})
	if err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dir); len(l) != 1 {
		t.Errorf("a writer's lock file: found %v, want one", l)
	}
	_, err = LockFolder(t.Context(), dir, LockOptions{Shared: true})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid 1: the writer") {
		t.Errorf("reader while a writer holds the folder: err = %v, want ErrLocked naming the writer", err)
	}
	writer.Release()
	if l := leftovers(t, dir); l != nil {
		t.Errorf("left over: %v", l)
	}
}

// A second run waits while the first holds the folder, saying once that it waits, and goes
// on as soon as the first is done; a context stops the wait.
func TestLockFolderWaits(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tree")
	treetest.Make(t, dir, map[string]string{"a.json": "a"})
	first, err := LockFolder(t.Context(), dir, LockOptions{Owner: "the first run"})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Release()
	}()
	var waited []string
	start := time.Now()
	second, err := LockFolder(t.Context(), dir, LockOptions{Wait: 10 * time.Second, Waiting: func(h string) { waited = append(waited, h) }})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Release()
	if took := time.Since(start); took < 90*time.Millisecond || took > 5*time.Second {
		t.Errorf("waited %v, want about 100ms", took)
	}
	if diff := cmp.Diff([]string{"the first run"}, waited); diff != "" {
		t.Errorf("Waiting calls (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := LockFolder(ctx, dir, LockOptions{Wait: time.Hour}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
	_, err = LockFolder(t.Context(), dir, LockOptions{Wait: 30 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.Waited != 30*time.Millisecond || !strings.Contains(err.Error(), "after waiting 30ms") {
		t.Errorf("err = %v, want a LockedError after waiting 30ms", err)
	}
}

// A run that could not make the lock file (its parent is not writable) still holds the folder
// itself, and a run that holds the lock file must wait for it too.
func TestLockFolderItself(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tree")
	treetest.Make(t, dir, map[string]string{"a.json": "a"})
	d, err := lockDir(dir, false)
	if err != nil || d == nil {
		t.Fatalf("lockDir = %v, %v", d, err)
	}
	if _, err := LockFolder(t.Context(), dir, LockOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
	if l := leftovers(t, dir); l != nil {
		t.Errorf("a refused lock left: %v", l)
	}
	d.Close()
	l, err := LockFolder(t.Context(), dir, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}

// A new output's folders are made to hold the lock file, and go again at Release if nothing
// was written into them.
func TestLockFolderNewOutput(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "out")
	l, err := LockFolder(t.Context(), out, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "a", "b", ".out"+lockInfix)); err != nil {
		t.Errorf("no lock file: %v", err)
	}
	l.Release()
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("left: %v", entries)
	}
}

// The writer's staging folder is locked, and handed to the caller's lock at the swap: a run
// that locks the folder after the swap waits for the first to release it, and Recover in
// another run never touches a live writer's staging folder.
func TestWriterStagingLocked(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	treetest.Make(t, out, map[string]string{"old.json": "o"})
	l, err := LockFolder(t.Context(), out, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(t.Context(), out, Options{Clean: true, Lock: l})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Put(File{Path: "new.json", Data: []byte("n")}); err != nil {
		t.Fatal(err)
	}
	staging := stagingOf(t, out)
	// Another run's Recover, which got past the locks somehow.
	if did, err := Recover(out); err != nil || did != nil {
		t.Errorf("Recover = %q, %v; want nothing done", did, err)
	}
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("Recover removed a live writer's staging folder: %v", err)
	}
	if _, err := w.Commit(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	// The new tree at out is the staging folder, still locked by l.
	if _, err := lockDir(out, true); !errors.Is(err, errBusy) {
		t.Errorf("after the swap, out is not locked: %v", err)
	}
	l.Release()
	d, err := lockDir(out, false)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	d.Close()
	if diff := cmp.Diff(withDirs(map[string]string{"new.json": "n"}), treetest.Read(t, out)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// Every link on the way is followed, in the part that exists, and the rest is appended.
func TestResolve(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	treetest.Make(t, root, map[string]string{
		"in/a.json":  "a",
		"lnk":        treetest.LinkPrefix + "in",
		"abs":        treetest.LinkPrefix + filepath.Join(root, "in"),
		"chain":      treetest.LinkPrefix + "lnk",
		"deep/x/":    "",
		"deep/up":    treetest.LinkPrefix + "x/..",
		"dangling":   treetest.LinkPrefix + "nowhere/new",
		"loop1":      treetest.LinkPrefix + "loop2",
		"loop2":      treetest.LinkPrefix + "loop1",
		"file.json":  "f",
		"deep/x/dot": treetest.LinkPrefix + "../../lnk/.",
	})
	in := filepath.Join(root, "in")
	tests := []struct {
		path, want string
	}{
		{"in", in},
		{"lnk", in},
		{"lnk/new", filepath.Join(in, "new")},
		{"lnk/new/deeper/../x", filepath.Join(in, "new", "x")},
		{"abs/new", filepath.Join(in, "new")},
		{"chain/new", filepath.Join(in, "new")},
		{"lnk/..", root},
		{"lnk/../lnk/a.json", filepath.Join(in, "a.json")},
		{"deep/up/../lnk", in},
		{"deep/x/dot/new", filepath.Join(in, "new")},
		{"dangling", filepath.Join(root, "nowhere", "new")},
		{"file.json/x", filepath.Join(root, "file.json", "x")},
		{"./in/./", in},
	}
	for _, tt := range tests {
		// Not filepath.Join, which would clean "lnk/.." as text.
		got, err := Resolve(root + string(filepath.Separator) + tt.path)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Resolve(%s) = %s, want %s", tt.path, got, tt.want)
		}
	}
	if _, err := Resolve(filepath.Join(root, "loop1", "x")); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("a loop: err = %v", err)
	}
}

// Without AllowNonAtomic, an output that can only be written file by file is refused, and
// left exactly as it was: found at the start (a mount point) or only at the swap.
func TestWriterRefusesNonAtomic(t *testing.T) {
	t.Parallel()
	old := map[string]string{"old.json": "o"}
	check := func(t *testing.T, out string, err error, reason string) {
		t.Helper()
		var ne *NonAtomicError
		if !errors.As(err, &ne) || !errors.Is(err, ErrNonAtomic) {
			t.Fatalf("err = %v, want a NonAtomicError", err)
		}
		for _, s := range []string{out, reason, "cannot be replaced atomically", "the output folder was not changed"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("err = %q, want it to contain %q", err, s)
			}
		}
		if diff := cmp.Diff(withDirs(old), treetest.Read(t, out)); diff != "" {
			t.Errorf("out changed (-want +got):\n%s", diff)
		}
		if l := leftovers(t, out); l != nil {
			t.Errorf("left over: %v", l)
		}
	}
	t.Run("mount point", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		mountTmpfs(t, out)
		treetest.Make(t, out, old)
		_, err := NewWriter(t.Context(), out, Options{Clean: true})
		check(t, out, err, "is a mount point")
	})
	t.Run("found at the swap", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		treetest.Make(t, out, old)
		opts := Options{Clean: true, hooks: &testHooks{exchange: func(staging, out string) error {
			return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.EBUSY}
		}}}
		_, err := WriteTree(t.Context(), out, filesOf(map[string]string{"new.json": "n"}), opts)
		check(t, out, err, "is a mount point or in use")
	})
}
