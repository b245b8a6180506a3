//go:build linux

package atomictree

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

func mount(source, target, fstype string, flags uintptr) error {
	return syscall.Mount(source, target, fstype, flags, "")
}

func unmount(target string) error {
	return syscall.Unmount(target, syscall.MNT_DETACH)
}

// A bind mount is on the device of its parent, so the device check cannot see it: statx's
// mount-root attribute (Linux 5.8) does, and the writer goes file by file from the start. On an
// older kernel only the swap finds that out cannot be renamed; the staged files then cross into
// it by copy. No hook: the kernel gives the errors.
func TestWriterBindMount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, out := filepath.Join(dir, "src"), filepath.Join(dir, "out")
	treetest.Make(t, src, map[string]string{"old.json": "o", "kept/k.json": "k"})
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount(src, out, "", syscall.MS_BIND); err != nil {
		t.Skipf("cannot bind mount here (%v)", err)
	}
	t.Cleanup(func() {
		if err := unmount(out); err != nil {
			t.Errorf("unmounting %s: %v", out, err)
		}
	})
	w, err := NewWriter(t.Context(), out, Options{AllowNonAtomic: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if (w.inPlace != "") != isMountRoot(out) {
		t.Fatalf("writing in place from the start: %q, though isMountRoot = %v", w.inPlace, isMountRoot(out))
	}
	files := modeTree()
	if err := putAll(w, files, 8); err != nil {
		t.Fatal(err)
	}
	rep, err := w.Commit(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.NonAtomic, "written file by file") {
		t.Errorf("NonAtomic = %q", rep.NonAtomic)
	}
	got := snap(t, out)
	for _, f := range files {
		want := string(f.Data)
		if f.Link != "" {
			want = treetest.LinkPrefix + f.Link
		}
		if got.Tree[f.Path] != want {
			t.Errorf("%s = %q, want %q", f.Path, got.Tree[f.Path], want)
		}
		if f.Link == "" && got.Modes[f.Path] != newFileMode(f.Mode) {
			t.Errorf("%s has mode %v, want %v", f.Path, got.Modes[f.Path], newFileMode(f.Mode))
		}
	}
	if got.Tree["kept/k.json"] != "k" {
		t.Errorf("old file not kept: %v", got.Tree["kept/k.json"])
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over: %v", l)
	}
}

// Modes are exact whatever the umask: the writer reads the umask and sets again the modes it
// would have spoilt, and the umask of the process is left as it was.
func TestWriterUmask(t *testing.T) {
	files := []File{
		{Path: "default.json", Data: []byte("d")},
		{Path: "group.json", Data: []byte("g"), Mode: 0o664},
		{Path: "run.sh", Data: []byte("r"), Mode: 0o755},
		{Path: "secret.json", Data: []byte("s"), Mode: 0o600},
		{Path: "dir/x.json", Data: []byte("x"), Mode: 0o666},
	}
	want := map[string]fs.FileMode{
		".":            0o755,
		"default.json": 0o644,
		"group.json":   0o664,
		"run.sh":       0o755,
		"secret.json":  0o600,
		"dir":          0o755,
		"dir/x.json":   0o666,
	}
	for _, umask := range []int{0o022, 0o077, 0o002, 0o000, 0o777} {
		t.Run(fmt.Sprintf("%03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			if got := createMask(dir); got != fs.FileMode(umask) {
				t.Errorf("createMask = %03o, want the umask %03o", got, umask)
			}
			out := filepath.Join(dir, "out")
			w, err := NewWriter(t.Context(), out, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := putAll(w, files, 4); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Commit(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, readModes(t, out)); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
			if now := syscall.Umask(umask); now != umask {
				t.Errorf("umask changed to %03o", now)
			}
		})
	}
}
