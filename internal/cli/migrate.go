package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/atomictree"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/report"
	"github.com/amupgrade/amupgrade/migrate"
	"github.com/rogpeppe/go-internal/diff"
	ucli "github.com/urfave/cli/v3"
)

// migrationFlags are the flags of --migrationMode (the vendor's, and
// --dynamic-data).
func migrationFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "migrationMode", Aliases: []string{"migration-mode"}, Usage: "migrate an LDIF export of the configuration store (-i: a .ldif or .ldif.gz file, or a folder of them) to a file-based configuration tree (docs/migrate-to-fbc.md)"},
		&ucli.StringFlag{Name: "sectionsSource", Aliases: []string{"s"}, Usage: "migration: AM's section tables, a <service>.section.properties file, a folder of them, or AM.war (default: tables from real AM trees; none: flat files)"},
		&ucli.StringFlag{Name: "dynamic-data", Usage: "migration: what to do with the agents, policies and other dynamic data the guide moves out first: stop (the default: exit 1 naming them), exclude, keep"},
	}
}

// migrateOptions are the flags of a migration.
type migrateOptions struct {
	in, out      string
	clean        bool
	cleanSet     bool
	dryRun, diff bool
	check        bool
	report, log  string
	verbose      bool
	quiet        bool
	showSecrets  bool
	sections     string
	rulesNotes   []string
	opts         migrate.Options
}

// readMigrateOptions reads and checks the flags of --migrationMode.
func readMigrateOptions(cmd *ucli.Command) (*migrateOptions, error) {
	o := &migrateOptions{
		in: cmd.String("inputConfig"), out: cmd.String("output"), cleanSet: cmd.IsSet("clean"),
		dryRun: cmd.Bool("dry-run"), diff: cmd.Bool("diff"), check: cmd.Bool("check"),
		report: cmd.String("report"), log: cmd.String("log-output"), verbose: cmd.Bool("verbose"),
		quiet: cmd.Bool("quiet"), showSecrets: cmd.Bool("show-secrets"), sections: cmd.String("sectionsSource"),
	}
	if o.in == "" {
		return nil, &usageError{"missing --inputConfig (-i): the LDIF export of the configuration store (a .ldif or .ldif.gz file, or the folder holding it)"}
	}
	if o.out == "" && !o.dryRun && !o.diff && !o.check {
		return nil, &usageError{"missing --output (-o): where to write the file-based configuration (or use --check, --diff or --dry-run)"}
	}
	for _, f := range []string{"to", "from", "with", "only", "amsterVersion"} {
		if cmd.IsSet(f) {
			return nil, &usageError{fmt.Sprintf("--%s is for upgrades; --migrationMode writes the configuration as the export holds it: migrate first, then upgrade the tree with amupgrade -i OUT --fileBasedMode --to VERSION", f)}
		}
	}
	switch strings.ToLower(cmd.String("clean")) {
	case "true", "": // true unless said otherwise
		o.clean = true
	case "false":
	default:
		return nil, &usageError{fmt.Sprintf("--clean takes true or false, not %q", cmd.String("clean"))}
	}
	mode, ok := migrate.ParseDynamicMode(cmd.String("dynamic-data"))
	if !ok {
		return nil, &usageError{fmt.Sprintf("--dynamic-data takes stop, exclude or keep, not %q", cmd.String("dynamic-data"))}
	}
	for _, arg := range cmd.Args().Slice() {
		name := path.Base(filepath.ToSlash(arg))
		for _, ext := range []string{".groovy", ".yaml", ".yml"} {
			name = strings.TrimSuffix(name, ext)
		}
		switch name {
		case "noop":
		case "migrate-to-fbc":
			o.rulesNotes = append(o.rulesNotes, fmt.Sprintf("%s: the vendor's migration rules are not public; the tree is written as the export holds it, as with noop", arg))
		default:
			return nil, &usageError{fmt.Sprintf("in migration mode the rules argument is rules/fbc/migrate-to-fbc.groovy or rules/fbc/noop.groovy, not %q; to upgrade the migrated tree, run amupgrade -i OUT --fileBasedMode with these rules afterwards", arg)}
		}
	}
	o.opts = migrate.Options{Dynamic: mode, PrettyArrays: cmd.Bool("prettyArrays"), Jobs: int(cmd.Int("jobs"))}
	if cmd.IsSet("baseDn") {
		o.opts.BaseDN = cmd.String("baseDn")
	}
	return o, nil
}

// runMigration runs one migration: the export is read and checked, each
// entry's file staged as it is converted, and the tree swapped in once all
// is done (or compared with the output folder, for --check and --diff).
func (c *CLI) runMigration(ctx context.Context, cmd *ucli.Command, args []string) (int, error) {
	o, err := readMigrateOptions(cmd)
	if err != nil {
		return 0, err
	}
	if err := checkMigrationFolders(o); err != nil {
		return 0, err
	}
	var logFile *os.File
	if o.log != "" {
		if logFile, err = os.Create(o.log); err != nil {
			return 0, &usageError{fmt.Sprintf("--log-output: %v", err)}
		}
		defer logFile.Close()
	}
	console := c.Stdout
	if o.diff {
		console = c.Stderr
	}
	lg := &logger{console: console, file: logFile, quiet: o.quiet}
	for _, n := range o.rulesNotes {
		lg.warnf(c.Stderr, "%s", n)
	}

	switch strings.ToLower(o.sections) {
	case "":
		o.opts.Sections = migrate.Mined()
	case "none":
		o.opts.Sections = migrate.Flat{}
	default:
		p, err := migrate.LoadSections(o.sections)
		if err != nil {
			return 0, migrationError(err)
		}
		o.opts.Sections = p
	}
	inputs, err := migrate.Inputs(o.in)
	if err != nil {
		return 0, migrationError(err)
	}

	writing := o.out != "" && !o.dryRun && !o.diff && !o.check
	var lock *atomictree.Lock
	if writing {
		// As an upgrade does (see upgradeRun.lock): no other run may replace the folder
		// meanwhile, nor clean up after this one.
		lock, err = atomictree.LockFolder(ctx, o.out, atomictree.LockOptions{
			Wait: cmd.Duration("lock-wait"), Owner: lockOwner(args),
			Waiting: func(holder string) {
				if holder == "" {
					holder = "another run"
				}
				lg.noticef(c.Stderr, "waiting up to %v for %s to finish with the output folder %s…", cmd.Duration("lock-wait"), holder, o.out)
			},
		})
		if le := (*atomictree.LockedError)(nil); errors.As(err, &le) {
			return 0, fmt.Errorf("the output folder %v (or give --lock-wait to wait longer)", err)
		}
		if err != nil {
			return 0, err
		}
		defer lock.Release()
		done, err := atomictree.Recover(o.out)
		if err != nil {
			return 0, fmt.Errorf("cleaning up after an interrupted run: %w", err)
		}
		for _, s := range done {
			lg.printf("%s", s)
		}
	}
	lg.printf("Reading LDIF configuration from %s…", o.in)
	lg.printf("Migrating the configuration store export to file-based configuration (sections: %s)…", o.opts.Sections.Source())

	var w *atomictree.Writer
	if writing {
		w, err = atomictree.NewWriter(ctx, o.out, atomictree.Options{Clean: o.clean, Lock: lock, AllowNonAtomic: cmd.Bool("allow-non-atomic"), NoSync: c.noSync})
		if errors.Is(err, atomictree.ErrNonAtomic) {
			return 0, &usageError{fmt.Sprintf("%v; give --allow-non-atomic to write it file by file all the same, or write to a folder beside it and move that in", err)}
		}
		if err != nil {
			return 0, err
		}
		defer w.Abort()
	}
	cmp := &comparer{dir: o.out, diffs: o.diff, mask: report.Masker{Show: o.showSecrets}}
	sink := func(f *migrate.File) error {
		switch {
		case w != nil:
			if err := w.Put(atomictree.File{Path: f.Path, Data: f.Data}); err != nil {
				return &engine.Error{Code: engine.CodeWrite, File: f.Path, Err: err}
			}
		case o.check || o.diff:
			return cmp.observe(f)
		}
		return nil
	}
	res, err := migrate.Migrate(ctx, inputs, o.opts, sink)
	if err != nil {
		return 0, migrationError(err)
	}
	if o.check || o.diff {
		if err := cmp.finish(o.clean); err != nil {
			return 0, err
		}
	}
	switch {
	case o.diff:
		for _, d := range cmp.sortedDiffs() {
			io.WriteString(c.Stdout, d)
		}
	case o.check, o.dryRun:
	default:
		lg.printf("Writing configuration to new location at %s…", o.out)
		rep, err := w.Commit(ctx, nil)
		if err != nil {
			return 0, err
		}
		if rep.NonAtomic != "" {
			lg.warnf(c.Stderr, "%s", rep.NonAtomic)
		}
		lg.printf("Migration Completed, configuration saved to %s", o.out)
	}
	if o.report != "" {
		if err := writeMigrationReport(o, res, cmp); err != nil {
			return 0, err
		}
	}
	for _, line := range migrationSummary(o, res, cmp) {
		lg.printf("%s", line)
	}
	for _, line := range noticeLines(res, o.verbose) {
		lg.warnf(c.Stderr, "%s", line)
	}
	if !o.verbose && len(res.Notices) > 0 {
		for _, n := range res.Notices {
			lg.logOnly("notice: %s", noticeText(n))
		}
	}
	if o.check && cmp.differ() > 0 {
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// checkMigrationFolders refuses an output that would hold or replace the
// input, and a non-empty output without --clean (as for upgrades). The
// output may lie inside the folder of the export: only its *.ldif files
// are read.
func checkMigrationFolders(o *migrateOptions) error {
	if o.out == "" {
		return nil
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		return a
	}
	in, out := abs(o.in), abs(o.out)
	switch {
	case in == out:
		return &usageError{fmt.Sprintf("the output folder %s is the input; write the file-based configuration to another folder", o.out)}
	case strings.HasPrefix(in, out+string(filepath.Separator)):
		return &usageError{fmt.Sprintf("the input %s is inside the output folder %s, which would be replaced; choose another output folder", o.in, o.out)}
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 && !o.cleanSet && !o.check && !o.diff {
		return &usageError{fmt.Sprintf("the output folder %s exists and is not empty; give --clean true to replace its contents, or --clean false to write over it and keep other files", o.out)}
	}
	return nil
}

// migrationError turns the migration's errors into the command line's, so
// that they print one per line and exit 1.
func migrationError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var es migrate.Errors
	if errors.As(err, &es) {
		var all engine.Errors
		for _, e := range es {
			all = append(all, &engine.Error{Code: engine.CodeInput, Msg: e.Error()})
		}
		if len(all) == 1 {
			return all[0]
		}
		return all
	}
	var we *engine.Error
	if errors.As(err, &we) {
		return err
	}
	return &engine.Error{Code: engine.CodeInput, Msg: err.Error()}
}

// migrationSummary says what the migration did, and what it did with the
// dynamic data.
func migrationSummary(o *migrateOptions, res *migrate.Result, cmp *comparer) []string {
	verb := "written"
	if o.dryRun || o.check || o.diff {
		verb = "would be written"
	}
	noFile := res.Structure + res.SchemaEnts
	lines := []string{fmt.Sprintf("%s read (base DN %s): %s %s, %s; %d container and version entries have no file; %s read",
		migrate.Entries(res.Entries), res.BaseDN, plural(res.Files, "file"), verb, plural(len(res.Realms), "realm"),
		noFile, plural(len(res.Schemas), "service schema"))}
	if res.Outside > 0 {
		lines = append(lines, fmt.Sprintf("%s outside ou=services,%s not migrated (not configuration)", migrate.Entries(res.Outside), res.BaseDN))
	}
	if res.Operational > 0 {
		lines = append(lines, fmt.Sprintf("%s of operational attributes ignored (entryUUID, timestamps, …)", plural(res.Operational, "value")))
	}
	if len(res.Dynamic) > 0 {
		what := "left out (--dynamic-data exclude)"
		if res.DynamicMode == "keep" {
			what = "kept as configuration (--dynamic-data keep)"
		}
		lines = append(lines, fmt.Sprintf("dynamic data %s, which %s of the PingAM 8.1 guide moves out of the configuration store:", what, migrate.GuideStep))
		for _, s := range res.Dynamic {
			lines = append(lines, fmt.Sprintf("  - %s: %s, %s (%s:%d)", s.DN, s.What, migrate.Entries(s.Entries), s.File, s.Line))
		}
	}
	if o.check || o.diff {
		lines = append(lines, fmt.Sprintf("compared with %s: %d files would change (%d created, %d deleted)", orNone(o.out), cmp.differ(), cmp.created, len(cmp.deleted)))
	}
	return lines
}

func orNone(s string) string {
	if s == "" {
		return "an empty folder"
	}
	return s
}

// noticeLines are the warnings printed for the notices: one per kind, or
// every notice with -v.
func noticeLines(res *migrate.Result, verbose bool) []string {
	var lines []string
	if verbose {
		for _, n := range res.Notices {
			lines = append(lines, noticeText(n))
		}
	} else {
		type group struct {
			count, notices int
			first          migrate.Notice
		}
		var order []string
		groups := map[string]*group{}
		for _, n := range res.Notices {
			g := groups[n.Code]
			if g == nil {
				g = &group{first: n}
				groups[n.Code] = g
				order = append(order, n.Code)
			}
			g.count += n.Count
			g.notices++
		}
		for _, code := range order {
			g := groups[code]
			s := noticeText(g.first)
			if g.count > g.first.Count {
				s += fmt.Sprintf(" (and %d more of this kind; -v or --report lists them)", g.count-g.first.Count)
			}
			lines = append(lines, s)
		}
	}
	codes := make([]string, 0, len(res.Dropped))
	for code := range res.Dropped {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		lines = append(lines, fmt.Sprintf("%d more %s notices not listed", res.Dropped[code], code))
	}
	return lines
}

func noticeText(n migrate.Notice) string {
	s := fmt.Sprintf("%s:%d: %s", n.File, n.Line, n.Msg)
	if n.Count > 1 {
		s += fmt.Sprintf(" (%d times)", n.Count)
	}
	return s
}

// comparer compares the files a migration would write with the output
// folder, for --check and --diff.
type comparer struct {
	dir     string
	diffs   bool
	mask    report.Masker
	mu      sync.Mutex
	seen    map[string]bool
	changed []string
	created int
	deleted []string
	text    map[string]string
}

func (c *comparer) observe(f *migrate.File) error {
	var old []byte
	var err error
	if c.dir != "" {
		old, err = os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(f.Path)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &engine.Error{Code: engine.CodeInput, File: f.Path, Msg: "cannot read the output folder's file to compare", Err: err}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen, c.text = map[string]bool{}, map[string]string{}
	}
	c.seen[f.Path] = true
	if bytes.Equal(old, f.Data) && old != nil {
		return nil
	}
	c.changed = append(c.changed, f.Path)
	if old == nil {
		c.created++
	}
	if c.diffs {
		oldName, newName := "a/"+f.Path, "b/"+f.Path
		if old == nil {
			oldName = "/dev/null"
		}
		c.text[f.Path] = c.mask.Text(string(diff.Diff(oldName, old, newName, f.Data)))
	}
	return nil
}

// finish finds the files of the output folder the migration would remove.
func (c *comparer) finish(clean bool) error {
	if c.dir == "" || !clean {
		return nil
	}
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == c.dir {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(c.dir, p)
		rel = filepath.ToSlash(rel)
		if !c.seen[rel] {
			c.deleted = append(c.deleted, rel)
			if c.diffs {
				old, _ := os.ReadFile(p)
				c.text[rel] = c.mask.Text(string(diff.Diff("a/"+rel, old, "/dev/null", nil)))
			}
		}
		return nil
	})
	sort.Strings(c.deleted)
	return err
}

func (c *comparer) differ() int { return len(c.changed) + len(c.deleted) }

func (c *comparer) sortedDiffs() []string {
	paths := make([]string, 0, len(c.text))
	for p := range c.text {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = c.text[p]
	}
	return out
}

// migrationReport is the JSON document --report writes for a migration
// (docs/migrate-to-fbc.md describes it).
type migrationReport struct {
	SchemaVersion int             `json:"schemaVersion"`
	Tool          string          `json:"tool"`
	ToolVersion   string          `json:"toolVersion"`
	Mode          string          `json:"mode"`
	Input         string          `json:"input"`
	Output        string          `json:"output,omitempty"`
	Action        string          `json:"action"`
	Guide         string          `json:"guide"`
	Result        *migrate.Result `json:"result"`
	Changed       []string        `json:"changed,omitempty"`
	Deleted       []string        `json:"deleted,omitempty"`
}

func writeMigrationReport(o *migrateOptions, res *migrate.Result, cmp *comparer) error {
	rep := migrationReport{SchemaVersion: 1, Tool: "amupgrade", ToolVersion: version(), Mode: "migration", Input: o.in, Output: o.out,
		Action: reportAction(o.diff, o.check, o.dryRun), Guide: migrate.GuideURL, Result: res}
	if o.check || o.diff {
		rep.Changed, rep.Deleted = append([]string(nil), cmp.changed...), cmp.deleted
		sort.Strings(rep.Changed)
	}
	var b bytes.Buffer
	if report.IsHTML(o.report) {
		if err := migrationHTML.Execute(&b, rep); err != nil {
			return err
		}
	} else {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	// Written beside, then renamed: a report is whole or absent.
	dir := filepath.Dir(o.report)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".amupgrade-report-*")
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	_, err = tmp.Write(b.Bytes())
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), o.report)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

var migrationHTML = template.Must(template.New("migration").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>amupgrade migration report</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}code{font-size:90%}</style>
</head><body>
<h1>Migration to file-based configuration</h1>
<p>{{.Input}} → {{if .Output}}{{.Output}}{{else}}(nothing written){{end}} ({{.Action}}); amupgrade {{.ToolVersion}}; base DN <code>{{.Result.BaseDN}}</code>; sections: {{.Result.Sections}}.</p>
<table>
<tr><th>entries read</th><td>{{.Result.Entries}}</td></tr>
<tr><th>files</th><td>{{.Result.Files}}</td></tr>
<tr><th>realms</th><td>{{range .Result.Realms}}<code>{{.}}</code> {{end}}</td></tr>
<tr><th>service schemas read</th><td>{{len .Result.Schemas}}</td></tr>
<tr><th>container and version entries (no file)</th><td>{{.Result.Structure}} + {{.Result.SchemaEnts}}</td></tr>
<tr><th>entries outside the configuration</th><td>{{.Result.Outside}}</td></tr>
<tr><th>dynamic data ({{.Result.DynamicMode}})</th><td>{{range .Result.Dynamic}}<code>{{.DN}}</code>: {{.What}}, {{.Entries}} entries ({{.File}}:{{.Line}})<br>{{else}}none{{end}}</td></tr>
</table>
<h2>Notices</h2>
{{if .Result.Notices}}<table><tr><th>code</th><th>count</th><th>first at</th><th>file</th><th>what</th></tr>
{{range .Result.Notices}}<tr><td>{{.Code}}</td><td>{{.Count}}</td><td>{{.File}}:{{.Line}}<br><code>{{.DN}}</code></td><td>{{.Output}}</td><td>{{.Msg}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}
{{if .Changed}}<h2>Files that differ from the output folder</h2><ul>{{range .Changed}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
{{if .Deleted}}<h2>Files of the output folder the migration would remove</h2><ul>{{range .Deleted}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
<p>Guide: <a href="{{.Guide}}">{{.Guide}}</a></p>
</body></html>
`))
