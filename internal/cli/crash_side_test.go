package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SIGKILL at random moments of an upgrade in place with --report and -l over a previous
// report and log: each of the three is whole, old or new, whatever the moment; the report and
// the log never half written nor empty. The next run removes the temporary files the killed
// one left.
func testKillReportLog(t *testing.T, bin string) {
	kills, n := 12, 300
	if testing.Short() {
		kills = 6
	}
	dir := t.TempDir()
	template, rules, oldTree, newTree := killTrees(t, bin, dir, n)

	const oldReport, oldLog = `{"old": "report"}`, "the old log\n"
	timing := filepath.Join(dir, "timing")
	linkFiles(t, template, filepath.Join(timing, "tree"))
	if err := os.MkdirAll(filepath.Join(timing, "side"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	args := func(d string) []string {
		tree := filepath.Join(d, "tree")
		return []string{"-i", tree, "-o", tree, "-v", "--report", filepath.Join(d, "side", "r.json"), "-l", filepath.Join(d, "side", "log.txt"), rules}
	}
	if out, err := exec.Command(bin, args(timing)...).CombinedOutput(); err != nil {
		t.Fatalf("timing run: %v\n%s", err, out)
	}
	took := time.Since(start)

	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d, a run takes %v", seed, took.Round(time.Millisecond))
	counts := map[string]int{}
	for i := range kills {
		d := filepath.Join(dir, fmt.Sprint("kill", i))
		linkFiles(t, template, filepath.Join(d, "tree"))
		side := filepath.Join(d, "side")
		if err := os.MkdirAll(side, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{"r.json": oldReport, "log.txt": oldLog} {
			if err := os.WriteFile(filepath.Join(side, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd, _, lines := startRun(t, bin, args(d)...)
		var delay time.Duration
		if i%2 == 0 {
			delay = time.Duration(rng.Int64N(int64(took + took/5)))
		} else {
			// Half the kills from the moment the report and the tree are written.
			waitFor(lines, "Writing configuration")
			delay = time.Duration(rng.Int64N(int64(took/3) + 1))
		}
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		go func() {
			for range lines {
			}
		}()
		_ = cmd.Wait()

		tree := readFiles(t, filepath.Join(d, "tree"))
		report, _ := os.ReadFile(filepath.Join(side, "r.json"))
		log, _ := os.ReadFile(filepath.Join(side, "log.txt"))
		var state []string
		switch {
		case sameFiles(oldTree, tree):
			state = append(state, "tree old")
		case sameFiles(newTree, tree):
			state = append(state, "tree new")
		default:
			t.Fatalf("kill %d (after %v): the tree is neither the old nor the new one", i, delay)
		}
		switch {
		case string(report) == oldReport:
			state = append(state, "report old")
		case json.Valid(report) && strings.Contains(string(report), `"files"`):
			state = append(state, "report new")
		default:
			t.Fatalf("kill %d (after %v): the report is neither the old one nor a whole new one (%d bytes)", i, delay, len(report))
		}
		switch {
		case string(log) == oldLog:
			state = append(state, "log old")
		case strings.Contains(string(log), "Upgrade Completed") && strings.HasSuffix(string(log), "\n"):
			state = append(state, "log new")
		default:
			t.Fatalf("kill %d (after %v): the log is neither the old one nor a whole new one:\n%s", i, delay, log)
		}
		counts[strings.Join(state, ", ")]++

		// The next run completes and removes what the killed one left beside the report and
		// the log.
		if out, err := exec.Command(bin, args(d)...).CombinedOutput(); err != nil {
			t.Fatalf("kill %d: the next run failed: %v\n%s", i, err, out)
		}
		entries, _ := os.ReadDir(side)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if strings.Join(names, " ") != "log.txt r.json" {
			t.Errorf("kill %d: beside the report and log after the next run: %v", i, names)
		}
	}
	t.Logf("%d kills: %v", kills, counts)
}
