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
		Usage:     "run golden cases (folders with args, in/ and want/)",
		ArgsUsage: "DIR...",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "update", Usage: "rewrite want/ with what the rules give (changed files only)"},
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
					case len(res.Updated) > 0:
						fmt.Fprintf(c.Stdout, "updated %s: %v\n", name, res.Updated)
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
