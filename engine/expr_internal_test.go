package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Only calls of contains and matches are renamed: not the operators, not
// the text of a string, not a member.
func TestRenameCalls(t *testing.T) {
	tests := []struct{ src, want string }{
		{`contains("l", "x")`, `containz("l", "x")`},
		{`has("a") && matches("s", "a.*") || !contains("l", 1)`, `has("a") && matchez("s", "a.*") || !containz("l", 1)`},
		{`value("a") == "contains(b)"`, `value("a") == "contains(b)"`},
		{`value("a") == 'matches(' + "x"`, `value("a") == 'matches(' + "x"`},
		{"value(`contains(`) == 1", "value(`contains(`) == 1"},
		{`value("a") contains ("b")`, `value("a") contains ("b")`},
		{`value("a") contains("b")`, `value("a") contains("b")`},
		{`value("a") not contains("b")`, `value("a") not contains("b")`},
		{`not contains("l", "b")`, `not containz("l", "b")`},
		{`all(keys("/"), {# matches("x.*")})`, `all(keys("/"), {# matches("x.*")})`},
		{`all(keys("/"), {contains(#, "x")})`, `all(keys("/"), {containz(#, "x")})`},
		{`[contains("a", 1), matches("b", "c")]`, `[containz("a", 1), matchez("b", "c")]`},
		{`x ? contains("a", 1) : false`, `x ? containz("a", 1) : false`},
		{`"é" + "ü" == value("ç") && contains("ä", "ö")`, `"é" + "ü" == value("ç") && containz("ä", "ö")`},
		{`contains(`, `containz(`},
		{`"not closed contains(`, `"not closed contains(`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, renameCalls(tt.src)); diff != "" {
			t.Errorf("renameCalls(%s) (-want +got):\n%s", tt.src, diff)
		}
	}
}
