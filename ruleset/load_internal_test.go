package ruleset

import (
	"io/fs"

	"github.com/amupgrade/amupgrade/rules"
	"regexp"
	"testing"
)

// jsonNumber says what the regular expressions of JSON's grammar say.
func TestJSONNumber(t *testing.T) {
	jsonInt := regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	jsonFloat := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	for _, s := range []string{"", "-", "0", "-0", "00", "01", "10", "-12", "1.", ".5", "1.5", "-1.50", "0.0", "1e5", "1E+5", "1e-05",
		"1e", "1e+", "1.e5", "1.5e5", "0x10", "0o7", "1_000", "+1", "--1", "1.5.5", "1e5e5", ".inf", "-.inf", ".nan", "NaN", " 1", "1 ", "١"} {
		if got, want := jsonNumber(s, false), jsonInt.MatchString(s); got != want {
			t.Errorf("jsonNumber(%q, false) = %v, want %v", s, got, want)
		}
		if got, want := jsonNumber(s, true), jsonFloat.MatchString(s); got != want {
			t.Errorf("jsonNumber(%q, true) = %v, want %v", s, got, want)
		}
	}
}

// The comment at the top of a file is blanked out line by line, and nothing
// else: line numbers stay.
func TestBlankTopComment(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", ""},
		{"from: 7.0.0\n# x\n", "from: 7.0.0\n# x\n"},
		{"# a\n#\n\n  # b\r\nfrom: 7.0.0 # c\n# d\n", "\n\n\n\nfrom: 7.0.0 # c\n# d\n"},
		{"# only a comment", "# only a comment"},
		{"# a\n# b", "\n# b"},
		{"---\n# a\n", "---\n# a\n"},
	}
	for _, tt := range tests {
		if got := string(blankTopComment([]byte(tt.src))); got != tt.want {
			t.Errorf("blankTopComment(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
	_, err := Parse("t.yaml", []byte("# a\n# b\nfrom: 7.0.0\nto: 7.1.0\nmode: fbc\nrules:\n  - id: A\n    select: {service: S}\n    do: [{ad: {x: 1}}]\n"))
	if want := `t.yaml:9:11: unknown operation "ad" (did you mean "add"?)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// The bundled files stay far below MaxNodes, so that the limit never stands
// in the way of a real rule file.
func TestNodeCounts(t *testing.T) {
	names, err := fs.Glob(rules.FS, "*/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no bundled rule files: %v", err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(rules.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		l := &loader{path: name}
		l.file(src)
		if err := l.errs.Err(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %d nodes read", name, len(src), l.nodes)
		if l.nodes == 0 || l.nodes > MaxNodes/20 || len(src) > MaxFileSize/10 {
			t.Errorf("%s: %d bytes, %d nodes read: keep bundled files under a tenth of MaxFileSize (%d) and a twentieth of MaxNodes (%d), or raise them with new figures", name, len(src), l.nodes, MaxFileSize, MaxNodes)
		}
	}
}
