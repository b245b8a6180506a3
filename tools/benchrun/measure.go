package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Spec is one command to time.
type Spec struct {
	ID    string   // row id: "a", "d.cp", "g.10000", …
	Label string   // the command as shown in the table, with short path names
	Argv  []string // the command as run
	Out   string   // output folder, removed (untimed) before each run
	Files int      // files in the input tree, 0 if not applicable
}

// Sample is one run of a Spec.
type Sample struct {
	Wall      time.Duration
	CPU       time.Duration // user + system time of the child
	MaxRSSKiB int64         // the child's peak resident set size (rusage ru_maxrss)
}

// Note on MaxRSSKiB: Go starts children with clone(CLONE_VM|CLONE_VFORK),
// and at exec Linux folds the high-water RSS of the memory the child ran on
// until then (the harness's own) into the child's ru_maxrss. So a child's
// peak RSS never reads below the harness's peak RSS at the time it was
// started; the harness keeps its own RSS small (a few MiB) and prints it.

// Result collects the runs of one Spec.
type Result struct {
	Spec    Spec
	Samples []Sample
	Err     error    // first failure; no runs follow it
	Stderr  []string // first lines of stderr of the failed run
}

// stderrLines is how many lines of a failing command's stderr are kept.
const stderrLines = 20

// schedule returns the order in which to run n commands for the given
// number of rounds: each round runs every command once, in the same order
// (A B C A B C …), so that slow drift of the machine hits all of them alike.
func schedule(n, rounds int) []int {
	if n <= 0 || rounds <= 0 {
		return nil
	}
	order := make([]int, 0, n*rounds)
	for r := 0; r < rounds; r++ {
		for i := 0; i < n; i++ {
			order = append(order, i)
		}
	}
	return order
}

// Runner runs commands with their stdout and stderr in files (so that the
// child writes straight to them, with no copying goroutines in the timing).
type Runner struct {
	Dir string // scratch folder for the stdout/stderr files
}

// Measure runs the specs interleaved: warmup untimed rounds, then runs
// timed rounds. A spec whose command fails is not run again.
func (rn Runner) Measure(ctx context.Context, specs []Spec, warmup, runs int) []Result {
	res := make([]Result, len(specs))
	for i, s := range specs {
		res[i].Spec = s
	}
	do := func(order []int, keep bool) {
		for _, i := range order {
			if ctx.Err() != nil {
				return
			}
			if res[i].Err != nil {
				continue
			}
			smp, stderr, err := rn.Once(ctx, specs[i])
			if err != nil {
				res[i].Err, res[i].Stderr = err, stderr
				continue
			}
			if keep {
				res[i].Samples = append(res[i].Samples, smp)
			}
		}
	}
	do(schedule(len(specs), warmup), false)
	do(schedule(len(specs), runs), true)
	if err := ctx.Err(); err != nil {
		for i := range res {
			if res[i].Err == nil && len(res[i].Samples) < runs {
				res[i].Err = fmt.Errorf("interrupted: %w", err)
			}
		}
	}
	return res
}

// Once removes the spec's output folder and runs its command once.
func (rn Runner) Once(ctx context.Context, s Spec) (Sample, []string, error) {
	if s.Out != "" {
		if err := removeOutput(ctx, s.Out); err != nil {
			return Sample{}, nil, fmt.Errorf("removing the previous output: %w", err)
		}
	}
	stdout, err := os.Create(rn.path("stdout"))
	if err != nil {
		return Sample{}, nil, err
	}
	defer stdout.Close()
	stderr, err := os.Create(rn.path("stderr"))
	if err != nil {
		return Sample{}, nil, err
	}
	defer stderr.Close()

	cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		lines := headLines(rn.path("stderr"), stderrLines)
		if lines == nil {
			lines = []string{} // non-nil: the report prints a note for it
		}
		return Sample{}, lines, err
	}
	smp := Sample{Wall: wall, CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		smp.MaxRSSKiB = int64(ru.Maxrss) // KiB on Linux
	}
	return smp, nil, nil
}

// removeOutput removes a previous output folder with rm -rf in a child
// process rather than os.RemoveAll: removing tens of thousands of files
// from Go grows the harness's heap by several MiB, and a child's ru_maxrss
// can never read lower than the harness's own peak RSS (see Sample).
func removeOutput(ctx context.Context, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if !filepath.IsAbs(dir) || filepath.Clean(dir) == "/" {
		return fmt.Errorf("refusing to remove %q", dir)
	}
	rm, err := exec.LookPath("rm")
	if err != nil {
		return os.RemoveAll(dir)
	}
	if out, err := exec.CommandContext(ctx, rm, "-rf", "--", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (rn Runner) path(name string) string {
	return rn.Dir + string(os.PathSeparator) + name
}

// headLines returns the first n lines of a file (each cut to 300 bytes).
func headLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{"(stderr unavailable: " + err.Error() + ")"}
	}
	defer f.Close()
	return firstLines(f, n)
}

func firstLines(r io.Reader, n int) []string {
	var lines []string
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	for len(lines) < n {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 300 {
			line = append(line[:300:300], "…"...)
		}
		if len(line) > 0 || err == nil {
			lines = append(lines, string(line))
		}
		if err != nil {
			break
		}
	}
	return lines
}

// exitText describes a command failure briefly.
func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	return err.Error()
}
