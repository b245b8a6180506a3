package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/atomictree"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/report"
)

// upgrade runs one upgrade: rules, then one pass that reads, upgrades,
// prints and stages each file, then the swap, diff or check. Every error is
// found before the output folder changes.
func (c *CLI) upgrade(ctx context.Context, o *options) (int, error) {
	inPlace, err := checkFolders(o)
	if err != nil {
		return 0, err
	}
	var logFile *os.File
	if o.log != "" {
		if logFile, err = os.Create(o.log); err != nil {
			return 0, &usageError{fmt.Sprintf("--log-output: %v", err)}
		}
		defer logFile.Close()
	}
	out := c.Stdout
	if o.diff {
		out = c.Stderr
	}
	lg := &logger{console: out, file: logFile, quiet: o.quiet}
	ctx, prog := c.startProgress(ctx, o, lg)
	defer prog.Stop()

	if o.out != "" && !o.dryRun && !o.diff && !o.check {
		done, err := atomictree.Recover(o.out)
		if err != nil {
			return 0, fmt.Errorf("cleaning up after an interrupted run: %w", err)
		}
		for _, s := range done {
			lg.printf("%s", s)
		}
	}

	layout, err := engine.DetectLayout(o.in)
	if err != nil {
		return 0, err
	}
	if o.mode == engine.FBC && layout.Mode != engine.FBC {
		return 0, &usageError{fmt.Sprintf("--fileBasedMode given, but %s is an Amster export (it has global/ or realms/ and no realm/ folder); leave out --fileBasedMode", o.in)}
	}

	// Explicit rules are checked before the tree is read. Planned steps
	// need the version an Amster export comes from, read from its files;
	// otherwise they are loaded while the tree is listed.
	var chain *engine.Chain
	var planned chan error
	switch {
	case len(o.rules) > 0:
		if chain, err = loadChain(o, layout.Mode, nil); err != nil {
			return 0, err
		}
	case layout.Mode == engine.FBC || o.from != nil:
		planned = make(chan error, 1)
		go func() {
			var err error
			chain, err = loadChain(o, layout.Mode, o.from)
			planned <- err
		}()
	}
	lg.printf("Reading existing configuration from files in %s…", o.in)
	prog.Phase("reading", 0)
	// An FBC tree is only listed here: the upgrade reads each file when it
	// comes to it. An Amster export is read whole, as its files' amsterVersion
	// says which steps to plan.
	var tree *engine.Tree
	if layout.Mode == engine.Amster {
		tree, err = engine.ReadTree(ctx, o.in, o.engine.Jobs)
	} else {
		tree, err = engine.ScanTree(o.in)
	}
	if planned != nil {
		if perr := <-planned; err == nil && perr != nil {
			err = perr
		}
	}
	if err != nil {
		return 0, err
	}
	if chain == nil {
		var start engine.Version
		if v := tree.AmsterVersion(); v != "" {
			start, _ = engine.ParseVersion(v)
		}
		if chain, err = loadChain(o, layout.Mode, start); err != nil {
			return 0, err
		}
	}
	if chain.Mode != "" && chain.Mode != layout.Mode {
		return 0, modeMismatch(o, layout.Mode)
	}
	var names []string
	for _, s := range chain.Steps {
		names = append(names, s.File)
	}
	lg.printf("Modifying configuration based on rules in [%s]…", strings.Join(names, ", "))
	if layout.Mode == engine.FBC {
		lg.printf("reading configuration from file-based configuration json files")
	} else {
		lg.printf("reading configuration from Amster json files")
	}

	// Each file is written to the staging folder as soon as it is upgraded,
	// and the new tree swapped in once every check has passed.
	var w *atomictree.Writer
	if !o.diff && !o.check && !o.dryRun {
		if w, err = atomictree.NewWriter(ctx, o.out, atomictree.Options{Clean: o.clean || inPlace}); err != nil {
			return 0, err
		}
		defer w.Abort()
	}
	// Diffs cost: only --diff and the HTML report show them.
	col := report.NewCollector(layout.Mode, o.diff || report.IsHTML(o.report), report.Masker{Show: o.showSecrets})
	passCtx, stop := context.WithCancel(ctx)
	defer stop()
	passCtx = prog.Context(passCtx) // counts files for the progress bar
	var writeErr error
	var once sync.Once
	sink := func(f *engine.FileResult) error {
		col.Observe(f)
		if w == nil || f.Deleted {
			return nil
		}
		err := w.Put(atomictree.File{Path: f.Path, Data: f.Out, Mode: f.Mode, Link: f.Link})
		if err != nil && !errors.Is(err, fs.ErrExist) {
			// A full disk fails every file after: stop at the first.
			once.Do(func() { writeErr = err; stop() })
		}
		if err != nil {
			return &engine.Error{Code: engine.CodeWrite, Err: err}
		}
		return nil
	}
	prog.Phase("upgrading", len(tree.Docs))
	res, err := engine.Upgrade(passCtx, tree, chain, o.engine, o.render, sink)
	if writeErr != nil && ctx.Err() == nil {
		return 0, &engine.Error{Code: engine.CodeWrite, Err: writeErr}
	}
	if err != nil {
		return 0, err
	}
	prog.Stop()
	printNotices(c, lg, o, res.Notices)
	if kept := engine.NoticesOf(res.Notices, engine.NoticeKeptPlaceholder); o.strict && len(kept) > 0 {
		return 0, &engine.Error{Code: engine.CodeApply, Msg: fmt.Sprintf("--strict: %d placeholders would have been overwritten (listed above)", len(kept))}
	}
	if o.strict && len(res.Unmatched) > 0 {
		var ids []string
		for _, r := range res.Unmatched {
			ids = append(ids, fmt.Sprintf("%s (%s)", r.ID, r.Pos))
		}
		return 0, &engine.Error{Code: engine.CodeApply, Msg: fmt.Sprintf("--strict: %d rules applied to no document: %s", len(ids), strings.Join(ids, ", "))}
	}
	mk := masker{show: o.showSecrets}
	rpt, err := buildReport(o, res, col)
	if err != nil {
		return 0, err
	}
	for _, e := range res.Events {
		line := formatEvent(e, mk)
		if o.verbose {
			lg.printf("%s", line)
		} else {
			lg.logOnly("%s", line)
		}
	}
	switch {
	case o.diff:
		for _, d := range col.Diffs() {
			io.WriteString(c.Stdout, d.Diff)
		}
	case o.check, o.dryRun:
	default:
		lg.printf("Writing configuration to new location at %s…", o.out)
		var remove []string
		if !o.clean {
			remove = res.Deleted
		}
		prog.Phase("writing", 0)
		rep, err := w.Commit(ctx, remove)
		prog.Stop()
		if err != nil {
			return 0, err
		}
		if rep.NonAtomic != "" {
			lg.warnf(c.Stderr, "%s", rep.NonAtomic)
		}
		lg.printf("Upgrade Completed, modified configuration saved to %s", o.out)
	}
	// After the write, which replaces the output folder: a report inside it
	// (or inside the tree upgraded in place) would otherwise be lost.
	if o.report != "" {
		if err := rpt.Write(o.report); err != nil {
			return 0, err
		}
	}
	lg.printf("%s", summary(res, o))
	for _, line := range rpt.ConsoleLines() {
		lg.printf("%s", line)
	}
	if o.check && res.Differ > 0 {
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// modeMismatch explains which rules fit the tree.
func modeMismatch(o *options, tree engine.Mode) error {
	if tree == engine.FBC {
		return &usageError{fmt.Sprintf("%s is a file-based configuration but the rules are for Amster exports; use FBC rules (fbc/latest, or --to VERSION)", o.in)}
	}
	hint := "use Amster rules (for example 7.5.x-to-8.1.x), or --to VERSION"
	if o.mode == engine.FBC {
		hint = "leave out --fileBasedMode and " + hint
	}
	return &usageError{fmt.Sprintf("%s is an Amster export but the rules are for file-based configuration; %s", o.in, hint)}
}

type logger struct {
	console io.Writer
	file    io.Writer
	quiet   bool
}

func (l *logger) printf(format string, args ...any) {
	if !l.quiet {
		fmt.Fprintf(l.console, format+"\n", args...)
	}
	l.logOnly(format, args...)
}

func (l *logger) warnf(w io.Writer, format string, args ...any) {
	if !l.quiet { // -q: errors only
		fmt.Fprintf(w, "warning: "+format+"\n", args...)
	}
	l.logOnly("warning: "+format, args...)
}

func (l *logger) logOnly(format string, args ...any) {
	if l.file != nil {
		fmt.Fprintf(l.file, format+"\n", args...)
	}
}

func formatEvent(e engine.Event, mk masker) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", e.RuleID, e.Op, e.File)
	if e.Pointer != "" {
		fmt.Fprintf(&b, " %s", e.Pointer)
	}
	if e.Old != nil || e.New != nil {
		fmt.Fprintf(&b, ": %s → %s", brief(mk, e.Pointer, e.Old), brief(mk, e.Pointer, e.New))
	}
	return b.String()
}

// brief prints a value on one line, masked and shortened.
func brief(mk masker, ptr string, v *amjson.Value) string {
	if v == nil {
		return "(none)"
	}
	s := strings.Join(strings.Fields(mk.value(ptr, v)), " ")
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return s
}

func summary(res *engine.Result, o *options) string {
	rules := map[string]bool{}
	for _, e := range res.Events {
		if e.Op != "create" {
			rules[e.RuleID] = true
		}
	}
	verb := "changed"
	if o.check || o.diff || o.dryRun {
		verb = "would change"
	}
	s := fmt.Sprintf("%s %s (%d created, %d deleted); %s by %s", plural(res.Differ, "file"), verb,
		len(res.Created), len(res.Deleted), plural(len(res.Events), "change"), plural(len(rules), "rule"))
	if n := len(res.Recorded); n > 0 {
		s += fmt.Sprintf("; %s recorded", plural(n, "rule id"))
	}
	if n := len(res.Skipped); n > 0 {
		s += fmt.Sprintf("; %s skipped as already applied", plural(n, "rule"))
	}
	if n := len(res.Unmatched); n > 0 {
		s += fmt.Sprintf("; %s applied to no document", plural(n, "rule"))
	}
	return s
}

// printNotices prints each notice as a warning. The vendor changes not made
// are many on an old tree: without --verbose one line counts their rules,
// and the log has them all.
func printNotices(c *CLI, lg *logger, o *options, notices []engine.Notice) {
	rules := map[string]bool{}
	for _, n := range notices {
		if n.Code == engine.NoticeNotImplemented {
			rules[n.RuleID] = true
		}
	}
	for _, n := range notices {
		if n.Code != engine.NoticeNotImplemented {
			lg.warnf(c.Stderr, "%s", n)
		}
	}
	if n := len(rules); n > 0 && !o.verbose {
		verb := " call"
		if n == 1 {
			verb = " calls"
		}
		lg.warnf(c.Stderr, "%s vendor transforms whose effect is not public; their changes were not made (--verbose lists them)", plural(n, "rule")+verb)
	}
	for _, n := range engine.NoticesOf(notices, engine.NoticeNotImplemented) {
		if o.verbose {
			lg.warnf(c.Stderr, "%s", n)
		} else {
			lg.logOnly("warning: %s", n)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
