package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code classifies an Error, so that the command line can choose an exit code
// and a program using the library can react without parsing messages.
type Code string

const (
	// CodeRule: a rule file is invalid (syntax, schema, expression, chain).
	CodeRule Code = "rule"
	// CodeInput: the configuration tree cannot be upgraded as it is
	// (malformed JSON, unknown layout, missing version tracking).
	CodeInput Code = "input"
	// CodeApply: a rule failed on a document (an expression error at run time,
	// a value of the wrong type).
	CodeApply Code = "apply"
	// CodeWrite: the output could not be written.
	CodeWrite Code = "write"
)

// Pos is a position in a rule file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is the one error type of amupgrade. It says where (the rule position,
// the rule id, the configuration file and the JSON Pointer inside it, or the
// line and column of a syntax error in that file) and what to do.
type Error struct {
	Code   Code
	Pos    Pos    // in the rule file
	RuleID string // the rule concerned
	File   string // the configuration file, relative to the tree root
	// Line and Col locate a problem inside File (a JSON syntax error).
	Line, Col int
	Pointer   string // a JSON Pointer inside File
	Msg       string
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if e.RuleID != "" {
		fmt.Fprintf(&b, "rule %s: ", e.RuleID)
	}
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
		}
		if e.Pointer != "" {
			fmt.Fprintf(&b, " at %s", e.Pointer)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of errors reported together, sorted by position.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the errors by rule file, line and column, then configuration
// file, so that a report reads top to bottom.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		return a.File < b.File
	})
}

// Err returns nil for an empty list, so callers can return it directly.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.Sort()
	return es
}

// CodeOf returns the Code of the first *Error in err's chain, or "" if none.
func CodeOf(err error) Code {
	var es Errors
	if errors.As(err, &es) && len(es) > 0 {
		return es[0].Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// gather collects the errors of a parallel pass over files, in file order,
// as one sorted list; file(i) names the file of errs[i] for errors that do
// not carry one.
func gather(errs []error, file func(i int) string) error {
	var all Errors
	for i, err := range errs {
		if err != nil {
			all = append(all, asError(err, file(i)))
		}
	}
	return all.Err()
}
