package engine_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/google/go-cmp/cmp"
)

// Parsing finds syntax errors; names and types are checked by Check (or on
// first use). Either way the error points into the rule file: at the column
// of the mistake when the expression stands on one line as written, else at
// the expression.
func TestExprErrors(t *testing.T) {
	at := engine.Pos{File: "r.yaml", Line: 7, Col: 11}
	tests := []struct {
		name   string
		src    string
		cond   bool
		inline bool
		parse  string // the error of ParseExpr
		check  string // the error of Check, when parsing succeeds
	}{
		{name: "fine", src: `has("x") && contains("l", "y") && matches("s", "a.*")`, cond: true, inline: true},
		{name: "syntax", src: `has("x") &&`, cond: true, inline: true,
			parse: `r.yaml:7:21: expression "has(\"x\") &&": unexpected token EOF`},
		{name: "unknown name", src: `has("x") && vaule("y") == 1`, cond: true, inline: true,
			check: `r.yaml:7:23: expression "has(\"x\") && vaule(\"y\") == 1": unknown name vaule`},
		{name: "renamed function keeps its name", src: `contains(1, 2)`, cond: true, inline: true,
			check: `r.yaml:7:20: expression "contains(1, 2)": cannot use int as argument (type string) to call contains `},
		{name: "not a condition", src: `len(keys("/"))`, cond: true, inline: true,
			check: `r.yaml:7:11: expression "len(keys(\"/\"))": expected bool, but got int`},
		{name: "a value need not be boolean", src: `value("x")`, inline: true},
		{name: "clock out of reach", src: `now()`, inline: true,
			check: `r.yaml:7:11: expression "now()": unknown name now`},
		{name: "not inline: the expression's place", src: "has(\"x\")\n&& vaule(1)", cond: true,
			check: "r.yaml:7:11: expression \"has(\\\"x\\\")\\n&& vaule(1)\": unknown name vaule"},
		// What a run would refuse in the text of an expression is found when
		// the file is loaded.
		{name: "a path that does not parse", src: `has("a") && value("b~2c") == 1`, cond: true, inline: true,
			parse: `r.yaml:7:29: expression "has(\"a\") && value(\"b~2c\") == 1": path "b~2c": invalid JSON pointer "/b~2c": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key`},
		{name: "a path of contains", src: `contains("~", "x")`, cond: true, inline: true,
			parse: `r.yaml:7:20: expression "contains(\"~\", \"x\")": path "~": invalid JSON pointer "/~": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key`},
		{name: "a regular expression that does not parse", src: `matches("a", "x(")`, cond: true, inline: true,
			parse: `r.yaml:7:24: expression "matches(\"a\", \"x(\")": bad regular expression: error parsing regexp: missing closing ): ` + "`x(`"},
		{name: "a version that does not parse", src: `versionBefore("banana")`, cond: true, inline: true,
			parse: `r.yaml:7:25: expression "versionBefore(\"banana\")": version "banana": "banana" is not a number; write versions like 7.5.0`},
		{name: "a path that is computed is checked when used", src: `value("b" + "~2") == 1`, cond: true, inline: true},
		{name: "the budgets' own functions are not the author's", src: `__tick() && __charge(1) == 1`, cond: true, inline: true,
			parse: `r.yaml:7:11: expression "__tick() && __charge(1) == 1": unknown name __tick`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := engine.ParseExpr(tt.src, tt.cond, at, tt.inline)
			if diff := cmp.Diff(tt.parse, errText(err)); diff != "" {
				t.Fatalf("ParseExpr error (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.check, errText(x.Check())); diff != "" {
				t.Errorf("Check error (-want +got):\n%s", diff)
			}
			// The result is kept: a second Check says the same.
			if diff := cmp.Diff(tt.check, errText(x.Check())); diff != "" {
				t.Errorf("second Check error (-want +got):\n%s", diff)
			}
			_, err = engine.CompileExpr(tt.src, tt.cond, at, tt.inline)
			if diff := cmp.Diff(tt.check, errText(err)); diff != "" {
				t.Errorf("CompileExpr error (-want +got):\n%s", diff)
			}
			var e *engine.Error
			var ee *engine.ExprError
			if err != nil && (!errors.As(err, &e) || e.Code != engine.CodeRule || !errors.As(err, &ee)) {
				t.Errorf("CompileExpr error %#v: want an *Error of code rule around an *ExprError", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Documents are upgraded by many goroutines: the first uses of one
// expression, and of different ones, may come at once (go test -race).
func TestExprCheckConcurrent(t *testing.T) {
	srcs := []string{`has("a")`, `value("b") == 1`, `all(keys("/"), {# != "x"})`, `vaule("c")`}
	var xs []*engine.Expr
	for _, s := range srcs {
		x, err := engine.ParseExpr(s, true, engine.Pos{File: "r.yaml", Line: 1, Col: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	var wg sync.WaitGroup
	errs := make([][]string, 8)
	for g := range errs {
		wg.Go(func() {
			for _, x := range xs {
				errs[g] = append(errs[g], errText(x.Check()))
			}
		})
	}
	wg.Wait()
	want := []string{"", "", "", `r.yaml:1:1: expression "vaule(\"c\")": unknown name vaule`}
	for _, got := range errs {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
