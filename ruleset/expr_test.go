package ruleset_test

import (
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
