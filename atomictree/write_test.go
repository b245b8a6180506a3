package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// withDirs returns spec plus an entry for every folder its paths imply.
func withDirs(spec map[string]string) map[string]string {
	out := make(map[string]string, len(spec))
	for rel, content := range spec {
		out[rel] = content
		for d := path.Dir(strings.TrimSuffix(rel, "/")); d != "."; d = path.Dir(d) {
			out[d+"/"] = ""
		}
	}
	return out
}

func filesOf(spec map[string]string) []File {
	var files []File
	for rel, content := range spec {
		files = append(files, File{Path: rel, Data: []byte(content)})
	}
	return files
}

// leftovers lists what WriteTree or Recover left beside out, or inside it.
func leftovers(t testing.TB, out string) []string {
	t.Helper()
	var found []string
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".amupgrade-") {
			found = append(found, e.Name())
		}
	}
	if _, err := os.Lstat(filepath.Join(out, partialDir)); err == nil {
		found = append(found, filepath.Join(filepath.Base(out), partialDir))
	}
	return found
}

// swapModes are the three ways WriteTree can put a tree in place, forced through the exchange
// hook. Every behaviour test runs under each, since the caller cannot choose which one it gets.
var swapModes = []struct {
	name     string
	exchange func(staging, out string) error
}{
	{"exchange", nil},
	{"rename-aside", func(staging, out string) error {
		return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.ENOSYS}
	}},
	{"file-by-file", func(staging, out string) error {
		return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.EBUSY}
	}},
}

// withHooks returns opts with the given test hooks. The hooks force a way to the output that
// the caller cannot choose, file by file included, so that is allowed.
func withHooks(opts Options, exchange func(staging, out string) error, writeFile func(rel string) error) Options {
	opts.hooks = &testHooks{exchange: exchange, writeFile: writeFile}
	opts.AllowNonAtomic = true
	return opts
}

func TestWriteTreeNewFolder(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "not", "yet", "out")
	spec := map[string]string{"a.json": "A", "x/y/z.json": "Z", "x/b.txt": ""}
	rep, err := WriteTree(t.Context(), out, filesOf(spec), Options{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Report{Written: 3}, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(withDirs(spec), treetest.Read(t, out)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over: %v", l)
	}
}

func TestWriteTreeOverExisting(t *testing.T) {
	t.Parallel()
	old := map[string]string{
		"keep.json":      "old keep",
		"a/old.json":     "old a",
		"a/shared.json":  "old shared",
		"gone/x.json":    "old gone",
		"b/deleted.json": "old deleted",
		"conflict":       "old file where the new tree has a folder",
		"c/y.json":       "old folder where the new tree has a file",
		"emptydir/":      "",
	}
	files := map[string]string{
		"a/shared.json":   "new shared",
		"a/new.json":      "new a",
		"conflict/z.json": "new z",
		"c":               "new c",
	}
	tests := []struct {
		name string
		opts Options
		want map[string]string
	}{{
		name: "clean",
		opts: Options{Clean: true, Remove: []string{"keep.json"}},
		want: withDirs(files),
	}, {
		name: "keep old files",
		want: withDirs(map[string]string{
			"keep.json":       "old keep",
			"a/old.json":      "old a",
			"a/shared.json":   "new shared",
			"a/new.json":      "new a",
			"gone/x.json":     "old gone",
			"b/deleted.json":  "old deleted",
			"conflict/z.json": "new z",
			"c":               "new c",
			"emptydir/":       "",
		}),
	}, {
		name: "keep old files but removed ones",
		opts: Options{Remove: []string{"b/deleted.json", "gone", "a/new.json", "no/such/file"}},
		want: withDirs(map[string]string{
			"keep.json":       "old keep",
			"a/old.json":      "old a",
			"a/shared.json":   "new shared",
			"a/new.json":      "new a",
			"b/":              "",
			"conflict/z.json": "new z",
			"c":               "new c",
			"emptydir/":       "",
		}),
	}, {
		name: "remove a folder the new tree writes into",
		opts: Options{Remove: []string{"a"}},
		want: withDirs(map[string]string{
			"keep.json":       "old keep",
			"a/shared.json":   "new shared",
			"a/new.json":      "new a",
			"gone/x.json":     "old gone",
			"b/deleted.json":  "old deleted",
			"conflict/z.json": "new z",
			"c":               "new c",
			"emptydir/":       "",
		}),
	}}
	for _, mode := range swapModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				out := filepath.Join(t.TempDir(), "out")
				treetest.Make(t, out, old)
				rep, err := WriteTree(t.Context(), out, filesOf(files), withHooks(tt.opts, mode.exchange, nil))
				if err != nil {
					t.Fatal(err)
				}
				if rep.Written != len(files) {
					t.Errorf("Written = %d, want %d", rep.Written, len(files))
				}
				if (rep.NonAtomic != "") != (mode.name == "file-by-file") {
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
}

func TestWriteTreeModes(t *testing.T) {
	t.Parallel()
	files := []File{
		{Path: "default.json", Data: []byte("d")},
		{Path: "secret.json", Data: []byte("s"), Mode: 0o600},
		{Path: "group.json", Data: []byte("g"), Mode: 0o664}, // survives a umask of 022
		{Path: "run.sh", Data: []byte("r"), Mode: 0o755},
		{Path: "ro.json", Data: []byte("o"), Mode: 0o444},
		{Path: "private/x.json", Data: []byte("x")},
		{Path: "fresh/y.json", Data: []byte("y")},
		{Path: "locked/z.json", Data: []byte("z")},
	}
	want := map[string]fs.FileMode{
		".":              0o750,
		"default.json":   0o644,
		"secret.json":    0o600,
		"group.json":     0o664,
		"run.sh":         0o755,
		"ro.json":        0o444,
		"private":        0o700,
		"private/x.json": 0o644,
		"fresh":          0o755,
		"fresh/y.json":   0o644,
		"kept.json":      0o640,
		"locked":         0o555, // read-only, and still receives its new file
		"locked/z.json":  0o644,
	}
	for _, mode := range swapModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			treetest.Make(t, out, map[string]string{"private/": "", "kept.json": "k", "locked/": ""})
			for rel, m := range map[string]fs.FileMode{".": 0o750, "private": 0o700, "kept.json": 0o640, "locked": 0o555} {
				if err := os.Chmod(filepath.Join(out, rel), m); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := WriteTree(t.Context(), out, files, withHooks(Options{}, mode.exchange, nil)); err != nil {
				t.Fatal(err)
			}
			got := map[string]fs.FileMode{}
			for rel := range want {
				fi, err := os.Lstat(filepath.Join(out, rel))
				if err != nil {
					t.Fatal(err)
				}
				got[rel] = fi.Mode().Perm()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
			_ = os.Chmod(filepath.Join(out, "locked"), 0o755) // so that t.TempDir can clean up
		})
	}
}

// An old tree with read-only folders must still be deleted after the swap; as root this
// passes trivially, as anyone else it needs the folders made writable first.
func TestWriteTreeReadOnlyOldFolders(t *testing.T) {
	t.Parallel()
	for _, mode := range swapModes[:2] {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			treetest.Make(t, out, map[string]string{"ro/deep/a.json": "a"})
			for _, d := range []string{"ro/deep", "ro"} {
				if err := os.Chmod(filepath.Join(out, d), 0o555); err != nil {
					t.Fatal(err)
				}
			}
			spec := map[string]string{"new.json": "n"}
			if _, err := WriteTree(t.Context(), out, filesOf(spec), withHooks(Options{Clean: true}, mode.exchange, nil)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(withDirs(spec), treetest.Read(t, out)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			if l := leftovers(t, out); l != nil {
				t.Errorf("left over: %v", l)
			}
		})
	}
}

func TestWriteTreeSymlinks(t *testing.T) {
	t.Parallel()
	outside := map[string]string{"secret.json": "outside, must stay untouched"}
	old := map[string]string{
		"link.json": treetest.LinkPrefix + "../outside/secret.json",
		"linkdir":   treetest.LinkPrefix + "../outside",
		"dangling":  treetest.LinkPrefix + "nowhere",
	}
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  map[string]string
	}{{
		name:  "carried as links",
		files: map[string]string{"new.json": "n"},
		want:  withDirs(map[string]string{"new.json": "n", "link.json": old["link.json"], "linkdir": old["linkdir"], "dangling": old["dangling"]}),
	}, {
		name:  "new folder replaces a link to a folder",
		files: map[string]string{"linkdir/x.json": "x"},
		want:  withDirs(map[string]string{"linkdir/x.json": "x", "link.json": old["link.json"], "dangling": old["dangling"]}),
	}, {
		name:  "new file replaces a link",
		files: map[string]string{"link.json": "real"},
		want:  withDirs(map[string]string{"link.json": "real", "linkdir": old["linkdir"], "dangling": old["dangling"]}),
	}, {
		name:  "remove through a link does nothing",
		files: map[string]string{"new.json": "n"},
		opts:  Options{Remove: []string{"linkdir/secret.json"}},
		want:  withDirs(map[string]string{"new.json": "n", "link.json": old["link.json"], "linkdir": old["linkdir"], "dangling": old["dangling"]}),
	}, {
		name:  "remove a link removes the link only",
		files: map[string]string{"new.json": "n"},
		opts:  Options{Remove: []string{"linkdir", "link.json"}},
		want:  withDirs(map[string]string{"new.json": "n", "dangling": old["dangling"]}),
	}, {
		name:  "clean removes links only",
		files: map[string]string{"new.json": "n"},
		opts:  Options{Clean: true},
		want:  withDirs(map[string]string{"new.json": "n"}),
	}}
	for _, mode := range swapModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				out := filepath.Join(dir, "out")
				treetest.Make(t, filepath.Join(dir, "outside"), outside)
				treetest.Make(t, out, old)
				if _, err := WriteTree(t.Context(), out, filesOf(tt.files), withHooks(tt.opts, mode.exchange, nil)); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, treetest.Read(t, out)); diff != "" {
					t.Errorf("tree (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(outside, treetest.Read(t, filepath.Join(dir, "outside"))); diff != "" {
					t.Errorf("folder outside out changed (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// An output given as a link is written where the link points, and the link stays a link.
func TestWriteTreeOutIsLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	treetest.Make(t, real, map[string]string{"old.json": "o"})
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	spec := map[string]string{"new.json": "n"}
	if _, err := WriteTree(t.Context(), link, filesOf(spec), Options{Clean: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(withDirs(spec), treetest.Read(t, real)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi, err)
	}
}

func TestWriteTreeOutIsFile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(out, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteTree(t.Context(), out, filesOf(map[string]string{"a": "a"}), Options{})
	if err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("err = %v, want one saying out is not a folder", err)
	}
}

func TestWriteTreeRejectsBadPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		files  []File
		remove []string
	}{
		{"empty", []File{{Path: ""}}, nil},
		{"absolute", []File{{Path: "/etc/passwd"}}, nil},
		{"parent", []File{{Path: "../escape.json"}}, nil},
		{"parent inside", []File{{Path: "a/../../escape.json"}}, nil},
		{"dot", []File{{Path: "./a.json"}}, nil},
		{"dot inside", []File{{Path: "a/./b.json"}}, nil},
		{"empty segment", []File{{Path: "a//b.json"}}, nil},
		{"trailing slash", []File{{Path: "a/"}}, nil},
		{"NUL", []File{{Path: "a\x00b.json"}}, nil},
		{"reserved", []File{{Path: partialDir + "/x"}}, nil},
		{"twice", []File{{Path: "a.json"}, {Path: "a.json"}}, nil},
		{"file and folder", []File{{Path: "a"}, {Path: "a/b.json"}}, nil},
		{"bad remove", []File{{Path: "a.json"}}, []string{"../a.json"}},
	}
	old := map[string]string{"old.json": "o"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var writes atomic.Int32
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			treetest.Make(t, out, old)
			// A valid file first: nothing at all may be written before the bad one is seen.
			files := append([]File{{Path: "first.json", Data: []byte("f")}}, tt.files...)
			if _, err := WriteTree(t.Context(), out, files, withHooks(Options{Remove: tt.remove}, nil, func(string) error { writes.Add(1); return nil })); err == nil {
				t.Fatal("no error")
			} else if !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("err = %v, want it to say nothing was written", err)
			}
			if diff := cmp.Diff(withDirs(old), treetest.Read(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if n := writes.Load(); n != 0 {
				t.Errorf("%d files written", n)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("beside out: %v", entries)
			}
		})
	}
}

// A write that fails, whether by disk full or cancellation, leaves out exactly as it was and
// nothing beside it.
func TestWriteTreeFailureLeavesOutUntouched(t *testing.T) {
	t.Parallel()
	old := map[string]string{"a/old.json": "old", "keep.json": "k"}
	var files []File
	for i := range 200 {
		files = append(files, File{Path: fmt.Sprintf("d%d/f%03d.json", i%7, i), Data: []byte("new")})
	}
	const failAt = "d3/f150.json"
	for _, mode := range swapModes {
		for _, existing := range []bool{true, false} {
			// Each file is written once, even in file-by-file mode: the staged files move
			// into out's partial folder when the swap finds out cannot be renamed.
			const failOn = 1
			t.Run(fmt.Sprintf("%s/existing=%v/disk full", mode.name, existing), func(t *testing.T) {
				t.Parallel()
				var seen atomic.Int32
				out := filepath.Join(t.TempDir(), "out")
				var want map[string]string
				if existing {
					treetest.Make(t, out, old)
					want = withDirs(old)
				}
				_, err := WriteTree(t.Context(), out, files, withHooks(Options{Clean: true}, mode.exchange, func(rel string) error {
					if rel == failAt && seen.Add(1) == failOn {
						return &fs.PathError{Op: "write", Path: rel, Err: syscall.ENOSPC}
					}
					return nil
				}))
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("err = %v, want ENOSPC", err)
				}
				for _, s := range []string{failAt, "free space", "not changed"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("err = %q, want it to contain %q", err, s)
					}
				}
				if diff := cmp.Diff(want, treetest.Read(t, out)); diff != "" {
					t.Errorf("out changed (-want +got):\n%s", diff)
				}
				if l := leftovers(t, out); l != nil {
					t.Errorf("left over: %v", l)
				}
			})
			t.Run(fmt.Sprintf("%s/existing=%v/cancelled", mode.name, existing), func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var seen atomic.Int32
				out := filepath.Join(t.TempDir(), "out")
				var want map[string]string
				if existing {
					treetest.Make(t, out, old)
					want = withDirs(old)
				}
				_, err := WriteTree(ctx, out, files, withHooks(Options{Clean: true}, mode.exchange, func(rel string) error {
					if rel == failAt && seen.Add(1) == failOn {
						cancel()
					}
					return nil
				}))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if diff := cmp.Diff(want, treetest.Read(t, out)); diff != "" {
					t.Errorf("out changed (-want +got):\n%s", diff)
				}
				if l := leftovers(t, out); l != nil {
					t.Errorf("left over: %v", l)
				}
			})
		}
	}
	t.Run("cancelled before", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		out := filepath.Join(t.TempDir(), "out")
		if _, err := WriteTree(ctx, out, files, Options{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
			t.Errorf("written: %v", entries)
		}
	})
}

// A real failure from the file system, not an injected error.
func TestWriteTreeRealWriteError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	treetest.Make(t, out, map[string]string{"a.json": "a"})
	// Read-only folders do not stop root, who may run these tests, so put a folder where a
	// file of the new tree goes.
	_, err := WriteTree(t.Context(), out, filesOf(map[string]string{"x.json": "x"}), withHooks(Options{}, nil, func(rel string) error {
		if rel == "x.json" {
			return os.Mkdir(filepath.Join(stagingOf(t, out), "x.json"), 0o755)
		}
		return nil
	}))
	if err == nil || !strings.Contains(err.Error(), "writing x.json") {
		t.Fatalf("err = %v, want one naming x.json", err)
	}
	if diff := cmp.Diff(withDirs(map[string]string{"a.json": "a"}), treetest.Read(t, out)); diff != "" {
		t.Errorf("out changed (-want +got):\n%s", diff)
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over: %v", l)
	}
}

// stagingOf returns the one staging folder beside out.
func stagingOf(t *testing.T, out string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+stagingInfix+"*"))
	if err != nil || len(m) != 1 {
		t.Fatalf("staging folders: %v %v", m, err)
	}
	return m[0]
}

func TestWriteTreeNonAtomicReason(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.EBUSY, "is a mount point"},
		{syscall.EXDEV, "another file system"},
		{syscall.EPERM, "cannot be renamed"},
	} {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			treetest.Make(t, out, map[string]string{"old.json": "o"})
			rep, err := WriteTree(t.Context(), out, filesOf(map[string]string{"new.json": "n"}), withHooks(Options{Clean: true}, func(staging, out string) error {
				return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: tt.errno}
			}, nil))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{out, tt.want, "written file by file, not swapped atomically"} {
				if !strings.Contains(rep.NonAtomic, s) {
					t.Errorf("NonAtomic = %q, want it to contain %q", rep.NonAtomic, s)
				}
			}
			if diff := cmp.Diff(withDirs(map[string]string{"new.json": "n"}), treetest.Read(t, out)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("other errors fail", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		treetest.Make(t, out, map[string]string{"old.json": "o"})
		if _, err := WriteTree(t.Context(), out, filesOf(map[string]string{"new.json": "n"}), withHooks(Options{Clean: true}, func(staging, out string) error {
			return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.EIO}
		}, nil)); !errors.Is(err, syscall.EIO) {
			t.Fatalf("err = %v, want EIO", err)
		}
		if diff := cmp.Diff(withDirs(map[string]string{"old.json": "o"}), treetest.Read(t, out)); diff != "" {
			t.Errorf("out changed (-want +got):\n%s", diff)
		}
		if l := leftovers(t, out); l != nil {
			t.Errorf("left over: %v", l)
		}
	})
}

// The swap steps are numbered by what a SIGKILL there leaves behind; Recover must bring each
// state back to a complete tree, and be a no-op the second time.
func TestRecover(t *testing.T) {
	t.Parallel()
	oldTree := map[string]string{"old.json": "old tree"}
	newTree := map[string]string{"new.json": "new tree"}
	half := map[string]string{"new.json": "half"}
	tests := []struct {
		name   string
		beside map[string]map[string]string // names beside out → their trees
		out    map[string]string            // nil: out absent
		inside bool                         // a file-by-file write was killed
		want   map[string]string
		did    []string // substrings, one per action
		keep   []string // names beside out that must survive
	}{{
		name: "nothing to do",
		out:  oldTree,
		want: oldTree,
	}, {
		name:   "killed while building",
		out:    oldTree,
		beside: map[string]map[string]string{".out.amupgrade-new-1": half},
		want:   oldTree,
		did:    []string{"removed"},
	}, {
		name:   "killed while building a new output",
		beside: map[string]map[string]string{".out.amupgrade-new-1": half},
		want:   nil,
		did:    []string{"removed"},
	}, {
		name:   "killed after the exchange, before removing the old tree",
		out:    newTree,
		beside: map[string]map[string]string{".out.amupgrade-new-1": oldTree},
		want:   newTree,
		did:    []string{"removed"},
	}, {
		name:   "fallback killed between the renames",
		beside: map[string]map[string]string{".out.amupgrade-old-1": oldTree, ".out.amupgrade-new-1": newTree},
		want:   oldTree,
		did:    []string{"restored", "removed"},
	}, {
		name:   "fallback killed while removing the old tree",
		out:    newTree,
		beside: map[string]map[string]string{".out.amupgrade-old-1": half},
		want:   newTree,
		did:    []string{"removed"},
	}, {
		name:   "file by file killed",
		out:    oldTree,
		inside: true,
		want:   oldTree,
		did:    []string{"may hold a mix"},
	}, {
		name: "other folders are not ours",
		out:  oldTree,
		beside: map[string]map[string]string{
			".out.amupgrade-new-x1":  half, // not a number: an output of its own
			".out2.amupgrade-new-1":  half, // the staging of another output
			".outx.amupgrade-old-1":  half,
			"out.amupgrade-new-1":    half,
			".out.amupgrade-new-":    half,
			".out.amupgrade-partial": half,
		},
		want: oldTree,
		keep: []string{".out.amupgrade-new-x1", ".out2.amupgrade-new-1", ".outx.amupgrade-old-1", "out.amupgrade-new-1", ".out.amupgrade-new-", ".out.amupgrade-partial"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if tt.out != nil {
				treetest.Make(t, out, tt.out)
			}
			if tt.inside {
				treetest.Make(t, filepath.Join(out, partialDir), map[string]string{"0": "half"})
			}
			for name, tree := range tt.beside {
				treetest.Make(t, filepath.Join(dir, name), tree)
			}
			did, err := Recover(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(did) != len(tt.did) {
				t.Errorf("did %q, want %d actions", did, len(tt.did))
			}
			for i := range min(len(did), len(tt.did)) {
				if !strings.Contains(did[i], tt.did[i]) {
					t.Errorf("action %d = %q, want it to contain %q", i, did[i], tt.did[i])
				}
			}
			var want map[string]string
			if tt.want != nil {
				want = withDirs(tt.want)
			}
			if diff := cmp.Diff(want, treetest.Read(t, out)); diff != "" {
				t.Errorf("out (-want +got):\n%s", diff)
			}
			var beside []string
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "out" {
					beside = append(beside, e.Name())
				}
			}
			if diff := cmp.Diff(tt.keep, beside, cmpopts.SortSlices(strings.Compare)); diff != "" {
				t.Errorf("beside out (-want +got):\n%s", diff)
			}
			if did, err := Recover(out); err != nil || did != nil {
				t.Errorf("second Recover = %q, %v; want nothing", did, err)
			}
		})
	}
}

func TestRecoverAmbiguous(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	treetest.Make(t, filepath.Join(dir, ".out.amupgrade-old-1"), map[string]string{"a": "1"})
	treetest.Make(t, filepath.Join(dir, ".out.amupgrade-old-2"), map[string]string{"a": "2"})
	if _, err := Recover(out); err == nil || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("err = %v, want one asking to choose by hand", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("Recover touched something: %v", entries)
	}
}

func TestRecoverNothingThere(t *testing.T) {
	t.Parallel()
	for _, out := range []string{
		filepath.Join(t.TempDir(), "absent"),
		filepath.Join(t.TempDir(), "no", "parent"),
	} {
		if did, err := Recover(out); err != nil || did != nil {
			t.Errorf("Recover(%s) = %q, %v; want nothing", out, did, err)
		}
	}
}

// Recover after a real fallback write killed between its renames, reproduced with the hook.
func TestWriteTreeRenameAsideThenRecover(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	oldTree := withDirs(map[string]string{"old.json": "old"})
	treetest.Make(t, out, oldTree)
	opts := withHooks(Options{Clean: true}, swapModes[1].exchange, nil)
	var w *Writer
	opts.hooks.swapStep = func(step string) {
		if step == "between-renames" {
			// As SIGKILL would: nothing after this point runs, and the kernel closes the
			// files, the staging folder's lock with them.
			w.stagingLock.Close()
			runtime.Goexit()
		}
	}
	done := make(chan bool)
	go func() {
		finished := false
		defer func() { done <- finished }()
		var err error
		if w, err = NewWriter(t.Context(), out, opts); err != nil {
			return
		}
		_ = w.Put(File{Path: "new.json", Data: []byte("new")})
		_, _ = w.Commit(t.Context(), nil)
		finished = true
	}()
	if <-done {
		t.Fatal("WriteTree was not stopped between its renames")
	}
	if got := treetest.Read(t, out); got != nil {
		t.Fatalf("out = %v, want it parked aside", got)
	}
	if _, err := Recover(out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(oldTree, treetest.Read(t, out)); diff != "" {
		t.Errorf("out (-want +got):\n%s", diff)
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over: %v", l)
	}
}

// BenchmarkWriteTree writes 20,000 files of 1 KiB: "new" into an absent output, "replace" over
// an existing tree of the same shape, which adds deleting the old tree after the swap.
func BenchmarkWriteTree(b *testing.B) {
	files := make([]File, 20000)
	data := []byte(strings.Repeat("x", 1024))
	for i := range files {
		files[i] = File{Path: fmt.Sprintf("realm%d/service%02d/entity%05d.json", i%5, i%40, i), Data: data}
	}
	b.Run("new", func(b *testing.B) {
		dir := b.TempDir()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := WriteTree(b.Context(), filepath.Join(dir, strconv.Itoa(i)), files, Options{Clean: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replace", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "out")
		if _, err := WriteTree(b.Context(), out, files, Options{Clean: true}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := WriteTree(b.Context(), out, files, Options{Clean: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// filesWithLinks is filesOf, with "-> target" entries as links.
func filesWithLinks(spec map[string]string) []File {
	var files []File
	for rel, content := range spec {
		if target, ok := strings.CutPrefix(content, treetest.LinkPrefix); ok {
			files = append(files, File{Path: rel, Link: target})
			continue
		}
		files = append(files, File{Path: rel, Data: []byte(content)})
	}
	return files
}

// Links of the new tree (File.Link) are written as links, never followed, in every swap mode,
// over an old tree whose entries they replace and into a new folder.
func TestWriteTreeLinks(t *testing.T) {
	t.Parallel()
	outside := map[string]string{"secret.json": "outside, must stay untouched"}
	old := map[string]string{
		"a.json":        "old a",
		"l.json":        "old file where the new tree has a link",
		"d/x.json":      "old folder where the new tree has a link",
		"was-link.json": treetest.LinkPrefix + "../outside/secret.json",
	}
	files := map[string]string{
		"a.json":           "new a",
		"l.json":           treetest.LinkPrefix + "a.json",
		"d":                treetest.LinkPrefix + "sub",
		"sub/y.json":       "y",
		"sub/up.json":      treetest.LinkPrefix + "../a.json",
		"sub/dangling":     treetest.LinkPrefix + "nowhere/at/all",
		"was-link.json":    "a file where the old tree had a link",
		"sub/deep/to-root": treetest.LinkPrefix + "../..",
	}
	for _, mode := range swapModes {
		for _, existing := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/existing=%v", mode.name, existing), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				treetest.Make(t, filepath.Join(dir, "outside"), outside)
				out := filepath.Join(dir, "out")
				if existing {
					treetest.Make(t, out, old)
				}
				rep, err := WriteTree(t.Context(), out, filesWithLinks(files), withHooks(Options{Clean: true}, mode.exchange, nil))
				if err != nil {
					t.Fatal(err)
				}
				if rep.Written != len(files) {
					t.Errorf("Written = %d, want %d", rep.Written, len(files))
				}
				if diff := cmp.Diff(withDirs(files), treetest.Read(t, out)); diff != "" {
					t.Errorf("tree (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(outside, treetest.Read(t, filepath.Join(dir, "outside"))); diff != "" {
					t.Errorf("folder outside out changed (-want +got):\n%s", diff)
				}
				if l := leftovers(t, out); l != nil {
					t.Errorf("left over: %v", l)
				}
			})
		}
	}
}

// A link that would lead out of the tree is refused before anything is written.
func TestWriteTreeRejectsBadLinks(t *testing.T) {
	t.Parallel()
	for _, f := range []File{
		{Path: "abs", Link: "/etc/passwd"},
		{Path: "up", Link: "../outside"},
		{Path: "a/b/up", Link: "../../../outside"},
		{Path: "a/dotdot", Link: "x/../../.."},
		{Path: "nul", Link: "a\x00b"},
	} {
		t.Run(f.Path, func(t *testing.T) {
			t.Parallel()
			var writes atomic.Int32
			out := filepath.Join(t.TempDir(), "out")
			old := map[string]string{"old.json": "o"}
			treetest.Make(t, out, old)
			_, err := WriteTree(t.Context(), out, []File{{Path: "first.json", Data: []byte("f")}, f}, withHooks(Options{Clean: true}, nil, func(string) error { writes.Add(1); return nil }))
			if err == nil || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("err = %v, want a refusal saying nothing was written", err)
			}
			if diff := cmp.Diff(withDirs(old), treetest.Read(t, out)); diff != "" {
				t.Errorf("out changed (-want +got):\n%s", diff)
			}
			if n := writes.Load(); n != 0 {
				t.Errorf("%d files written", n)
			}
		})
	}
}

// The tree is flushed once before the swap, and not at all with NoSync; the tree is the same.
func TestWriteTreeNoSync(t *testing.T) {
	t.Parallel()
	spec := map[string]string{"a.json": "A", "x/b.json": "B"}
	for _, noSync := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		treetest.Make(t, out, map[string]string{"old.json": "old"})
		var flushed []string
		opts := Options{Clean: true, NoSync: noSync, hooks: &testHooks{flush: func(dir string) { flushed = append(flushed, dir) }}}
		if _, err := WriteTree(t.Context(), out, filesOf(spec), opts); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 1, true: 0}[noSync]; len(flushed) != want {
			t.Errorf("NoSync %v: flushed %v, want %d flush", noSync, flushed, want)
		}
		if diff := cmp.Diff(withDirs(spec), treetest.Read(t, out)); diff != "" {
			t.Errorf("NoSync %v: tree (-want +got):\n%s", noSync, diff)
		}
	}
}
