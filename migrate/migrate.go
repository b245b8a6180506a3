package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/ldif"
)

// Input is one LDIF file of an export. Open is called once per pass.
type Input struct {
	Name string // as shown in messages
	Open func() (io.ReadCloser, error)
}

// Inputs lists the LDIF of --inputConfig: a file, or a folder whose *.ldif
// and *.ldif.gz files (not those of its sub-folders) are read in name order,
// as one export. Gzip is detected from the content, whatever the name.
func Inputs(path string) ([]Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the input", Err: err}
	}
	open := func(p string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return os.Open(p) }
	}
	if !st.IsDir() {
		return []Input{{Name: path, Open: open(path)}}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the folder", Err: err}
	}
	var out []Input
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !(strings.HasSuffix(n, ".ldif") || strings.HasSuffix(n, ".ldif.gz")) {
			continue
		}
		if t := e.Type(); !t.IsRegular() && t&os.ModeSymlink == 0 {
			continue
		}
		p := filepath.Join(path, n)
		out = append(out, Input{Name: p, Open: open(p)})
	}
	if len(out) == 0 {
		return nil, &Error{File: path, Msg: "the folder holds no .ldif or .ldif.gz file; give the folder holding the export (export-ldif --ldifFile), or the file itself"}
	}
	return out, nil
}

// Options control a migration.
type Options struct {
	// BaseDN is the configuration's base DN; "" finds it in the export (the
	// parent of ou=services).
	BaseDN string
	// Sections groups attributes into section objects; nil uses Mined().
	Sections Sections
	// Dynamic says what to do with the dynamic data of the guide's step 1.
	Dynamic DynamicMode
	// PrettyArrays writes each array element on its own line.
	PrettyArrays bool
	// Jobs is the number of parallel workers (0: one per CPU).
	Jobs int
	// MaxErrors stops reading after this many LDIF errors (0: 20).
	MaxErrors int
	// LDIF bounds line and entry sizes (nil: the defaults).
	LDIF *ldif.Options
}

// File is one file of the tree, given to the sink. Data is valid only
// during the call.
type File struct {
	Path  string
	Data  []byte
	DN    string
	Input string // the LDIF file and line of the entry
	Line  int
}

// Result says what a migration did.
type Result struct {
	BaseDN   string   `json:"baseDn"`
	Inputs   []string `json:"inputs"`
	Entries  int      `json:"entries"`
	Files    int      `json:"files"`
	Realms   []string `json:"realms"`
	Sections string   `json:"sections"`
	// Schemas lists the services whose schema the export holds.
	Schemas []string `json:"schemas"`
	// Entries that became no file: the fixed structure of AM's tree
	// (containers, a sub-realm's ou=services), version entries (their schema
	// is read), entries outside <base>/ou=services, dynamic data left out.
	Structure   int `json:"structureEntries"`
	SchemaEnts  int `json:"schemaEntries"`
	Outside     int `json:"outsideEntries"`
	Excluded    int `json:"excludedEntries"`
	Operational int `json:"operationalValuesIgnored"`
	// Dynamic lists the dynamic-data subtrees of the export; DynamicMode
	// says what was done with them.
	Dynamic     []Subtree      `json:"dynamicData"`
	DynamicMode string         `json:"dynamicDataMode"`
	Notices     []Notice       `json:"notices"`
	Dropped     map[string]int `json:"noticesNotListed,omitempty"`
}

// Errors are the errors of a migration, reported together in input order.
type Errors []error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// DynamicError is returned when the export holds dynamic data and the mode
// is DynamicStop.
type DynamicError struct {
	Subtrees []Subtree
}

func (e *DynamicError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the export holds dynamic data that the PingAM 8.1 guide moves out of the configuration store before migrating (%s, %s):", GuideStep, GuideURL)
	for _, s := range e.Subtrees {
		fmt.Fprintf(&b, "\n  %s:%d: %s: %s, %s", s.File, s.Line, s.DN, s.What, Entries(s.Entries))
	}
	b.WriteString("\nmove them to their own stores and delete them from the export as the guide says, or give --dynamic-data exclude to leave them out of the tree (keep: migrate them as configuration)")
	return b.String()
}

// Entries says "1 entry" or "n entries".
func Entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

// run is the state of one migration, shared read-only by the workers of
// the second pass.
type run struct {
	opts     Options
	inputs   []Input
	base     ldif.DN
	schemas  map[string]*Service // lower(service) + "\x00" + version
	ids      serviceIDs          // sunserviceID of entries that have one other than their name
	sections Sections
	notices  *notices
	print    amjson.PrintOptions

	dynamic map[string]*Subtree // by normalized root DN
}

// Migrate converts the LDIF export in inputs into an FBC tree, giving each
// file to sink (called from several goroutines; the tree does not depend on
// the order). It reads the export twice: first to check it, find the base
// DN and read the service schemas, then to convert each entry. An error in
// the export is returned before sink sees any file; an error of sink stops
// the run.
func Migrate(ctx context.Context, inputs []Input, opts Options, sink func(*File) error) (*Result, error) {
	if opts.Sections == nil {
		opts.Sections = Mined()
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.GOMAXPROCS(0)
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 20
	}
	r := &run{opts: opts, inputs: inputs, schemas: map[string]*Service{},
		sections: opts.Sections, notices: newNotices(), print: amjson.PrintOptions{PrettyArrays: opts.PrettyArrays},
		dynamic: map[string]*Subtree{}}
	res := &Result{Sections: opts.Sections.Source(), DynamicMode: opts.Dynamic.String()}
	for _, in := range inputs {
		res.Inputs = append(res.Inputs, in.Name)
	}
	if err := r.scan(ctx, res); err != nil {
		return nil, err
	}
	if len(r.dynamic) > 0 {
		for _, s := range r.dynamic {
			res.Dynamic = append(res.Dynamic, *s)
		}
		sort.Slice(res.Dynamic, func(i, j int) bool {
			a, b := res.Dynamic[i], res.Dynamic[j]
			if a.File != b.File {
				return r.inputIndex(a.File) < r.inputIndex(b.File)
			}
			return a.Line < b.Line
		})
		if opts.Dynamic == DynamicStop {
			return nil, &DynamicError{Subtrees: res.Dynamic}
		}
	}
	if err := r.convert(ctx, res, sink); err != nil {
		return nil, err
	}
	res.Notices, res.Dropped = r.notices.list()
	if len(res.Dropped) == 0 {
		res.Dropped = nil
	}
	for _, s := range r.schemas {
		res.Schemas = append(res.Schemas, s.Name)
	}
	sort.Strings(res.Schemas)
	sort.Strings(res.Realms)
	return res, nil
}

func (r *run) inputIndex(name string) int {
	for i, in := range r.inputs {
		if in.Name == name {
			return i
		}
	}
	return len(r.inputs)
}

// read streams the entries of every input to fn, stopping after
// MaxErrors errors of the LDIF; it returns those errors.
func (r *run) read(ctx context.Context, fn func(i int, e *ldif.Entry) error) error {
	var errs Errors
	for i, in := range r.inputs {
		rc, err := in.Open()
		if err != nil {
			return &Error{File: in.Name, Msg: "cannot read the input", Err: err}
		}
		lr, err := ldif.NewReader(rc, in.Name, r.opts.LDIF)
		if err != nil {
			rc.Close()
			errs = append(errs, err)
			continue
		}
		for {
			if err := ctx.Err(); err != nil {
				rc.Close()
				return err
			}
			e, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				errs = append(errs, err)
				if len(errs) >= r.opts.MaxErrors {
					rc.Close()
					return errs
				}
				var le *ldif.Error
				if errors.As(err, &le) && le.Err != nil { // the input cannot be read further
					break
				}
				continue
			}
			if err := fn(i, e); err != nil {
				var es Errors
				if errors.As(err, &es) {
					errs = append(errs, es...)
					if len(errs) >= r.opts.MaxErrors {
						rc.Close()
						return errs
					}
					continue
				}
				rc.Close()
				return err
			}
		}
		rc.Close()
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// scan is the first pass: it checks the LDIF and that each DN is there
// once, finds the base DN, reads the service schemas, notes the
// sunserviceID of every entry (the schema of a sub-configuration is named by
// its parents'), and finds the dynamic data.
func (r *run) scan(ctx context.Context, res *Result) error {
	var given ldif.DN
	if r.opts.BaseDN != "" {
		var err error
		if given, err = ldif.ParseDN(r.opts.BaseDN); err != nil {
			return &Error{Msg: fmt.Sprintf("--baseDn %q does not parse: %v", r.opts.BaseDN, err)}
		}
	}
	type cand struct {
		dn    ldif.DN
		count int
		where string
	}
	bases := map[string]*cand{}
	var seen marks
	type schemaJob struct {
		in      int
		line    int
		dn      string
		service string
		version string
		xml     []byte
	}
	var jobs []schemaJob
	err := r.read(ctx, func(i int, e *ldif.Entry) error {
		res.Entries++
		k := dnKey(e.DN)
		seen = append(seen, mark{k, pos{int32(i), int32(e.Line)}})
		if ids := e.Strings("sunserviceID"); len(ids) > 0 && (len(e.DN) == 0 || ids[0] != e.DN[0].Value()) {
			r.ids.add(k, ids[0])
		}
		base := given
		if base == nil {
			s := servicesIndex(e.DN)
			if s < 0 {
				if root, what, ok := dynamicOutside(e.DN); ok {
					r.noteDynamic(root, what, i, e.Line)
				}
				return nil
			}
			base = e.DN[s+1:]
			bn := base.Norm()
			c := bases[bn]
			if c == nil {
				c = &cand{dn: base, where: fmt.Sprintf("%s:%d", r.inputs[i].Name, e.Line)}
				bases[bn] = c
			}
			c.count++
		}
		if !e.DN.HasSuffix(base) {
			if root, what, ok := dynamicOutside(e.DN); ok {
				r.noteDynamic(root, what, i, e.Line)
			}
			return nil
		}
		p := locate(e.DN, base)
		if root, what, ok := dynamicRoot(&p, e.DN, base); ok {
			r.noteDynamic(root, what, i, e.Line)
		}
		if p.kind == kindSchema {
			for _, a := range e.Attrs {
				if a.Is("sunServiceSchema") {
					jobs = append(jobs, schemaJob{in: i, line: a.Line, dn: e.DNText, service: p.service, version: p.version, xml: a.Value})
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	seen.sortMarks()
	if clash := seen.clashes(); len(clash) > 0 {
		errs := r.duplicates(ctx, clash)
		if len(errs) > r.opts.MaxErrors {
			errs = errs[:r.opts.MaxErrors]
		}
		return errs
	}
	seen = nil
	r.ids.sort()
	switch {
	case given != nil:
		r.base = given
	case len(bases) == 1:
		for _, c := range bases {
			r.base = c.dn
		}
	case len(bases) == 0:
		return &Error{File: strings.Join(res.Inputs, ", "), Msg: "no entry is below an ou=services entry: this is not an export of an AM configuration store (export-ldif --backendId cfgStore --includeBranch ou=am-config), or its base DN must be given with --baseDn"}
	default:
		var list []string
		for _, c := range bases {
			list = append(list, fmt.Sprintf("%s (%d entries, first at %s)", c.dn, c.count, c.where))
		}
		sort.Strings(list)
		return &Error{Msg: "the export holds more than one configuration (ou=services below different base DNs): " + strings.Join(list, "; ") + "; give the one to migrate with --baseDn"}
	}
	res.BaseDN = r.base.String()

	// The schemas are the big values of an export: parse them in parallel.
	errs := make([]error, len(jobs))
	parsed := make([][]*Service, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.opts.Jobs)
	for j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			parsed[j], errs[j] = ParseServiceSchema(jobs[j].xml)
		}()
	}
	wg.Wait()
	var all Errors
	for j, job := range jobs {
		if errs[j] != nil {
			all = append(all, &ldif.Error{File: r.inputs[job.in].Name, Line: job.line, Msg: fmt.Sprintf(
				"the sunServiceSchema of %s: %v; the export is damaged: export it again", clip(job.dn, 100), errs[j])})
			continue
		}
		for _, s := range parsed[j] {
			if !strings.EqualFold(s.Name, job.service) {
				continue // a schema entry defines its own service
			}
			r.schemas[strings.ToLower(job.service)+"\x00"+job.version] = s
		}
	}
	if len(all) > 0 {
		return all
	}
	return nil
}

// servicesIndex returns the index (leaf first) of the DN's last ou=services
// RDN, the one right below the base DN, or -1.
func servicesIndex(dn ldif.DN) int {
	for i := len(dn) - 1; i >= 0; i-- {
		if dn[i].Is("ou", "services") {
			return i
		}
	}
	return -1
}

func (r *run) noteDynamic(root ldif.DN, what string, in, line int) {
	n := root.Norm()
	s := r.dynamic[n]
	if s == nil {
		s = &Subtree{DN: root.String(), What: what, File: r.inputs[in].Name, Line: line}
		r.dynamic[n] = s
	}
	s.Entries++
}

// job is one entry for the workers of the second pass.
type job struct {
	in int
	e  *ldif.Entry
}

// convert is the second pass: each entry becomes a file, in parallel.
func (r *run) convert(ctx context.Context, res *Result, sink func(*File) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan []job, r.opts.Jobs*2)
	var (
		firstErr  error
		errOnce   sync.Once
		wg        sync.WaitGroup
		files     atomic.Int64
		counts    [4]atomic.Int64 // structure, schema, outside, excluded
		operation atomic.Int64
		realmsMu  sync.Mutex
		paths     marks
		pathsMu   sync.Mutex
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for w := 0; w < r.opts.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for batch := range jobs {
				for _, j := range batch {
					if ctx.Err() != nil {
						continue
					}
					out, st, err := r.entry(j.in, j.e)
					if err != nil {
						fail(err)
						continue
					}
					operation.Add(int64(st.operational))
					if st.skipped >= 0 {
						counts[st.skipped].Add(1)
						continue
					}
					if st.realm != "" {
						realmsMu.Lock()
						res.Realms = append(res.Realms, st.realm)
						realmsMu.Unlock()
					}
					pathsMu.Lock()
					paths = append(paths, mark{hashKey(out.path), pos{int32(j.in), int32(j.e.Line)}})
					pathsMu.Unlock()
					buf = amjson.AppendJSON(buf[:0], out.doc, r.print)
					if err := sink(&File{Path: out.path, Data: buf, DN: j.e.DNText, Input: r.inputs[j.in].Name, Line: j.e.Line}); err != nil {
						if errors.Is(err, fs.ErrExist) {
							continue // two entries, one file: worded below
						}
						fail(err)
						continue
					}
					files.Add(1)
				}
			}
		}()
	}
	const batchSize = 64
	batch := make([]job, 0, batchSize)
	readErr := r.read(ctx, func(i int, e *ldif.Entry) error {
		batch = append(batch, job{i, e})
		if len(batch) == batchSize {
			select {
			case jobs <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]job, 0, batchSize)
		}
		return nil
	})
	if len(batch) > 0 && readErr == nil {
		select {
		case jobs <- batch:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	paths.sortMarks()
	if clash := paths.clashes(); len(clash) > 0 {
		return r.collisions(ctx, clash)
	}
	if readErr != nil {
		// The first pass read the same bytes without error: the input changed
		// while the migration ran.
		return readErr
	}
	res.Files = int(files.Load())
	res.Structure, res.SchemaEnts = int(counts[0].Load()), int(counts[1].Load())
	res.Outside, res.Excluded = int(counts[2].Load()), int(counts[3].Load())
	res.Operational = int(operation.Load())
	return nil
}

// Counters of entries that give no file.
const (
	skipStructure = iota
	skipSchema
	skipOutside
	skipExcluded
)

type entryStats struct {
	skipped     int // -1, or one of skip*
	operational int
	realm       string
}

type output struct {
	path string
	doc  *amjson.Value
}
