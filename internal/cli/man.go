package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v3"
)

// manCommand prints the manual page, generated from the flags so that it
// cannot drift from them (docs/amupgrade.1 is checked against it).
func (c *CLI) manCommand() *ucli.Command {
	return &ucli.Command{
		Name:   "man",
		Usage:  "print the manual page (roff)",
		Hidden: true,
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			writeMan(c.Stdout, cmd.Root())
			return nil
		},
	}
}

var roffEscape = strings.NewReplacer(`\`, `\e`, "-", `\-`, "'", `\(aq`)

func roff(s string) string {
	s = roffEscape.Replace(s)
	if strings.HasPrefix(s, ".") {
		s = `\&` + s
	}
	return s
}

func writeMan(w io.Writer, root *ucli.Command) {
	fmt.Fprintf(w, ".TH AMUPGRADE 1 \"\" \"amupgrade\" \"User Commands\"\n")
	fmt.Fprintf(w, ".SH NAME\namupgrade \\- %s\n", roff(root.Usage))
	fmt.Fprintf(w, ".SH SYNOPSIS\n")
	for _, line := range strings.Split(root.UsageText, "\n") {
		fmt.Fprintf(w, ".B %s\n.br\n", roff(line))
	}
	fmt.Fprintf(w, ".SH DESCRIPTION\n%s\n", roff(strings.ReplaceAll(root.Description, "\n", " ")))
	fmt.Fprintf(w, ".SH OPTIONS\n")
	for _, f := range root.Flags {
		names := f.Names()
		var parts []string
		for _, n := range names {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			parts = append(parts, `\fB`+roff(dash+n)+`\fR`)
		}
		usage := ""
		if d, ok := f.(ucli.DocGenerationFlag); ok {
			usage = d.GetUsage()
			if d.TakesValue() {
				parts[len(parts)-1] += ` \fIVALUE\fR`
			}
			if v := d.GetValue(); v != "" && v != "false" && v != `""` {
				usage += fmt.Sprintf(" (default %s)", v)
			}
		}
		fmt.Fprintf(w, ".TP\n%s\n%s\n", strings.Join(parts, ", "), roff(usage))
	}
	fmt.Fprintf(w, ".SH COMMANDS\n")
	for _, sub := range root.Commands {
		if sub.Hidden {
			continue
		}
		fmt.Fprintf(w, ".TP\n\\fB%s\\fR %s\n%s\n", roff(sub.Name), roff(sub.ArgsUsage), roff(sub.Usage))
		for _, s2 := range sub.Commands {
			fmt.Fprintf(w, ".TP\n\\fB%s %s\\fR %s\n%s\n", roff(sub.Name), roff(s2.Name), roff(s2.ArgsUsage), roff(s2.Usage))
		}
	}
	fmt.Fprintf(w, ".SH EXIT STATUS\n")
	for _, e := range [][2]string{{"0", "done"}, {"1", "the upgrade failed: the input cannot be upgraded or the output not written; nothing was written"},
		{"2", "usage error"}, {"3", "a rule file is invalid"}, {"4", "\\-\\-check: the upgrade would change the configuration"}, {"130", "interrupted; nothing was written"}} {
		fmt.Fprintf(w, ".TP\n%s\n%s\n", e[0], e[1])
	}
	fmt.Fprintf(w, ".SH SEE ALSO\nThe rule format: docs/rules.md in the source distribution.\n")
}
