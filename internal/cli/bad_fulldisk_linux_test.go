//go:build linux

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
)

// A full disk, on a small tmpfs (root only, where mounting works): the run fails naming the
// file and what to do, and the output is as it was, out of place and in place. Without a
// mount, engine.TestWriteTreeFailureLeavesOutUntouched injects the same error.
func TestBadInputFullDisk(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v); engine.TestWriteTreeFailureLeavesOutUntouched injects ENOSPC instead", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", mnt, err)
		}
	})
	blob := bytes.Repeat([]byte("0123456789abcdef"), 150<<10/16) // 150 KB: fits once, not twice

	// Out of place: the new tree does not fit.
	in := filepath.Join(dir, "in")
	rules := writeFBC(t, in, map[string][]byte{"realm/blob.bin": append(blob, blob...)})
	out := filepath.Join(mnt, "out")
	code, _, stderr := run(t, "-i", in, "-o", out, rules)
	if code != ExitFailed {
		t.Errorf("out of place: exit %d, want 1:\n%s", code, stderr)
	}
	want := regexp.MustCompile(`^amupgrade: writing \S+: .*no space left on device; free space \(the new tree is written in full before it replaces the old one, so the disk needs room for both\) and run again: the output folder \S+ was not changed$`)
	if !want.MatchString(firstLine(stderr)) {
		t.Errorf("out of place: stderr %q, want a match for %s", stderr, want)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 0 {
		t.Errorf("left on the disk: %v", entries)
	}

	// In place: the tree fits, but not twice.
	tree := filepath.Join(mnt, "tree")
	writeFBC(t, tree, map[string][]byte{"realm/blob.bin": blob})
	before := readFiles(t, tree)
	code, _, stderr = run(t, "-i", tree, "-o", tree, rules)
	if code != ExitFailed {
		t.Errorf("in place: exit %d, want 1:\n%s", code, stderr)
	}
	if !want.MatchString(firstLine(stderr)) {
		t.Errorf("in place: stderr %q, want a match for %s", stderr, want)
	}
	after := readFiles(t, tree)
	if len(after) != len(before) {
		t.Errorf("in place: %d files before, %d after", len(before), len(after))
	}
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("in place: %s changed", p)
		}
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 2 { // tree and rules.yaml
		t.Errorf("beside the tree: %v", entries)
	}
}

// A log or a report on a full disk fails the run before the tree is swapped in: exit 1, the
// output as it was, the previous log or report whole.
func TestBadInputFullDiskLogReport(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=32k"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", mnt, err)
		}
	})
	in := filepath.Join(dir, "in")
	rules := genTree(t, in, 300)
	for _, tt := range []struct {
		flag, file string
		want       *regexp.Regexp
	}{
		{"-l", "log.txt", regexp.MustCompile(`^amupgrade: writing the log \S+/log.txt: write \S+: no space left on device; free space and run again: nothing was written$`)},
		{"--report", "r.json", regexp.MustCompile(`^amupgrade: --report \S+/r.json: write \S+: no space left on device; free space and run again: nothing was written$`)},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			out := filepath.Join(dir, "out"+tt.file)
			side := filepath.Join(mnt, tt.file)
			if err := os.WriteFile(side, []byte("the previous one"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := run(t, "-i", in, "-o", out, "-v", tt.flag, side, rules)
			if code != ExitFailed {
				t.Errorf("exit %d, want 1:\n%s", code, stderr)
			}
			if !tt.want.MatchString(firstLine(stderr)) {
				t.Errorf("stderr %q, want a match for %s", stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("the output was written")
			}
			if b, _ := os.ReadFile(side); string(b) != "the previous one" {
				t.Errorf("%s holds %d bytes, not the previous one", tt.file, len(b))
			}
			if entries, _ := os.ReadDir(mnt); len(entries) != 1 {
				t.Errorf("left on the disk: %v", entries)
			}
			_ = os.Remove(side)
		})
	}
}
