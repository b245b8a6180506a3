package ruleset

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/engine"
	"go.yaml.in/yaml/v3"
)

// File is one rule file: a version step and its rules, checked and compiled.
type File struct {
	Name     string // bundled name: amster/7.1.x-to-7.2.x; or the path for other files
	Path     string // where it was read from, for messages
	Mode     engine.Mode
	From, To engine.Version
	Title    string
	Aliases  []string
	Include  []string
	// ConfigVersions maps AM releases to configuration versions (FBC).
	ConfigVersions map[string]string
	Rules          []*Rule

	// A bundled file is indexed by its header and parsed on first use, its
	// expressions then compiled on first use each (see Check).
	src      []byte
	once     sync.Once
	loadErr  error
	exprs    []*engine.Expr
	services []serviceRef
}

// Rule is a compiled rule with what the planner needs to filter it.
type Rule struct {
	*engine.Rule
	Since engine.Version
	Group string
}

// Composite reports whether the file only includes other steps.
func (f *File) Composite() bool { return len(f.Include) > 0 }

// Parse reads and checks a rule file, expressions compiled. It reports every
// mistake it finds, each with file:line:col, as engine.Errors.
func Parse(path string, src []byte) (*File, error) {
	return parse(path, src, false)
}

// LoadFile reads and checks the rule file at path as a run given that path
// does: what it reports is what the run would refuse. A file with include is
// refused, since only bundled steps may include others.
func LoadFile(path string) (*File, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	f.Name = strings.TrimSuffix(strings.TrimSuffix(path, ".yaml"), ".yml")
	if f.Composite() {
		return nil, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: path}, Msg: "a file with include can only be bundled; name the bundled step, or list the included files"}
	}
	return f, nil
}

// readFile reads a rule file, no more than MaxFileSize and a byte.
func readFile(path string) ([]byte, error) {
	fail := func(err error) error {
		return &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: path}, Msg: "cannot read the rule file", Err: err}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fail(err)
	}
	defer fh.Close()
	src, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fail(err)
	}
	if len(src) > MaxFileSize {
		return nil, errTooLarge(path)
	}
	return src, nil
}

func errTooLarge(path string) *engine.Error {
	return &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: path}, Msg: fmt.Sprintf("the rule file is larger than %d bytes (1 MiB), the limit for a rule file; split it into several files", MaxFileSize)}
}

// parse reads a rule file; lazy leaves its expressions parsed but not
// compiled.
func parse(path string, src []byte, lazy bool) (*File, error) {
	l := &loader{path: path, lazy: lazy}
	if len(src) > MaxFileSize {
		return nil, engine.Errors{errTooLarge(path)}
	}
	f := l.file(src)
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	if f != nil {
		f.exprs = l.exprs
		f.services = l.services
	}
	return f, nil
}

// Check compiles every expression of the file that is not yet compiled, and
// returns what is wrong with them, each at its place in the file. Parse
// compiles them all; a bundled file's are compiled on first use, and
// checked by the tests.
func (f *File) Check() error {
	if err := f.load(); err != nil {
		return err
	}
	var all engine.Errors
	for _, x := range f.exprs {
		if err := x.Check(); err != nil {
			all = append(all, errorsOf(err)...)
		}
	}
	return all.Err()
}

// ParseHeader reads the fields of a rule file that come before its rules
// (from, to, mode, aliases, include, versions…), without parsing or compiling
// the rules themselves; a file whose versions table comes after its rules is
// read whole.
func ParseHeader(path string, src []byte) (*File, error) {
	head := src
	if i := bytes.Index(src, []byte("\nrules:")); i >= 0 && !bytes.Contains(src[i:], []byte("\nversions:")) {
		head = append(src[:i:i], []byte("\nrules: []\n")...)
	}
	return Parse(path, head)
}

// Limits of a rule file, so that loading one takes bounded time and memory.
const (
	// MaxFileSize is the size of the largest rule file read, 14 times that
	// of the largest bundled file (fbc/latest, 73 KB). `rules check` of a
	// file of this size made of one-digit values takes about 1.3 s and 160 MB,
	// most of it go-yaml's.
	MaxFileSize = 1 << 20
	// MaxNodes bounds the YAML values the loader reads in a file, an alias
	// counting as all the values it stands for each time it is read (a
	// "billion laughs" of aliases of aliases stands for 10^9 values in a few
	// lines). The largest bundled file, fbc/latest, reads 3,297 (TestNodeCounts
	// keeps every bundled file under a twentieth of the limit); loading stops
	// at the limit after about 0.1 s and 15 MB.
	MaxNodes = 100_000
)

type loader struct {
	path string
	errs engine.Errors
	// nodes counts the nodes read against MaxNodes; over is set past it;
	// aliased once an alias has been read.
	nodes   int
	over    bool
	aliased bool
	// outerAlias is the alias whose value literal is reading, if any: the
	// place to name when the limit is passed inside it.
	outerAlias *yaml.Node
	// expanding holds the anchored values literal is reading through an
	// alias: an alias to one of them is inside the value it stands for.
	expanding map[*yaml.Node]bool
	// lazy leaves expressions to be compiled on first use.
	lazy  bool
	exprs []*engine.Expr
	// regexps holds the matchers' regular expressions by source: the same
	// one is often written in many rules.
	regexps map[string]*regexp.Regexp
	// services are the entity types selectors name, with their places.
	services []serviceRef
}

// serviceRef is an entity type a selector names, and where.
type serviceRef struct {
	name string
	pos  engine.Pos
}

func (l *loader) pos(n *yaml.Node) engine.Pos {
	if n == nil {
		return engine.Pos{File: l.path}
	}
	return engine.Pos{File: l.path, Line: n.Line, Col: n.Column}
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	if l.over {
		return
	}
	l.errs = append(l.errs, &engine.Error{Code: engine.CodeRule, Pos: l.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// fields checks that n is a mapping with only the allowed keys, each once,
// and returns its values by key.
func (l *loader) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	n = l.deref(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping (key: value), not %s", what, kindName(n))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			l.errorf(k, "unknown field %q in %s%s", k.Value, what, suggest(k.Value, allowed))
			continue
		}
		if _, dup := out[k.Value]; dup {
			l.errorf(k, "field %q is given twice in %s; keep one", k.Value, what)
			continue
		}
		out[k.Value] = v
	}
	return out
}

// deref follows aliases to the node they stand for, and counts the node
// against MaxNodes: every node the loader reads goes through here, so an
// alias costs as many nodes as it stands for each time it is read. Past the
// limit it says so once, and returns an empty node to every caller, whose
// errors are not reported: the load then ends in a time bounded by the
// file's own size.
func (l *loader) deref(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if l.over {
		return &stopNode
	}
	at := n
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n, l.aliased = n.Alias, true
	}
	if l.nodes++; l.nodes > MaxNodes {
		if l.outerAlias != nil {
			at = l.outerAlias
		}
		if l.aliased {
			l.errorf(at, "the rule file holds more than %d YAML values once its aliases are expanded (an alias *name repeats all that its anchor &name holds, each time it is used); write the values out, or use fewer aliases of aliases", MaxNodes)
		} else {
			l.errorf(at, "the rule file holds more than %d YAML values, the limit for a rule file; split it into several files", MaxNodes)
		}
		l.over = true
		return &stopNode
	}
	return n
}

// stopNode is what deref returns past MaxNodes: empty, with no position.
var stopNode = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// suggest names the closest allowed word, for typos.
func suggest(got string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := distance(strings.ToLower(got), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (allowed: %s)", strings.Join(allowed, ", "))
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// str reads a string. After a reported error it returns "", which callers
// take as "nothing to check further".
func (l *loader) str(n *yaml.Node, what string) string {
	n = l.deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "%s must be a string, not %s", what, kindName(n))
		return ""
	}
	if n.Value == "" {
		l.errorf(n, "%s is empty", what)
	}
	return n.Value
}

func (l *loader) boolean(n *yaml.Node, what string) bool {
	n = l.deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		l.errorf(n, "%s must be true or false, not %s", what, kindName(n))
		return false
	}
	return n.Value == "true"
}

// strs reads a string or a list of strings.
func (l *loader) strs(n *yaml.Node, what string) []string {
	n = l.deref(n)
	if n.Kind == yaml.SequenceNode {
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, l.str(c, what))
		}
		return out
	}
	return []string{l.str(n, what)}
}

func (l *loader) version(n *yaml.Node, what string) engine.Version {
	s := l.str(n, what)
	if s == "" {
		return nil
	}
	v, err := engine.ParseVersion(s)
	if err != nil {
		l.errorf(n, "%s: %v", what, err)
	}
	return v
}

func (l *loader) file(src []byte) *File {
	var doc yaml.Node
	data := blankTopComment(src)
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.yamlError(err, data)
		return nil
	}
	if len(doc.Content) == 0 {
		l.errorf(nil, "the rule file is empty; it needs from, to, mode and rules")
		return nil
	}
	top := doc.Content[0]
	fs := l.fields(top, "the rule file", "from", "to", "mode", "title", "aliases", "tracked", "include", "versions", "rules")
	if fs == nil {
		return nil
	}
	f := &File{Path: l.path}
	for _, k := range []string{"from", "to", "mode"} {
		if fs[k] == nil {
			l.errorf(top, "the rule file has no %q field; add it (see docs/rules.md)", k)
		}
	}
	if n := fs["from"]; n != nil {
		f.From = l.version(n, "from")
	}
	if n := fs["to"]; n != nil {
		f.To = l.version(n, "to")
	}
	if f.From != nil && f.To != nil && f.To.Less(f.From) {
		l.errorf(fs["to"], "to (%s) is older than from (%s)", f.To, f.From)
	}
	if n := fs["mode"]; n != nil {
		switch m := l.str(n, "mode"); m {
		case "amster", "fbc":
			f.Mode = engine.Mode(m)
		default:
			l.errorf(n, "mode must be amster or fbc, not %q", m)
		}
	}
	if n := fs["title"]; n != nil {
		f.Title = l.str(n, "title")
	}
	if n := fs["aliases"]; n != nil {
		f.Aliases = l.strs(n, "an alias")
	}
	tracked := false
	if n := fs["tracked"]; n != nil {
		tracked = l.boolean(n, "tracked")
	}
	if n := fs["versions"]; n != nil {
		f.ConfigVersions = map[string]string{}
		vf := l.deref(n)
		if vf.Kind != yaml.MappingNode {
			l.errorf(vf, "versions must map AM versions to configuration versions")
		} else {
			for i := 0; i+1 < len(vf.Content); i += 2 {
				l.version(vf.Content[i], "an AM version")
				l.version(vf.Content[i+1], "a configuration version")
				f.ConfigVersions[vf.Content[i].Value] = vf.Content[i+1].Value
			}
		}
	}
	if n := fs["include"]; n != nil {
		f.Include = l.strs(n, "an included step")
		if fs["rules"] != nil {
			l.errorf(fs["rules"], "a file with include has no rules of its own; move them into a step file")
		}
		return f
	}
	rn := fs["rules"]
	if rn == nil {
		l.errorf(top, "the rule file has no rules; add `rules: []` for a step that changes nothing")
		return f
	}
	rn = l.deref(rn)
	if rn.Kind != yaml.SequenceNode {
		l.errorf(rn, "rules must be a list")
		return f
	}
	ids := map[string]*yaml.Node{}
	for _, n := range rn.Content {
		r := l.rule(n, f, tracked)
		if r == nil || r.ID == "" {
			continue
		}
		if first, dup := ids[r.ID]; dup {
			l.errorf(n, "rule id %q is used twice (first at line %d); ids are unique in a file: use parts for several selectors under one id", r.ID, first.Line)
			continue
		}
		ids[r.ID] = n
		f.Rules = append(f.Rules, r)
	}
	return f
}

// blankTopComment returns src with the comment at its top made of empty
// lines, so that line numbers stay the same. go-yaml gathers that comment for
// the document node, which the loader does not read, slowly: it is a third of
// the time that reading the headers of the bundled files takes.
func blankTopComment(src []byte) []byte {
	n, off := 0, 0
	for {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			break
		}
		line := bytes.TrimLeft(src[off:off+end], " \t\r")
		if len(line) > 0 && line[0] != '#' {
			break
		}
		n++
		off += end + 1
	}
	if n == 0 {
		return src
	}
	out := make([]byte, n, n+len(src)-off)
	for i := range out {
		out[i] = '\n'
	}
	return append(out, src[off:]...)
}

var ruleFields = []string{"id", "title", "since", "tracked", "group", "select", "version-before", "within", "create-within", "when", "do", "parts", "create", "set-version"}
var partFields = []string{"select", "version-before", "within", "create-within", "when", "do"}

func (l *loader) rule(n *yaml.Node, f *File, tracked bool) *Rule {
	fs := l.fields(n, "a rule", ruleFields...)
	if fs == nil {
		return nil
	}
	r := &Rule{Rule: &engine.Rule{Pos: l.pos(n), Tracked: tracked}}
	if fs["id"] == nil {
		l.errorf(n, "the rule has no id; give it the vendor's ticket id or a name of ours")
	} else {
		r.ID = l.str(fs["id"], "id")
	}
	if v := fs["title"]; v != nil {
		r.Title = l.str(v, "title")
	}
	if v := fs["since"]; v != nil {
		r.Since = l.version(v, "since")
	}
	if v := fs["tracked"]; v != nil {
		r.Tracked = l.boolean(v, "tracked")
	}
	if v := fs["group"]; v != nil {
		r.Group = l.str(v, "group")
	}
	partKeys := 0
	for _, k := range partFields {
		if fs[k] != nil {
			partKeys++
		}
	}
	kinds := 0
	if fs["select"] != nil || partKeys > 0 {
		kinds++
	}
	for _, k := range []string{"parts", "create", "set-version"} {
		if fs[k] != nil {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		l.errorf(n, "rule %s mixes select/do, parts, create and set-version; a rule does one of them", r.ID)
		return r
	case fs["set-version"] != nil:
		r.SetVersion = l.version(fs["set-version"], "set-version")
	case fs["create"] != nil:
		r.Create = l.create(fs["create"])
	case fs["parts"] != nil:
		pn := l.deref(fs["parts"])
		if pn.Kind != yaml.SequenceNode || len(pn.Content) == 0 {
			l.errorf(pn, "parts must be a non-empty list of parts (select, within, when, do)")
			return r
		}
		for _, p := range pn.Content {
			if part := l.part(p, l.fields(p, "a part", partFields...)); part != nil {
				r.Parts = append(r.Parts, part)
			}
		}
	case partKeys > 0:
		if part := l.part(n, fs); part != nil {
			r.Parts = append(r.Parts, part)
		}
	default:
		if !r.Tracked {
			l.errorf(n, "rule %s does nothing: give it select and do, parts, create or set-version (a rule with only an id must be tracked: it then only records its id)", r.ID)
		}
	}
	return r
}

func (l *loader) part(n *yaml.Node, fs map[string]*yaml.Node) *engine.Part {
	if fs == nil {
		return nil
	}
	p := &engine.Part{Pos: l.pos(n)}
	if fs["select"] != nil {
		p.Select = l.selector(fs["select"])
	}
	if v := fs["version-before"]; v != nil {
		for _, s := range l.strsNodes(v) {
			if ver := l.version(s, "version-before"); ver != nil {
				p.VersionBefore = append(p.VersionBefore, ver)
			}
		}
	}
	if v := fs["within"]; v != nil {
		w := l.str(v, "within")
		path, err := engine.ParsePath(strings.TrimPrefix(w, "/"))
		if err != nil {
			l.errorf(v, "within %q: %v", w, err)
		}
		p.Within = path.Ptr
	}
	if v := fs["create-within"]; v != nil {
		p.CreateWithin = l.boolean(v, "create-within")
		if fs["within"] == nil {
			l.errorf(v, "create-within needs a within")
		}
	}
	if v := fs["when"]; v != nil {
		p.When = l.expr(v, true)
	}
	if v := fs["do"]; v == nil {
		l.errorf(n, "the rule has no do: list the operations")
	} else {
		p.Ops = l.ops(v)
	}
	if p.Select == nil && !treeLevel(p.Ops) {
		l.errorf(n, "the rule has no select: say which entities it applies to (only transforms that work on the whole tree go without)")
	}
	return p
}

// treeLevel reports whether every operation is a transform that works on
// the whole tree rather than on a document.
func treeLevel(ops []engine.Op) bool {
	for _, op := range ops {
		t, ok := op.(*engine.TransformOp)
		if !ok || !t.T.Tree {
			return false
		}
	}
	return len(ops) > 0
}

func (l *loader) strsNodes(n *yaml.Node) []*yaml.Node {
	n = l.deref(n)
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

func (l *loader) selector(n *yaml.Node) *engine.Selector {
	fs := l.fields(n, "select", "service", "scope", "entityId", "sunServiceID", "realm", "pathParams")
	s := &engine.Selector{}
	if fs == nil {
		return s
	}
	if v := fs["service"]; v != nil {
		s.Services = l.strs(v, "service")
		// The names, where they stand; strs has read (and counted) them.
		names := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			names = v.Content
		}
		for _, sn := range names {
			if sn.Kind == yaml.ScalarNode && sn.Value != "*" {
				l.services = append(l.services, serviceRef{sn.Value, l.pos(sn)})
			}
		}
		if slices.Contains(s.Services, "*") {
			if len(s.Services) > 1 {
				l.errorf(v, `service "*" selects every entity; do not list other services with it`)
			}
			s.Services = nil
		}
	} else {
		l.errorf(n, `select has no service; name the entity type (or "*" for every entity)`)
	}
	if v := fs["scope"]; v != nil {
		switch sc := l.str(v, "scope"); sc {
		case "any", "":
		case "global":
			s.Scope = engine.GlobalScope
		case "realm":
			s.Scope = engine.RealmScope
		default:
			l.errorf(v, "scope must be global, realm or any, not %q", sc)
		}
	}
	if v := fs["entityId"]; v != nil {
		s.EntityID = l.matcher(v, "entityId")
	}
	if v := fs["sunServiceID"]; v != nil {
		s.SunServiceID = l.matcher(v, "sunServiceID")
	}
	if v := fs["realm"]; v != nil {
		s.Realm = l.matcher(v, "realm")
	}
	if v := fs["pathParams"]; v != nil {
		pv := l.deref(v)
		if pv.Kind != yaml.MappingNode {
			l.errorf(pv, "pathParams must map parameter names to values")
		} else {
			s.PathParams = map[string]*engine.Matcher{}
			for i := 0; i+1 < len(pv.Content); i += 2 {
				s.PathParams[pv.Content[i].Value] = l.matcher(pv.Content[i+1], "pathParams."+pv.Content[i].Value)
			}
		}
	}
	return s
}

func (l *loader) matcher(n *yaml.Node, what string) *engine.Matcher {
	n = l.deref(n)
	m := &engine.Matcher{}
	switch n.Kind {
	case yaml.ScalarNode:
		s := l.str(n, what)
		m.Is = &s
	case yaml.SequenceNode:
		m.In = l.strs(n, what)
	case yaml.MappingNode:
		fs := l.fields(n, what, "in", "contains", "contains-fold", "matches", "not")
		if v := fs["in"]; v != nil {
			m.In = l.strs(v, what+" in")
		}
		if v := fs["contains"]; v != nil {
			m.Contains = l.str(v, what+" contains")
		}
		if v := fs["contains-fold"]; v != nil {
			m.ContainsFold = l.str(v, what+" contains-fold")
		}
		if v := fs["matches"]; v != nil {
			re := l.str(v, what+" matches")
			rx, ok := l.regexps[re]
			if !ok {
				var err error
				if rx, err = regexp.Compile("^(?:" + re + ")$"); err != nil {
					l.errorf(v, "%s matches: bad regular expression: %v", what, err)
				} else {
					if l.regexps == nil {
						l.regexps = map[string]*regexp.Regexp{}
					}
					l.regexps[re] = rx
				}
			}
			m.Regexp = rx
		}
		if v := fs["not"]; v != nil {
			m.Not = l.matcher(v, what+" not")
		}
	default:
		l.errorf(n, "%s must be a value, a list or a mapping (in, contains, contains-fold, matches, not)", what)
	}
	return m
}

// expr parses an expression, and compiles it unless the loader is lazy. It
// tells the expression where it begins in the rule file, so that an error
// inside it, found now or on first use, points into the file.
func (l *loader) expr(n *yaml.Node, cond bool) *engine.Expr {
	n = l.deref(n)
	src := l.str(n, "an expression")
	pos, inline := l.pos(n), false
	if !strings.Contains(src, "\n") {
		switch n.Style {
		case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
			pos.Col++
			inline = true
		case 0:
			inline = true
		}
	}
	read := engine.CompileExpr
	if l.lazy {
		read = engine.ParseExpr
	}
	x, err := read(src, cond, pos, inline)
	if err != nil {
		l.errs = append(l.errs, errorsOf(err)...)
		return nil
	}
	l.exprs = append(l.exprs, x)
	return x
}
