package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// putAll puts files from the given number of goroutines, each taking the next file, as the
// workers of a streamed upgrade do. Each goroutine reuses one buffer for the data and scribbles
// over it once Put returns, so a writer that kept f.Data would write zeros.
func putAll(w *Writer, files []File, workers int) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, workers)
	)
	for g := range workers {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				f := files[i]
				buf = append(buf[:0], f.Data...)
				f.Data = buf
				if err := w.Put(f); err != nil {
					errs[g] = err
					return
				}
				clear(buf)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readModes returns the permission bits of everything under root.
func readModes(t testing.TB, root string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		modes[filepath.ToSlash(rel)] = fi.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modes
}

// snapshot is everything a test can see of a tree: contents, links, folders and modes.
type snapshot struct {
	Tree  map[string]string
	Modes map[string]fs.FileMode
}

func snap(t testing.TB, root string) snapshot {
	t.Helper()
	s := snapshot{Tree: treetest.Read(t, root)}
	if s.Tree != nil {
		s.Modes = readModes(t, root)
	}
	return s
}

// mountTmpfs mounts a tmpfs at dir, so that dir is a mount point, or skips the test where
// mounting is not allowed (it needs root).
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount("tmpfs", dir, "tmpfs", 0); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := unmount(dir); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
}

// writerSetup is one way the new tree reaches out, which the streaming API must handle alike.
type writerSetup struct {
	name     string
	exchange func(staging, out string) error
	mount    bool // out is a mount point: file by file from the start
}

func writerSetups() []writerSetup {
	var setups []writerSetup
	for _, m := range swapModes {
		setups = append(setups, writerSetup{name: m.name, exchange: m.exchange})
	}
	return append(setups, writerSetup{name: "mount-point", mount: true})
}

// opts returns opts with the setup's exchange hook.
func (s writerSetup) opts(opts Options) Options {
	return withHooks(opts, s.exchange, nil)
}

// prepare makes an output folder holding old under a fresh temporary folder, as setup says.
func (s writerSetup) prepare(t *testing.T, old map[string]string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if s.mount {
		mountTmpfs(t, out)
	}
	if old != nil {
		treetest.Make(t, out, old)
	}
	return out
}

// modeTree is a new tree with every kind of entry: modes, links, deep and shared folders.
func modeTree() []File {
	var files []File
	for i := range 240 {
		f := File{Path: fmt.Sprintf("realm%d/svc%02d/e%03d.json", i%3, i%17, i), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
		switch i % 5 {
		case 1:
			f.Mode = 0o600
		case 2:
			f.Mode = 0o664
		case 3:
			f.Mode = 0o755
		}
		files = append(files, f)
	}
	return append(files,
		File{Path: "top.json", Data: []byte("top")},
		File{Path: "empty.json"},
		File{Path: "a/b/c/d/deep.json", Data: []byte("deep")},
		File{Path: "a/link.json", Link: "b/c/d/deep.json"},
		File{Path: "realm0/up", Link: "../top.json"},
		File{Path: "locked/new.json", Data: []byte("into a read-only folder")},
	)
}

// The tree does not depend on the order of the Puts, nor on how many goroutines make them.
func TestWriterConcurrentPutMatchesSequential(t *testing.T) {
	t.Parallel()
	old := map[string]string{
		"top.json":             "old top",
		"realm1/svc01/old.txt": "kept when not clean",
		"gone/x.json":          "removed when not clean",
		"locked/old.json":      "in a read-only folder",
		"private/p.json":       "in a private folder",
	}
	files := modeTree()
	shuffled := slices.Clone(files)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })

	for _, s := range writerSetups() {
		for _, opts := range []Options{{Clean: true}, {Remove: []string{"gone"}}} {
			t.Run(fmt.Sprintf("%s/clean=%v", s.name, opts.Clean), func(t *testing.T) {
				t.Parallel()
				write := func(files []File, workers int) snapshot {
					out := s.prepare(t, old)
					for rel, m := range map[string]fs.FileMode{"locked": 0o555, "private": 0o700} {
						if err := os.Chmod(filepath.Join(out, rel), m); err != nil {
							t.Fatal(err)
						}
					}
					w, err := NewWriter(t.Context(), out, s.opts(opts))
					if err != nil {
						t.Fatal(err)
					}
					defer w.Abort()
					if err := putAll(w, files, workers); err != nil {
						t.Fatal(err)
					}
					rep, err := w.Commit(t.Context(), nil)
					if err != nil {
						t.Fatal(err)
					}
					if rep.Written != len(files) {
						t.Errorf("Written = %d, want %d", rep.Written, len(files))
					}
					if l := leftovers(t, out); l != nil {
						t.Errorf("left over: %v", l)
					}
					got := snap(t, out)
					_ = os.Chmod(filepath.Join(out, "locked"), 0o755) // so that t.TempDir can clean up
					return got
				}
				sequential := write(files, 1)
				concurrent := write(shuffled, 8)
				if diff := cmp.Diff(sequential, concurrent); diff != "" {
					t.Errorf("8 goroutines, shuffled, against one in order (-want +got):\n%s", diff)
				}
				// And both are the tree asked for.
				for _, f := range files {
					want := string(f.Data)
					if f.Link != "" {
						want = treetest.LinkPrefix + f.Link
					}
					if got := sequential.Tree[f.Path]; got != want {
						t.Errorf("%s = %q, want %q", f.Path, got, want)
					}
					if f.Link == "" && sequential.Modes[f.Path] != newFileMode(f.Mode) {
						t.Errorf("%s has mode %v, want %v", f.Path, sequential.Modes[f.Path], newFileMode(f.Mode))
					}
				}
				if m := sequential.Modes["locked"]; m != 0o555 {
					t.Errorf("locked has mode %v, want the old 0o555", m)
				}
				_, kept := sequential.Tree["realm1/svc01/old.txt"]
				_, gone := sequential.Tree["gone/x.json"]
				if kept == opts.Clean || gone {
					t.Errorf("old.txt kept = %v, gone/x.json kept = %v; want %v, false", kept, gone, !opts.Clean)
				}
			})
		}
	}
}

// A bad file fails its own Put, naming the path, and then Commit, leaving out as it was.
func TestWriterPutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   []File // all but the last are put without error
		want    []string
		isExist bool
	}{
		{"twice", []File{{Path: "a.json"}, {Path: "a.json"}}, []string{`"a.json" appears twice`}, true},
		{"twice, a link", []File{{Path: "a.json"}, {Path: "a.json", Link: "b.json"}}, []string{`"a.json" appears twice`}, true},
		{"file then folder", []File{{Path: "a"}, {Path: "a/b.json"}}, []string{`"a" is both a file and a folder`}, false},
		{"folder then file", []File{{Path: "a/b.json"}, {Path: "a"}}, []string{`"a" is both a file and a folder`}, false},
		{"deep folder then file", []File{{Path: "a/b/c.json"}, {Path: "a/b"}}, []string{`"a/b" is both a file and a folder`}, false},
		{"file then deep folder", []File{{Path: "a/b"}, {Path: "a/b/c/d.json"}}, []string{`"a/b" is both a file and a folder`}, false},
		{"parent segment", []File{{Path: "a/../../escape.json"}}, []string{`"a/../../escape.json"`, `".." segment`}, false},
		{"absolute", []File{{Path: "/etc/passwd"}}, []string{`"/etc/passwd"`, "absolute"}, false},
		{"reserved", []File{{Path: partialDir + "/x.json"}}, []string{`".amupgrade-partial/x.json"`, "reserved"}, false},
		{"empty", []File{{Path: ""}}, []string{`file ""`, "empty path"}, false},
		{"link out of the tree", []File{{Path: "a/l", Link: "../../x"}}, []string{`link "a/l"`, "leads out of the tree"}, false},
	}
	old := map[string]string{"old.json": "o", "a/": ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			treetest.Make(t, out, old)
			before := snap(t, out)
			w, err := NewWriter(t.Context(), out, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			for _, f := range tt.files[:len(tt.files)-1] {
				if err := w.Put(f); err != nil {
					t.Fatalf("Put(%s): %v", f.Path, err)
				}
			}
			err = w.Put(tt.files[len(tt.files)-1])
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
			if got := errors.Is(err, fs.ErrExist); got != tt.isExist {
				t.Errorf("errors.Is(err, fs.ErrExist) = %v, want %v", got, tt.isExist)
			}
			// Other files still go in: the upgrade reports every duplicate before it stops.
			if err := w.Put(File{Path: "other.json"}); err != nil {
				t.Errorf("Put after a failed Put: %v", err)
			}
			_, cerr := w.Commit(t.Context(), nil)
			if !errors.Is(cerr, err) {
				t.Errorf("Commit = %v, want it to wrap %v", cerr, err)
			}
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("beside out: %v", entries)
			}
		})
	}
}

// Abort, at any point before Commit, leaves out exactly as it was and nothing beside it; after
// Commit it does nothing.
func TestWriterAbort(t *testing.T) {
	t.Parallel()
	old := map[string]string{"old.json": "o", "a/shared.json": "old shared", "ro/x.json": "x"}
	files := modeTree()
	for _, s := range append(writerSetups(), writerSetup{name: "new output"}) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			var out string
			if s.name == "new output" {
				out = s.prepare(t, nil)
			} else {
				out = s.prepare(t, old)
				if err := os.Chmod(filepath.Join(out, "ro"), 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.Chmod(filepath.Join(out, "ro"), 0o755) })
			}
			before := snap(t, out)
			w, err := NewWriter(t.Context(), out, s.opts(Options{}))
			if err != nil {
				t.Fatal(err)
			}
			if err := putAll(w, files[:len(files)/2], 4); err != nil {
				t.Fatal(err)
			}
			w.Abort()
			w.Abort()
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
			if err := w.Put(files[len(files)-1]); !errors.Is(err, errWriterClosed) {
				t.Errorf("Put after Abort = %v, want errWriterClosed", err)
			}
			if _, err := w.Commit(t.Context(), nil); !errors.Is(err, errWriterClosed) {
				t.Errorf("Commit after Abort = %v, want errWriterClosed", err)
			}
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed after Put and Commit (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("after commit", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		treetest.Make(t, out, old)
		w := commitOne(t, out, "new.json", "n")
		w.Abort()
		if diff := cmp.Diff(withDirs(map[string]string{"new.json": "n"}), treetest.Read(t, out)); diff != "" {
			t.Errorf("tree (-want +got):\n%s", diff)
		}
		if _, err := w.Commit(t.Context(), nil); !errors.Is(err, errWriterClosed) {
			t.Errorf("second Commit = %v, want errWriterClosed", err)
		}
	})
	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		var w *Writer
		w.Abort() // what a defer runs when NewWriter failed
	})
}

// A context cancelled before Commit swaps, the writer's or Commit's, leaves out as it was.
func TestWriterCancelled(t *testing.T) {
	t.Parallel()
	old := map[string]string{"old.json": "o", "a/shared.json": "old shared"}
	files := modeTree()
	for _, s := range writerSetups() {
		t.Run(s.name+"/writer", func(t *testing.T) {
			t.Parallel()
			out := s.prepare(t, old)
			before := snap(t, out)
			ctx, cancel := context.WithCancel(t.Context())
			w, err := NewWriter(ctx, out, s.opts(Options{Clean: true}))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := putAll(w, files[:10], 2); err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := w.Put(files[10]); !errors.Is(err, context.Canceled) {
				t.Errorf("Put after cancel = %v, want context.Canceled", err)
			}
			if _, err := w.Commit(t.Context(), nil); !errors.Is(err, context.Canceled) {
				t.Errorf("Commit = %v, want context.Canceled", err)
			}
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
		})
		t.Run(s.name+"/commit", func(t *testing.T) {
			t.Parallel()
			out := s.prepare(t, old)
			before := snap(t, out)
			w, err := NewWriter(t.Context(), out, s.opts(Options{Clean: true}))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := putAll(w, files, 4); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := w.Commit(ctx, nil); !errors.Is(err, context.Canceled) {
				t.Errorf("Commit = %v, want context.Canceled", err)
			}
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
		})
	}
	t.Run("before NewWriter", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		dir := t.TempDir()
		if _, err := NewWriter(ctx, filepath.Join(dir, "out"), Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("written: %v", entries)
		}
	})
}

// With Clean false, Commit's remove (known only at the end of a streamed upgrade) and
// Options.Remove both drop paths of the old output; the rest of it stays.
func TestWriterCommitRemove(t *testing.T) {
	t.Parallel()
	old := map[string]string{
		"keep.json":      "old keep",
		"a/old.json":     "old a",
		"gone/x.json":    "old gone",
		"gone/y/z.json":  "old gone",
		"b/deleted.json": "old deleted",
		"b/kept.json":    "old kept",
		"opt.json":       "removed by the options",
	}
	files := []File{{Path: "a/new.json", Data: []byte("new a")}, {Path: "b/new.json", Data: []byte("new b")}}
	tests := []struct {
		name   string
		opts   Options
		remove []string
		want   map[string]string
	}{{
		name:   "remove at commit",
		opts:   Options{Remove: []string{"opt.json"}},
		remove: []string{"gone", "b/deleted.json", "no/such.json"},
		want: withDirs(map[string]string{
			"keep.json":   "old keep",
			"a/old.json":  "old a",
			"a/new.json":  "new a",
			"b/kept.json": "old kept",
			"b/new.json":  "new b",
		}),
	}, {
		name: "nothing to remove",
		want: withDirs(map[string]string{
			"keep.json":      "old keep",
			"a/old.json":     "old a",
			"a/new.json":     "new a",
			"gone/x.json":    "old gone",
			"gone/y/z.json":  "old gone",
			"b/deleted.json": "old deleted",
			"b/kept.json":    "old kept",
			"b/new.json":     "new b",
			"opt.json":       "removed by the options",
		}),
	}, {
		name:   "clean removes everything else anyway",
		opts:   Options{Clean: true},
		remove: []string{"gone"},
		want:   withDirs(map[string]string{"a/new.json": "new a", "b/new.json": "new b"}),
	}}
	for _, s := range writerSetups() {
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				out := s.prepare(t, old)
				w, err := NewWriter(t.Context(), out, s.opts(tt.opts))
				if err != nil {
					t.Fatal(err)
				}
				defer w.Abort()
				if err := putAll(w, files, 2); err != nil {
					t.Fatal(err)
				}
				rep, err := w.Commit(t.Context(), tt.remove)
				if err != nil {
					t.Fatal(err)
				}
				if (rep.NonAtomic != "") != (s.mount || s.name == "file-by-file") {
					t.Errorf("NonAtomic = %q", rep.NonAtomic)
				}
				if diff := cmp.Diff(tt.want, treetest.Read(t, out)); diff != "" {
					t.Errorf("tree (-want +got):\n%s", diff)
				}
				if l := leftovers(t, out); l != nil {
					t.Errorf("left over: %v", l)
				}
			})
		}
	}
	t.Run("bad remove", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		treetest.Make(t, out, old)
		w, err := NewWriter(t.Context(), out, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := putAll(w, files, 2); err != nil {
			t.Fatal(err)
		}
		_, err = w.Commit(t.Context(), []string{"../outside"})
		if err == nil || !strings.Contains(err.Error(), `"../outside"`) || !strings.Contains(err.Error(), "was not changed") {
			t.Errorf("err = %v, want one naming the path and saying out was not changed", err)
		}
		if diff := cmp.Diff(withDirs(old), treetest.Read(t, out)); diff != "" {
			t.Errorf("out changed (-want +got):\n%s", diff)
		}
		if l := leftovers(t, out); l != nil {
			t.Errorf("left over: %v", l)
		}
	})
}

// On a mount point the writer goes file by file from the start: every Put lands in out's
// partial folder, never beside out, and Commit renames the files into place.
func TestWriterMountPoint(t *testing.T) {
	t.Parallel()
	s := writerSetup{name: "mount-point", mount: true}
	out := s.prepare(t, map[string]string{"old.json": "o", "a/x.json": "old x"})
	w, err := NewWriter(t.Context(), out, Options{Clean: true, AllowNonAtomic: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	files := modeTree()
	if err := putAll(w, files, 8); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(out, partialDir))
	if err != nil || len(entries) != len(files) {
		t.Errorf("partial folder holds %d entries (%v), want %d", len(entries), err, len(files))
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("beside out: %v", entries)
	}
	rep, err := w.Commit(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{out, "is a mount point", "written file by file"} {
		if !strings.Contains(rep.NonAtomic, want) {
			t.Errorf("NonAtomic = %q, want it to contain %q", rep.NonAtomic, want)
		}
	}
	if rep.Written != len(files) {
		t.Errorf("Written = %d, want %d", rep.Written, len(files))
	}
	want := map[string]string{}
	for _, f := range files {
		if f.Link != "" {
			want[f.Path] = treetest.LinkPrefix + f.Link
		} else {
			want[f.Path] = string(f.Data)
		}
	}
	if diff := cmp.Diff(withDirs(want), treetest.Read(t, out)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over: %v", l)
	}
}

// Where the folder holding out is not writable, there is no room for a staging folder: the
// writer goes file by file. Root writes anywhere, so only others can see this.
func TestWriterReadOnlyParent(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("needs a user whom permissions stop")
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	treetest.Make(t, out, map[string]string{"old.json": "o"})
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(parent, 0o755) })
	w, err := NewWriter(t.Context(), out, Options{Clean: true, AllowNonAtomic: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Put(File{Path: "a/new.json", Data: []byte("n")}); err != nil {
		t.Fatal(err)
	}
	rep, err := w.Commit(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.NonAtomic, "cannot create a staging folder") {
		t.Errorf("NonAtomic = %q", rep.NonAtomic)
	}
	if diff := cmp.Diff(withDirs(map[string]string{"a/new.json": "n"}), treetest.Read(t, out)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// moveFile copies, with its mode, what it cannot rename.
func TestMoveFileAcrossFileSystems(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	dst, err := os.MkdirTemp("/dev/shm", "amupgrade-test-")
	if err != nil {
		t.Skipf("no /dev/shm (%v)", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dst) })
	a, _ := os.Stat(src)
	b, _ := os.Stat(dst)
	if sameDevice(a, b) {
		t.Skip("/dev/shm is on the file system of the temporary folder")
	}
	if err := createFile(filepath.Join(src, "f"), []byte("data"), 0o640, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(src, "l")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f", "l"} {
		if err := moveFile(filepath.Join(src, name), filepath.Join(dst, name), createMask(dst)); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshot{Tree: map[string]string{"f": "data", "l": treetest.LinkPrefix + "f"}, Modes: map[string]fs.FileMode{".": b.Mode().Perm(), "f": 0o640}}
	if diff := cmp.Diff(want, snap(t, dst)); diff != "" {
		t.Errorf("moved (-want +got):\n%s", diff)
	}
}

// Put after Commit is refused rather than written into a tree already swapped in.
func TestWriterPutAfterCommit(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	w := commitOne(t, out, "a.json", "a")
	if err := w.Put(File{Path: "b.json", Data: []byte("b")}); !errors.Is(err, errWriterClosed) {
		t.Errorf("Put after Commit = %v, want errWriterClosed", err)
	}
	if diff := cmp.Diff(withDirs(map[string]string{"a.json": "a"}), treetest.Read(t, out)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// When the swap finds that out cannot be renamed, the staged files move into out's partial
// folder; a failure or an interrupt while they move still leaves out as it was, modes included.
func TestWriterFallbackAtSwapFails(t *testing.T) {
	t.Parallel()
	files := modeTree()
	const victim = "realm0/svc04/e021.json" // i = 21 in modeTree
	tests := []struct {
		name string
		// sabotage runs in place of the exchange, which then fails as on a mount point.
		sabotage func(staging string, cancel context.CancelFunc) error
		want     error
		wantMsg  string
	}{{
		name: "a staged file vanished",
		sabotage: func(staging string, _ context.CancelFunc) error {
			return os.Remove(filepath.Join(staging, filepath.FromSlash(victim)))
		},
		want:    fs.ErrNotExist,
		wantMsg: "writing " + victim,
	}, {
		name: "cancelled",
		sabotage: func(_ string, cancel context.CancelFunc) error {
			cancel()
			return nil
		},
		want: context.Canceled,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			opts := withHooks(Options{Clean: true}, func(staging, out string) error {
				if err := tt.sabotage(staging, cancel); err != nil {
					t.Fatal(err)
				}
				return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.EBUSY}
			}, nil)
			out := filepath.Join(t.TempDir(), "out")
			treetest.Make(t, out, map[string]string{"old.json": "o", victim: "old"})
			if err := os.Chmod(out, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(out, 0o755) })
			before := snap(t, out)
			w, err := NewWriter(t.Context(), out, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := putAll(w, files, 4); err != nil {
				t.Fatal(err)
			}
			_, err = w.Commit(ctx, nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.wantMsg)
			}
			if diff := cmp.Diff(before, snap(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
		})
	}
}

// The folders made to hold a new output go again when the tree is not swapped in, and stay
// when it is.
func TestWriterMadeParents(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	out := filepath.Join(base, "not", "yet", "out")
	w, err := NewWriter(t.Context(), out, Options{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(File{Path: "a.json", Data: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if entries, err := os.ReadDir(base); err != nil || len(entries) != 0 {
		t.Errorf("after Abort, %s holds %v (%v), want nothing", base, entries, err)
	}

	commitOne(t, out, "a.json", "a")
	if b, err := os.ReadFile(filepath.Join(out, "a.json")); err != nil || string(b) != "a" {
		t.Errorf("after Commit, a.json = %q, %v", b, err)
	}
}

// commitOne writes a new tree of one file at out and returns its committed writer.
func commitOne(t *testing.T, out, rel, data string) *Writer {
	t.Helper()
	w, err := NewWriter(t.Context(), out, Options{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(File{Path: rel, Data: []byte(data)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return w
}
