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

// manExamples are the command lines of the EXAMPLES section: what each does,
// then the command.
var manExamples = [][2]string{
	{"Upgrade a file-based configuration to AM 8.1, planning the steps from the version the tree records:",
		"amupgrade -i config/services -o upgraded --to 8.1.0"},
	{"The same in place, as forgeops runs the vendor tool (its flags and rules path work as they are):",
		"amupgrade --inputConfig config/services --output config/services --fileBasedMode \\\n    --prettyArrays --clean false --baseDn ou=am-config rules/fbc/latest.groovy"},
	{"Upgrade an Amster export as the 8.1 upgrade guide does, stamping the new version into its files:",
		"amupgrade -i export/ -o upgraded/ -a 8.1.0 rules/amster/7.5.x-to-8.1.x.groovy --ignoreNoRuleTracking"},
	{"In CI: fail when the configuration is not yet upgraded, and show what would change:",
		"amupgrade -i config/services --check --to 8.1.0 || amupgrade -i config/services --diff --to 8.1.0"},
	{"Write a report for a reviewer, with every change and the manual steps left:",
		"amupgrade -i export/ -o upgraded/ --to 8.1.0 --report upgrade.html"},
	{"Show what the tree records of its AM version, and every change:",
		"amupgrade -i config/services --dry-run --to 8.1.0 -v"},
	{"Check a rule file, and run its golden cases:",
		"amupgrade rules check rules/my-step.yaml\namupgrade test testdata/golden"},
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
	fmt.Fprintf(w, ".SH EXAMPLES\n")
	for _, ex := range manExamples {
		fmt.Fprintf(w, ".PP\n%s\n.PP\n.RS\n.nf\n%s\n.fi\n.RE\n", roff(ex[0]), roff(ex[1]))
	}
	fmt.Fprintf(w, ".SH EXIT STATUS\n")
	for _, e := range [][2]string{{"0", "done"}, {"1", "the upgrade failed: the input cannot be upgraded or the output not written; nothing was written"},
		{"2", "usage error"}, {"3", "a rule file is invalid"}, {"4", "\\-\\-check: the upgrade would change the configuration"}, {"130", "interrupted; nothing was written"}} {
		fmt.Fprintf(w, ".TP\n%s\n%s\n", e[0], e[1])
	}
	fmt.Fprintf(w, ".SH SEE ALSO\nThe rule format: docs/rules.md in the source distribution.\n")
}
