// Package report tells a reviewer what an upgrade did and what is left to do
// by hand.
//
// Build turns an upgrade into a Report: every change with its rule's title,
// the files created and deleted, the versions, and the checklist of the
// manual steps of the PingAM 8.1 upgrade guide (package checklist), each
// read from the upgraded configuration with its evidence. The upgrade
// streams and the engine.Result holds no file's bytes, so what Build reads
// of the files (their services, the diffs, the checklist's evidence) a
// Collector gathers as each file goes by. A Report is written as JSON (a
// stable, versioned schema: docs/report.md and docs/report.schema.json) or
// as one self-contained HTML page with per-file diffs and filters. Secrets
// are masked in both unless Masker.Show is set: the list of what is secret
// is in secrets.go.
//
// The package also holds Masker, the masking rules every printed value goes
// through. The checklist itself is package checklist.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/checklist"
)

// SchemaVersion is the version of the JSON report's schema. It changes only
// when a field is removed or changes meaning; new fields keep the version.
// Version 2 replaced the string lists warnings, notImplemented and
// keptPlaceholders with one list of notice objects.
const SchemaVersion = 2

// Run is one upgrade as the report tells it.
type Run struct {
	Result *engine.Result
	// Collector has seen every file of the upgrade.
	Collector *Collector
	// Input and OutputDir are the folders as given on the command line.
	Input, OutputDir string
	// Action is what the run did with the upgraded tree: write, check, diff
	// or dry-run.
	Action string
	// From is the AM version given with --from, if any.
	From string
	// Evidence is what the tree records of its AM version.
	Evidence engine.VersionEvidence
	// ToolVersion is amupgrade's version.
	ToolVersion string
	// Target is the AM release the upgrade goes to (--to, or the last
	// step's); nil when not known.
	Target engine.Version
	// TomcatServerXML, when set, is the path of a Tomcat server.xml to check
	// (--tomcat-server-xml).
	TomcatServerXML string
	Masker          Masker
}

// Report is the JSON document written by --report. Field order is the
// order of the JSON text.
type Report struct {
	SchemaVersion   int              `json:"schemaVersion"`
	Tool            string           `json:"tool"`
	ToolVersion     string           `json:"toolVersion"`
	Mode            engine.Mode      `json:"mode"`
	Input           string           `json:"input"`
	Output          string           `json:"output,omitempty"`
	Action          string           `json:"action"`
	Steps           []string         `json:"steps"`
	StartVersion    string           `json:"startVersion,omitempty"`
	EndVersion      string           `json:"endVersion,omitempty"`
	StartAMVersion  string           `json:"startAmVersion,omitempty"`
	VersionEvidence []Clue           `json:"versionEvidence"`
	Recorded        []string         `json:"recordedRuleIds"`
	Skipped         []string         `json:"skippedRuleIds"`
	Created         []string         `json:"created"`
	Deleted         []string         `json:"deleted"`
	Changed         []string         `json:"changed"`
	Reprinted       []string         `json:"reprinted"`
	Unmatched       []string         `json:"unmatchedRules"`
	Notices         []Notice         `json:"notices"`
	Summary         Summary          `json:"summary"`
	Changes         []Change         `json:"changes"`
	Checklist       []checklist.Item `json:"checklist"`

	run Run // for the HTML page's diffs
}

// Notice is one engine.Notice: something the run tells besides its changes.
type Notice struct {
	Code      engine.NoticeCode `json:"code"`
	Rule      string            `json:"rule,omitempty"`
	File      string            `json:"file,omitempty"`
	Pointer   string            `json:"pointer,omitempty"`
	Message   string            `json:"message"`
	Transform string            `json:"transform,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Needs     engine.Need       `json:"needs,omitempty"`
	Action    string            `json:"action,omitempty"`
	// Text is the notice as the console prints it.
	Text string `json:"-"`
}

// Clue is one thing the input records of the AM release it comes from
// (engine.Clue).
type Clue struct {
	Kind    engine.ClueKind `json:"kind"`
	File    string          `json:"file,omitempty"`
	Pointer string          `json:"pointer,omitempty"`
	Value   string          `json:"value"`
	From    string          `json:"from,omitempty"`
	To      string          `json:"to,omitempty"`
	Used    bool            `json:"used"`
	Note    string          `json:"note,omitempty"`
}

func versionEvidence(ev engine.VersionEvidence) []Clue {
	out := []Clue{}
	for _, c := range ev.Clues {
		x := Clue{Kind: c.Kind, File: c.File, Pointer: c.Pointer, Value: c.Value, Used: c.Used, Note: c.Note}
		if c.From != nil {
			x.From = c.From.String()
		}
		if c.To != nil {
			x.To = c.To.String()
		}
		out = append(out, x)
	}
	return out
}

// Summary holds the counts a reviewer reads first.
// The numbers are engine.Result.Counts, which the console summary prints
// too.
type Summary struct {
	Changes             int            `json:"changes"`
	FilesChanged        int            `json:"filesChanged"`
	FilesChangedByRules int            `json:"filesChangedByRules"`
	FilesReprinted      int            `json:"filesReprinted"`
	FilesCreated        int            `json:"filesCreated"`
	FilesDeleted        int            `json:"filesDeleted"`
	RulesWithChanges    int            `json:"rulesWithChanges"`
	Rules               []RuleCount    `json:"rules"`
	Services            []ServiceCount `json:"services"`
}

// RuleCount is one rule that changed something.
type RuleCount struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Step    string `json:"step"`
	Changes int    `json:"changes"`
	Files   int    `json:"files"`
}

// ServiceCount counts the changes to the files of one service (FBC) or
// entity type (Amster).
type ServiceCount struct {
	Service string `json:"service"`
	Changes int    `json:"changes"`
	Files   int    `json:"files"`
}

// Change is one change made by a rule.
type Change struct {
	Rule    string          `json:"rule"`
	Step    string          `json:"step,omitempty"`
	File    string          `json:"file"`
	Pointer string          `json:"pointer,omitempty"`
	Op      string          `json:"op"`
	Old     json.RawMessage `json:"old,omitempty"`
	New     json.RawMessage `json:"new,omitempty"`
	Title   string          `json:"title"`
	Service string          `json:"service"`
}

// fileSection is one file that differs (or that a rule touched without
// changing its bytes), for the HTML page.
type fileSection struct {
	FileDiff
	Service string
	Changes []int // indexes into Report.Changes
	Rules   []string
}

// Build gathers the report of a run once the collector has seen every file.
// It reads the Tomcat server.xml when one is given; a file that cannot be
// read is an error.
func Build(run Run) (*Report, error) {
	res, c := run.Result, run.Collector
	if c == nil {
		return nil, errors.New("report.Build: no Collector: hand every file of the upgrade to one")
	}
	if c.mode != res.Tree.Layout.Mode {
		return nil, fmt.Errorf("report.Build: the Collector was made for a %s tree, the upgrade is of a %s tree", c.mode, res.Tree.Layout.Mode)
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: "amupgrade", ToolVersion: run.ToolVersion,
		Mode: res.Tree.Layout.Mode, Input: run.Input, Output: run.OutputDir, Action: run.Action,
		Steps: []string{}, StartVersion: res.StartVersion, EndVersion: res.EndVersion,
		Recorded: nonNil(res.Recorded), Skipped: nonNil(res.Skipped),
		Created: nonNil(res.Created), Deleted: nonNil(res.Deleted), Changed: nonNil(res.Changed), Reprinted: nonNil(res.Reprinted), Unmatched: []string{},
		Notices: []Notice{},
		Changes: []Change{}, Checklist: []checklist.Item{}, run: run,
	}
	if res.Chain != nil {
		for _, s := range res.Chain.Steps {
			r.Steps = append(r.Steps, s.Name)
		}
	}
	// A notice may quote a value (a kept placeholder's): it is masked as
	// any printed text.
	mk := run.Masker
	for _, n := range res.Notices {
		r.Notices = append(r.Notices, Notice{Code: n.Code, Rule: n.RuleID, File: n.File, Pointer: n.Pointer,
			Message: mk.Text(n.Message), Transform: n.Transform, Reason: mk.Text(n.Reason), Needs: n.Needs, Action: mk.Text(n.Action), Text: mk.Text(n.String())})
	}
	for _, u := range res.Unmatched {
		r.Unmatched = append(r.Unmatched, u.ID)
	}

	titles := map[string]string{}
	order := map[string]int{}
	if res.Chain != nil {
		for i, rule := range res.Chain.Rules {
			key := rule.Step + "\x00" + rule.ID
			titles[key] = rule.Title
			if _, ok := order[key]; !ok {
				order[key] = i
			}
		}
	}
	raw := func(ptr string, v *amjson.Value) json.RawMessage {
		if v == nil {
			return nil
		}
		return json.RawMessage(mk.Value(ptr, v))
	}
	// The engine's own changes to the ConfigurationVersionService come from
	// no rule file.
	titles["\x00tracking"] = "Version tracking: the applied rule ids and the configuration version are recorded"
	for _, e := range res.Events {
		r.Changes = append(r.Changes, Change{Rule: e.RuleID, Step: e.Step, File: e.File, Pointer: e.Pointer, Op: e.Op,
			Old: raw(e.Pointer, e.Old), New: raw(e.Pointer, e.New), Title: titles[e.Step+"\x00"+e.RuleID], Service: eventService(c, e)})
	}
	r.summarize(res.Counts(), order)
	r.StartAMVersion = run.From
	if r.StartAMVersion == "" && run.Evidence.Start != nil {
		r.StartAMVersion = run.Evidence.Start.String()
	}
	r.VersionEvidence = versionEvidence(run.Evidence)
	items, err := checklist.Build(c.facts, checklist.Options{Chain: res.Chain, From: r.StartAMVersion, Target: run.Target,
		TomcatServerXML: run.TomcatServerXML, Mask: mk.Property})
	if err != nil {
		return nil, err
	}
	// Evidence quotes configuration (properties, script lines, a Tomcat
	// server.xml): its notes are masked as any printed text.
	for i := range items {
		for j := range items[i].Evidence {
			items[i].Evidence[j].Note = run.Masker.Text(items[i].Evidence[j].Note)
		}
	}
	r.Checklist = items
	return r, nil
}

func (r *Report) summarize(c engine.Counts, order map[string]int) {
	s := &r.Summary
	s.Changes = c.Changes
	s.FilesChanged = c.FilesChanged
	s.FilesChangedByRules = c.FilesByRules
	s.FilesReprinted = c.FilesReprinted
	s.FilesCreated = c.FilesCreated
	s.FilesDeleted = c.FilesDeleted
	s.RulesWithChanges = c.Rules
	s.Rules, s.Services = []RuleCount{}, []ServiceCount{}
	rules := map[string]*RuleCount{}
	ruleFiles := map[string]map[string]bool{}
	var keys []string
	services := map[string]*ServiceCount{}
	serviceFiles := map[string]map[string]bool{}
	for _, c := range r.Changes {
		key := c.Step + "\x00" + c.Rule
		rc := rules[key]
		if rc == nil {
			rc = &RuleCount{ID: c.Rule, Title: c.Title, Step: c.Step}
			rules[key] = rc
			ruleFiles[key] = map[string]bool{}
			keys = append(keys, key)
		}
		rc.Changes++
		ruleFiles[key][c.File] = true
		sc := services[c.Service]
		if sc == nil {
			sc = &ServiceCount{Service: c.Service}
			services[c.Service] = sc
			serviceFiles[c.Service] = map[string]bool{}
		}
		sc.Changes++
		serviceFiles[c.Service][c.File] = true
	}
	// Rules in the order they ran; services by name.
	sort.SliceStable(keys, func(i, j int) bool { return order[keys[i]] < order[keys[j]] })
	for _, k := range keys {
		rules[k].Files = len(ruleFiles[k])
		s.Rules = append(s.Rules, *rules[k])
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		services[name].Files = len(serviceFiles[name])
		s.Services = append(s.Services, *services[name])
	}
}

// sections lists the files that differ, with their diffs, and the files a
// rule touched without changing their bytes, by path.
func (r *Report) sections() []fileSection {
	c := r.run.Collector
	byFile := map[string][]int{}
	for i, ch := range r.Changes {
		byFile[ch.File] = append(byFile[ch.File], i)
	}
	var files []fileSection
	for _, d := range c.Diffs() {
		files = append(files, fileSection{FileDiff: d})
	}
	// A file a rule touched without changing its bytes (a value set to
	// itself) still lists its changes.
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.Path] = true
	}
	for p := range byFile {
		if !seen[p] {
			files = append(files, fileSection{FileDiff: FileDiff{Path: p, Status: "changed"}})
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for i := range files {
		f := &files[i]
		f.Service = c.service(f.Path)
		f.Changes = byFile[f.Path]
		for _, ci := range f.Changes {
			if !slices.Contains(f.Rules, r.Changes[ci].Rule) {
				f.Rules = append(f.Rules, r.Changes[ci].Rule)
			}
		}
	}
	return files
}

// IsHTML reports whether a report written to path is the HTML page (which
// shows the diffs) rather than JSON.
func IsHTML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".html" || ext == ".htm"
}

// Write writes the report to path: an HTML page when the name ends in
// .html (or .htm), JSON otherwise. The folder is created.
func (r *Report) Write(path string) error {
	var b bytes.Buffer
	if err := r.Encode(&b, path); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// Encode writes the report as the file path would hold it: an HTML page when path ends in
// .html or .htm, JSON otherwise.
func (r *Report) Encode(w io.Writer, path string) error {
	if IsHTML(path) {
		return r.WriteHTML(w)
	}
	return r.WriteJSON(w)
}

// WriteJSON writes the report as indented JSON. Placeholders (&{…}) and
// HTML characters are written as they are, not escaped.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Applicable returns the checklist items that apply (yes).
func (r *Report) Applicable() []checklist.Item {
	var out []checklist.Item
	for _, it := range r.Checklist {
		if it.Applies == checklist.Yes {
			out = append(out, it)
		}
	}
	return out
}

// ConsoleLines are the lines the console summary prints for the checklist:
// a heading and one line per item that applies; none when nothing applies.
func (r *Report) ConsoleLines() []string {
	items := r.Applicable()
	var lines []string
	if len(items) > 0 {
		lines = append(lines, fmt.Sprintf("Manual steps from the PingAM 8.1 upgrade guide (%d; the report has the evidence):", len(items)))
	}
	for _, it := range items {
		lines = append(lines, fmt.Sprintf("  - %s: %s (guide: %s)", it.Title, it.Summary, it.Section))
	}
	var later int
	for _, it := range r.Checklist {
		if checklist.BeyondTarget(it, r.run.Target) {
			later++
		}
	}
	if later > 0 {
		lines = append(lines, fmt.Sprintf("The PingAM 8.1 upgrade guide's steps for later releases do not apply to an upgrade to AM %s (%d left out; the report lists them).",
			r.run.Target, later))
	}
	return lines
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// eventService is the service of the file a change was made to.
func eventService(c *Collector, e engine.Event) string {
	if e.Type != "" {
		return e.Type
	}
	return c.service(e.File)
}
