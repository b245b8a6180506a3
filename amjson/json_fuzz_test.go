package amjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// jsonFuzzSeedFiles are real files that cover the layouts: objects inside
// inline arrays, empty arrays written one-per-line, long escaped scripts.
var jsonFuzzSeedFiles = []string{
	"amster-6.5.1-forgeops-cdm/global/Servers/01/DirectoryConfiguration.json",
	"fbc-8.0-darkedges-amupgraded/services/global/realms/root-alpha.json",
	"fbc-7.5.0-darkedges/services/realm/root/scriptingservice/1.0/globalconfig/default/globalscripts/36863ffb-40ec-48b9-94b1-9a99f71cc3b5.json",
}

var jsonFuzzSeedSnippets = []string{
	``, ` `, `{}`, `[]`, `null`, `true`, `false`, `0`, `-0.0`, `1e400`, `12345678901234567890123`,
	`""`, `"\u0000\u001f\"\\\/\b\f\n\r\t"`, `"\uD83D\uDE00"`, `"\uD800"`, `"\uDC00\uD800"`,
	"\"\xff\"", "\xEF\xBB\xBF{}", "\xEF\xBB\xBF", `{"a":1,"a":2}`, `{"a":1,}`, `[1,]`, `[,]`,
	`{"a":[{"b":[]},{"c":{}}],"d":[[1,[2]],[]]}`, `[{"a":1},{"b":[{"c":2}]}]`,
	`{"x\u0078":1,"xx":2}`, `01`, `1.`, `.5`, `-`, `+1`, `NaN`, `tru`, `nul`, `[1 2]`,
	`{"a" 1}`, `// c` + "\n{}", `{'a':1}`, "[\"a\nb\"]", `{"a":1}}`, `[[[[[[[[[[`, `"<&>'="`,
}

func FuzzParse(f *testing.F) {
	for _, s := range jsonFuzzSeedSnippets {
		f.Add([]byte(s))
	}
	for _, name := range jsonFuzzSeedFiles {
		if data, err := os.ReadFile(filepath.Join(jsonRealDir, filepath.FromSlash(name))); err == nil {
			f.Add(data)
		}
	}
	both := []PrintOptions{{}, {PrettyArrays: true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error %T is not a *SyntaxError: %v", err, err)
			}
			if se.Offset < 0 || se.Offset > len(data) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("bad error position %+v", se)
			}
			for _, opts := range both {
				_, rerr := Reformat(nil, data, opts)
				if jsonErrText(rerr) != err.Error() {
					t.Fatalf("Reformat error %q, Parse error %q", jsonErrText(rerr), err)
				}
			}
			return
		}
		// What Parse accepts, the standard library must accept too (it is
		// laxer: it allows invalid UTF-8, lone surrogates and duplicates,
		// but not a byte order mark).
		if !json.Valid(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))) {
			t.Fatalf("Parse accepted %q, which encoding/json rejects", data)
		}
		for _, opts := range both {
			printed := AppendJSON(nil, v, opts)
			re, rerr := Reformat(nil, data, opts)
			if rerr != nil {
				t.Fatalf("Reformat failed where Parse succeeded: %v", rerr)
			}
			if !bytes.Equal(re, printed) {
				t.Fatalf("Reformat(%+v) = %q, AppendJSON(Parse()) = %q", opts, re, printed)
			}
			v2, err := Parse(printed)
			if err != nil {
				t.Fatalf("cannot parse printed %q: %v", printed, err)
			}
			if !Equal(v, v2) {
				t.Fatalf("printing changed the data: %q", printed)
			}
			if again := AppendJSON(nil, v2, opts); !bytes.Equal(again, printed) {
				t.Fatalf("printing is not idempotent:\n%q\n%q", printed, again)
			}
			if !Equal(v, v.Clone()) {
				t.Fatalf("Clone changed the data")
			}
		}
	})
}

func FuzzPointer(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a/b", "/a~0b~1c", "/~01", "a", "/~", "/~2", "/é/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePointer(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("ParsePointer(%q).String() = %q", s, got)
		}
		p2, err := ParsePointer(p.String())
		if err != nil || len(p2) != len(p) {
			t.Fatalf("reparse of %q: %q, %v", s, p2, err)
		}
		for i := range p {
			if p[i] != p2[i] {
				t.Fatalf("reparse of %q: %q", s, p2)
			}
		}
	})
}
