package ruleset_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/ruleset"
	"github.com/amupgrade/amupgrade/transforms"
)

// The coverage document and the golden cases of every rule, relative to this
// package.
const (
	coverageDoc = "../docs/rules-coverage.md"
	ruleCases   = "../testdata/golden/rules"
)

// Status values of the coverage tables (see docs/rules-coverage.md).
const (
	statusImplemented = "implemented"
	statusPartly      = "partly implemented"
	statusNot         = "not implemented"
	statusRecordOnly  = "record only"
	statusOutOfScope  = "out of scope"
)

// notImplementedReasons are the only reasons a vendor change may stay not
// implemented; a row gives one of them first. "no public fact" must say
// what was searched.
var notImplementedReasons = []string{"needs key material", "needs the network", "needs licensed content", "no public fact"}

// outOfScopeReasons are the only reasons a row may be out of scope: it is
// not a change the vendor's rules make to configuration of the releases
// this tool upgrades.
var outOfScopeReasons = []string{"before 6.5", "not configuration", "not a vendor rule", "the vendor does not change it", "the other layout"}

// maxNotImplemented caps the rows left not implemented.
const maxNotImplemented = 30

var coverageColumns = []string{"source", "vendor rule", "our file", "our rule id", "status", "reason"}

// releaseColumns are the columns of the tables of FBC rules: the release a
// rule belongs to and the fact that gives it, after "our rule id".
var releaseColumns = []string{"source", "vendor rule", "our file", "our rule id", "release", "release source", "status", "reason"}

// coverageRow is one row of a coverage table.
type coverageRow struct {
	line                                     int
	source, vendor, file, id, status, reason string
	// hasRelease tells a row of a table with release columns.
	hasRelease             bool
	release, releaseSource string
}

func (r coverageRow) String() string {
	return fmt.Sprintf("%s:%d (%s)", coverageDoc, r.line, r.vendor)
}

// readCoverage parses every table of the coverage document whose header is
// coverageColumns. Cells may hold `\|` for a literal bar; backticks around a
// file or id are dropped; "—" (or "-", or nothing) means none.
func readCoverage(t *testing.T) []coverageRow {
	t.Helper()
	f, err := os.Open(coverageDoc)
	if err != nil {
		t.Fatalf("the coverage table: %v", err)
	}
	defer f.Close()
	var rows []coverageRow
	var columns []string // of the table being read; nil outside one
	tables := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			columns = nil
			continue
		}
		cells := splitRow(line)
		switch {
		case columns == nil && equalFold(cells, coverageColumns):
			columns = coverageColumns
			tables++
		case columns == nil && equalFold(cells, releaseColumns):
			columns = releaseColumns
			tables++
		case columns == nil:
			// another kind of table
		case isRule(cells):
		case len(cells) != len(columns):
			t.Errorf("%s:%d: %d cells, want %d (%s)", coverageDoc, n, len(cells), len(columns), strings.Join(columns, ", "))
		case len(columns) == len(releaseColumns):
			rows = append(rows, coverageRow{line: n, source: cells[0], vendor: cells[1],
				file: none(cells[2]), id: none(cells[3]), hasRelease: true, release: none(cells[4]), releaseSource: none(cells[5]),
				status: cells[6], reason: cells[7]})
		default:
			rows = append(rows, coverageRow{line: n, source: cells[0], vendor: cells[1],
				file: none(cells[2]), id: none(cells[3]), status: cells[4], reason: cells[5]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if tables == 0 || len(rows) == 0 {
		t.Fatalf("%s holds no table with the columns %s", coverageDoc, strings.Join(coverageColumns, " | "))
	}
	return rows
}

func splitRow(line string) []string {
	line = strings.ReplaceAll(line, `\|`, "\x00")
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	parts := strings.Split(line, "|")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.TrimSpace(p), "\x00", "|")
	}
	return parts
}

func equalFold(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// isRule reports whether a row is the |---|---| line under a header.
func isRule(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

func none(cell string) string {
	cell = strings.Trim(cell, "`")
	if cell == "—" || cell == "-" {
		return ""
	}
	return cell
}

// ruleKind says what a rule's operations are, for its status.
type ruleKind int

const (
	kindImplemented ruleKind = iota // every transform it calls is implemented
	kindPartly                      // some transform leaves part of the vendor's change to the user
	kindMixed                       // some operations are not-implemented transforms, others not
	kindAllNotImpl                  // every operation is a not-implemented transform
	kindRecordOnly                  // no operation at all: the rule only records its id
)

func classify(r *ruleset.Rule) ruleKind {
	if r.Create != nil || len(r.SetVersion) > 0 {
		return kindImplemented
	}
	ops, notImpl, partly := 0, 0, 0
	for _, p := range r.Parts {
		for _, op := range p.Ops {
			ops++
			if t, ok := unwrapOp(op).(*engine.TransformOp); ok {
				switch t.T.Status() {
				case statusNot:
					notImpl++
				case statusPartly:
					partly++
				}
			}
		}
	}
	switch {
	case ops == 0:
		return kindRecordOnly
	case notImpl == ops:
		return kindAllNotImpl
	case notImpl > 0:
		return kindMixed
	case partly > 0:
		return kindPartly
	}
	return kindImplemented
}

// inferredTransforms returns the transforms a rule calls whose effect is
// (in part) inferred.
func inferredTransforms(r *ruleset.Rule) []string {
	var out []string
	for _, p := range r.Parts {
		for _, op := range p.Ops {
			if t, ok := unwrapOp(op).(*engine.TransformOp); ok && t.T.Inferred != "" && !contains(out, t.T.Name) {
				out = append(out, t.T.Name)
			}
		}
	}
	return out
}

// unwrapOp returns the operation inside an operation with its own `when`
// (the engine wraps it in an unexported type with an exported Op field).
func unwrapOp(op engine.Op) engine.Op {
	for {
		v := reflect.ValueOf(op)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return op
		}
		f := v.Elem().FieldByName("Op")
		if !f.IsValid() || !f.CanInterface() {
			return op
		}
		inner, ok := f.Interface().(engine.Op)
		if !ok || inner == nil {
			return op
		}
		op = inner
	}
}

// allowedStatus is the set of statuses a row naming a rule of that kind may
// have. A mixed rule may have rows of each status, one per part it covers.
func allowedStatus(k ruleKind) []string {
	switch k {
	case kindAllNotImpl:
		return []string{statusNot}
	case kindRecordOnly:
		return []string{statusRecordOnly}
	case kindMixed:
		return []string{statusImplemented, statusPartly, statusNot}
	case kindPartly:
		// One row per part: the declarative parts may be implemented; the
		// rule's transform row is partly implemented (checked below).
		return []string{statusImplemented, statusPartly}
	}
	return []string{statusImplemented}
}

// TestCoverageTable checks that docs/rules-coverage.md cannot go stale: every
// rule id it names exists in the named bundled file, every bundled rule is
// named, each row's status matches what the rule's operations are, and every
// rule has its golden case.
func TestCoverageTable(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatalf("bundled rules do not load:\n%v", err)
	}
	type ruleRef struct {
		file *ruleset.File
		rule *ruleset.Rule
	}
	byFile := map[string]map[string]ruleRef{} // "rules/<mode>/<name>.yaml" → id → rule
	var files []*ruleset.File
	for _, f := range bundledFiles(t, set) {
		files = append(files, f)
		m := map[string]ruleRef{}
		for _, r := range f.Rules {
			m[r.ID] = ruleRef{f, r}
		}
		byFile["rules/"+f.Name+".yaml"] = m
	}

	steps := map[string]*ruleset.File{} // "amster/7.1.x-to-7.2.x" → file
	for _, f := range files {
		steps[f.Name] = f
	}

	rows := readCoverage(t)
	named := map[string]map[string]bool{}
	statuses := []string{statusImplemented, statusPartly, statusNot, statusRecordOnly, statusOutOfScope}
	notImplemented := 0
	partlyRow := map[string]bool{}
	for _, row := range rows {
		if !contains(statuses, row.status) {
			t.Errorf("%s: status %q is none of %s", row, row.status, strings.Join(statuses, ", "))
		}
		switch row.status {
		case statusNot:
			notImplemented++
			if !hasPrefixIn(row.reason, notImplementedReasons) {
				t.Errorf("%s: not implemented because %q: the reason must begin with one of %s", row, row.reason, strings.Join(quoteAll(notImplementedReasons), ", "))
			} else if strings.HasPrefix(row.reason, "no public fact") && !strings.Contains(row.reason, "searched") {
				t.Errorf("%s: \"no public fact\" must name what was searched (\"searched: …\")", row)
			}
		case statusOutOfScope:
			if !hasPrefixIn(row.reason, outOfScopeReasons) {
				t.Errorf("%s: out of scope because %q: the reason must begin with one of %s", row, row.reason, strings.Join(quoteAll(outOfScopeReasons), ", "))
			}
		}
		switch {
		case row.file == "" && row.id == "":
			if row.hasRelease && (row.release != "" || row.releaseSource != "") {
				t.Errorf("%s: a row without a rule has no release (—)", row)
			}
			if row.status != statusNot && row.status != statusOutOfScope {
				t.Errorf("%s: a row without a rule must be %q or %q, not %q", row, statusNot, statusOutOfScope, row.status)
			}
			if row.reason == "" {
				t.Errorf("%s: a vendor rule we do not implement needs a reason", row)
			}
			continue
		case row.file == "" || row.id == "":
			t.Errorf("%s: names a rule id without a file or a file without a rule id (%q, %q)", row, row.file, row.id)
			continue
		}
		rules, ok := byFile[row.file]
		if !ok {
			t.Errorf("%s: %s is not a bundled rule file", row, row.file)
			continue
		}
		ref, ok := rules[row.id]
		if !ok {
			t.Errorf("%s: %s has no rule %s", row, row.file, row.id)
			continue
		}
		if named[row.file] == nil {
			named[row.file] = map[string]bool{}
		}
		named[row.file][row.id] = true
		if row.status == statusPartly {
			partlyRow[row.file+"\x00"+row.id] = true
		}
		if allowed := allowedStatus(classify(ref.rule)); !contains(allowed, row.status) {
			t.Errorf("%s: %s %s is %q, want %s", row, row.file, row.id, row.status, strings.Join(quoteAll(allowed), " or "))
		}
		switch {
		case row.hasRelease:
			checkRelease(t, row, ref.file, ref.rule, steps)
		case row.file == releasesFile:
			t.Errorf("%s: %s %s is in a table without the columns release and release source", row, row.file, row.id)
		}
		if inf := inferredTransforms(ref.rule); len(inf) > 0 && row.status != statusNot && !strings.Contains(row.reason, "inferred") {
			t.Errorf("%s: %s calls %s, whose effect is in part inferred: the reason must say what is inferred (\"(inferred)\")", row, row.id, strings.Join(inf, ", "))
		}
	}
	for key, rules := range byFile {
		for id, ref := range rules {
			if classify(ref.rule) == kindPartly && !partlyRow[key+"\x00"+id] {
				t.Errorf("%s: %s calls a transform that leaves part of the vendor's change to the user: a row of %s must say %q, and what is left", key, id, coverageDoc, statusPartly)
			}
		}
	}
	if notImplemented > maxNotImplemented {
		t.Errorf("%d rows are not implemented; at most %d may be", notImplemented, maxNotImplemented)
	}

	for _, f := range files {
		key := "rules/" + f.Name + ".yaml"
		for _, r := range f.Rules {
			if !named[key][r.ID] {
				t.Errorf("%s: no row of %s names rule %s (%s)", key, coverageDoc, r.ID, r.Title)
			}
			if r.Title == "" {
				t.Errorf("%s: rule %s has no title", key, r.ID)
			}
			c := filepath.Join(ruleCases, filepath.FromSlash(f.Name), r.ID+".txtar")
			if _, err := os.Stat(c); err != nil {
				t.Errorf("%s: rule %s has no golden case %s", key, r.ID, c)
			}
		}
	}
}

// releasesFile is the rule file whose rows give each rule's release.
const releasesFile = "rules/fbc/latest.yaml"

// noPublicFact opens the release source of a rule that keeps the release of
// the vendor file holding it.
const noPublicFact = "no public fact"

// amsterStepName finds the Amster steps a release source names.
var amsterStepName = regexp.MustCompile("`(\\d+\\.\\d+\\.x-to-\\d+\\.\\d+\\.x)`")

// checkRelease checks a row's release against the rule's since (or its
// file's to), and against its source: the release of the earliest Amster
// step the source names, or 7.3.0 for no public fact.
func checkRelease(t *testing.T, row coverageRow, f *ruleset.File, r *ruleset.Rule, steps map[string]*ruleset.File) {
	t.Helper()
	want := r.Since
	if want == nil {
		want = f.To
	}
	got, err := engine.ParseVersion(row.release)
	if err != nil {
		t.Errorf("%s: release %q: %v; give %s, the since of %s", row, row.release, err, want, r.ID)
		return
	}
	if got.Compare(want) != 0 {
		t.Errorf("%s: release %s, but %s has since %s", row, got, r.ID, want)
	}
	if row.releaseSource == "" {
		t.Errorf("%s: release %s has no source", row, got)
		return
	}
	if strings.HasPrefix(row.releaseSource, noPublicFact) && got.Compare(engine.MustVersion("7.3.0")) != 0 {
		t.Errorf("%s: release %s from %q: without a public fact the release is 7.3.0, the vendor file's", row, got, noPublicFact)
	}
	var first *ruleset.File
	for _, m := range amsterStepName.FindAllStringSubmatch(row.releaseSource, -1) {
		step, ok := steps["amster/"+m[1]]
		if !ok {
			t.Errorf("%s: the release source names %s, which is no bundled Amster step", row, m[1])
			continue
		}
		if first == nil || step.To.Less(first.To) {
			first = step
		}
	}
	if first != nil && got.Compare(first.To) != 0 {
		t.Errorf("%s: release %s, but the source names the Amster step %s, which goes to %s", row, got, first.Name, first.To)
	}
}

// TestRuleCasesNameRules checks the other way round: every golden case under
// testdata/golden/rules belongs to a bundled rule, either as <id>.txtar or as
// a variant <id>--<what>.txtar.
func TestRuleCasesNameRules(t *testing.T) {
	set, err := ruleset.Bundled()
	if err != nil {
		t.Fatalf("bundled rules do not load:\n%v", err)
	}
	ids := map[string]bool{}
	for _, f := range bundledFiles(t, set) {
		for _, r := range f.Rules {
			ids[f.Name+"/"+r.ID] = true
		}
	}
	var stray []string
	err = filepath.WalkDir(ruleCases, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txtar") {
			return err
		}
		rel, _ := filepath.Rel(ruleCases, p)
		rel = strings.TrimSuffix(filepath.ToSlash(rel), ".txtar")
		if i := strings.Index(rel, "--"); i >= 0 {
			rel = rel[:i]
		}
		if !ids[rel] {
			stray = append(stray, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(stray)
	for _, p := range stray {
		t.Errorf("%s: no bundled rule of that file has that id", p)
	}
}

func hasPrefixIn(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// TestTransformDocsInStep checks that docs/rules.md describes each transform
// as the engine does: its row holds the transform's Doc word for word and,
// for a vendor transform, its status.
func TestTransformDocsInStep(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "| `") {
			name := strings.TrimPrefix(line, "| `")
			name = name[:strings.Index(name, "`")]
			rows[name] = line
		}
	}
	for _, tr := range transforms.All() {
		row, ok := rows[tr.Name]
		if !ok {
			t.Errorf("docs/rules.md has no row for transform %s", tr.Name)
			continue
		}
		if doc := strings.ReplaceAll(tr.Doc, "|", `\|`); !strings.Contains(row, doc) {
			t.Errorf("docs/rules.md: the row of %s does not hold its Doc:\n%s", tr.Name, doc)
		}
		if tr.Inferred != "" && !strings.Contains(row, "inferred: "+tr.Inferred) {
			t.Errorf("docs/rules.md: the row of %s does not say what is inferred: %q", tr.Name, tr.Inferred)
		}
		if tr.Gap != nil && !strings.Contains(row, "| "+tr.Status()+" (needs "+string(tr.Gap.Needs)+"): "+tr.Gap.Why+" |") {
			t.Errorf("docs/rules.md: the row of %s does not say %q", tr.Name, tr.Status()+" (needs "+string(tr.Gap.Needs)+"): "+tr.Gap.Why)
		}
	}
}
