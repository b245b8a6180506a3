package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed on first use: every run starts this package, few write
// the HTML page.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"diffLines": diffLines,
		"value":     value,
		"join":      strings.Join,
		"diffStat":  diffStat,
		"plural":    plural,
	}).Parse(pageText))
})

// htmlView is what the page template reads.
type htmlView struct {
	*Report
	Files      []fileSection
	Reprinted  []fileSection // files no rule changed, only re-printed
	RuleIDs    []string
	Services   []string
	Groups     []ruleGroup
	Applicable int
}

// ruleGroup is the changes of one rule, in the order they were made.
type ruleGroup struct {
	RuleCount
	List []Change
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and JavaScript, no network access, no external assets.
func (r *Report) WriteHTML(w io.Writer) error {
	switch c := r.run.Collector; {
	case c == nil:
		return fmt.Errorf("the HTML page needs the upgrade itself: build the report with Build")
	case c.diffs == DiffNone:
		return fmt.Errorf("the HTML page needs the diffs: make the Collector with diffs")
	}
	v := htmlView{Report: r, Applicable: len(r.Applicable())}
	for _, f := range r.sections() {
		if f.Reprinted && len(f.Changes) == 0 {
			v.Reprinted = append(v.Reprinted, f)
		} else {
			v.Files = append(v.Files, f)
		}
	}
	seen := map[string]bool{}
	for _, rc := range r.Summary.Rules {
		if !seen[rc.ID] {
			seen[rc.ID] = true
			v.RuleIDs = append(v.RuleIDs, rc.ID)
		}
		g := ruleGroup{RuleCount: rc}
		for _, c := range r.Changes {
			if c.Rule == rc.ID && c.Step == rc.Step {
				g.List = append(g.List, c)
			}
		}
		v.Groups = append(v.Groups, g)
	}
	for _, sc := range r.Summary.Services {
		v.Services = append(v.Services, sc.Service)
	}
	return page().Execute(w, v)
}

// diffLine is one line of a unified diff, with its CSS class.
type diffLine struct {
	Class, Text string
}

func diffLines(d string) []diffLine {
	var out []diffLine
	for l := range strings.Lines(d) {
		l = strings.TrimSuffix(l, "\n")
		c := ""
		switch {
		case strings.HasPrefix(l, "diff "), strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "+++ "):
			c = "meta"
		case strings.HasPrefix(l, "@@"):
			c = "hunk"
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		}
		out = append(out, diffLine{c, l})
	}
	return out
}

// diffStat counts the added and removed lines of a diff.
func diffStat(lines []diffLine) string {
	add, del := 0, 0
	for _, l := range lines {
		switch l.Class {
		case "add":
			add++
		case "del":
			del++
		}
	}
	return fmt.Sprintf("+%d −%d", add, del)
}

// value prints an old or new value of a change for the page.
func value(raw []byte) string {
	if raw == nil {
		return "(none)"
	}
	return string(raw)
}

// plural is "1 word" or "n words" ("n entries" for a word in y).
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
