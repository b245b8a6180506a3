package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/atomictree"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/report"
	"github.com/amupgrade/amupgrade/ruleset"
)

// upgrade runs one upgrade in four steps, each short enough to read at
// once: begin (folders, log, recovery), plan (layout, rules, the tree
// listed), pass (one pass that reads, upgrades, prints and stages each
// file) and finish (notices, checks, then the swap, diff or check, the
// report and the summary). Every error is found before the output folder
// changes.
func (c *CLI) upgrade(ctx context.Context, o *options) (code int, err error) {
	u := &upgradeRun{c: c, o: o}
	defer func() { err = u.close(err) }()
	if err := u.begin(ctx); err != nil {
		return 0, err
	}
	if err := u.plan(ctx); err != nil {
		return 0, err
	}
	if err := u.pass(ctx); err != nil {
		return 0, err
	}
	return u.finish(ctx)
}

// upgradeRun is the state the steps of one upgrade share.
type upgradeRun struct {
	c    *CLI
	o    *options
	lg   *logger
	prog *Progress
	// closers run when the upgrade ends, last first.
	closers []func()

	paths   runPaths
	inPlace bool
	// log and report are the temporary files of -l and --report, renamed into place at the
	// end; report is nil when the report is a file of the new tree (reportInTree).
	log          *outFile
	report       *outFile
	reportInTree string
	locks        []*atomictree.Lock
	// committed: the new tree was swapped in.
	committed bool

	layout engine.Layout
	tree   *engine.Tree
	chain  *engine.Chain
	w      *atomictree.Writer // nil when nothing is written
	col    *report.Collector
	res    *engine.Result
	// evidence is what the tree records of its AM version.
	evidence engine.VersionEvidence
}

// close runs the closers, releases the locks and puts the log in place, whatever the outcome:
// the log of a failed run is the one most read. A log that could not be written fails a run
// that did not fail otherwise.
func (u *upgradeRun) close(runErr error) error {
	for i := len(u.closers) - 1; i >= 0; i-- {
		u.closers[i]()
	}
	u.report.Discard() // nothing after a Commit
	for _, l := range slices.Backward(u.locks) {
		l.Release()
	}
	if u.log == nil {
		return runErr
	}
	err := u.log.Commit()
	if err == nil || runErr != nil {
		if err != nil {
			u.log.Discard()
		}
		return runErr
	}
	u.log.Discard()
	done := "nothing was written"
	if u.committed {
		done = "the upgraded tree was written to " + u.o.out
	}
	return fmt.Errorf("writing the log %s: %w; %s, but the log is not: %s and run again", u.o.log, err, done, logAdvice(err))
}

func logAdvice(err error) string {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return "free space"
	}
	return "check the folder of the log"
}

// writes reports whether the run writes the upgraded tree.
func (u *upgradeRun) writes() bool { return !u.o.diff && !u.o.check && !u.o.dryRun }

// begin checks every path (links followed), opens the log and the report, locks the folders,
// tidies what an interrupted run left beside the output and makes the writer: everything that
// can refuse the run comes before any work.
func (u *upgradeRun) begin(ctx context.Context) error {
	o := u.o
	var err error
	if u.paths, err = resolvePaths(o); err != nil {
		return err
	}
	if u.inPlace, err = checkFolders(o, u.paths); err != nil {
		return err
	}
	if u.reportInTree, err = checkSideFiles(o, u.paths, u.writes(), u.inPlace); err != nil {
		return err
	}
	if o.log != "" {
		if u.log, err = createOutFile(u.paths.log); err != nil {
			return sideFileError("--log-output", o.log, u.paths.log, err)
		}
	}
	if o.report != "" && u.reportInTree == "" {
		if u.report, err = createOutFile(u.paths.report); err != nil {
			return sideFileError("--report", o.report, u.paths.report, err)
		}
	}
	out := u.c.Stdout
	if o.diff {
		out = u.c.Stderr
	}
	var logFile io.Writer
	if u.log != nil {
		logFile = u.log
	}
	u.lg = &logger{console: out, file: logFile, quiet: o.quiet}
	u.prog = u.c.startProgress(o, u.lg)
	u.closers = append(u.closers, u.prog.Stop)
	if err := u.lock(ctx); err != nil {
		return err
	}
	if o.out == "" || !u.writes() {
		if o.out != "" && !u.inPlace {
			return checkOutputEmpty(o, u.paths.out)
		}
		return nil
	}
	done, err := atomictree.Recover(u.paths.out)
	if err != nil {
		return fmt.Errorf("cleaning up after an interrupted run: %w", err)
	}
	for _, s := range done {
		u.lg.printf("%s", s)
	}
	if !u.inPlace {
		if err := checkOutputEmpty(o, u.paths.out); err != nil {
			return err
		}
	}
	w, err := atomictree.NewWriter(ctx, u.paths.out, atomictree.Options{
		Clean: o.clean || u.inPlace, Lock: u.outLock(), AllowNonAtomic: o.allowNonAtomic, NoSync: u.c.noSync,
	})
	if errors.Is(err, atomictree.ErrNonAtomic) {
		return &usageError{fmt.Sprintf("%v; give --allow-non-atomic to write it file by file all the same, or write to a folder beside it and move that in", err)}
	}
	if err != nil {
		return err
	}
	u.w = w
	u.closers = append(u.closers, w.Abort)
	return nil
}

// lock locks the output folder for this run alone and the input, when it is another folder,
// for reading: no other run may replace a tree while this one reads or replaces it. Locks
// are taken in path order, so that two runs that need the same two never wait for each other.
func (u *upgradeRun) lock(ctx context.Context) error {
	type want struct {
		what, given, dir string
		shared           bool
	}
	var wants []want
	if u.writes() && u.paths.out != "" {
		wants = append(wants, want{"output folder", u.o.out, u.paths.out, false})
	}
	if !u.inPlace || !u.writes() {
		wants = append(wants, want{"input folder", u.o.in, u.paths.in, true})
	}
	slices.SortFunc(wants, func(a, b want) int { return strings.Compare(a.dir, b.dir) })
	owner := lockOwner(u.o.args)
	for _, w := range wants {
		l, err := atomictree.LockFolder(ctx, w.dir, atomictree.LockOptions{
			Shared: w.shared, Wait: u.o.lockWait, Owner: owner,
			Waiting: func(holder string) {
				if holder == "" {
					holder = "another run"
				}
				u.lg.noticef(u.c.Stderr, "waiting up to %v for %s to finish with the %s %s…", u.o.lockWait, holder, w.what, w.given)
			},
		})
		if le := (*atomictree.LockedError)(nil); errors.As(err, &le) {
			return fmt.Errorf("the %s %v (or give --lock-wait to wait longer)", w.what, err)
		}
		if err != nil {
			return err
		}
		if l.Warning != "" {
			u.lg.warnf(u.c.Stderr, "%s", l.Warning)
		}
		u.locks = append(u.locks, l)
	}
	return nil
}

// outLock is the lock of the output folder, for the writer.
func (u *upgradeRun) outLock() *atomictree.Lock {
	for _, l := range u.locks {
		if l.Folder() == u.paths.out {
			return l
		}
	}
	return nil
}

// lockOwner is what a lock file says of this run, for the message of a run that finds it
// locked.
func lockOwner(args []string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s, started %s: %s", os.Getpid(), host, time.Now().Format(time.RFC3339), strings.Join(args, " "))
}

// plan detects the layout, loads the rules, lists the tree and reads what
// it records of its AM version. Explicit rules are checked before the tree
// is read. Planned Amster steps need the release the export comes from;
// the FBC rules are loaded while the tree is listed.
func (u *upgradeRun) plan(ctx context.Context) error {
	o := u.o
	layout, err := engine.DetectLayout(o.in)
	if err != nil {
		return err
	}
	if o.mode == engine.FBC && layout.Mode != engine.FBC {
		return &usageError{fmt.Sprintf("--fileBasedMode given, but %s is an Amster export (it has global/ or realms/ and no realm/ folder); leave out --fileBasedMode", o.in)}
	}
	u.layout = layout
	set, err := ruleset.Bundled()
	if err != nil {
		return fmt.Errorf("bundled rules: %w", err)
	}
	if err := checkTargetRange(o, set); err != nil {
		return err
	}
	// Before the rules load on another goroutine: loading a file rewrites what
	// VersionHints reads.
	hints := set.VersionHints()
	var planned chan error
	switch {
	case len(o.rules) > 0:
		if u.chain, err = loadChain(o, set, layout.Mode, nil); err != nil {
			return err
		}
	case layout.Mode == engine.FBC:
		planned = make(chan error, 1)
		go func() {
			var err error
			u.chain, err = loadChain(o, set, layout.Mode, o.from)
			planned <- err
		}()
	}
	u.lg.printf("Reading existing configuration from files in %s…", o.in)
	u.c.pauseAt(ctx, "reading")
	u.prog.Phase("reading", 0)
	// An FBC tree is only listed here: the upgrade reads each file when it
	// comes to it. An Amster export is read whole: its files' amsterVersion
	// says which steps to plan.
	if layout.Mode == engine.Amster {
		u.tree, err = engine.ReadTree(ctx, o.in, o.engine.Jobs)
	} else {
		u.tree, err = engine.ScanTree(o.in)
	}
	if err == nil {
		u.evidence, err = u.tree.VersionEvidence(ctx, hints)
	}
	if planned != nil {
		if perr := <-planned; err == nil && perr != nil {
			err = perr
		}
	}
	if err != nil {
		return err
	}
	start, source := u.startVersion()
	if err := checkTarget(o, start, source); err != nil {
		return err
	}
	if u.chain == nil {
		if start == nil {
			return &engine.Error{Code: engine.CodeInput, Msg: "cannot tell which AM version the export comes from: nothing records one in " +
				u.evidence.LookedAt(layout) + "; give --from VERSION"}
		}
		if u.chain, err = loadChain(o, set, layout.Mode, start); err != nil {
			return err
		}
	}
	if start != nil {
		o.engine.From, o.engine.FromSource = start.String(), source
	}
	if u.chain.Mode != "" && u.chain.Mode != layout.Mode && !(u.chain.Mode == engine.Amster && layout.Mode == engine.FBC) {
		return modeMismatch(o, layout.Mode)
	}
	u.printEvidence()
	var names []string
	for _, s := range u.chain.Steps {
		names = append(names, s.File)
	}
	u.lg.printf("Modifying configuration based on rules in [%s]…", strings.Join(names, ", "))
	if layout.Mode == engine.FBC && u.chain.Mode != engine.Amster {
		u.lg.printf("reading configuration from file-based configuration json files")
	} else {
		u.lg.printf("reading configuration from Amster json files")
	}
	return nil
}

// startVersion is the release the tree comes from: --from, else what the
// tree records; and where it was found.
func (u *upgradeRun) startVersion() (engine.Version, string) {
	if u.o.from != nil {
		return u.o.from, "--from"
	}
	if u.evidence.Start != nil {
		return u.evidence.Start, "what the tree records: " + u.evidence.Summary()
	}
	return nil, ""
}

// printEvidence prints, with -v, what the tree records of its AM version
// (the log always has it).
func (u *upgradeRun) printEvidence() {
	out := u.lg.logOnly
	if u.o.verbose {
		out = u.lg.printf
	}
	start, source := u.startVersion()
	if start != nil {
		out("AM version of the input: %s (%s)", start, source)
	} else {
		out("AM version of the input: not known")
	}
	for _, c := range u.evidence.Clues {
		line := fmt.Sprintf("  %s: %s", c.Kind, c.Value)
		if c.File != "" {
			line += fmt.Sprintf(" (%s %s)", c.File, c.Pointer)
		}
		if c.Used {
			line += ": used"
		}
		if c.Note != "" {
			line += ": " + c.Note
		}
		out("%s", line)
	}
}

// pass runs the upgrade over the tree: each file is observed by the report's
// collector and written to the staging folder as soon as it is upgraded.
func (u *upgradeRun) pass(ctx context.Context) error {
	o := u.o
	// Diffs cost: only --diff and the HTML report show them, and those of
	// files only re-printed only when asked for.
	diffs := report.DiffNone
	switch {
	case (o.diff || report.IsHTML(o.report)) && o.showReprinted:
		diffs = report.DiffAll
	case o.diff || report.IsHTML(o.report):
		diffs = report.DiffChanged
	}
	u.col = report.NewCollector(u.layout.Mode, diffs, report.Masker{Show: o.showSecrets})
	passCtx, stop := context.WithCancel(ctx)
	defer stop()
	var writeErr error
	var once sync.Once
	sink := func(f *engine.FileResult) error {
		u.prog.Add(1)
		u.col.Observe(f)
		if u.w == nil || f.Deleted {
			return nil
		}
		err := u.w.Put(atomictree.File{Path: f.Path, Data: f.Out, Mode: f.Mode, Link: f.Link})
		if err != nil && !errors.Is(err, fs.ErrExist) {
			// A full disk fails every file after: stop at the first.
			once.Do(func() { writeErr = err; stop() })
		}
		if err != nil {
			return &engine.Error{Code: engine.CodeWrite, Err: err}
		}
		return nil
	}
	u.prog.Phase("upgrading", len(u.tree.Docs))
	res, err := engine.Upgrade(passCtx, u.tree, u.chain, o.engine, o.render, sink)
	if writeErr != nil && ctx.Err() == nil {
		return &engine.Error{Code: engine.CodeWrite, Err: writeErr}
	}
	if err != nil {
		return err
	}
	u.prog.Stop()
	u.res = res
	return nil
}

// finish reports what the pass found, refuses what --strict refuses, then
// swaps the new tree in (or prints the diff), writes the report and prints
// the summary.
func (u *upgradeRun) finish(ctx context.Context) (int, error) {
	o, res, lg := u.o, u.res, u.lg
	printNotices(u.c, lg, o, res.Notices)
	if err := strictErrors(o, res); err != nil {
		return 0, err
	}
	rpt, err := buildReport(o, res, u.col, u.evidence)
	if err != nil {
		return 0, err
	}
	mk := masker{show: o.showSecrets}
	for _, e := range res.Events {
		line := formatEvent(e, mk)
		if o.verbose {
			lg.printf("%s", line)
		} else {
			lg.logOnly("%s", line)
		}
	}
	// The report is complete before the tree is swapped in, so that a report that cannot be
	// written (a full disk) stops the run while the output is as it was. Inside the output it
	// is a file of the new tree, swapped in with it.
	if err := u.writeReport(rpt); err != nil {
		return 0, err
	}
	switch {
	case o.diff:
		var reprinted []string
		for _, d := range u.col.Diffs() {
			io.WriteString(u.c.Stdout, d.Diff)
			if d.Reprinted && d.Diff == "" {
				reprinted = append(reprinted, d.Path)
			}
		}
		if len(reprinted) > 0 {
			lg.printf("%s re-printed in AM's layout, which no rule changed, left out of the diff (--show-reprinted shows them; --keep-format keeps them as they are): %s",
				plural(len(reprinted), "file"), brieflyListed(reprinted, 3))
		}
	case o.check, o.dryRun:
	default:
		if u.log != nil && u.log.Err() != nil {
			return 0, fmt.Errorf("writing the log %s: %w; %s and run again: nothing was written", o.log, u.log.Err(), logAdvice(u.log.Err()))
		}
		if err := u.commit(ctx); err != nil {
			return 0, err
		}
	}
	if u.report != nil {
		if err := u.report.Commit(); err != nil {
			done := "nothing was written"
			if u.committed {
				done = "the upgraded tree was written to " + o.out + ", but the report was not"
			}
			return 0, fmt.Errorf("--report %s: %w; %s", o.report, err, done)
		}
	}
	lg.printf("%s", summary(res, o))
	for _, line := range rpt.ConsoleLines() {
		lg.printf("%s", line)
	}
	// Re-printing alone is not an upgrade: --check asks whether rules
	// would change the configuration.
	if o.check && res.Counts().FilesByRules > 0 {
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// writeReport writes the report into its temporary file, or into the new tree.
func (u *upgradeRun) writeReport(rpt *report.Report) error {
	if u.o.report == "" {
		return nil
	}
	var b bytes.Buffer
	if err := rpt.Encode(&b, u.o.report); err != nil {
		return err
	}
	if u.reportInTree != "" {
		err := u.w.Put(atomictree.File{Path: u.reportInTree, Data: b.Bytes()})
		if errors.Is(err, fs.ErrExist) {
			return &usageError{fmt.Sprintf("--report %s is a file of the upgraded tree; choose another name: nothing was written", u.o.report)}
		}
		if err != nil {
			return fmt.Errorf("--report %s: %w", u.o.report, err)
		}
		return nil
	}
	if _, err := u.report.Write(b.Bytes()); err != nil {
		return fmt.Errorf("--report %s: %w; %s and run again: nothing was written", u.o.report, err, logAdvice(err))
	}
	return nil
}

// commit swaps the staged tree in.
func (u *upgradeRun) commit(ctx context.Context) error {
	u.lg.printf("Writing configuration to new location at %s…", u.o.out)
	u.c.pauseAt(ctx, "writing")
	var remove []string
	if !u.o.clean {
		remove = u.res.Deleted
	}
	u.prog.Phase("writing", 0)
	rep, err := u.w.Commit(ctx, remove)
	u.prog.Stop()
	if err != nil {
		return err
	}
	u.committed = true
	if rep.NonAtomic != "" {
		u.lg.warnf(u.c.Stderr, "%s", rep.NonAtomic)
	}
	u.lg.printf("Upgrade Completed, modified configuration saved to %s", u.o.out)
	return nil
}

// strictErrors is what --strict refuses: placeholders an operation would
// have overwritten, and rules that applied to no document.
func strictErrors(o *options, res *engine.Result) error {
	if !o.strict {
		return nil
	}
	if kept := engine.NoticesOf(res.Notices, engine.NoticeKeptPlaceholder); len(kept) > 0 {
		return &engine.Error{Code: engine.CodeApply, Msg: fmt.Sprintf("--strict: %d placeholders would have been overwritten (listed above)", len(kept))}
	}
	if len(res.Unmatched) > 0 {
		var ids []string
		for _, r := range res.Unmatched {
			ids = append(ids, fmt.Sprintf("%s (%s)", r.ID, r.Pos))
		}
		return &engine.Error{Code: engine.CodeApply, Msg: fmt.Sprintf("--strict: %d rules applied to no document: %s", len(ids), strings.Join(ids, ", "))}
	}
	return nil
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

// noticef prints what the user should know while the run goes on, on w, without -q.
func (l *logger) noticef(w io.Writer, format string, args ...any) {
	if !l.quiet {
		fmt.Fprintf(w, format+"\n", args...)
	}
	l.logOnly(format, args...)
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
	c := res.Counts()
	verb, reprinted := "changed", "re-printed"
	if o.check || o.diff || o.dryRun {
		verb, reprinted = "would change", "would be re-printed"
	}
	by := plural(c.Rules, "rule")
	switch {
	case c.Tracking > 0 && c.Rules == 0:
		by = "the version tracking"
	case c.Tracking > 0:
		by += " and the version tracking"
	}
	s := fmt.Sprintf("%s %s by rules (%d created, %d deleted); %s by %s", plural(c.FilesByRules, "file"), verb,
		c.FilesCreated, c.FilesDeleted, plural(c.Changes, "change"), by)
	if c.FilesReprinted > 0 {
		them := "them as they are"
		if c.FilesReprinted == 1 {
			them = "it as it is"
		}
		s += fmt.Sprintf("; %s %s in AM's layout (--keep-format keeps %s)", plural(c.FilesReprinted, "file"), reprinted, them)
	}
	if c.Recorded > 0 {
		s += fmt.Sprintf("; %s recorded", plural(c.Recorded, "rule id"))
	}
	if c.Skipped > 0 {
		s += fmt.Sprintf("; %s skipped as already applied", plural(c.Skipped, "rule"))
	}
	if c.Unmatched > 0 {
		s += fmt.Sprintf("; %s applied to no document", plural(c.Unmatched, "rule"))
	}
	return s
}

// printNotices prints each notice as a warning. The vendor changes not made
// and the tracked rules recorded although they matched nothing are many on
// an old tree: without --verbose one line counts each kind, and the log has
// them all.
func printNotices(c *CLI, lg *logger, o *options, notices []engine.Notice) {
	recorded := engine.NoticesOf(notices, engine.NoticeRecordedUnmatched)
	if n := len(recorded); n > 0 && !o.verbose {
		lg.warnf(c.Stderr, "%s matched no document and %s recorded as applied: a later run skips %s (--verbose lists %s)",
			plural(n, "tracked rule"), map[bool]string{true: "is", false: "are"}[n == 1], map[bool]string{true: "it", false: "them"}[n == 1],
			map[bool]string{true: "it", false: "them"}[n == 1])
	}
	for _, n := range recorded {
		if o.verbose {
			lg.warnf(c.Stderr, "%s", n)
		} else {
			lg.logOnly("warning: %s", n)
		}
	}
	notices = slices.DeleteFunc(slices.Clone(notices), func(n engine.Notice) bool { return n.Code == engine.NoticeRecordedUnmatched })
	// A notice may quote a value (a kept placeholder's): masked.
	mk := masker{show: o.showSecrets}
	manual := engine.NoticesOf(notices, engine.NoticeNotImplemented)
	for _, n := range notices {
		if n.Code != engine.NoticeNotImplemented {
			lg.warnf(c.Stderr, "%s", mk.text(n.String()))
		}
	}
	if n := len(manual); n > 0 && !o.verbose {
		verb := " was"
		if n != 1 {
			verb = " were"
		}
		lg.warnf(c.Stderr, "%s%s not made and %s left to do by hand (--verbose lists them, and --report says what to do)", plural(n, "vendor change"), verb, map[bool]string{true: "is", false: "are"}[n == 1])
	}
	for _, n := range manual {
		if o.verbose {
			lg.warnf(c.Stderr, "%s", mk.text(n.String()))
		} else {
			lg.logOnly("warning: %s", mk.text(n.String()))
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// brieflyListed names the first n paths and counts the others.
func brieflyListed(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}
