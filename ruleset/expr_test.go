package ruleset_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/google/go-cmp/cmp"
)

// Conditions and computed values evaluated on a document: each case sets
// `out` to the value of an expression when a condition holds.
func TestExpressionResults(t *testing.T) {
	tests := []struct {
		name, data, when, value string
		want                    string // the data afterwards
	}{
		{name: "a string that spells a call is text", data: `{"a": "contains(b)"}`,
			when: `value("a") == "contains(b)"`, value: `value("a") + " matches(x)"`,
			want: `{ "a" : "contains(b)", "out" : "contains(b) matches(x)" }`},
		{name: "calls and operators of the same name", data: `{"a": "xyz", "l": ["p", "q"]}`,
			when: `contains("l", "q") && matches("a", "x.z") && value("a") contains ("y") && value("a") matches("x.*") && !(value("a") not contains("z"))`, value: `"ok"`,
			want: `{ "a" : "xyz", "l" : [ "p", "q" ], "out" : "ok" }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules := "\n  - id: R1\n    select: {service: OAuth2Provider}\n    when: '" + tt.when + "'\n    do: [{set: {out: !expr '" + tt.value + "'}}]"
			got, _, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", tt.data)}, rules, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, dataOf(t, got[oauthPath])); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}

// What an expression builds is bounded, whatever builds it: each of these is
// stopped by the memory budget, most before they allocate anything large,
// with an error of an invalid rule.
func TestExpressionMemoryBudget(t *testing.T) {
	const budget = "memory budget exceeded: the expression builds more than 1000000 values or 16 MB of text; make it build less (a string or a list that doubles in a loop is the usual cause)"
	tests := []struct {
		name, expr string
		col        int // where the expression was stopped
	}{
		{"a string doubled 31 times", `reduce(1..31, #acc + #acc, "a")`, 20},
		{"a string doubled 40 times", `reduce(1..40, #acc + #acc, "a")`, 20},
		{"a list doubled", `reduce(1..40, concat(#acc, #acc), [repeat("x", 100000)])`, 15},
		{"a list nested in itself", `reduce(1..40, [#acc, #acc], 1)`, 15},
		{"a map nested in itself", `reduce(1..40, ({a: #acc, b: #acc}), 1)`, 16},
		{"repeat", `repeat(repeat("x", 1000), 1000000)`, 1},
		{"join with a long separator", `join(split(repeat("x", 100000), ""), repeat("y", 1000))`, 1},
		{"replace", `replace(repeat("a", 100000), "a", repeat("b", 1000))`, 1},
		{"split", `split(repeat("ab", 1000000), "")`, 1},
		{"concat", `let l = 1..300000; concat(l, l, l, l)`, 20},
		{"toJSON", `let s = repeat("<<<", 1000000); toJSON(s)`, 33},
		{"fromJSON", `fromJSON("[" + repeat("1,", 1000000) + "1]")`, 1},
		// s costs 62,501 units, 1..14 15 and l 875,015 (s counted 14 times):
		// 937,531 in all, and upper's copy of s is one s too many.
		{"upper", `let s = repeat("x", 1000000); let l = map(1..14, s); upper(s)`, 54},
		{"repeat beyond its own limit", `repeat("", 2000000)`, 1},
		{"repeat of a count read from the document", `repeat(repeat("x", 1000), value("n"))`, 1},
		{"a range", `1..100000000`, 2},
		{"map", `let s = repeat("x", 1000000); map(1..20, s)`, 31},
		{"sortBy", `let s = repeat("x", 1000000); sortBy(map(1..10, s), #)`, 31},
		// pad costs 875,001 units, y 31,251 and [y, y] 62,503: 968,755 in all,
		// and the text of string([y, y]) 62,501 more.
		{"string of a list", `let pad = repeat(repeat("x", 14), 1000000); let y = repeat("y", 500000); string([y, y])`, 74},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules := "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{set: {out: !expr '" + tt.expr + "'}}]"
			_, _, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{"n": 1000000.0}`)}, rules, engine.Options{})
			want := fmt.Sprintf("test.yaml:6:5: rule R1: %s: evaluating %q: %s (line 1, column %d of the expression); fix the rule", oauthPath, tt.expr, budget, tt.col)
			if diff := cmp.Diff(want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if code := engine.CodeOf(err); code != engine.CodeRule {
				t.Errorf("error code %q, want %q", code, engine.CodeRule)
			}
		})
	}
}

// Within the budget, the same functions work as expr documents them.
func TestExpressionsWithinBudget(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`reduce(1..10, #acc + #acc, "a")`, `"` + strings.Repeat("a", 1024) + `"`},
		{`len(repeat("ab", 100000))`, `200000`},
		{`join(["a", "b", "c"], "-") + join(split("x,y", ","))`, `"a-b-cxy"`},
		{`replace("a.b.c", ".", "::")`, `"a::b::c"`},
		{`concat([1], [2, 3], 4..5)`, `[ 1, 2, 3, 4, 5 ]`},
		{`fromJSON(toJSON({a: [1, "<"]}))`, `{ "a" : [ 1, "<" ] }`},
		{`upper(trim(" x ")) + lower("Y") + string(1)`, `"Xy1"`},
		{`len(map(1..1000, #))`, `1000`},
		{`splitAfter("a,b", ",", 5)`, `[ "a,", "b" ]`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			rules := "\n  - id: R1\n    select: {service: OAuth2Provider}\n    do: [{set: {out: !expr '" + tt.expr + "'}}]"
			got, _, err := runRules(t, map[string]string{oauthPath: fbcDoc("OAuth2Provider", "default", "/", `{}`)}, rules, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(`{ "out" : `+tt.want+` }`, dataOf(t, got[oauthPath])); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}
