package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Row statuses.
const (
	StatusPass  = "PASS"
	StatusFail  = "FAIL"
	StatusError = "ERROR"
	StatusInfo  = "INFO" // no target: reported for reference
)

// Row is one line of the report.
type Row struct {
	ID      string
	Label   string
	Argv    []string
	Files   int
	Runs    int // -1 for a derived row
	WallMed time.Duration
	WallMin time.Duration
	CPUMed  time.Duration
	RSSKiB  int64   // median of the runs' peak RSS
	Ratio   float64 // NaN when there is none
	RatioTo string  // what Ratio divides by, e.g. "a"
	Target  string
	Status  string
	Notes   string
	Stderr  []string // non-nil for a failed command: a note under the table shows it
	Samples []Sample
}

// summarize fills the statistics of a row from its samples.
func summarize(r *Row, s []Sample) {
	r.Samples = s
	r.Runs = len(s)
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	rss := make([]int64, len(s))
	for i, x := range s {
		walls[i], cpus[i], rss[i] = x.Wall, x.CPU, x.MaxRSSKiB
	}
	r.WallMed = median(walls)
	r.WallMin = minOf(walls)
	r.CPUMed = median(cpus)
	r.RSSKiB = median(rss)
}

type number interface {
	~int64 | ~int | ~float64
}

// median of xs (the mean of the two middle values for an even count; 0 for
// none). xs is not modified.
func median[T number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// minOf returns the smallest of xs (0 for none).
func minOf[T number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	m := xs[0]
	for _, x := range xs[1:] {
		if x < m {
			m = x
		}
	}
	return m
}

// ratio returns a/b, or NaN when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// fmtDur prints a duration with 3 significant digits in µs, ms or s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2f µs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// fmtRSS prints KiB as MiB.
func fmtRSS(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// fmtRatio prints a ratio like "2.35x", "—" when there is none.
func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2fx", r)
}

var tableHeader = []string{"id", "command", "files", "runs", "wall med", "wall min", "cpu med", "peak RSS", "ratio", "target", "result", "notes"}

// rightAligned marks the numeric columns of tableHeader.
var rightAligned = map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true}

// tableCells turns rows into table cells.
func tableCells(rows []Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		files := ""
		if r.Files > 0 {
			files = fmt.Sprint(r.Files)
		}
		rt := fmtRatio(r.Ratio)
		if rt != "—" && r.RatioTo != "" {
			rt += " " + r.RatioTo
		}
		runs := "—"
		if r.Runs >= 0 {
			runs = fmt.Sprint(r.Runs)
		}
		out[i] = []string{r.ID, r.Label, files, runs, fmtDur(r.WallMed), fmtDur(r.WallMin),
			fmtDur(r.CPUMed), fmtRSS(r.RSSKiB), rt, r.Target, r.Status, r.Notes}
	}
	return out
}

// renderTable prints a markdown table with columns padded to fixed widths.
// right marks right-aligned columns. A '|' in a cell is escaped.
func renderTable(header []string, rows [][]string, right map[int]bool) string {
	all := make([][]string, 0, len(rows)+1)
	for _, r := range append([][]string{header}, rows...) {
		cells := make([]string, len(header))
		for i := range cells {
			if i < len(r) {
				cells[i] = strings.ReplaceAll(r[i], "|", `\|`)
			}
		}
		all = append(all, cells)
	}
	w := make([]int, len(header))
	for _, r := range all {
		for i, c := range r {
			w[i] = max(w[i], utf8.RuneCountInString(c), 3)
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", w[i]-utf8.RuneCountInString(c))
			if right[i] {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		b.WriteString("\n")
	}
	line(all[0])
	b.WriteString("|")
	for i := range w {
		if right[i] {
			b.WriteString(" " + strings.Repeat("-", w[i]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w[i]) + " |")
		}
	}
	b.WriteString("\n")
	for _, r := range all[1:] {
		line(r)
	}
	return b.String()
}

// renderReport prints the table and, under it, the notes with the stderr
// of failed commands.
func renderReport(rows []Row) string {
	var b strings.Builder
	b.WriteString(renderTable(tableHeader, tableCells(rows), rightAligned))
	var failed []string
	for _, r := range rows {
		if r.Status == StatusFail {
			failed = append(failed, fmt.Sprintf("%s (%s)", r.ID, explainedIn(r.ID)))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\nTargets not met: %s. docs/performance.md shows, for each, the profile of where the time or memory goes and what would be needed.\n",
			strings.Join(failed, ", "))
	}
	for _, r := range rows {
		if r.Stderr == nil {
			continue
		}
		fmt.Fprintf(&b, "\nnote [%s] %s\n", r.ID, strings.Join(r.Argv, " "))
		if len(r.Stderr) == 0 {
			b.WriteString("    (no stderr)\n")
		}
		for _, l := range r.Stderr {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// explainedIn names the section of docs/performance.md about a row.
func explainedIn(id string) string {
	switch {
	case id == "d":
		return "see \"The 936-file tree\""
	case id == "f":
		return "see \"Start-up\""
	case strings.HasPrefix(id, "g"):
		return "see \"Memory\""
	case strings.HasPrefix(id, "h"), strings.HasPrefix(id, "i"):
		return "see \"Migration\""
	}
	return "see \"Where the time goes\""
}
