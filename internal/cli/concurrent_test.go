package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// pairRun is one of the two runs of a pair.
type pairRun struct {
	code           int
	stdout, stderr string
	pid            int
}

// runPair starts a, then b after delay, and waits for both.
func runPair(t *testing.T, bin string, delay time.Duration, a, b []string) (pairRun, pairRun) {
	t.Helper()
	var runs [2]pairRun
	var wg sync.WaitGroup
	for i, args := range [][]string{a, b} {
		if i == 1 {
			time.Sleep(delay)
		}
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			code := exitCode(cmd.Wait())
			runs[i] = pairRun{code: code, stdout: stdout.String(), stderr: stderr.String(), pid: cmd.Process.Pid}
		})
	}
	wg.Wait()
	return runs[0], runs[1]
}

// refusedBy matches the refusal of a run that found its folder locked, and captures the pid
// of the run it names.
var refusedBy = regexp.MustCompile(`^amupgrade: the (output|input) folder \S+ is in use by another run \(pid (\d+) on \S+, started \S+: \S+ .*\) ?(?:after waiting \S+)?; wait until it has finished, then run again \(or give --lock-wait to wait longer\)\n$`)

// Two runs started 0–90 ms apart, on one tree in place or into one output folder: the tree
// is always the old one or the new one, never a mix, and a run exits 0 only if it did its
// work. With the default --lock-wait the second waits and both complete; with --lock-wait 0
// the second may be refused, with a message naming the first.
func testConcurrentRuns(t *testing.T, bin string) {
	pairs := 50
	if testing.Short() {
		pairs = 10
	}
	dir := t.TempDir()
	template := filepath.Join(dir, "template")
	rules := genTree(t, template, 60)
	oldTree := readFiles(t, template)
	ref := filepath.Join(dir, "ref")
	if out, err := exec.Command(bin, "-i", template, "-o", ref, rules).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	newTree := readFiles(t, ref)
	if sameFiles(oldTree, newTree) {
		t.Fatal("the upgrade changes nothing")
	}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	for _, mode := range []string{"in place", "one output"} {
		t.Run(mode, func(t *testing.T) {
			var (
				mu     sync.Mutex
				counts = map[string]int{}
				wg     sync.WaitGroup
				// Three pairs at a time: six runs on two cores still overlap in every phase.
				slots = make(chan struct{}, 3)
			)
			for i := range pairs {
				delay := time.Duration(rng.Int64N(int64(91 * time.Millisecond)))
				pair := filepath.Join(dir, strings.ReplaceAll(mode, " ", "-"), fmt.Sprint(i))
				in := filepath.Join(pair, "in")
				linkFiles(t, template, in)
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots }()
					result := onePair(t, bin, i, mode, delay, in, rules, oldTree, newTree)
					mu.Lock()
					counts[result]++
					mu.Unlock()
				})
			}
			wg.Wait()
			t.Logf("%s, %d pairs: %v", mode, pairs, counts)
		})
	}
}

// onePair runs one pair and checks what it left; it returns what happened, for the counts.
func onePair(t *testing.T, bin string, i int, mode string, delay time.Duration, in, rules string, oldTree, newTree map[string][]byte) string {
	out := in
	if mode == "one output" {
		out = filepath.Join(filepath.Dir(in), "out")
	}
	args := []string{"-i", in, "-o", out, "--clean", "true"}
	wait := "waited"
	if i%2 == 1 {
		args = append(args, "--lock-wait", "0")
		wait = "--lock-wait 0"
	}
	args = append(args, rules)
	a, b := runPair(t, bin, delay, args, args)

	got := readFiles(t, out)
	switch {
	case sameFiles(newTree, got):
	case sameFiles(oldTree, got) && mode == "in place":
	default:
		t.Errorf("pair %d (%s, %v apart): the tree is neither the old one nor the new one; exits %d and %d\nstderr a:\n%s\nstderr b:\n%s", i, wait, delay, a.code, b.code, a.stderr, b.stderr)
		return "mixed"
	}
	refused := 0
	for name, r := range map[string]pairRun{"a": a, "b": b} {
		other := b
		if name == "b" {
			other = a
		}
		switch {
		case r.code == 0:
			// Exit 0 only for a run that did its work, and the tree shows it.
			if !strings.Contains(r.stdout, "Upgrade Completed, modified configuration saved to "+out) {
				t.Errorf("pair %d: run %s exited 0 without completing:\n%s", i, name, r.stdout)
			}
			if !sameFiles(newTree, got) {
				t.Errorf("pair %d: run %s exited 0, but the tree is not the new one", i, name)
			}
		case i%2 == 1 && r.code == ExitFailed:
			m := refusedBy.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Errorf("pair %d: run %s failed, but not with the refusal:\n%s", i, name, r.stderr)
			} else if m[2] != fmt.Sprint(other.pid) {
				t.Errorf("pair %d: run %s (pid %d) names pid %s, not the other run's %d", i, name, r.pid, m[2], other.pid)
			}
			refused++
		default:
			t.Errorf("pair %d (%s): run %s exited %d:\nstdout:\n%s\nstderr:\n%s", i, wait, name, r.code, r.stdout, r.stderr)
		}
	}
	if l := leftoversBeside(t, out); l != nil {
		t.Errorf("pair %d: left over: %v", i, l)
	}
	switch refused {
	case 0:
		return wait + ": both completed"
	case 1:
		return wait + ": one refused"
	}
	t.Errorf("pair %d: neither run completed", i)
	return "neither"
}
