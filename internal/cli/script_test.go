package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary double as the amupgrade command: scripts
// under testdata/script run it with "exec amupgrade …" (testscript copies the
// test binary into $PATH under that name and runs the CLI in that process).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"amupgrade": func() {
			os.Exit((&CLI{Stdout: os.Stdout, Stderr: os.Stderr, noSync: true}).Run(context.Background(), os.Args))
		},
	})
}

// TestScript runs the command-line scripts in testdata/script, one per
// category of behaviour (usage_*, upgrade_*, inplace_*, output_*, check_*,
// input_*, rules_*, test_*).
//
// Besides testscript's own commands, scripts have:
//
//	exits CODE prog [args...]   run prog (like exec) and require exactly exit CODE;
//	                            stdout and stderr can then be checked as after exec
//	cmptree DIR1 DIR2           the two folders hold the same files, byte for byte
//	crlf FILE...                rewrite each file's line ends as CRLF
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// Under -race every amupgrade process would sleep 1s at exit
			// (the race runtime's default), which makes the scripts 15
			// times slower; races are still reported (exit 66).
			if env.Getenv("GORACE") == "" {
				env.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":   cmdExits,
			"cmptree": cmdCmptree,
			"crlf":    cmdCRLF,
		},
	})
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad exit code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

func cmdCmptree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmptree DIR1 DIR2")
	}
	a, err := treeFiles(ts.MkAbs(args[0]))
	ts.Check(err)
	b, err := treeFiles(ts.MkAbs(args[1]))
	ts.Check(err)
	var problems []string
	for _, p := range sortedPaths(a) {
		y, ok := b[p]
		switch {
		case !ok:
			problems = append(problems, "only in "+args[0]+": "+p)
		case !bytes.Equal(a[p], y):
			problems = append(problems, p+" differs:\n"+string(diff.Diff(args[0]+"/"+p, a[p], args[1]+"/"+p, y)))
		}
	}
	for _, p := range sortedPaths(b) {
		if _, ok := a[p]; !ok {
			problems = append(problems, "only in "+args[1]+": "+p)
		}
	}
	switch {
	case neg && len(problems) == 0:
		ts.Fatalf("%s and %s are the same (%d files)", args[0], args[1], len(a))
	case !neg && len(problems) > 0:
		ts.Fatalf("%s and %s differ:\n%s", args[0], args[1], strings.Join(problems, "\n"))
	}
}

func cmdCRLF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: crlf FILE...")
	}
	for _, name := range args {
		p := ts.MkAbs(name)
		b, err := os.ReadFile(p)
		ts.Check(err)
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		ts.Check(os.WriteFile(p, b, 0o644))
	}
}

// treeFiles reads every file under root, keyed by slash path. A missing
// root is an error, so that comparing two absent folders fails.
func treeFiles(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	return files, err
}
