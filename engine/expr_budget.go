package engine

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// What an evaluation builds is counted in units of about 16 bytes, the size
// of a value held in a list or a map: every value costs one unit, and a
// string one more per 16 bytes of its text. An evaluation may build
// ExprMemoryBudget units, 16 MB of text at most.
//
// expr itself counts the items of ranges and of list and map literals
// (vm.MemoryBudget), but not the growth of strings, nor most of its
// functions: reduce(1..31, #acc + #acc, "a") built a 2 GB string. So after
// an expression is compiled and optimized, budgetPatcher wraps every node
// that builds a string or a collection:
//
//   - in __charge(node), which charges the full size of the node's value once
//     it is built: an operation whose result is at most a few times the size
//     of its operands (+, upper, map, filter, sortBy, flatten, a literal …)
//     can overshoot the budget by that much only, since its operands were
//     charged when they were built (or read, against the work budget);
//   - or, for the functions whose result can be far larger than their
//     arguments (repeat, join, replace, split, splitAfter, concat, toJSON,
//     fromJSON), in __call("name", args…), which works out the size of the
//     result from the arguments and charges it before the function runs.
//
// A value is charged its full size, a list held twice in another counted
// twice, so no value can be larger than the budget however it is shared, and
// every walk over one (==, in, toJSON, the conversion of the result to JSON)
// is bounded too.
const textUnit = 16

// textUnits is what a string of n bytes costs.
func textUnits(n int) int { return 1 + n/textUnit }

// errMemoryBudget stops an evaluation that has built ExprMemoryBudget units.
var errMemoryBudget = fmt.Errorf("memory budget exceeded: the expression builds more than %d values or %d MB of text; make it build less (a string or a list that doubles in a loop is the usual cause)", ExprMemoryBudget, ExprMemoryBudget*textUnit/1_000_000)

// exprVMBudgetMessage is expr's own message when its count of range, list
// and map items passes vm.MemoryBudget (set to ExprMemoryBudget too).
const exprVMBudgetMessage = "memory budget exceeded"

// preCharged are the functions whose result can be much larger than their
// arguments, each with what its result costs, worked out from the
// arguments; limit is the budget left: a walk may stop past it.
var preCharged = map[string]func(args []any, limit int) int{
	"repeat": func(args []any, limit int) int {
		s, _ := args[0].(string)
		n, ok := toInt(args[1])
		if !ok || n <= 0 {
			return 1 // expr reports a bad count
		}
		if len(s) > 0 && n > limit*textUnit/len(s) {
			return limit + 1
		}
		return textUnits(len(s) * n)
	},
	"join": func(args []any, limit int) int {
		sep := ""
		if len(args) == 2 {
			sep, _ = args[1].(string)
		}
		n, count := 0, 0
		switch l := args[0].(type) {
		case []string:
			for _, s := range l {
				n += len(s)
			}
			count = len(l)
		case []any:
			for _, s := range l {
				if s, ok := s.(string); ok {
					n += len(s)
				}
			}
			count = len(l)
		}
		if count > 1 && len(sep) > 0 && count-1 > limit*textUnit/len(sep) {
			return limit + 1
		}
		return textUnits(n + max(count-1, 0)*len(sep))
	},
	"replace": func(args []any, limit int) int {
		s, _ := args[0].(string)
		old, _ := args[1].(string)
		repl, _ := args[2].(string)
		n := strings.Count(s, old)
		if len(args) == 4 {
			if m, ok := toInt(args[3]); ok && m >= 0 {
				n = min(n, m)
			}
		}
		if grow := len(repl) - len(old); grow > 0 {
			if n > limit*textUnit/grow {
				return limit + 1
			}
			return textUnits(len(s) + n*grow)
		}
		return textUnits(len(s))
	},
	"split":      splitUnits,
	"splitAfter": splitUnits,
	"concat": func(args []any, limit int) int {
		n := 1
		for _, a := range args {
			if n > limit {
				break
			}
			n += valueUnits(a, limit-n) - 1
		}
		return n
	},
	"toJSON": func(args []any, limit int) int {
		return 1 + jsonBytes(args[0], 0, limit*textUnit)/textUnit
	},
	"fromJSON": func(args []any, limit int) int {
		// Every value of the result begins at a byte of the text, and
		// each comma, colon or opening bracket is one more at most.
		s, _ := args[0].(string)
		n := textUnits(len(s))
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case ',', ':', '[', '{':
				n++
			}
		}
		return n
	},
}

// toInt reads a count as expr's functions do: a number of any kind (a
// value read from a document may be a float64).
func toInt(v any) (int, bool) {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(min(rv.Uint(), uint64(1<<62))), true
	case reflect.Float32, reflect.Float64:
		return int(max(min(rv.Float(), 1<<62), -(1 << 62))), true
	}
	return 0, false
}

// splitUnits is what split and splitAfter make: a string per piece, each
// with its text (the pieces share it, but each is counted as if it did not,
// as everywhere).
func splitUnits(args []any, limit int) int {
	s, _ := args[0].(string)
	sep, _ := args[1].(string)
	n := strings.Count(s, sep) + 1
	if len(args) == 3 {
		if m, ok := toInt(args[2]); ok && m > 0 {
			n = min(n, m)
		}
	}
	return 1 + n + len(s)/textUnit
}

// jsonBytes is at least the length of toJSON's text for v at an indentation
// depth: two spaces a level on every line, escapes counted. It stops
// counting past limit.
func jsonBytes(v any, depth, limit int) int {
	n := 2*depth + 2 // indentation and separators
	str := func(s string) int {
		k := 2
		for i := 0; i < len(s); {
			c := s[i]
			switch {
			case c == '"' || c == '\\':
				k += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				k += 6
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size == 1 {
					k += 6
				} else {
					k += size
				}
				i += size
				continue
			default:
				k++
			}
			i++
		}
		return k
	}
	switch v := v.(type) {
	case string:
		return n + str(v)
	case []any:
		for _, e := range v {
			if n > limit {
				break
			}
			n += jsonBytes(e, depth+1, limit-n)
		}
		return n
	case map[string]any:
		for k, e := range v {
			if n > limit {
				break
			}
			n += str(k) + 2 + jsonBytes(e, depth+1, limit-n)
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += jsonBytes(rv.Index(i).Interface(), depth+1, limit-n)
		}
		return n
	case reflect.Map:
		it := rv.MapRange()
		for it.Next() && n <= limit {
			n += jsonBytes(it.Key().Interface(), 0, limit-n) + jsonBytes(it.Value().Interface(), depth+1, limit-n)
		}
		return n
	}
	return n + 24 // a number, a bool, null: 24 bytes at most
}

// valueUnits is what v costs, counted to limit and a little past it at most.
func valueUnits(v any, limit int) int {
	switch v := v.(type) {
	case nil, bool, int, int64, float64:
		return 1
	case string:
		return textUnits(len(v))
	case []string:
		n := 1
		for _, s := range v {
			if n > limit {
				break
			}
			n += textUnits(len(s))
		}
		return n
	case []int:
		return 1 + len(v)
	case []any:
		n := 1
		for _, e := range v {
			if n > limit {
				break
			}
			n += valueUnits(e, limit-n)
		}
		return n
	case map[string]any:
		n := 1
		for k, e := range v {
			if n > limit {
				break
			}
			n += textUnits(len(k)) + valueUnits(e, limit-n)
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		n := 1
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += valueUnits(rv.Index(i).Interface(), limit-n)
		}
		return n
	case reflect.Map:
		n := 1
		it := rv.MapRange()
		for it.Next() && n <= limit {
			n += valueUnits(it.Key().Interface(), limit-n) + valueUnits(it.Value().Interface(), limit-n)
		}
		return n
	case reflect.String:
		return textUnits(rv.Len())
	}
	return 1
}

// exprMemory counts what one evaluation builds.
type exprMemory struct{ used int }

func (m *exprMemory) charge(n int) {
	m.used += n
	if m.used > ExprMemoryBudget {
		panic(exprPanic{errMemoryBudget})
	}
}

func (m *exprMemory) left() int { return max(ExprMemoryBudget-m.used, 0) }

// chargeFunc is __charge: it charges the size of its argument, and returns
// it.
func (m *exprMemory) chargeFunc(args ...any) any {
	m.charge(valueUnits(args[0], m.left()))
	return args[0]
}

// callFunc is __call: it charges the size of what the named function will
// return, then calls it.
func (m *exprMemory) callFunc(args ...any) any {
	name, args := args[0].(string), args[1:]
	pre := preCharged[name](args, m.left())
	m.charge(pre)
	f := builtin.Builtins[builtin.Index[name]]
	var out any
	var err error
	switch {
	case f.Safe != nil:
		out, _, err = f.Safe(args...)
	case f.Func != nil:
		out, err = f.Func(args...)
	default:
		out = f.Fast(args[0])
	}
	if err != nil {
		panic(exprPanic{err})
	}
	// Should the estimate fall short (arguments of a kind it does not
	// read), the result is charged all the same.
	if n := valueUnits(out, m.left()+pre); n > pre {
		m.charge(n - pre)
	}
	return out
}

var fastFuncType = reflect.TypeOf(func(...any) any { return nil })

// unbuilt are the builtins that build nothing: they test, count, or return
// a part of their argument.
var unbuilt = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "find": true, "findIndex": true, "findLast": true,
	"findLastIndex": true, "count": true, "sum": true, "len": true, "first": true, "last": true, "get": true,
	"max": true, "min": true, "mean": true, "median": true, "indexOf": true, "lastIndexOf": true,
	"hasPrefix": true, "hasSuffix": true, "abs": true, "ceil": true, "floor": true, "round": true,
	"int": true, "float": true,
}

// budgetPatcher wraps the nodes that build strings and collections (see
// textUnit). It runs on a checked and optimized tree, and gives each new
// node the type of the node it wraps, so that the compiler sees the same
// types as before.
type budgetPatcher struct{}

func (budgetPatcher) Visit(node *ast.Node) {
	n := *node
	switch n := n.(type) {
	case *ast.BinaryNode:
		if (n.Operator != "+" && n.Operator != "..") || scalarKind(n.Type()) && n.Operator == "+" {
			return
		}
	case *ast.ArrayNode, *ast.MapNode:
	case *ast.BuiltinNode:
		if unbuilt[n.Name] || scalarKind(n.Type()) {
			return
		}
		if _, ok := preCharged[n.Name]; ok {
			name := &ast.StringNode{Value: n.Name}
			name.SetType(reflect.TypeOf(""))
			name.SetLocation(n.Location())
			patchCall(node, "__call", append([]ast.Node{name}, n.Arguments...))
			return
		}
	default:
		return
	}
	patchCall(node, "__charge", []ast.Node{n})
}

// patchCall replaces *node with a call of an environment function of type
// func(...any) any, of the same type and place as the node replaced.
func patchCall(node *ast.Node, fn string, args []ast.Node) {
	old := *node
	callee := &ast.IdentifierNode{Value: fn}
	callee.SetType(fastFuncType)
	callee.SetLocation(old.Location())
	call := &ast.CallNode{Callee: callee, Arguments: args}
	call.SetNature(*old.Nature())
	call.SetLocation(old.Location())
	*node = call
}

func scalarKind(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
