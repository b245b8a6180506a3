package atomictree

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// The crash test runs WriteTree in a child process (this test binary, running
// TestHelperWriteTree) and SIGKILLs it at chosen moments, because only a real kill shows what is
// on disk when nothing more of WriteTree runs: no deferred cleanup, no error path.
//
// The child prints a line as it writes each file and at each step of the swap, and the parent
// kills it once it has seen a chosen line, so that the kills cover the whole run, before and
// after the swap, however fast or loaded the machine is.
const (
	crashEnvOut  = "AMUPGRADE_CRASH_OUT"
	crashEnvMode = "AMUPGRADE_CRASH_MODE"
	// crashRun is about how long the child's WriteTree takes.
	crashRun = 200 * time.Millisecond
	// crashPause is spent at each step of the swap, so that a kill aimed at a step lands there.
	crashPause = 15 * time.Millisecond
)

// crashSteps are the steps of the swap each mode goes through, as the child reports them.
var crashSteps = map[string][]string{
	"exchange":     {"before-swap", "after-swap"},
	"rename-aside": {"before-swap", "between-renames", "after-swap"},
}

// crashTrees returns the old and new trees of the crash test, 300 files each: a third of the
// paths are in both with different contents, and every content names its tree, so any mix
// shows.
func crashTrees() (old, new map[string]string) {
	old, new = map[string]string{}, map[string]string{}
	for i := range 300 {
		if i%3 == 0 {
			p := fmt.Sprintf("shared/s%03d.json", i)
			old[p] = fmt.Sprintf(`{"tree":"old","shared":%d}`, i)
			new[p] = fmt.Sprintf(`{"tree":"new","shared":%d}`, i)
			continue
		}
		old[fmt.Sprintf("realm%d/old%03d.json", i%4, i)] = fmt.Sprintf(`{"tree":"old","i":%d}`, i)
		new[fmt.Sprintf("realm%d/new%03d.json", i%5, i)] = fmt.Sprintf(`{"tree":"new","i":%d}`, i)
	}
	return old, new
}

// TestHelperWriteTree is the child of TestWriteTreeSurvivesSIGKILL; run directly, it skips.
func TestHelperWriteTree(t *testing.T) {
	out := os.Getenv(crashEnvOut)
	if out == "" {
		t.Skip("only runs as the child of TestWriteTreeSurvivesSIGKILL")
	}
	_, newTree := crashTrees()
	// Each line is one write to a pipe, so lines from several workers do not mix.
	perFile := crashRun * time.Duration(runtime.GOMAXPROCS(0)) / time.Duration(len(newTree))
	hooks := &testHooks{
		writeFile: func(string) error {
			fmt.Println("file")
			time.Sleep(perFile)
			return nil
		},
		swapStep: func(step string) {
			fmt.Println("step " + step)
			time.Sleep(crashPause)
		},
	}
	if os.Getenv(crashEnvMode) == "rename-aside" {
		hooks.exchange = func(staging, out string) error {
			return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: syscall.ENOSYS}
		}
	}
	if _, err := WriteTree(context.Background(), out, filesOf(newTree), Options{Clean: true, hooks: hooks}); err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("done")
}

func TestWriteTreeSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	kills := 30 // per mode
	if testing.Short() {
		kills = 12
	}
	oldTree, newTree := crashTrees()
	oldWant, newWant := withDirs(oldTree), withDirs(newTree)

	for _, mode := range []string{"exchange", "rename-aside"} {
		t.Run(mode, func(t *testing.T) {
			// Every run starts from hard links to one template: creating files is what costs
			// here, and since WriteTree must never write into an existing file, the template
			// has to come out of all the runs unchanged.
			template := filepath.Join(t.TempDir(), "template")
			treetest.Make(t, template, oldTree)

			seed := rand.Uint64()
			rng := rand.New(rand.NewPCG(seed, 0))
			t.Logf("seed %d", seed)
			var targets []string
			steps := crashSteps[mode]
			for i := range kills {
				// Every fourth kill aims at a step of the swap, the last step first, so that
				// even a short run kills after the swap.
				if i%4 == 3 {
					targets = append(targets, "step "+steps[len(steps)-1-(i/4)%len(steps)])
					continue
				}
				// Stratified: one kill in each slice of the writing of the files, from just
				// after the first file to just after the last.
				n := (float64(i) + rng.Float64()) / float64(kills) * float64(len(newTree)-1)
				targets = append(targets, fmt.Sprintf("file %d", 1+int(n)))
			}

			var (
				mu     sync.Mutex
				counts = map[string]int{}
				wg     sync.WaitGroup
				slots  = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
			)
			for i, target := range targets {
				jitter := time.Duration(rng.Int64N(int64(2 * time.Millisecond)))
				wg.Go(func() {
					slots <- struct{}{}
					defer func() { <-slots }()
					t.Run(fmt.Sprintf("%02d kill at %s", i, target), func(t *testing.T) {
						state := crashOnce(t, template, mode, target, jitter, oldWant, newWant)
						mu.Lock()
						counts[state]++
						mu.Unlock()
					})
				})
			}
			wg.Wait()
			t.Logf("after the kills, out held: %v", counts)
			if counts["old"] == 0 || counts["new"] == 0 {
				t.Errorf("the kills did not land on both sides of the swap: %v", counts)
			}
			if diff := cmp.Diff(oldWant, treetest.Read(t, template)); diff != "" {
				t.Errorf("WriteTree wrote into a file of the old tree (-want +got):\n%s", diff)
			}
		})
	}
}

// crashOnce starts a child over a copy of template, kills it jitter after it reports target
// ("file N": N files written; "step S": swap step S reached), and checks every state after the
// kill: as the kill left it, after Recover, and after a full WriteTree. It returns what the kill
// left in out: "old", "new", or "absent".
func crashOnce(t *testing.T, template, mode, target string, jitter time.Duration, oldWant, newWant map[string]string) string {
	out := filepath.Join(t.TempDir(), "out")
	linkTree(t, template, out)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriteTree$", "-test.count=1")
	// Without atexit_sleep_ms=0 a race-enabled child lingers a second after it is done.
	cmd.Env = append(os.Environ(), crashEnvOut+"="+out, crashEnvMode+"="+mode, "GORACE=atexit_sleep_ms=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var files int
	var output strings.Builder
	for target != fmt.Sprintf("file %d", files) && lines.Scan() {
		line := lines.Text()
		output.WriteString(line + "\n")
		if line == "file" {
			files++
		}
		if line == target || line == "done" {
			break
		}
	}
	time.Sleep(jitter)
	_ = cmd.Process.Kill() // SIGKILL; fails harmlessly if the child has finished
	for lines.Scan() {
		output.WriteString(lines.Text() + "\n")
	}
	_ = cmd.Wait()
	if strings.Contains(output.String(), "error:") {
		t.Fatalf("child failed:\n%s", output.String())
	}

	var state string
	got := treetest.Read(t, out)
	switch {
	case cmp.Equal(got, oldWant):
		state = "old"
	case cmp.Equal(got, newWant):
		state = "new"
	case got == nil && mode == "rename-aside":
		// The one state the fallback cannot avoid: killed between its two renames. Recover
		// must find the old tree parked beside out.
		state = "absent"
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out"+oldInfix+"*")); len(m) != 1 {
			t.Errorf("out is absent and the parked old trees are %v", m)
		}
	default:
		t.Errorf("after the kill out is neither the old nor the new tree; against the old (-want +got):\n%s", cmp.Diff(oldWant, got))
	}

	if _, err := Recover(out); err != nil {
		t.Fatal(err)
	}
	got = treetest.Read(t, out)
	switch {
	case state == "absent" && !cmp.Equal(got, oldWant):
		t.Errorf("Recover did not put the old tree back; against it (-want +got):\n%s", cmp.Diff(oldWant, got))
	case !cmp.Equal(got, oldWant) && !cmp.Equal(got, newWant):
		t.Errorf("after Recover out is neither the old nor the new tree; against the old (-want +got):\n%s", cmp.Diff(oldWant, got))
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over after Recover: %v", l)
	}

	if _, err := WriteTree(t.Context(), out, filesOf(filesIn(newWant)), Options{Clean: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newWant, treetest.Read(t, out)); diff != "" {
		t.Errorf("after a full run (-want +got):\n%s", diff)
	}
	if l := leftovers(t, out); l != nil {
		t.Errorf("left over after a full run: %v", l)
	}
	return state
}

// linkTree makes dst a copy of src whose files are hard links to src's.
func linkTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, p[len(src):])
		if d.IsDir() {
			return os.Mkdir(target, 0o755)
		}
		return os.Link(p, target)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// filesIn drops the folder entries of a withDirs spec.
func filesIn(spec map[string]string) map[string]string {
	files := map[string]string{}
	for rel, content := range spec {
		if !strings.HasSuffix(rel, "/") {
			files[rel] = content
		}
	}
	return files
}
