package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
	ucli "github.com/urfave/cli/v3"
)

// CLI runs amupgrade with its own streams, so tests can run it in-process.
type CLI struct {
	Stdout, Stderr io.Writer
	// catchSignals, when set, makes Ctrl-C and SIGTERM cancel the run's
	// context until the returned function is called.
	catchSignals func() (release func())
	// noSync, set by tests, writes trees without flushing them to disk (atomictree's
	// Options.NoSync): their outputs are temporary folders, and a flush of the whole file
	// system per run is most of a test's time.
	noSync bool
	// pause, when set, holds a run after it prints the line of a phase ("reading", "writing");
	// see phasePause.
	pause func(ctx context.Context, phase string)
}

// pauseAt holds the run at phase when c.pause says so.
func (c *CLI) pauseAt(ctx context.Context, phase string) {
	if c.pause != nil {
		c.pause(ctx, phase)
	}
}

// Main runs the command with the process's arguments and streams, and stops
// cleanly on Ctrl-C.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Signals are caught only by the commands that do work, since setting
	// that up costs a goroutine and an OS thread at start: --version and
	// --help need neither.
	catch := func() func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			select {
			case <-ch:
				// A second Ctrl-C gets the default behaviour: it kills.
				signal.Stop(ch)
				cancel()
			case <-done:
			}
		}()
		return func() { signal.Stop(ch); close(done) }
	}
	return (&CLI{Stdout: os.Stdout, Stderr: os.Stderr, catchSignals: catch, pause: phasePause}).Run(ctx, os.Args)
}

// interruptible catches signals for the duration of a command's work.
func (c *CLI) interruptible() func() {
	if c.catchSignals == nil {
		return func() {}
	}
	return c.catchSignals()
}

// Run runs the command line args (args[0] is the program name) and returns
// the exit code.
func (c *CLI) Run(ctx context.Context, args []string) int {
	code := ExitOK
	cmd := c.command(&code, args)
	if err := cmd.Run(ctx, args); err != nil {
		return c.fail(ctx, err)
	}
	return code
}

// fail prints an error once, at the edge, and chooses the exit code.
func (c *CLI) fail(ctx context.Context, err error) int {
	// Messages never echo a secret, even with --show-secrets.
	mk := masker{}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(c.Stderr, "amupgrade: interrupted: nothing was written")
		return ExitInterrupted
	}
	if ctx.Err() != nil {
		// Interrupted, but what stopped the run is another error, which
		// may say that something was written: print it as it is.
		fmt.Fprintf(c.Stderr, "amupgrade: interrupted: %s\n", mk.text(err.Error()))
		return ExitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.Stderr, "amupgrade: %s\nRun 'amupgrade --help' for usage.\n", mk.text(err.Error()))
		return ExitUsage
	}
	var es engine.Errors
	if errors.As(err, &es) && len(es) > 1 {
		fmt.Fprintf(c.Stderr, "amupgrade: %d errors:\n", len(es))
		for _, e := range es {
			fmt.Fprintf(c.Stderr, "  %s\n", mk.text(e.Error()))
		}
	} else {
		fmt.Fprintf(c.Stderr, "amupgrade: %s\n", mk.text(err.Error()))
	}
	switch engine.CodeOf(err) {
	case engine.CodeRule:
		return ExitRules
	case "":
		if isFlagError(err) {
			return ExitUsage
		}
	}
	return ExitFailed
}

func isFlagError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "flag provided but not defined") || strings.Contains(s, "flag needs an argument") ||
		strings.Contains(s, "invalid value") || strings.Contains(s, "invalid boolean")
}

func (c *CLI) command(code *int, args []string) *ucli.Command {
	return &ucli.Command{
		Name:      "amupgrade",
		Usage:     "upgrade PingAM / ForgeRock AM configuration to a later AM version",
		UsageText: "amupgrade -i IN -o OUT [flags] [RULES...]\namupgrade -i IN -o OUT --to 8.1.0\namupgrade -i IN --check --to 8.1.0\namupgrade --migrationMode -i EXPORT.ldif -o OUT rules/fbc/migrate-to-fbc.groovy",
		ArgsUsage: "[RULES...]",
		Description: "RULES are rule files (path.yaml, or a folder of them), bundled steps (7.5.x-to-8.1.x, fbc/latest),\n" +
			"or the vendor's .groovy paths (rules/fbc/latest.groovy), which map to the bundled equivalents.\n" +
			"Without RULES, --to plans the bundled steps from the tree's version.",
		Writer:          c.Stdout,
		ErrWriter:       c.Stderr,
		HideVersion:     true,
		HideHelpCommand: true,
		ExitErrHandler:  func(context.Context, *ucli.Command, error) {},
		OnUsageError: func(_ context.Context, _ *ucli.Command, err error, _ bool) error {
			return &usageError{err.Error()}
		},
		Flags: append(upgradeFlags(), migrationFlags()...),
		Commands: []*ucli.Command{
			c.testCommand(code),
			c.rulesCommand(code),
			c.idcCommand(code),
			c.manCommand(),
		},
		// `amupgrade completion bash|zsh|fish|pwsh` prints a completion script.
		EnableShellCompletion: true,
		ConfigureShellCompletionCommand: func(cmd *ucli.Command) {
			cmd.Hidden = false
			cmd.Usage = "print a shell completion script: bash, zsh, fish or pwsh"
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if cmd.Bool("version") {
				fmt.Fprintf(c.Stdout, "amupgrade %s\n", version())
				return nil
			}
			if cmd.Bool("migrationMode") { // internal/cli/migrate.go
				defer c.interruptible()()
				var err error
				*code, err = c.runMigration(ctx, cmd, args)
				return err
			}
			o, err := readOptions(cmd)
			if err != nil {
				return err
			}
			o.args = args
			defer c.interruptible()()
			*code, err = c.upgrade(ctx, o)
			return err
		},
	}
}

// upgradeFlags are the flags of an upgrade. They are the root command's
// own: the subcommands (test, rules, man) do not take them, and their help
// does not list them.
func upgradeFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "inputConfig", Aliases: []string{"i"}, Usage: "the input tree: an Amster export, or an FBC tree (its services/ folder or the folder above)"},
		&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "where the upgraded tree is written; may be the input folder (replaced atomically)"},
		&ucli.StringFlag{Name: "amsterVersion", Aliases: []string{"a"}, Usage: "stamp this version into metadata.amsterVersion of every file, as the vendor tool does (placeholders there are kept)"},
		&ucli.BoolFlag{Name: "replace-version-placeholders", Usage: "with -a, also replace a placeholder or build token in metadata.amsterVersion (&{version}, @version@)"},
		&ucli.BoolFlag{Name: "fileBasedMode", Aliases: []string{"m"}, Usage: "the input is a file-based configuration (detected from the tree when not given)"},
		&ucli.BoolFlag{Name: "prettyArrays", Usage: "print each array element on its own line"},
		&ucli.StringFlag{Name: "clean", Usage: "true: the output folder ends up holding only the upgraded tree; false: other files already in it are kept. Required when the output folder exists and is not empty; true otherwise"},
		&ucli.StringFlag{Name: "baseDn", Aliases: []string{"d"}, Value: "ou=am-config", Usage: "the configuration base DN, for the uid of new FBC entities"},
		&ucli.BoolFlag{Name: "ignoreNoRuleTracking", Usage: "run without the ConfigurationVersionService (rules may apply twice)"},
		&ucli.BoolFlag{Name: "ignoreRequiredSecretMapping", Usage: "do not stop when a required secret label mapping is missing"},
		&ucli.StringFlag{Name: "secretsConfigFile", Aliases: []string{"f"}, Usage: "settings for credential-to-secret migrations (accepted for compatibility)"},
		&ucli.StringFlag{Name: "log-output", Aliases: []string{"l"}, Usage: "also write the log, with every change, to this file"},
		&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print every change"},
		&ucli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version and exit"},
		&ucli.StringFlag{Name: "from", Usage: "the AM version the configuration comes from, when the tree does not say"},
		&ucli.StringFlag{Name: "to", Usage: "the AM version to upgrade to: plans the bundled steps, or caps the given RULES"},
		&ucli.StringSliceFlag{Name: "with", Usage: "switch on an optional rule group (jakarta, emulate-801-extras, …)"},
		&ucli.StringSliceFlag{Name: "only", Usage: "run only the rules with these ids (for testing a rule)"},
		&ucli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "do everything but write"},
		&ucli.BoolFlag{Name: "diff", Usage: "print a unified diff of what would change; write nothing"},
		&ucli.BoolFlag{Name: "check", Usage: "write nothing; exit 4 if the upgrade would change anything"},
		&ucli.StringFlag{Name: "report", Usage: "write a report of every change and of the manual steps left: an HTML page when FILE ends in .html, JSON otherwise"},
		&ucli.StringFlag{Name: "tomcat-server-xml", Usage: "a Tomcat server.xml to check for settings Tomcat 10 dropped (manual steps)"},
		&ucli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel workers (default: one per CPU)", HideDefault: true},
		&ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print errors only"},
		&ucli.BoolFlag{Name: "keep-format", Usage: "copy files no rule changed byte for byte instead of re-printing them in AM's layout, as the vendor tool does"},
		&ucli.BoolFlag{Name: "show-reprinted", Usage: "--diff and the HTML report also show the diffs of files only re-printed in AM's layout"},
		&ucli.BoolFlag{Name: "strict", Usage: "a rule that applies to no document, or a placeholder a rule would overwrite, is an error"},
		&ucli.BoolFlag{Name: "show-secrets", Usage: "show passwords and secrets in diffs, logs and reports (masked by default)"},
		&ucli.StringFlag{Name: "reference", Usage: "a configuration of the target release (an FBC tree or an Amster export, of a fresh install): new services and global scripts are copied from it"},
		&ucli.StringFlag{Name: "seed", Usage: "a secret that salts the hashes of RADIUS client secrets (securify-string); the output stays the same for the same seed"},
		&ucli.BoolFlag{Name: "fetch-well-known", Usage: "read OIDC providers' discovery documents over the network to fill in their issuer (otherwise a manual step)"},
		&ucli.BoolFlag{Name: "allow-non-atomic", Usage: "where the output folder cannot be swapped atomically (a mount point), write it file by file: a run killed half-way then leaves a mix of old and new files"},
		&ucli.DurationFlag{Name: "lock-wait", Value: defaultLockWait, Usage: "how long to wait while another run uses the input or output folder; 0 refuses at once"},
	}
	for _, f := range flags {
		switch f := f.(type) {
		case *ucli.StringFlag:
			f.Local = true
		case *ucli.BoolFlag:
			f.Local = true
		case *ucli.IntFlag:
			f.Local = true
		case *ucli.StringSliceFlag:
			f.Local = true
		case *ucli.DurationFlag:
			f.Local = true
		}
	}
	return flags
}

// defaultLockWait is how long a run waits for another that uses its folders: a few runs of a
// large tree.
const defaultLockWait = 30 * time.Second

// options are the parsed flags of an upgrade.
type options struct {
	in, out       string
	rules         []string
	mode          engine.Mode // "" when not forced by -m
	from, to      engine.Version
	fromText      string
	clean         bool
	cleanSet      bool
	groups        []string
	only          []string
	dryRun, diff  bool
	check         bool
	report, log   string
	verbose       bool
	quiet, strict bool
	showSecrets   bool
	showReprinted bool
	tomcatXML     string
	// allowNonAtomic: an output that cannot be swapped may be written file by file.
	allowNonAtomic bool
	lockWait       time.Duration
	// args is the command line, for the lock file: who holds the folder.
	args   []string
	render engine.RenderOptions
	engine engine.Options
}

func readOptions(cmd *ucli.Command) (*options, error) {
	o := &options{
		in: cmd.String("inputConfig"), out: cmd.String("output"), rules: cmd.Args().Slice(),
		fromText: cmd.String("from"), groups: cmd.StringSlice("with"), only: cmd.StringSlice("only"),
		dryRun: cmd.Bool("dry-run"), diff: cmd.Bool("diff"), check: cmd.Bool("check"),
		report: cmd.String("report"), log: cmd.String("log-output"), verbose: cmd.Bool("verbose"),
		quiet: cmd.Bool("quiet"), strict: cmd.Bool("strict"), cleanSet: cmd.IsSet("clean"), showSecrets: cmd.Bool("show-secrets"), showReprinted: cmd.Bool("show-reprinted"),
		tomcatXML: cmd.String("tomcat-server-xml"), allowNonAtomic: cmd.Bool("allow-non-atomic"), lockWait: cmd.Duration("lock-wait"),
	}
	if o.lockWait < 0 {
		return nil, &usageError{fmt.Sprintf("--lock-wait takes a duration of 0 or more, not %v", o.lockWait)}
	}
	if o.in == "" {
		return nil, &usageError{"missing --inputConfig (-i): the tree to upgrade"}
	}
	if o.out == "" && !o.dryRun && !o.diff && !o.check {
		return nil, &usageError{"missing --output (-o): where to write the upgraded tree (or use --check, --diff or --dry-run)"}
	}
	if cmd.Bool("fileBasedMode") {
		o.mode = engine.FBC
	}
	switch strings.ToLower(cmd.String("clean")) {
	case "true", "":
		o.clean = true
	case "false":
	default:
		return nil, &usageError{fmt.Sprintf("--clean takes true or false, not %q", cmd.String("clean"))}
	}
	var err error
	if o.fromText != "" {
		if o.from, err = engine.ParseVersion(o.fromText); err != nil {
			return nil, &usageError{"--from: " + err.Error()}
		}
	}
	if s := cmd.String("to"); s != "" {
		if o.to, err = engine.ParseVersion(s); err != nil {
			return nil, &usageError{"--to: " + err.Error()}
		}
	}
	if len(o.rules) == 0 && o.to == nil {
		return nil, &usageError{"no rules: give rule files or bundled steps (for example 7.5.x-to-8.1.x), or --to VERSION to plan them"}
	}
	o.render = engine.RenderOptions{Jobs: int(cmd.Int("jobs")), PrettyArrays: cmd.Bool("prettyArrays"), KeepFormat: cmd.Bool("keep-format")}
	o.engine = engine.Options{
		Jobs: int(cmd.Int("jobs")), From: o.fromText, IgnoreNoRuleTracking: cmd.Bool("ignoreNoRuleTracking"),
		IgnoreRequiredSecretMapping: cmd.Bool("ignoreRequiredSecretMapping"),
		AmsterVersion:               cmd.String("amsterVersion"), BaseDN: cmd.String("baseDn"),
		ReplaceVersionPlaceholders: cmd.Bool("replace-version-placeholders"),
		Reference:                  cmd.String("reference"), Seed: cmd.String("seed"), FetchWellKnown: cmd.Bool("fetch-well-known"),
	}
	return o, nil
}

// loadChain resolves the RULES arguments (or plans bundled steps) and
// compiles them.
func loadChain(o *options, set *ruleset.Set, mode engine.Mode, start engine.Version) (*engine.Chain, error) {
	var err error
	var files []*ruleset.File
	if len(o.rules) > 0 {
		var all engine.Errors
		for _, arg := range o.rules {
			fs, err := set.Resolve(arg, mode)
			if err != nil {
				var es engine.Errors
				if errors.As(err, &es) {
					all = append(all, es...)
				} else if e := (*engine.Error)(nil); errors.As(err, &e) {
					all = append(all, e)
				} else {
					return nil, err
				}
				continue
			}
			files = append(files, fs...)
		}
		if err := all.Err(); err != nil {
			return nil, err
		}
	} else {
		if files, err = set.Plan(mode, start, o.to); err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return &engine.Chain{Mode: mode}, nil
		}
	}
	chain, err := set.Compile(files, ruleset.Config{To: o.to, Groups: o.groups, Only: o.only})
	if err != nil || len(o.rules) == 0 {
		return chain, err
	}
	return chain, checkGaps(chain)
}

// checkGaps refuses rule files given in an order that skips versions: after
// a step to 7.1.0, a step from 8.0.0 leaves the rules of 7.1 to 8.0 out. A
// step may start where the one before ends, or earlier (more rules for a
// step already run, or a side step such as placeholders-7.0.0).
func checkGaps(chain *engine.Chain) error {
	for i := 1; i < len(chain.Steps); i++ {
		prev, s := chain.Steps[i-1], chain.Steps[i]
		if prev.To != nil && s.From != nil && prev.To.Less(s.From) {
			return &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: s.File}, Msg: fmt.Sprintf(
				"this step starts at %s, but the step before it (%s) ends at %s: the rules from %s to %s would not run; give the steps in between, in order, or --to VERSION to plan them",
				s.From, prev.File, prev.To, prev.To, s.From)}
		}
	}
	return nil
}

// checkTargetRange refuses a --to beyond the last release the bundled rules
// know: the upgrade would silently stop there.
func checkTargetRange(o *options, set *ruleset.Set) error {
	if o.to == nil {
		return nil
	}
	last := set.LastRelease()
	if last != nil && last.Minor().Less(o.to.Minor()) {
		return &usageError{fmt.Sprintf("--to %s: the bundled rules go up to AM %s; give --to %s or an earlier release", o.to, last, last)}
	}
	return nil
}

// checkTarget refuses a --to below the release the tree comes from:
// amupgrade only upgrades.
func checkTarget(o *options, start engine.Version, source string) error {
	if o.to == nil || start == nil || !o.to.Minor().Less(start.Minor()) {
		return nil
	}
	return &usageError{fmt.Sprintf("--to %s is below AM %s, the release the tree comes from (%s); amupgrade upgrades only: give --to %s or later",
		o.to, start, source, start.Minor())}
}
