package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/amupgrade/amupgrade/internal/golden"
	ucli "github.com/urfave/cli/v3"
)

// testCommand runs golden cases for rule authors: amupgrade test DIR.
func (c *CLI) testCommand(code *int) *ucli.Command {
	return &ucli.Command{
		Name:      "test",
		Usage:     "run golden cases (folders with args, in/ and want/, or .txtar files)",
		ArgsUsage: "DIR...",
		Description: "Each case runs amupgrade on its in/ tree and compares the output with want/, then runs again over its own\n" +
			"output, which must not change. A case is a folder, or one .txtar file with the same parts:\n" +
			"\n" +
			"  args          the arguments of the run, without -i and -o: shell-like words, quotes group, # starts a comment\n" +
			"                line; $CASE stands for the case folder, so rule files kept in the case are $CASE/rules.yaml\n" +
			"  in/           the input tree (-i); relative paths in args resolve from the working directory\n" +
			"  want/         the expected output tree (-o)\n" +
			"  want/exit     the expected exit code, when it is not 0 (nothing is then written)\n" +
			"  want/stderr   the expected stderr (absent: nothing on stderr); $IN, $OUT and $CASE stand for the folders\n" +
			"\n" +
			"--update rewrites want/ with what the run gives (changed files only, stale ones removed). It refuses to turn a\n" +
			"passing case into one that expects a failure, and says so when a case's expected exit code changes.\n" +
			"The format in full: docs/rules.md, \"Golden cases\".",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "update", Usage: "rewrite want/ with what the rules give (changed files only); a passing case is never turned into an expected failure"},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			dirs := cmd.Args().Slice()
			if len(dirs) == 0 {
				return &usageError{"amupgrade test needs a folder of golden cases"}
			}
			defer c.interruptible()()
			run := func(args []string, stdout, stderr io.Writer) int {
				return (&CLI{Stdout: stdout, Stderr: stderr}).Run(ctx, args)
			}
			failed, total := 0, 0
			for _, dir := range dirs {
				cases, err := golden.Find(dir)
				if err != nil {
					return &usageError{err.Error()}
				}
				for _, cs := range cases {
					scratch, err := os.MkdirTemp("", "amupgrade-test-")
					if err != nil {
						return err
					}
					res := cs.Run(run, scratch, cmd.Bool("update"))
					os.RemoveAll(scratch)
					total++
					name := filepath.Join(dir, cs.Name)
					switch {
					case len(res.Problems) == 0 && len(res.Updated) > 0:
						fmt.Fprintf(c.Stdout, "updated %s: %v\n", name, res.Updated)
						if res.ExitChanged != "" {
							fmt.Fprintf(c.Stdout, "  NOTE: %s now expects %s: check that this is what the case tests\n", name, res.ExitChanged)
						}
					case len(res.Problems) > 0:
						failed++
						fmt.Fprintf(c.Stdout, "FAIL %s\n", name)
						for _, p := range res.Problems {
							fmt.Fprintf(c.Stdout, "  %s\n", p)
						}
					default:
						fmt.Fprintf(c.Stdout, "ok   %s\n", name)
					}
				}
			}
			fmt.Fprintf(c.Stdout, "%d passed, %d failed\n", total-failed, failed)
			if failed > 0 {
				*code = ExitFailed
			}
			return nil
		},
	}
}
