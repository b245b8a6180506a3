package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"unicode"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed on first use: every run starts this package, few write
// the HTML page.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"diff":   renderDiff,
		"value":  value,
		"text":   breakable,
		"join":   strings.Join,
		"plural": plural,
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

// How much of a long diff or value the page shows before the reader asks
// for the rest: a diff of up to diffOpenLines lines is shown whole, a
// longer one by its first diffHeadLines lines with the others collapsed; a
// value of more than valueOpenChars characters by its first valueHeadChars.
const (
	diffOpenLines  = 40
	diffHeadLines  = 20
	valueOpenChars = 400
	valueHeadChars = 240
	valueCutBack   = 40
)

// diffView is a unified diff as the page shows it: Head is open, Rest
// (RestLines lines, "" when none) collapsed.
type diffView struct {
	Open       bool   // shown open (not a re-printed file's)
	Stat       string // "+3 −1"
	Lines      int
	Head, Rest template.HTML
	RestLines  int
}

// renderDiff marks up a unified diff for a <pre class="diff"><code>: each
// line keeps its newline, so the text copies as a diff; added lines are
// <ins>, removed ones <del>, hunk and file headers <span class="hunk"> and
// <span class="meta">, context lines bare text. The markup is written here
// rather than by the template: the diffs are most of the page, and the
// template's escaping of every quote and plus sign (&#34;, &#43;) and a
// <span> per line made them two thirds larger than their text.
func renderDiff(d string, open bool) diffView {
	var head, rest strings.Builder
	v := diffView{Open: open}
	add, del := 0, 0
	n := strings.Count(d, "\n")
	if !strings.HasSuffix(d, "\n") {
		n++
	}
	v.Lines = n
	cut := n
	if n > diffOpenLines {
		cut = diffHeadLines
	}
	i := 0
	for l := range strings.Lines(d) {
		l = strings.TrimSuffix(l, "\n")
		b := &head
		if i >= cut {
			b = &rest
		}
		i++
		tag, end := "", ""
		switch {
		case strings.HasPrefix(l, "diff "), strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "+++ "):
			tag, end = `<span class="meta">`, "</span>"
		case strings.HasPrefix(l, "@@"):
			tag, end = `<span class="hunk">`, "</span>"
		case strings.HasPrefix(l, "+"):
			tag, end = "<ins>", "</ins>"
			add++
		case strings.HasPrefix(l, "-"):
			tag, end = "<del>", "</del>"
			del++
		}
		b.WriteString(tag)
		escapeText(b, l)
		b.WriteByte('\n')
		b.WriteString(end)
	}
	v.Stat = fmt.Sprintf("+%d −%d", add, del)
	v.Head, v.Rest = template.HTML(head.String()), template.HTML(rest.String())
	if n > cut {
		v.RestLines = n - cut
	}
	return v
}

// valueView is an old or new value of a change as the page shows it: Head,
// and the rest of a long one (RestChars characters) collapsed.
type valueView struct {
	Head, Rest template.HTML
	RestChars  int
}

// value prints an old or new value of a change for the page, breakable at
// sensible points. A long one is cut after valueHeadChars characters, or
// before, after the last white space or wrapping point of the last
// valueCutBack characters.
func value(raw []byte) valueView {
	if raw == nil {
		return valueView{Head: "(none)"}
	}
	rs := []rune(string(raw))
	if len(rs) <= valueOpenChars {
		return valueView{Head: breakable(string(rs))}
	}
	cut := valueHeadChars
	for i := cut; i > valueHeadChars-valueCutBack; i-- {
		if unicode.IsSpace(rs[i-1]) || strings.ContainsRune(breakAfter, rs[i-1]) {
			cut = i
			break
		}
	}
	return valueView{Head: breakable(string(rs[:cut])), Rest: breakable(string(rs[cut:])), RestChars: len(rs) - cut}
}

// A token (a run of text without white space) of at least minBreakToken
// characters may wrap after one of breakAfter followed by a character that
// is not one of them, before a %-escape (%2F), and inside a camelCase word
// before a capital; never less than minPart characters after the last such
// point or before the token's end. The page marks those points with <wbr>,
// so that paths, pointers, class names, property names and addresses wrap
// between their parts (URLENCODED_<wbr>PEM, scripting.<wbr>api) rather
// than mid-word, as overflow-wrap alone does; overflow-wrap stays the last
// resort, for tokens with no such point (base64 or hexadecimal text).
const (
	minBreakToken = 16
	minPart       = 3
	camelRun      = 8 // the least characters before a camelCase break
	breakAfter    = "_./\\,=|&;:?-+)]}"
)

// breakable escapes s for the text of an element (never an attribute) and
// marks where its long tokens may wrap.
func breakable(s string) template.HTML {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for len(s) > 0 {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			i = len(s)
		}
		if i > 0 {
			token(&b, s[:i])
		}
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) })
		if j < 0 {
			j = len(s)
		}
		escapeText(&b, s[:j])
		s = s[j:]
	}
	return template.HTML(b.String())
}

// token writes one token of breakable.
func token(b *strings.Builder, t string) {
	rs := []rune(t)
	if len(rs) < minBreakToken {
		escapeText(b, t)
		return
	}
	run := 0 // characters since the last mark
	for i, r := range rs {
		left := len(rs) - i // characters from r to the end
		if r == '%' && run >= minPart && left >= minPart {
			b.WriteString("<wbr>")
			run = 0
		}
		switch r {
		case '&', '<', '>', 0:
			escapeText(b, string(r))
		default:
			b.WriteRune(r)
		}
		run++
		if left-1 < minPart {
			continue
		}
		if strings.ContainsRune(breakAfter, r) && run >= minPart && !strings.ContainsRune(breakAfter, rs[i+1]) || run >= camelRun && camelHump(rs, i+1) {
			b.WriteString("<wbr>")
			run = 0
		}
	}
}

// camelHump reports whether rs[i] starts a word of a camelCase name: a
// capital after three lowercase letters and before a letter
// (userProfile|Attribute, advanced|OAuth2Config), or the last capital of
// an acronym of two or more before a lowercase letter (iPlanetAM|Platform).
// Base64 text has few such places.
func camelHump(rs []rune, i int) bool {
	if i < 3 || i+1 >= len(rs) || !unicode.IsUpper(rs[i]) {
		return false
	}
	lower := unicode.IsLower
	return lower(rs[i-1]) && lower(rs[i-2]) && lower(rs[i-3]) && unicode.IsLetter(rs[i+1]) ||
		unicode.IsUpper(rs[i-1]) && unicode.IsUpper(rs[i-2]) && lower(rs[i+1])
}

// escapeText escapes s for the text of an element: &, < and >; quotes need
// no escape there. NUL, which HTML does not allow, becomes U+FFFD.
func escapeText(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case 0:
			esc = "\uFFFD"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
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
