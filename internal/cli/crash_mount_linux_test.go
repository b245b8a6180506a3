//go:build linux

package cli

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs at dir (root only), or skips.
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
}

// In place on a mount point, which no rename can swap: refused, -q or not, the tree as it
// was, whenever the run is killed. With --allow-non-atomic it is written file by file, and a
// SIGKILL may leave a mix, but never a silent one: the next run says so, and completes.
func testMountPoint(t *testing.T, bin string) {
	dir := t.TempDir()
	template := filepath.Join(dir, "template")
	rules := genTree(t, template, 300)
	oldTree := readFiles(t, template)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "-i", template, "-o", ref, rules).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	newTree := readFiles(t, ref)
	mnt := filepath.Join(dir, "mnt")
	mountTmpfs(t, mnt)
	copyTree := func() {
		if err := os.RemoveAll(mnt + "/realm"); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", template+"/.", mnt).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
	}

	copyTree()
	cmd := exec.Command(bin, "-q", "-i", mnt, "-o", mnt, rules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != ExitUsage {
		t.Fatalf("exit %d, want 2:\n%s", code, &stderr)
	}
	want := "amupgrade: output folder " + mnt + " is a mount point, so it cannot be replaced atomically: written file by file, a run killed half-way would leave a mix of old and new files; the output folder was not changed; give --allow-non-atomic to write it file by file all the same, or write to a folder beside it and move that in\n"
	if !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr %q\nwant %q", &stderr, want)
	}
	if !sameFiles(oldTree, readFiles(t, mnt)) {
		t.Fatal("the refused run changed the tree")
	}

	kills := 12
	if testing.Short() {
		kills = 4
	}
	args := []string{"-i", mnt, "-o", mnt, "--allow-non-atomic", rules}
	start := time.Now()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("timing run: %v\n%s", err, out)
	}
	took := time.Since(start)
	if !sameFiles(newTree, readFiles(t, mnt)) {
		t.Fatal("the run file by file differs from the upgrade to another folder")
	}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d, a run takes %v", seed, took.Round(time.Millisecond))
	counts := map[string]int{}
	for i := range kills {
		copyTree()
		cmd, _, lines := startRun(t, bin, args...)
		waitFor(lines, "Writing configuration")
		// The files are renamed into place in a few milliseconds, right after that line.
		delay := time.Duration(rng.Int64N(int64(took/16) + 1))
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		go func() {
			for range lines {
			}
		}()
		_ = cmd.Wait()
		_, markErr := os.Lstat(filepath.Join(mnt, ".amupgrade-partial"))
		marked := markErr == nil
		got := readFiles(t, mnt)
		state := "mixed, marked"
		switch {
		case sameFiles(oldTree, got):
			state = "old"
		case sameFiles(newTree, got):
			state = "new"
		case !marked:
			t.Fatalf("kill %d (after %v): the tree is a mix, and nothing tells the next run", i, delay)
		}
		counts[state]++
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kill %d: the next run failed: %v\n%s", i, err, out)
		}
		if marked && !strings.Contains(string(out), "may hold a mix of old and new files") {
			t.Errorf("kill %d: the next run did not say the tree may hold a mix:\n%s", i, out)
		}
		if !sameFiles(newTree, readFiles(t, mnt)) {
			t.Fatalf("kill %d: after the next run the tree is not the new one", i)
		}
	}
	t.Logf("%d kills with --allow-non-atomic: %v", kills, counts)
}
