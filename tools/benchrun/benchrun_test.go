package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMedianMin(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in       []time.Duration
		med, min time.Duration
	}{
		{nil, 0, 0},
		{[]time.Duration{5 * ms}, 5 * ms, 5 * ms},
		{[]time.Duration{3 * ms, 1 * ms}, 2 * ms, 1 * ms},
		{[]time.Duration{9, 1, 5}, 5, 1},
		{[]time.Duration{7, 3, 9, 1}, 5, 1},
		{[]time.Duration{40, 10, 30, 20, 70, 60, 50}, 40, 10},
		{[]time.Duration{2, 2, 2, 9}, 2, 2},
	} {
		in := append([]time.Duration(nil), tc.in...)
		if got := median(tc.in); got != tc.med {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.med)
		}
		if got := minOf(tc.in); got != tc.min {
			t.Errorf("minOf(%v) = %v, want %v", tc.in, got, tc.min)
		}
		if !reflect.DeepEqual(in, tc.in) {
			t.Errorf("median modified its input: %v", tc.in)
		}
	}
	if got := median([]int64{1024, 4096, 2048}); got != 2048 {
		t.Errorf("median int64 = %d", got)
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b, want float64
	}{
		{10, 5, 2},
		{5, 10, 0.5},
		{0, 10, 0},
		{10, 0, math.NaN()},
		{10, -1, math.NaN()},
		{math.NaN(), 1, math.NaN()},
	} {
		got := ratio(tc.a, tc.b)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && got != tc.want) {
			t.Errorf("ratio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "—"},
		{-5, "—"},
		{1500 * time.Nanosecond, "1.50 µs"},
		{250 * time.Microsecond, "250 µs"},
		{2460 * time.Microsecond, "2.46 ms"},
		{45200 * time.Microsecond, "45.2 ms"},
		{888 * time.Millisecond, "888 ms"},
		{1680 * time.Millisecond, "1.68 s"},
		{75 * time.Second, "75.00 s"},
	} {
		if got := fmtDur(tc.d); got != tc.want {
			t.Errorf("fmtDur(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct {
		kib  int64
		want string
	}{{0, "—"}, {1024, "1.0 MiB"}, {8602, "8.4 MiB"}, {102400, "100.0 MiB"}} {
		if got := fmtRSS(tc.kib); got != tc.want {
			t.Errorf("fmtRSS(%d) = %q, want %q", tc.kib, got, tc.want)
		}
	}
	for _, tc := range []struct {
		r    float64
		want string
	}{{1, "1.00x"}, {1.234, "1.23x"}, {12.5, "12.50x"}, {math.NaN(), "—"}, {math.Inf(1), "—"}} {
		if got := fmtRatio(tc.r); got != tc.want {
			t.Errorf("fmtRatio(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	var r Row
	summarize(&r, []Sample{
		{Wall: 30 * time.Millisecond, CPU: 20 * time.Millisecond, MaxRSSKiB: 3000},
		{Wall: 10 * time.Millisecond, CPU: 25 * time.Millisecond, MaxRSSKiB: 1000},
		{Wall: 20 * time.Millisecond, CPU: 15 * time.Millisecond, MaxRSSKiB: 2000},
	})
	want := Row{Runs: 3, WallMed: 20 * time.Millisecond, WallMin: 10 * time.Millisecond,
		CPUMed: 20 * time.Millisecond, RSSKiB: 2000}
	r.Samples = nil
	if !reflect.DeepEqual(r, want) {
		t.Errorf("summarize = %+v, want %+v", r, want)
	}
}

func TestRenderTable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		rows   [][]string
		right  map[int]bool
		want   string
	}{
		{
			name:   "widths and alignment",
			header: []string{"id", "cmd", "wall"},
			rows:   [][]string{{"a", "cp -r TREE OUT", "888 ms"}, {"b.long", "x", "1.5 µs"}},
			right:  map[int]bool{2: true},
			want: "" +
				"| id     | cmd            |   wall |\n" +
				"| ------ | -------------- | -----: |\n" +
				"| a      | cp -r TREE OUT | 888 ms |\n" +
				"| b.long | x              | 1.5 µs |\n",
		},
		{
			name:   "short rows, pipes escaped, minimum width 3",
			header: []string{"a", "b"},
			rows:   [][]string{{"x|y"}, {}},
			want: "" +
				"| a    | b   |\n" +
				"| ---- | --- |\n" +
				"| x\\|y |     |\n" +
				"|      |     |\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderTable(tc.header, tc.rows, tc.right); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestReportRows(t *testing.T) {
	rows := []Row{
		{ID: "a", Label: "cp -r TREE OUT", Files: 20736, Runs: 7, WallMed: 888 * time.Millisecond,
			WallMin: 876 * time.Millisecond, CPUMed: 880 * time.Millisecond, RSSKiB: 3500, Ratio: math.NaN(),
			Target: "baseline", Status: StatusInfo},
		{ID: "b", Label: "amupgrade …", Argv: []string{"/bin/am", "-i", "x"}, Files: 20736, Runs: 0, Ratio: math.NaN(),
			Target: "none", Status: StatusError, Notes: "exit status 2; stderr in note [b]",
			Stderr: []string{"flag provided but not defined: -i", "usage: …"}},
		{ID: "g.flat", Label: "flat", Runs: -1, RSSKiB: 4096, Ratio: 1.25, RatioTo: "g.40000/g.5000",
			Target: "ratio ≤ 1.50", Status: StatusPass},
	}
	cells := tableCells(rows)
	want := [][]string{
		{"a", "cp -r TREE OUT", "20736", "7", "888 ms", "876 ms", "880 ms", "3.4 MiB", "—", "baseline", "INFO", ""},
		{"b", "amupgrade …", "20736", "0", "—", "—", "—", "—", "—", "none", "ERROR", "exit status 2; stderr in note [b]"},
		{"g.flat", "flat", "", "—", "—", "—", "—", "4.0 MiB", "1.25x g.40000/g.5000", "ratio ≤ 1.50", "PASS", ""},
	}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("cells\n%q\nwant\n%q", cells, want)
	}
	out := renderReport(rows)
	for _, s := range []string{
		"note [b] /bin/am -i x\n    flag provided but not defined: -i\n    usage: …\n",
		"| ERROR  |",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "note [a]") || strings.Contains(out, "note [g.flat]") {
		t.Errorf("notes for rows without errors:\n%s", out)
	}
	if strings.Contains(out, "Targets not met") {
		t.Errorf("a report without FAIL rows speaks of targets not met:\n%s", out)
	}
	rows[2].Status = StatusFail
	rows = append(rows, Row{ID: "d", Label: "real", Runs: 5, Ratio: math.NaN(), Target: "wall med < 50 ms", Status: StatusFail})
	if out := renderReport(rows); !strings.Contains(out, `Targets not met: g.flat (see "Memory"), d (see "The 936-file tree"). docs/performance.md`) {
		t.Errorf("report does not point FAIL rows to their profile:\n%s", out)
	}
	// every table line has the same width
	var w int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		n := len([]rune(l))
		if w == 0 {
			w = n
		} else if n != w {
			t.Errorf("line width %d, want %d: %s", n, w, l)
		}
	}
}

func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		n, rounds int
		want      []int
	}{
		{0, 3, nil},
		{2, 0, nil},
		{1, 3, []int{0, 0, 0}},
		{2, 3, []int{0, 1, 0, 1, 0, 1}},
		{3, 2, []int{0, 1, 2, 0, 1, 2}},
	} {
		if got := schedule(tc.n, tc.rounds); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("schedule(%d, %d) = %v, want %v", tc.n, tc.rounds, got, tc.want)
		}
	}
}

// TestMeasureInterleaves runs real commands that log their name, and checks
// the order, the removal of outputs before each run, the sample counts and
// that a failing command is reported and not run again.
func TestMeasureInterleaves(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "log")
	spec := func(id, script string) Spec {
		out := filepath.Join(dir, "out-"+id)
		return Spec{ID: id, Out: out, Argv: []string{"sh", "-c",
			`test ! -e "$1" || echo "$2 saw an old output" >>"$3"; mkdir "$1"; echo "$2" >>"$3"; ` + script, "sh", out, id, logf}}
	}
	specs := []Spec{spec("A", "true"), spec("B", "true"), spec("C", `[ "$(grep -c C "$3")" -lt 3 ] || { echo boom >&2; echo line2 >&2; exit 3; }`)}
	res := Runner{Dir: dir}.Measure(context.Background(), specs, 1, 3)

	log, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	// warm-up A B C, then rounds; C fails on its third call (2nd timed run).
	want := "A B C A B C A B C A B"
	if got := strings.Join(strings.Fields(string(log)), " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	for i, n := range []int{3, 3, 1} {
		if len(res[i].Samples) != n {
			t.Errorf("%s: %d samples, want %d", res[i].Spec.ID, len(res[i].Samples), n)
		}
	}
	if res[0].Err != nil || res[1].Err != nil {
		t.Errorf("unexpected errors: %v, %v", res[0].Err, res[1].Err)
	}
	if res[2].Err == nil || exitText(res[2].Err) != "exit status 3" {
		t.Errorf("C: err %v", res[2].Err)
	}
	if !reflect.DeepEqual(res[2].Stderr, []string{"boom", "line2"}) {
		t.Errorf("C: stderr %q", res[2].Stderr)
	}
	for _, s := range res[0].Samples {
		if s.Wall <= 0 || s.MaxRSSKiB <= 0 {
			t.Errorf("A: sample %+v", s)
		}
	}
}

func TestFirstLines(t *testing.T) {
	long := strings.Repeat("x", 400)
	for _, tc := range []struct {
		in   string
		n    int
		want []string
	}{
		{"", 20, nil},
		{"one\n", 20, []string{"one"}},
		{"one\ntwo", 20, []string{"one", "two"}},
		{"a\nb\nc\nd\n", 2, []string{"a", "b"}},
		{"a\r\n\nb\n", 20, []string{"a", "", "b"}},
		{long + "\n", 1, []string{strings.Repeat("x", 300) + "…"}},
	} {
		if got := firstLines(strings.NewReader(tc.in), tc.n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("firstLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	var sb strings.Builder
	if _, err := parseFlags([]string{"-only", "a"}, &sb); err != nil {
		t.Errorf("-only a without -bin: %v", err)
	}
	if _, err := parseFlags([]string{"-only", "b"}, &sb); err == nil {
		t.Error("-only b without -bin accepted")
	}
	if _, err := parseFlags([]string{"-only", "a,x"}, &sb); err == nil {
		t.Error("unknown row accepted")
	}
	cfg, err := parseFlags([]string{"-bin", "sh", "-only", " B, a ", "-sizes", "40k,5000"}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.only, map[string]bool{"a": true, "b": true}) || !reflect.DeepEqual(cfg.sizes, []int{5000, 40000}) {
		t.Errorf("only %v sizes %v", cfg.only, cfg.sizes)
	}
	if !filepath.IsAbs(cfg.bin) || cfg.runs != 7 {
		t.Errorf("bin %q runs %d", cfg.bin, cfg.runs)
	}
}
