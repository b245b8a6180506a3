package golden

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// runExit is a run that writes one file and exits with code (writing
// nothing when code is not 0).
func runExit(code int) RunFunc {
	return func(args []string, _, stderr io.Writer) int {
		if code != 0 {
			fmt.Fprintf(stderr, "amupgrade: rules.yaml:3:1: broken\n")
			return code
		}
		out := args[4] // amupgrade -i IN -o OUT …
		if err := os.MkdirAll(out, 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(out, "f.json"), []byte("{}\n"), 0o644); err != nil {
			panic(err)
		}
		return 0
	}
}

// --update does not quietly turn a passing case into one that expects a
// failure; a new case, or one that already expected a failure, is updated
// and says how its expected exit code changed.
func TestUpdateExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		want        map[string]string // the case's want/ before the update
		code        int
		problem     string // what the result must say, if it fails
		exitChanged string
		wantAfter   map[string]string
	}{
		{"passing case now fails", map[string]string{"f.json": "{}\n"}, 3,
			"the run now exits 3, and the case expects it to succeed: --update does not record a failure over a passing case", "",
			map[string]string{"f.json": "{}\n"}},
		{"new case fails", map[string]string{}, 3, "", "exit 3, was 0",
			map[string]string{"exit": "3\n", "stderr": "amupgrade: rules.yaml:3:1: broken\n"}},
		{"failing case fails otherwise", map[string]string{"exit": "4\n"}, 3, "", "exit 3, was 4",
			map[string]string{"exit": "3\n", "stderr": "amupgrade: rules.yaml:3:1: broken\n"}},
		{"failing case passes", map[string]string{"exit": "3\n", "stderr": "x\n"}, 0, "", "exit 0, was 3",
			map[string]string{"f.json": "{}\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			spec := map[string]string{"case/args": "--fileBasedMode\n", "case/in/": ""}
			for p, c := range tt.want {
				spec["case/want/"+p] = c
			}
			if len(tt.want) == 0 {
				spec["case/want/"] = ""
			}
			treetest.Make(t, dir, spec)
			c := Case{Name: "case", Dir: filepath.Join(dir, "case")}
			res := c.Run(runExit(tt.code), t.TempDir(), true)
			got := strings.Join(res.Problems, "\n")
			switch {
			case tt.problem == "" && got != "":
				t.Errorf("problems: %s", got)
			case tt.problem != "" && !strings.Contains(got, tt.problem):
				t.Errorf("problems %q, want one saying %q", got, tt.problem)
			}
			if res.ExitChanged != tt.exitChanged {
				t.Errorf("ExitChanged %q, want %q", res.ExitChanged, tt.exitChanged)
			}
			after := map[string]string{}
			for p, c := range treetest.Read(t, filepath.Join(dir, "case", "want")) {
				if !strings.HasSuffix(p, "/") {
					after[p] = c
				}
			}
			if fmt.Sprint(after) != fmt.Sprint(tt.wantAfter) {
				t.Errorf("want/ after the update: %v, want %v", after, tt.wantAfter)
			}
		})
	}
}
