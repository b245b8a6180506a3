// Command benchrun times amupgrade against cp -r baselines and targets.
//
//	go run ./tools/benchrun -bin PATH [-runs 7] [-work DIR] [-real DIR] [-only a,b,…] [-json FILE] [-keep]
//
// Measurements (rows):
//
//	a  cp -r TREE OUT                                   baseline, generated ~20,700-file tree
//	b  amupgrade -i TREE/services -o OUT --fileBasedMode --to 8.1.0       ≤ 1.2× a
//	c  the same with --prettyArrays                                       ≤ 1.2× a
//	d  amupgrade on the 936-file real FBC tree, and cp -r of it           wall < 50 ms
//	e  Amster: all steps (--to 8.1.0) vs one step 6.5.x-to-7.0.x          chain/one < 1.5
//	f  amupgrade --version                                                wall < 10 ms
//	g  b on generated trees of about 5k, 10k, 20k, 40k files              peak RSS ≤ 100 MiB, flat
//	h  amupgrade --migrationMode of the LDIF export of a's tree           ≤ 1.5× b on that tree
//	i  h on the exports of the trees of g                                 peak RSS ≤ 100 MiB, flat
//
// Commands of a group run interleaved (A B A B …); each row reports the
// median and minimum wall time, the median user+sys CPU time and the median
// peak RSS (ru_maxrss of the child) of its runs. Inputs and outputs live in
// a fresh folder under /dev/shm when it is writable (tmpfs), else under the
// system temp folder; the input trees are generated or copied there first.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/amupgrade/amupgrade/tools/benchtree/gen"
)

// Trees in the real test data folder.
const (
	realFBC    = "fbc-7.5.0-darkedges"
	realAmster = "amster-6.5.1-forgeops-cdm"
)

// Targets.
const (
	targetRealWall    = 50 * time.Millisecond
	targetVersionWall = 10 * time.Millisecond
	targetChainRatio  = 1.5
	targetCopyRatio   = 1.2
	targetRSSKiB      = 100 * 1024
)

const tmpfsMagic = 0x01021994

var allIDs = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}

type config struct {
	bin      string
	runs     int
	warmup   int
	memRuns  int
	workBase string
	real     string
	src      string
	copies   int
	sizes    []int
	flat     float64
	only     map[string]bool
	jsonPath string
	keep     bool
}

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "__") {
		if err := helperMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun helper:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, cfg, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fl := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&cfg.bin, "bin", "", "amupgrade binary to time (needed by rows b–i)")
	fl.IntVar(&cfg.runs, "runs", 7, "timed runs per command")
	fl.IntVar(&cfg.warmup, "warmup", 1, "untimed warm-up runs per command before the timed ones")
	fl.IntVar(&cfg.memRuns, "memruns", 3, "runs per tree size for the memory series (g)")
	fl.StringVar(&cfg.workBase, "work", "", "folder for trees and outputs (default /dev/shm if writable, else the system temp folder); a fresh subfolder is made in it")
	fl.StringVar(&cfg.real, "real", gen.DefaultRealDir(), "folder of the real test trees ("+realFBC+", "+realAmster+")")
	fl.StringVar(&cfg.src, "src", "", "source FBC tree for the generated trees (default REAL/"+realFBC+")")
	fl.IntVar(&cfg.copies, "copies", gen.DefaultCopies, "realm copies in the generated tree of rows a–c")
	sizes := fl.String("sizes", "5000,10000,20000,40000", "approximate file counts of the memory series (g, i)")
	fl.Float64Var(&cfg.flat, "flat", 1.5, "g: largest allowed peak RSS ratio, biggest tree / smallest tree, to count as flat")
	only := fl.String("only", strings.Join(allIDs, ","), "rows to run, comma-separated")
	fl.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	fl.BoolVar(&cfg.keep, "keep", false, "keep the work folder (generated trees and outputs)")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: go run ./tools/benchrun -bin PATH [-runs 7] [-work DIR] [-real DIR] [-only a,b,…] [-json FILE] [-keep]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	var err error
	if cfg.only, err = parseOnly(*only); err != nil {
		return nil, err
	}
	if cfg.sizes, err = parseSizes(*sizes); err != nil {
		return nil, err
	}
	if cfg.runs < 1 || cfg.memRuns < 1 || cfg.warmup < 0 {
		return nil, errors.New("-runs and -memruns must be >= 1, -warmup >= 0")
	}
	if cfg.src == "" {
		cfg.src = filepath.Join(cfg.real, realFBC)
	}
	needBin := false
	for id := range cfg.only {
		needBin = needBin || id != "a"
	}
	if needBin {
		if cfg.bin == "" {
			return nil, errors.New("-bin is required (rows b–i run amupgrade)")
		}
		p, err := exec.LookPath(cfg.bin)
		if err != nil {
			return nil, fmt.Errorf("-bin: %w", err)
		}
		if cfg.bin, err = filepath.Abs(p); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func parseOnly(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "" {
			continue
		}
		if !slices.Contains(allIDs, f) {
			return nil, fmt.Errorf("-only: unknown row %q (rows: %s)", f, strings.Join(allIDs, ","))
		}
		m[f] = true
	}
	if len(m) == 0 {
		return nil, errors.New("-only: no rows")
	}
	return m, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToLower(f), "k"))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: bad size %q", f)
		}
		if strings.HasSuffix(strings.ToLower(f), "k") {
			n *= 1000
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-sizes: no sizes")
	}
	slices.Sort(out)
	return out, nil
}

// makeWorkDir creates a fresh folder in the first usable base.
func makeWorkDir(base string) (string, error) {
	bases := []string{base}
	if base == "" {
		bases = []string{"/dev/shm", os.TempDir()}
	}
	var errs []error
	for _, b := range bases {
		if st, err := os.Stat(b); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s: not a folder", b))
			continue
		}
		d, err := os.MkdirTemp(b, "amupgrade-bench-")
		if err == nil {
			return d, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func isTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && int64(st.Type) == tmpfsMagic
}

// tree is a prepared input tree.
type tree struct {
	Name    string        `json:"name"`
	Path    string        `json:"path"`
	From    string        `json:"from"`
	Files   int           `json:"files"`
	Bytes   int64         `json:"bytes"`
	Copies  int           `json:"copies,omitempty"`
	Took    time.Duration `json:"took_ns"`
	Err     string        `json:"error,omitempty"`
	prepErr error
}

type bench struct {
	cfg    *config
	ctx    context.Context
	work   string
	runner Runner
	log    io.Writer
	trees  []*tree
}

func run(ctx context.Context, cfg *config, stdout, stderr io.Writer) (int, error) {
	work, err := makeWorkDir(cfg.workBase)
	if err != nil {
		return 1, fmt.Errorf("work folder: %w", err)
	}
	tmpfs := isTmpfs(work)
	defer func() {
		if cfg.keep {
			fmt.Fprintf(stderr, "kept the work folder %s\n", work)
			return
		}
		if err := os.RemoveAll(work); err != nil {
			fmt.Fprintf(stderr, "removing %s: %v\n", work, err)
		}
	}()
	scratch := filepath.Join(work, "scratch")
	if err := os.Mkdir(scratch, 0o755); err != nil {
		return 1, err
	}
	b := &bench{cfg: cfg, ctx: ctx, work: work, runner: Runner{Dir: scratch}, log: stderr}

	fmt.Fprintf(stdout, "# amupgrade benchmarks\n\n")
	fmt.Fprintf(stdout, "- date: %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(stdout, "- machine: %s\n", machine())
	fmt.Fprintf(stdout, "- bin: %s\n", orDash(cfg.bin))
	fmt.Fprintf(stdout, "- work dir: %s (%s)\n", work, map[bool]string{true: "tmpfs", false: "NOT tmpfs"}[tmpfs])
	fmt.Fprintf(stdout, "- runs: %d timed + %d warm-up per command, interleaved; memory series (g): %d runs per size\n", cfg.runs, cfg.warmup, cfg.memRuns)

	var rows []Row
	if cfg.only["a"] || cfg.only["b"] || cfg.only["c"] {
		rows = append(rows, b.groupABC()...)
	}
	if cfg.only["d"] {
		rows = append(rows, b.groupD()...)
	}
	if cfg.only["e"] {
		rows = append(rows, b.groupE()...)
	}
	if cfg.only["f"] {
		rows = append(rows, b.groupF()...)
	}
	if cfg.only["g"] {
		rows = append(rows, b.groupG()...)
	}
	if cfg.only["h"] {
		rows = append(rows, b.groupH()...) // migrate.go
	}
	if cfg.only["i"] {
		rows = append(rows, b.groupI()...)
	}

	fmt.Fprintf(stdout, "- trees:\n")
	for _, t := range b.trees {
		if t.prepErr != nil {
			fmt.Fprintf(stdout, "  - %s: ERROR %v\n", t.Name, t.prepErr)
			continue
		}
		what := t.From
		if t.Copies > 0 {
			what = fmt.Sprintf("%s, %d copies of /%s", t.From, t.Copies, gen.DefaultTemplateRealm)
		}
		fmt.Fprintf(stdout, "  - %s = %s: %d files, %.1f MB (%s), prepared in %v\n",
			t.Name, t.Path, t.Files, float64(t.Bytes)/1e6, what, t.Took.Round(time.Millisecond))
	}
	floor := selfMaxRSS()
	fmt.Fprintf(stdout, "- harness peak RSS: %s (a child's peak RSS cannot read lower: Go starts children with vfork, and Linux carries the parent's high-water mark into the child at exec; trees are generated in helper processes to keep it low)\n\n", fmtRSS(floor))
	fmt.Fprint(stdout, renderReport(rows))

	if cfg.jsonPath != "" {
		if err := writeJSON(cfg, work, tmpfs, floor, b.trees, rows); err != nil {
			return 1, err
		}
		fmt.Fprintf(stderr, "wrote %s\n", cfg.jsonPath)
	}
	if ctx.Err() != nil {
		return 130, errors.New("interrupted")
	}
	return 0, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// prepare makes an input tree in a helper process (so the harness's own
// RSS, which children inherit as a floor, stays small).
func (b *bench) prepare(name, from string, args ...string) *tree {
	t := &tree{Name: name, Path: filepath.Join(b.work, name), From: from}
	b.trees = append(b.trees, t)
	fmt.Fprintf(b.log, "preparing %s …\n", t.Path)
	start := time.Now()
	exe, err := os.Executable()
	if err != nil {
		t.prepErr = err
		return t
	}
	cmd := exec.CommandContext(b.ctx, exe, append(args, t.Path)...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	t.Took = time.Since(start)
	if err != nil {
		t.prepErr = fmt.Errorf("%v: %s", err, strings.TrimSpace(errBuf.String()))
		t.Err = t.prepErr.Error()
		return t
	}
	var st gen.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		t.prepErr = fmt.Errorf("helper output: %w", err)
		return t
	}
	t.Files, t.Bytes, t.Copies = st.Files, st.Bytes, st.Copies
	return t
}

func (b *bench) genTree(name string, copies, files int) *tree {
	return b.prepare(name, "generated from "+b.cfg.src, "__gen", "-src", b.cfg.src,
		"-copies", strconv.Itoa(copies), "-files", strconv.Itoa(files))
}

func (b *bench) copyTree(name, src string) *tree {
	return b.prepare(name, "copied from "+src, "__copy", src)
}

// errorRows marks rows that could not run because their input is missing.
func errorRows(err error, specs ...Spec) []Row {
	rows := make([]Row, len(specs))
	for i, s := range specs {
		rows[i] = Row{ID: s.ID, Label: s.Label, Argv: s.Argv, Ratio: math.NaN(), Status: StatusError,
			Notes: "input not prepared", Stderr: strings.Split(err.Error(), "\n")}
	}
	return rows
}

// measure runs specs interleaved and turns the results into rows (without
// ratios or targets).
func (b *bench) measure(what string, specs []Spec, runs int) map[string]*Row {
	fmt.Fprintf(b.log, "measuring %s: %d command(s) × (%d warm-up + %d timed) …\n", what, len(specs), b.cfg.warmup, runs)
	res := b.runner.Measure(b.ctx, specs, b.cfg.warmup, runs)
	rows := map[string]*Row{}
	for _, r := range res {
		row := &Row{ID: r.Spec.ID, Label: r.Spec.Label, Argv: r.Spec.Argv, Files: r.Spec.Files, Ratio: math.NaN(), Status: StatusInfo}
		summarize(row, r.Samples)
		if r.Err != nil {
			row.Status = StatusError
			row.Notes = exitText(r.Err) + "; stderr in note [" + row.ID + "]"
			row.Stderr = r.Stderr
		}
		rows[r.Spec.ID] = row
	}
	return rows
}

func (b *bench) out(name string) string { return filepath.Join(b.work, "out-"+name) }

func amFBC(bin, in, out string, extra ...string) []string {
	return append([]string{bin, "-i", filepath.Join(in, "services"), "-o", out, "--fileBasedMode", "--to", "8.1.0"}, extra...)
}

func cpArgv(in, out string) []string { return []string{"cp", "-r", in, out} }

// setRatio sets r's ratio of median wall times to base.
func setRatio(r, base *Row, name string) {
	if r.Status == StatusError || base.Status == StatusError {
		return
	}
	r.Ratio = ratio(float64(r.WallMed), float64(base.WallMed))
	r.RatioTo = "vs " + name
}

// check sets a PASS/FAIL status unless the row failed.
func check(r *Row, target string, ok bool) {
	r.Target = target
	if r.Status == StatusError {
		return
	}
	r.Status = map[bool]string{true: StatusPass, false: StatusFail}[ok]
}

func (b *bench) groupABC() []Row {
	cfg := b.cfg
	t := b.tree("tree", cfg.copies, 0)
	specs := []Spec{{ID: "a", Label: "cp -r TREE OUT", Argv: cpArgv(t.Path, b.out("a")), Out: b.out("a"), Files: t.Files}}
	if cfg.only["b"] {
		specs = append(specs, Spec{ID: "b", Label: "amupgrade -i TREE/services -o OUT --fileBasedMode --to 8.1.0",
			Argv: amFBC(cfg.bin, t.Path, b.out("b")), Out: b.out("b"), Files: t.Files})
	}
	if cfg.only["c"] {
		specs = append(specs, Spec{ID: "c", Label: "amupgrade -i TREE/services -o OUT --fileBasedMode --to 8.1.0 --prettyArrays",
			Argv: amFBC(cfg.bin, t.Path, b.out("c"), "--prettyArrays"), Out: b.out("c"), Files: t.Files})
	}
	if t.prepErr != nil {
		return errorRows(t.prepErr, specs...)
	}
	m := b.measure("a/b/c", specs, cfg.runs)
	a := m["a"]
	a.Target = "baseline"
	if !cfg.only["a"] {
		a.Notes = strings.TrimPrefix(a.Notes+"; run as the baseline of b/c", "; ")
	}
	rows := []Row{*a}
	for _, id := range []string{"b", "c"} {
		if r, ok := m[id]; ok {
			setRatio(r, a, "a")
			check(r, fmt.Sprintf("wall med ≤ %.1fx a", targetCopyRatio), r.RatioTo != "" && r.Ratio <= targetCopyRatio)
			rows = append(rows, *r)
		}
	}
	return rows
}

func (b *bench) groupD() []Row {
	cfg := b.cfg
	t := b.copyTree("real-fbc", filepath.Join(cfg.real, realFBC))
	specs := []Spec{
		{ID: "d.cp", Label: "cp -r REAL/" + realFBC + " OUT", Argv: cpArgv(t.Path, b.out("d.cp")), Out: b.out("d.cp"), Files: t.Files},
		{ID: "d", Label: "amupgrade -i REAL/" + realFBC + "/services -o OUT --fileBasedMode --to 8.1.0",
			Argv: amFBC(cfg.bin, t.Path, b.out("d")), Out: b.out("d"), Files: t.Files},
	}
	if t.prepErr != nil {
		return errorRows(t.prepErr, specs...)
	}
	m := b.measure("d", specs, cfg.runs)
	base, d := m["d.cp"], m["d"]
	base.Target = "baseline"
	setRatio(d, base, "d.cp")
	check(d, "wall med < "+fmtDur(targetRealWall), d.WallMed < targetRealWall)
	return []Row{*base, *d}
}

func (b *bench) groupE() []Row {
	cfg := b.cfg
	t := b.copyTree("real-amster", filepath.Join(cfg.real, realAmster))
	specs := []Spec{
		{ID: "e.one", Label: "amupgrade -i REAL/" + realAmster + " -o OUT 6.5.x-to-7.0.x",
			Argv: []string{cfg.bin, "-i", t.Path, "-o", b.out("e.one"), "6.5.x-to-7.0.x"}, Out: b.out("e.one"), Files: t.Files},
		{ID: "e.chain", Label: "amupgrade -i REAL/" + realAmster + " -o OUT --to 8.1.0",
			Argv: []string{cfg.bin, "-i", t.Path, "-o", b.out("e.chain"), "--to", "8.1.0"}, Out: b.out("e.chain"), Files: t.Files},
	}
	if t.prepErr != nil {
		return errorRows(t.prepErr, specs...)
	}
	m := b.measure("e", specs, cfg.runs)
	one, chain := m["e.one"], m["e.chain"]
	one.Target = "baseline"
	setRatio(chain, one, "e.one")
	check(chain, fmt.Sprintf("chain/one < %.1f", targetChainRatio), chain.Ratio < targetChainRatio)
	if one.Status == StatusError && chain.Status != StatusError {
		chain.Status = StatusError
		chain.Notes = "no ratio: e.one failed"
	}
	return []Row{*one, *chain}
}

func (b *bench) groupF() []Row {
	m := b.measure("f", []Spec{{ID: "f", Label: "amupgrade --version", Argv: []string{b.cfg.bin, "--version"}}}, b.cfg.runs)
	f := m["f"]
	check(f, "wall med < "+fmtDur(targetVersionWall), f.WallMed < targetVersionWall)
	return []Row{*f}
}

func (b *bench) groupG() []Row {
	cfg := b.cfg
	var specs []Spec
	var rows []Row
	for _, n := range cfg.sizes {
		id := "g." + strconv.Itoa(n)
		t := b.tree("tree-"+strconv.Itoa(n), 0, n)
		s := Spec{ID: id, Label: fmt.Sprintf("b on a ~%d-file tree", n),
			Argv: amFBC(cfg.bin, t.Path, b.out(id)), Out: b.out(id), Files: t.Files}
		if t.prepErr != nil {
			rows = append(rows, errorRows(t.prepErr, s)...)
			continue
		}
		specs = append(specs, s)
	}
	var ok []*Row
	if len(specs) > 0 {
		m := b.measure("g", specs, cfg.memRuns)
		for _, s := range specs {
			r := m[s.ID]
			check(r, "peak RSS ≤ "+fmtRSS(targetRSSKiB), r.RSSKiB <= targetRSSKiB)
			rows = append(rows, *r)
			if r.Status != StatusError {
				ok = append(ok, r)
			}
		}
	}
	return append(rows, flatRow("g.flat", "peak RSS, biggest / smallest tree", ok, len(cfg.sizes), cfg.flat))
}

// helperMain runs the hidden helper commands:
//
//	__gen -src DIR -copies N -files N OUT   generate a tree, print gen.Stats as JSON
//	__copy SRC OUT                          copy a tree, print its file count and bytes
func helperMain(name string, args []string) error {
	switch name {
	case "__gen":
		fl := flag.NewFlagSet(name, flag.ContinueOnError)
		src := fl.String("src", "", "")
		copies := fl.Int("copies", 0, "")
		files := fl.Int("files", 0, "")
		if err := fl.Parse(args); err != nil {
			return err
		}
		if fl.NArg() != 1 {
			return errors.New("usage: __gen -src DIR -copies N -files N OUT")
		}
		if *files > 0 {
			ti, err := gen.Inspect(*src, gen.DefaultTemplateRealm)
			if err != nil {
				return err
			}
			*copies = ti.CopiesFor(*files)
		}
		st, err := gen.Generate(gen.Options{Src: *src, Out: fl.Arg(0), Copies: *copies})
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(st)
	case "__ldif":
		return ldifHelper(args)
	case "__copy":
		if len(args) != 2 {
			return errors.New("usage: __copy SRC OUT")
		}
		if err := os.MkdirAll(args[1], 0o755); err != nil {
			return err
		}
		n, bytes, err := gen.CopyTree(args[0], args[1])
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(gen.Stats{Files: n, Bytes: bytes, BaseFiles: n})
	}
	return fmt.Errorf("unknown helper %q", name)
}

// selfMaxRSS returns the harness's own high-water RSS in KiB: VmHWM of its
// memory map, which is what a child started with vfork inherits. (Getrusage
// would also include what the harness itself inherited at its own exec, for
// example the go command's RSS under go run.)
func selfMaxRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
					return n
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss)
}

// machine describes the host briefly.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	kernel := ""
	if syscall.Uname(&u) == nil {
		kernel = utsString(u.Release[:])
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), kernel %s, harness %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), orDash(model), orDash(kernel), runtime.Version())
}

func utsString[T int8 | uint8](a []T) string {
	var b []byte
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

type jsonSample struct {
	WallMS    float64 `json:"wall_ms"`
	CPUMS     float64 `json:"cpu_ms"`
	MaxRSSKiB int64   `json:"max_rss_kib"`
}

type jsonRow struct {
	ID           string       `json:"id"`
	Label        string       `json:"label"`
	Argv         []string     `json:"argv,omitempty"`
	Files        int          `json:"files,omitempty"`
	Runs         int          `json:"runs"`
	WallMedianMS float64      `json:"wall_median_ms"`
	WallMinMS    float64      `json:"wall_min_ms"`
	CPUMedianMS  float64      `json:"cpu_median_ms"`
	RSSMedianKiB int64        `json:"peak_rss_median_kib"`
	Ratio        *float64     `json:"ratio,omitempty"`
	RatioTo      string       `json:"ratio_to,omitempty"`
	Target       string       `json:"target,omitempty"`
	Status       string       `json:"status"`
	Notes        string       `json:"notes,omitempty"`
	Stderr       []string     `json:"stderr,omitempty"`
	Samples      []jsonSample `json:"samples,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func toJSONRow(r Row) jsonRow {
	j := jsonRow{ID: r.ID, Label: r.Label, Argv: r.Argv, Files: r.Files, Runs: max(r.Runs, 0),
		WallMedianMS: ms(r.WallMed), WallMinMS: ms(r.WallMin), CPUMedianMS: ms(r.CPUMed), RSSMedianKiB: r.RSSKiB,
		RatioTo: r.RatioTo, Target: r.Target, Status: r.Status, Notes: r.Notes, Stderr: r.Stderr}
	if !math.IsNaN(r.Ratio) && !math.IsInf(r.Ratio, 0) {
		v := r.Ratio
		j.Ratio = &v
	}
	for _, s := range r.Samples {
		j.Samples = append(j.Samples, jsonSample{WallMS: ms(s.Wall), CPUMS: ms(s.CPU), MaxRSSKiB: s.MaxRSSKiB})
	}
	return j
}

func writeJSON(cfg *config, work string, tmpfs bool, floor int64, trees []*tree, rows []Row) error {
	rep := struct {
		Date             string    `json:"date"`
		Machine          string    `json:"machine"`
		Bin              string    `json:"bin"`
		WorkDir          string    `json:"work_dir"`
		Tmpfs            bool      `json:"tmpfs"`
		Runs             int       `json:"runs"`
		Warmup           int       `json:"warmup"`
		MemRuns          int       `json:"mem_runs"`
		HarnessMaxRSSKiB int64     `json:"harness_max_rss_kib"`
		Trees            []*tree   `json:"trees"`
		Rows             []jsonRow `json:"rows"`
	}{time.Now().Format(time.RFC3339), machine(), cfg.bin, work, tmpfs, cfg.runs, cfg.warmup, cfg.memRuns, floor, trees, nil}
	for _, r := range rows {
		rep.Rows = append(rep.Rows, toJSONRow(r))
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.jsonPath, append(b, '\n'), 0o644)
}

// flatRow judges whether peak RSS stays flat over the sizes measured: the
// biggest's over the smallest's, against limit. ok holds the rows that ran,
// smallest first; every one of the sizes must have.
func flatRow(id, label string, ok []*Row, sizes int, limit float64) Row {
	flat := Row{ID: id, Label: label, Ratio: math.NaN(), Status: StatusError, Runs: -1, Target: fmt.Sprintf("ratio ≤ %.2f", limit)}
	if len(ok) < 2 || len(ok) != sizes {
		flat.Notes = "needs every size to run"
		return flat
	}
	lo, hi := ok[0], ok[len(ok)-1]
	flat.Ratio = ratio(float64(hi.RSSKiB), float64(lo.RSSKiB))
	flat.RatioTo = hi.ID + "/" + lo.ID
	flat.Status = map[bool]string{true: StatusPass, false: StatusFail}[flat.Ratio <= limit]
	flat.RSSKiB = hi.RSSKiB
	return flat
}
