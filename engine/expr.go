package engine

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/vm"

	"github.com/amupgrade/amupgrade/amjson"
)

// ExprMemoryBudget bounds what one evaluation may build, so that a rule that
// builds huge strings or lists is stopped with an error instead of
// exhausting memory: a million units, a unit being a value of a list or a
// map, or 16 bytes of text (see textUnit for how every string and
// collection an expression builds is counted).
const ExprMemoryBudget = 1_000_000

// ExprWorkBudget bounds the work of one evaluation: every turn of a loop
// (all, any, filter, map, count, …) costs one unit, and every call of has,
// value, keys, contains, … costs one unit plus the size of what it reads.
// The memory budget alone does not stop loops over lists the expression did
// not build itself (all(keys("/"), {all(keys("/"), {…})}) on a large
// document), which would otherwise run for hours. A million units take a
// tenth of a second or so; the bundled rules use a few hundred per document.
const ExprWorkBudget = 1_000_000

// exprEnv is what conditions and computed values can read. The field tags
// are the names rule authors write.
type exprEnv struct {
	Has           func(string) bool         `expr:"has"`
	Value         func(string) any          `expr:"value"`
	Original      func(string) any          `expr:"original"`
	Contains      func(string, any) bool    `expr:"containz"`
	Matches       func(string, string) bool `expr:"matchez"`
	Entry         func(string, string) any  `expr:"entry"`
	HasEntry      func(string, string) bool `expr:"hasEntry"`
	Keys          func(string) []string     `expr:"keys"`
	IsInt         func(any) bool            `expr:"isInt"`
	VersionBefore func(string) bool         `expr:"versionBefore"`
	// Tick is called by every turn of a loop (see loopTicker); rule authors
	// do not write it.
	Tick func() bool `expr:"__tick"`
	// Charge and Call count what an evaluation builds against
	// ExprMemoryBudget (see budgetPatcher).
	Charge func(...any) any `expr:"__charge"`
	Call   func(...any) any `expr:"__call"`

	Old          any               `expr:"old"`
	EntityType   string            `expr:"entityType"`
	EntityID     string            `expr:"entityId"`
	Realm        string            `expr:"realm"`
	SunServiceID string            `expr:"sunServiceID"`
	Global       bool              `expr:"global"`
	PathParams   map[string]string `expr:"pathParams"`
	File         string            `expr:"file"`
	Version      string            `expr:"version"`
}

// contains and matches are operators in expr; rule authors also write them
// as functions (contains("whiteList", "x")). Such a call is renamed to a name
// of the same length, so error columns still point into the source as
// written. The renaming works on expr's tokens: a string that holds
// "contains(" is left alone, and so is the operator written before a
// parenthesis (value("a") contains ("b")).
var callNames = map[string]string{"contains": "containz", "matches": "matchez"}

// renameCalls returns src with its calls of contains and matches renamed.
// Source that does not lex is returned as it is, for the parser to report.
func renameCalls(src string) string {
	if !strings.Contains(src, "contains") && !strings.Contains(src, "matches") {
		return src
	}
	tokens, err := lexer.Lex(file.NewSource(src))
	if err != nil {
		return src
	}
	var runes []rune // made on the first rename; token locations count runes
	for i, t := range tokens {
		to, ok := callNames[t.Value]
		if !ok || t.Kind != lexer.Operator || i+1 == len(tokens) || !tokens[i+1].Is(lexer.Bracket, "(") || infix(tokens[:i]) {
			continue
		}
		if runes == nil {
			runes = []rune(src)
		}
		copy(runes[t.From:t.To], []rune(to))
	}
	if runes == nil {
		return src
	}
	return string(runes)
}

// infix reports whether an operator that follows these tokens stands
// between two operands: the tokens end with an operand (or with an operand
// and `not`, as in `a not contains (b)`), or with a member access.
func infix(before []lexer.Token) bool {
	if len(before) == 0 {
		return false
	}
	last := before[len(before)-1]
	if last.Is(lexer.Operator, "not") {
		return len(before) > 1 && endsOperand(before[len(before)-2])
	}
	return endsOperand(last) || last.Is(lexer.Operator, ".", "?.")
}

func endsOperand(t lexer.Token) bool {
	switch t.Kind {
	case lexer.Identifier, lexer.Number, lexer.String, lexer.Bytes:
		return true
	case lexer.Bracket:
		return t.Value == ")" || t.Value == "]" || t.Value == "}"
	case lexer.Operator:
		return strings.HasPrefix(t.Value, "#") // # and ## of predicates
	}
	return false
}

// Expr is an expression of a rule file. Loading a rule file only parses it:
// most rules of a step select nothing in a given tree, and compiling (which
// checks names and types) costs several times as much, so that is done on first
// use, once, whichever goroutine gets there first. Check compiles it at once.
type Expr struct {
	Source string
	// Pos is where Source begins in its rule file. Inline says Source stands
	// on that line as it is written (a plain or quoted scalar), so that a
	// column inside it is a column of the file too; otherwise an error names
	// Pos alone.
	Pos    Pos
	Inline bool

	cond    bool
	once    sync.Once
	program *vm.Program
	err     *ExprError
}

// ExprError is a compile error with its place inside the expression source.
type ExprError struct {
	Line, Column int // 1-based, inside the expression source
	Msg          string
}

func (e *ExprError) Error() string { return e.Msg }

// ParseExpr reads a condition (cond true: it must give a boolean) or a
// computed value written at pos of a rule file (see Expr for inline). A
// syntax error is returned now, as an *Error at the mistake with an
// *ExprError inside; unknown names and wrong types are found by Check or on
// first use. Unknown names are errors, not false at run time, and the clock
// is out of reach so that output depends on input alone.
func ParseExpr(src string, cond bool, pos Pos, inline bool) (*Expr, error) {
	x := &Expr{Source: src, Pos: pos, Inline: inline, cond: cond}
	err := configFor(cond).do(func(c *conf.Config) error {
		tree, err := parser.ParseWithConfig(renameCalls(src), c)
		if err != nil {
			return err
		}
		return checkLiterals(tree)
	})
	if err != nil {
		return nil, x.error(exprErrorOf(err))
	}
	return x, nil
}

// checkLiterals finds, when the file is loaded, what a run would refuse in
// the text of an expression: a path, regular expression or version written
// as a literal that does not parse, and the names of the functions that
// count an evaluation's budgets, which are not the rule author's to call.
func checkLiterals(tree *parser.Tree) error {
	v := &literalChecker{}
	ast.Walk(&tree.Node, v)
	if v.err != nil {
		return v.err.Bind(tree.Source)
	}
	return nil
}

type literalChecker struct{ err *file.Error }

// pathArgs are the functions whose first argument is a path.
var pathArgs = map[string]bool{"has": true, "value": true, "original": true, "containz": true, "matchez": true,
	"entry": true, "hasEntry": true, "keys": true}

func (v *literalChecker) Visit(node *ast.Node) {
	if v.err != nil {
		return
	}
	fail := func(n ast.Node, format string, args ...any) {
		v.err = &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	}
	if id, ok := (*node).(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, "__") {
		fail(id, "unknown name %s", id.Value)
		return
	}
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	literal := func(i int) (*ast.StringNode, bool) {
		if i >= len(call.Arguments) {
			return nil, false
		}
		s, ok := call.Arguments[i].(*ast.StringNode)
		return s, ok
	}
	if s, ok := literal(0); ok && pathArgs[callee.Value] {
		if _, err := ParsePath(s.Value); err != nil {
			err = fmt.Errorf("path %q: %w", s.Value, err)
			fail(s, "%v", err)
			return
		}
	}
	if s, ok := literal(1); ok && callee.Value == "matchez" {
		if _, err := regexp.Compile(s.Value); err != nil {
			fail(s, "bad regular expression: %v", err)
			return
		}
	}
	if s, ok := literal(0); ok && callee.Value == "versionBefore" {
		if _, err := ParseVersion(s.Value); err != nil {
			fail(s, "%v", err)
		}
	}
}

// CompileExpr is ParseExpr and Check at once.
func CompileExpr(src string, cond bool, pos Pos, inline bool) (*Expr, error) {
	x, err := ParseExpr(src, cond, pos, inline)
	if err != nil {
		return nil, err
	}
	if err := x.Check(); err != nil {
		return nil, err
	}
	return x, nil
}

// Check compiles the expression if that has not been done yet, and returns
// what compiling found wrong as an *Error at the mistake (an *ExprError
// inside).
func (x *Expr) Check() error {
	if err := x.compile(); err != nil {
		return x.error(err)
	}
	return nil
}

func (x *Expr) compile() *ExprError {
	x.once.Do(func() {
		err := configFor(x.cond).do(func(c *conf.Config) error {
			tree, err := checker.ParseCheck(renameCalls(x.Source), c)
			if err != nil {
				return err
			}
			if err := optimizer.Optimize(&tree.Node, c); err != nil {
				var fe *file.Error
				if errors.As(err, &fe) {
					return fe.Bind(tree.Source)
				}
				return err
			}
			ast.Walk(&tree.Node, budgetPatcher{})
			x.program, err = compiler.Compile(tree, c)
			return err
		})
		if err != nil {
			x.err = exprErrorOf(err)
		}
	})
	return x.err
}

// error places a compile error in the rule file.
func (x *Expr) error(ee *ExprError) *Error {
	pos := x.Pos
	if x.Inline && ee.Line == 1 {
		pos.Col += ee.Column - 1
	}
	return &Error{Code: CodeRule, Pos: pos, Msg: fmt.Sprintf("expression %q", x.Source), Err: ee}
}

var exprMessage = strings.NewReplacer("containz", "contains", "matchez", "matches")

func exprErrorOf(err error) *ExprError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &ExprError{Line: fe.Line, Column: fe.Column + 1, Msg: exprMessage.Replace(fe.Message)}
	}
	return &ExprError{Line: 1, Column: 1, Msg: err.Error()}
}

// exprConfig is expr's configuration for conditions or for computed values,
// made once, on first use, and shared: making one costs about as much as
// compiling an expression with it. A configuration holds a cache that the
// parser and the checker fill, so one expression at a time uses it.
type exprConfig struct {
	cond bool
	once sync.Once
	mu   sync.Mutex
	c    *conf.Config
}

var condConfig, valueConfig = exprConfig{cond: true}, exprConfig{}

func configFor(cond bool) *exprConfig {
	if cond {
		return &condConfig
	}
	return &valueConfig
}

func (e *exprConfig) do(f func(*conf.Config) error) error {
	e.once.Do(func() {
		opts := []expr.Option{expr.Env(exprEnv{}), expr.DisableBuiltin("now"), expr.MaxNodes(10_000), expr.Patch(loopTicker{})}
		if e.cond {
			opts = append(opts, expr.AsBool())
		}
		// What expr.Compile does with its options before it compiles.
		c := conf.CreateNew()
		for _, op := range opts {
			op(c)
		}
		for name := range c.Disabled {
			delete(c.Builtins, name)
		}
		c.Check()
		e.c = c
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(e.c)
}

// loopTicker makes the body of every predicate (the {…} of all, any, map,
// filter, count, reduce, …) call __tick first, so that each turn of a loop
// is charged to the work budget. The body's value and type are unchanged: a
// sequence has the value of its last expression.
type loopTicker struct{}

func (loopTicker) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok {
		return
	}
	if seq, ok := p.Node.(*ast.SequenceNode); ok && len(seq.Nodes) > 0 && isTick(seq.Nodes[0]) {
		return // already patched
	}
	callee := &ast.IdentifierNode{Value: "__tick"}
	callee.SetLocation(p.Location())
	tick := &ast.CallNode{Callee: callee}
	tick.SetLocation(p.Location())
	seq := &ast.SequenceNode{Nodes: []ast.Node{tick, p.Node}}
	seq.SetLocation(p.Node.Location())
	p.Node = seq
}

func isTick(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == "__tick"
}

// errWorkBudget stops an evaluation that has used up ExprWorkBudget.
var errWorkBudget = fmt.Errorf("work budget exceeded: the expression loops over or reads more than %d values; make it do less (a loop inside a loop over a whole document is the usual cause)", ExprWorkBudget)

// valueCost is what reading v costs against the work budget: one unit per
// value, and one per 64 bytes of text.
func valueCost(v *amjson.Value) int {
	if v == nil {
		return 1
	}
	n := 1 + len(v.Text)/64
	for _, it := range v.Items {
		n += valueCost(it)
	}
	for _, m := range v.Members {
		n += 1 + len(m.Key)/64 + valueCost(m.Value)
	}
	return n
}

var vmPool = sync.Pool{New: func() any { return &vm.VM{} }}

func (x *Expr) run(env *exprEnv) (any, error) {
	m := vmPool.Get().(*vm.VM)
	defer vmPool.Put(m)
	m.MemoryBudget = ExprMemoryBudget
	return m.Run(x.program, env)
}

// env builds the expression environment for a document and section.
func (c *opContext) env() *exprEnv {
	e := c.doc.Entity
	env := &exprEnv{
		EntityType: e.Type, EntityID: e.ID, Realm: e.Realm, SunServiceID: e.SunServiceID,
		Global: e.Global, PathParams: e.PathParams, File: c.doc.Path, Version: c.run.versionText(c.version),
	}
	// work is what this evaluation has used of ExprWorkBudget.
	work := 0
	charge := func(n int) {
		work += n
		if work > ExprWorkBudget {
			panic(exprPanic{errWorkBudget})
		}
	}
	env.Tick = func() bool { charge(1); return true }
	mem := &exprMemory{}
	env.Charge, env.Call = mem.chargeFunc, mem.callFunc
	lookup := func(p string) *amjson.Value {
		v, _, _, err := c.resolve(p)
		if err != nil {
			panic(exprPanic{err})
		}
		charge(1)
		return v
	}
	// size charges what a function scans or returns of v: its items or
	// members, and its text.
	size := func(v *amjson.Value) {
		if v != nil {
			charge(len(v.Items) + len(v.Members) + len(v.Text)/64)
		}
	}
	env.Has = func(p string) bool { return lookup(p) != nil }
	env.Value = func(p string) any {
		v := lookup(p)
		charge(valueCost(v))
		return v.Interface()
	}
	env.Original = func(p string) any {
		v, err := c.resolveOriginal(p)
		if err != nil {
			panic(exprPanic{err})
		}
		charge(valueCost(v))
		return v.Interface()
	}
	env.Contains = func(p string, x any) bool {
		v := lookup(p)
		if v == nil {
			return false
		}
		size(v)
		switch v.Kind {
		case amjson.Array:
			want, err := amjson.FromInterface(x)
			if err != nil {
				return false
			}
			for _, it := range v.Items {
				if amjson.Equal(it, want) {
					return true
				}
			}
		case amjson.String:
			s, ok := x.(string)
			return ok && strings.Contains(v.Text, s)
		}
		return false
	}
	env.Matches = func(p, re string) bool {
		v := lookup(p)
		if v == nil || v.Kind != amjson.String {
			return false
		}
		size(v)
		rx, err := c.run.cache.regexp(re)
		if err != nil {
			panic(exprPanic{err})
		}
		return rx.MatchString(v.Text)
	}
	env.Entry = func(p, key string) any {
		v := lookup(p)
		size(v)
		if i := entryIndex(v, key); i >= 0 {
			_, val, _ := strings.Cut(v.Items[i].Text, "=")
			return val
		}
		return nil
	}
	env.HasEntry = func(p, key string) bool {
		v := lookup(p)
		size(v)
		return entryIndex(v, key) >= 0
	}
	env.Keys = func(p string) []string {
		v := lookup(p)
		if v == nil || v.Kind != amjson.Object {
			return nil
		}
		size(v)
		keys := make([]string, len(v.Members))
		for i, m := range v.Members {
			keys[i] = m.Key
		}
		return keys
	}
	env.IsInt = func(x any) bool {
		switch x := x.(type) {
		case int, int64:
			return true
		case float64:
			return x == float64(int64(x))
		case string:
			_, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			return err == nil
		}
		return false
	}
	env.VersionBefore = func(s string) bool {
		v, err := ParseVersion(s)
		if err != nil {
			panic(exprPanic{err})
		}
		return gateOpen([]Version{v}, c.version)
	}
	return env
}

// exprPanic carries an error out of an environment function: expr turns a
// panic inside a called function into an error of the evaluation.
type exprPanic struct{ err error }

func (p exprPanic) Error() string { return p.err.Error() }

func (p exprPanic) Unwrap() error { return p.err }

// evalBool runs a condition.
func (c *opContext) evalBool(x *Expr, old any) (bool, error) {
	if err := c.compile(x); err != nil {
		return false, err
	}
	env := c.env()
	env.Old = old
	out, err := x.run(env)
	if err != nil {
		return false, c.exprError(x, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, c.exprError(x, fmt.Errorf("the condition gave %T, not a boolean", out))
	}
	return b, nil
}

// evalValue runs a computed value.
func (c *opContext) evalValue(x *Expr) (*amjson.Value, error) {
	if err := c.compile(x); err != nil {
		return nil, err
	}
	out, err := x.run(c.env())
	if err != nil {
		return nil, c.exprError(x, err)
	}
	v, err := amjson.FromInterface(out)
	if err != nil {
		return nil, c.exprError(x, err)
	}
	return v, nil
}

// compile compiles x on its first use. What that finds wrong is a mistake
// of the rule file, reported at its place there, as loading would have.
func (c *opContext) compile(x *Expr) error {
	ee := x.compile()
	if ee == nil {
		return nil
	}
	e := x.error(ee)
	e.RuleID, e.File = c.rule.ID, c.doc.Path
	return e
}

// exprError says which expression failed, where in it, and why, on one line
// (expr's own message adds a source excerpt on further lines). An expression
// over its memory or work budget is a mistake of the rule, not of the tree:
// the error has the code of an invalid rule file.
func (c *opContext) exprError(x *Expr, err error) error {
	msg := fmt.Sprintf("evaluating %q: %s; fix the rule", x.Source, c.redactValues(err.Error(), x.Source))
	overBudget := errors.Is(err, errWorkBudget) || errors.Is(err, errMemoryBudget)
	var fe *file.Error
	if errors.As(err, &fe) {
		text := fe.Message
		if text == exprVMBudgetMessage {
			text, overBudget = errMemoryBudget.Error(), true
		}
		text = c.redactValues(exprMessage.Replace(text), x.Source)
		if fe.Line > 0 {
			msg = fmt.Sprintf("evaluating %q: %s (line %d, column %d of the expression); fix the rule", x.Source, text, fe.Line, fe.Column+1)
		} else {
			msg = fmt.Sprintf("evaluating %q: %s; fix the rule", x.Source, text)
		}
	}
	e := c.errorf("%s", msg).(*Error)
	if overBudget {
		e.Code = CodeRule
	}
	return e
}

// redactValues takes out of an evaluation's message the strings of the
// document (as it is and as it was) that the expression does not spell
// itself: expr quotes the values it failed on ("invalid operation:
// int(hunter2)"), and a message never echoes a value of the configuration,
// which may be a secret. The value of a key=value entry counts on its own.
func (c *opContext) redactValues(msg, source string) string {
	var values []string
	var walk func(v *amjson.Value)
	walk = func(v *amjson.Value) {
		switch v.Kind {
		case amjson.String:
			for _, s := range []string{v.Text, v.Text[strings.IndexByte(v.Text, '=')+1:]} {
				if len(s) >= 3 && !strings.Contains(source, s) && strings.Contains(msg, s) {
					values = append(values, s)
				}
			}
		case amjson.Array:
			for _, it := range v.Items {
				walk(it)
			}
		case amjson.Object:
			for _, m := range v.Members {
				walk(m.Value)
			}
		}
	}
	for _, data := range []*amjson.Value{c.data, c.doc.originalData()} {
		if data != nil {
			walk(data)
		}
	}
	// Longest first, so that a value inside another goes with it.
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	for _, s := range values {
		msg = strings.ReplaceAll(msg, s, "…")
	}
	return msg
}
