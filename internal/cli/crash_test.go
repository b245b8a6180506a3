package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary runs the real command, built with go build, where an in-process run cannot show
// what happens: signals (Ctrl-C, SIGKILL) and another user than the one running the tests.
func TestBinary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs Unix signals")
	}
	bin := buildBinary(t)
	t.Run("interrupt", func(t *testing.T) { testInterrupt(t, bin) })
	t.Run("kill in place", func(t *testing.T) { testKillInPlace(t, bin) })
	t.Run("unreadable", func(t *testing.T) { testUnreadable(t, bin) })
	t.Run("in place, parent not writable", func(t *testing.T) { testReadOnlyParent(t, bin) })
	t.Run("concurrent runs", func(t *testing.T) { testConcurrentRuns(t, bin) })
	t.Run("kill with report and log", func(t *testing.T) { testKillReportLog(t, bin) })
	t.Run("in place on a mount point", func(t *testing.T) { testMountPoint(t, bin) })
}

func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build the binary with: %v", err)
	}
	dir := t.TempDir()
	// Other users run it too (see asNobody).
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "amupgrade")
	// The test hooks (pause_on.go) do nothing unless a test's environment asks for them.
	cmd := exec.Command(goTool, "build", "-tags", "amupgrade_testhooks", "-o", bin, "github.com/amupgrade/amupgrade/cmd/amupgrade")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// genTree writes an FBC tree of n entities, each of which badRules changes, and returns the
// rule file's path.
func genTree(t testing.TB, root string, n int) string {
	t.Helper()
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("realm/root-r%d/oauth2provider/1.0/organizationconfig/e%04d.json", i%40, i)] = fmt.Appendf(nil,
			`{"metadata": {"realm": "/r%d", "entityType": "OAuth2Provider", "entityId": "e%d"}, "data": {"_id": "e%d", "scopes": [%s]}}`,
			i%40, i, i, strings.Repeat(`"openid", "profile", "email", `, 20)+`"phone"`)
	}
	return writeFBC(t, root, files)
}

// leftoversBeside lists what a run left beside out or inside it.
func leftoversBeside(t testing.TB, out string) []string {
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
	if _, err := os.Lstat(filepath.Join(out, ".amupgrade-partial")); err == nil {
		found = append(found, ".amupgrade-partial")
	}
	return found
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// startRun starts bin and returns its stdout as lines, as they come.
func startRun(t *testing.T, bin string, args ...string) (*exec.Cmd, *bytes.Buffer, <-chan string) {
	t.Helper()
	return startRunEnv(t, nil, bin, args...)
}

// startRunEnv is startRun with env added to the test's environment.
func startRunEnv(t *testing.T, env []string, bin string, args ...string) (*exec.Cmd, *bytes.Buffer, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return cmd, &stderr, lines
}

// waitFor drains lines until one starts with prefix, and reports whether it came.
func waitFor(lines <-chan string, prefix string) bool {
	for l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1000
	}
	return 0
}

// Ctrl-C while the tree is read and while the new tree is written: exit 130, the staging
// folder removed, the output exactly as it was, in place and out of place. The binary waits in
// the phase (AMUPGRADE_TEST_PAUSE_AT, pause_on.go) until the signal comes, so that the signal
// lands there however fast the machine writes.
func testInterrupt(t *testing.T, bin string) {
	for _, inPlace := range []bool{false, true} {
		for _, phase := range []struct{ name, line string }{
			{"reading", "Reading existing configuration"},
			{"writing", "Writing configuration"},
		} {
			t.Run(fmt.Sprintf("in place=%v/%s", inPlace, phase.line), func(t *testing.T) {
				dir := t.TempDir()
				in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
				rules := genTree(t, in, 300)
				if inPlace {
					out = in
				} else {
					writeFBC(t, out, map[string][]byte{"old.txt": []byte("the previous output")})
				}
				before := readFiles(t, out)
				cmd, stderr, lines := startRunEnv(t, []string{"AMUPGRADE_TEST_PAUSE_AT=" + phase.name}, bin, "-i", in, "-o", out, "--clean", "true", rules)
				if !waitFor(lines, phase.line) {
					t.Fatalf("no %q line; stderr:\n%s", phase.line, stderr)
				}
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
				for range lines {
				}
				if code := exitCode(cmd.Wait()); code != ExitInterrupted {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitInterrupted, stderr)
				}
				if got := stderr.String(); got != "amupgrade: interrupted: nothing was written\n" {
					t.Errorf("stderr %q", got)
				}
				if !sameFiles(before, readFiles(t, out)) {
					t.Errorf("the output changed")
				}
				if l := leftoversBeside(t, out); l != nil {
					t.Errorf("left over: %v", l)
				}
			})
		}
	}
}

// killTrees makes the tree of n entities a SIGKILL test upgrades, in
// dir/template, and upgrades it to another folder for reference: it returns
// the tree's folder, the rule file, and the old and new trees.
func killTrees(t *testing.T, bin, dir string, n int) (template, rules string, oldTree, newTree map[string][]byte) {
	t.Helper()
	template = filepath.Join(dir, "template")
	rules = genTree(t, template, n)
	oldTree = readFiles(t, template)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "-i", template, "-o", ref, rules).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	newTree = readFiles(t, ref)
	if sameFiles(oldTree, newTree) {
		t.Fatal("the upgrade changes nothing")
	}
	return template, rules, oldTree, newTree
}

// SIGKILL at random moments of an upgrade in place: the tree is exactly the old one or exactly
// the new one (as an upgrade to another folder writes it), and the next run completes and
// cleans up what the killed one left.
func testKillInPlace(t *testing.T, bin string) {
	kills, n := 12, 400
	if testing.Short() {
		kills = 5
	}
	dir := t.TempDir()
	template, rules, oldTree, newTree := killTrees(t, bin, dir, n)

	// One run in place, uninterrupted, to time it; it must give the reference.
	tree := filepath.Join(dir, "timing", "tree")
	linkFiles(t, template, tree)
	start := time.Now()
	if out, err := exec.Command(bin, "-i", tree, "-o", tree, rules).CombinedOutput(); err != nil {
		t.Fatalf("run in place: %v\n%s", err, out)
	}
	took := time.Since(start)
	if !sameFiles(newTree, readFiles(t, tree)) {
		t.Fatal("the upgrade in place differs from the upgrade to another folder")
	}

	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d, %d files, a run takes %v", seed, n, took.Round(time.Millisecond))
	var sawOld, sawNew int
	for i := range kills {
		tree := filepath.Join(dir, fmt.Sprint("kill", i), "tree")
		linkFiles(t, template, tree)
		cmd, _, lines := startRun(t, bin, "-i", tree, "-o", tree, rules)
		// Half the kills at any moment of the run, half while the new tree is written and
		// swapped in, where it matters most.
		var delay time.Duration
		if i%2 == 0 {
			delay = time.Duration(rng.Int64N(int64(took + took/5)))
		} else {
			waitFor(lines, "Writing configuration")
			delay = time.Duration(rng.Int64N(int64(took/2) + 1))
		}
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		go func() {
			for range lines {
			}
		}()
		code := exitCode(cmd.Wait())

		got := readFiles(t, tree)
		switch {
		case sameFiles(oldTree, got):
			sawOld++
		case sameFiles(newTree, got):
			sawNew++
		default:
			t.Fatalf("kill %d (after %v, exit %d): the tree is neither the old one nor the new one", i, delay, code)
		}

		// The next run completes, and nothing of the killed one is left.
		out, err := exec.Command(bin, "-i", tree, "-o", tree, rules).CombinedOutput()
		if err != nil {
			t.Fatalf("kill %d: the next run failed: %v\n%s", i, err, out)
		}
		if !sameFiles(newTree, readFiles(t, tree)) {
			t.Fatalf("kill %d: after the next run the tree is not the new one", i)
		}
		if l := leftoversBeside(t, tree); l != nil {
			t.Fatalf("kill %d: left over after the next run: %v\n%s", i, l, out)
		}
	}
	t.Logf("%d kills: %d left the old tree, %d the new one", kills, sawOld, sawNew)
}

// linkFiles makes dst a copy of src's files as hard links: creating files is what costs here,
// and since an upgrade never writes into an existing file, src comes out of every run as it was.
func linkFiles(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// asNobody returns a command that runs bin as the user nobody, for the checks that root, who
// may run these tests, would pass: root reads unreadable files and writes into read-only
// folders. It skips when that is not possible here; dirs are made reachable by nobody.
func asNobody(t *testing.T, dirs []string, bin string, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		return exec.Command(bin, args...)
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv: cannot check permissions, which do not stop root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root without a user nobody (%v): cannot check permissions, which do not stop root", err)
	}
	for _, d := range append(dirs, filepath.Dir(bin)) {
		for ; d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
				if err := os.Chmod(d, fi.Mode().Perm()|0o005); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return exec.Command(setpriv, append([]string{"--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", bin}, args...)...)
}

func testUnreadable(t *testing.T, bin string) {
	for _, tt := range []struct {
		name, path, stderr string
	}{
		{"file", oauth2Path, "amupgrade: " + oauth2Path + ": cannot read; check its permissions: permission denied\n"},
		{"folder", "realm/root/oauth2provider/1.0", "amupgrade: realm/root/oauth2provider/1.0: cannot read; check its permissions: permission denied\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// The output may be written, so that what stops the run is the
			// file it cannot read.
			outDir := filepath.Join(dir, "outdir")
			if err := os.Mkdir(outDir, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(outDir, 0o777); err != nil {
				t.Fatal(err)
			}
			in, out := filepath.Join(dir, "in"), filepath.Join(outDir, "out")
			rules := writeFBC(t, in, nil)
			cmd := asNobody(t, []string{in, dir}, bin, "-i", in, "-o", out, rules)
			if err := os.Chmod(filepath.Join(in, filepath.FromSlash(tt.path)), 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(filepath.Join(in, filepath.FromSlash(tt.path)), 0o755) })
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if code := exitCode(cmd.Run()); code != ExitFailed {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, &stderr)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr %q, want %q", &stderr, tt.stderr)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the output folder was written: %v", err)
			}
			if left := leftoversBeside(t, out); len(left) > 0 {
				t.Errorf("left beside the output: %v", left)
			}
		})
	}
}

// In place, in a folder whose parent the user cannot write: no staging folder can go beside
// it, so the tree could only be written file by file into itself. That is refused, nothing
// changed, unless --allow-non-atomic; then it is done, with a warning that says so.
func testReadOnlyParent(t *testing.T, bin string) {
	dir := t.TempDir()
	parent := filepath.Join(dir, "parent")
	tree := filepath.Join(parent, "tree")
	rules := writeFBC(t, tree, nil)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "-i", tree, "-o", ref, rules).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refused := asNobody(t, []string{tree, parent, dir}, bin, "-i", tree, "-o", tree, rules)
	cmd := asNobody(t, []string{tree, parent, dir}, bin, "-i", tree, "-o", tree, "--allow-non-atomic", rules)
	if os.Geteuid() == 0 {
		// The tree belongs to nobody; its parent does not.
		u, _ := user.Lookup("nobody")
		var uid, gid int
		fmt.Sscan(u.Uid, &uid)
		fmt.Sscan(u.Gid, &gid)
		err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, uid, gid)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(parent, 0o755) })
	before := readFiles(t, tree)
	var stderr bytes.Buffer
	refused.Stderr = &stderr
	if code := exitCode(refused.Run()); code != ExitUsage {
		t.Fatalf("without --allow-non-atomic: exit %d, want 2; stderr:\n%s", code, &stderr)
	}
	if !strings.Contains(stderr.String(), "so it cannot be replaced atomically") || !strings.Contains(stderr.String(), "give --allow-non-atomic") {
		t.Errorf("without --allow-non-atomic: stderr %q", &stderr)
	}
	if !sameFiles(before, readFiles(t, tree)) {
		t.Errorf("without --allow-non-atomic: the tree changed")
	}
	stderr.Reset()
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, &stderr)
	}
	want := "warning: cannot create a staging folder beside output folder " + tree + " (mkdir " + parent + "/.tree.amupgrade-new-"
	if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "permission denied): written file by file, not swapped atomically\n") {
		t.Errorf("stderr %q, want the warning %q…", &stderr, want)
	}
	if !sameFiles(readFiles(t, ref), readFiles(t, tree)) {
		t.Errorf("the tree upgraded in place differs from the upgrade to another folder")
	}
	if l := leftoversBeside(t, tree); l != nil {
		t.Errorf("left over: %v", l)
	}
}
