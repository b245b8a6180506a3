package amjson

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// jsonRealDir is the shared corpus of real AM trees, outside the repository.
var jsonRealDir = filepath.Join("..", "..", "shared", "testdata", "real")

func mustParseJSON(t testing.TB, s string) *Value {
	t.Helper()
	v, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return v
}

func jsonErrText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObj := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "line 1, column 1: file is empty: a configuration file holds one JSON object; restore it from a backup or the AM export, or delete it"},
		{"only whitespace", " \n\t ", "line 2, column 3: file is empty: a configuration file holds one JSON object; restore it from a backup or the AM export, or delete it"},
		{"only BOM", "\xEF\xBB\xBF", "line 1, column 1: file is empty: a configuration file holds one JSON object; restore it from a backup or the AM export, or delete it"},
		{"UTF-16", "\xFF\xFE{\x00}\x00", "line 1, column 1: file is UTF-16 encoded: save it as UTF-8"},
		{"trailing comma object", "{\n  \"a\" : 1,\n}", `line 2, column 10: unexpected ',' before '}': JSON does not allow a trailing comma; remove it`},
		{"trailing comma array", `[1, 2, ]`, `line 1, column 6: unexpected ',' before ']': JSON does not allow a trailing comma; remove it`},
		{"invalid escape", `{"a":"x\qy"}`, `line 1, column 8: invalid escape '\q' in string; write '\\' for a backslash`},
		{"invalid escape non-ASCII", `["\é"]`, `line 1, column 3: invalid escape '\é' in string; write '\\' for a backslash`},
		{"invalid escape control", "[\"\\\n\"]", `line 1, column 3: invalid escape in string: '\' followed by U+000A; write '\\' for a backslash`},
		{"bad unicode escape", `["\u12g4"]`, `line 1, column 3: invalid escape '\u' in string: \u must be followed by four hex digits`},
		{"short unicode escape", `["\u12"]`, `line 1, column 3: invalid escape '\u' in string: \u must be followed by four hex digits`},
		{"lone high surrogate", `["\uD800"]`, `line 1, column 3: invalid escape '\uD800' in string: a lone UTF-16 surrogate is not a character; pair it with a low surrogate \uDC00-\uDFFF, or write the character itself`},
		{"high surrogate then letter", `["\ud800\u0041"]`, `line 1, column 3: invalid escape '\ud800' in string: a lone UTF-16 surrogate is not a character; pair it with a low surrogate \uDC00-\uDFFF, or write the character itself`},
		{"lone low surrogate", `["ab\uDC00"]`, `line 1, column 5: invalid escape '\uDC00' in string: a lone UTF-16 surrogate is not a character; pair it with a low surrogate \uDC00-\uDFFF, or write the character itself`},
		{"invalid UTF-8 in string", "{\"a\" : \"x\xffy\"}", `line 1, column 10: invalid UTF-8 byte 0xff in string: the file must be UTF-8 encoded; convert it to UTF-8`},
		{"surrogate encoded in UTF-8", "[\"\xED\xA0\x80\"]", `line 1, column 3: invalid UTF-8 byte 0xed in string: the file must be UTF-8 encoded; convert it to UTF-8`},
		{"overlong UTF-8", "[\"\xC0\xAF\"]", `line 1, column 3: invalid UTF-8 byte 0xc0 in string: the file must be UTF-8 encoded; convert it to UTF-8`},
		{"invalid UTF-8 outside string", "[1, \xff]", `line 1, column 5: invalid UTF-8 byte 0xff: the file must be UTF-8 encoded; convert it to UTF-8`},
		{"column counts characters", "[\"héllo\", x]", `line 1, column 11: invalid value: expected true, false, null, a number, or text in double quotes`},
		{"BOM has no column", "\xEF\xBB\xBF[1,]", `line 1, column 3: unexpected ',' before ']': JSON does not allow a trailing comma; remove it`},
		{"truncated object", "{\n  \"a\" : {\n    \"b\" : 1", `line 3, column 12: unexpected end of file: the file is truncated or a '}' is missing`},
		{"truncated array", `{"a" : [1, 2`, `line 1, column 13: unexpected end of file: the file is truncated or a ']' is missing`},
		{"truncated after colon", `{"a" :`, `line 1, column 7: unexpected end of file: the file is truncated or a '}' is missing`},
		{"truncated after key", `{"a"`, `line 1, column 5: unexpected end of file: the file is truncated or a '}' is missing`},
		{"truncated after open", `{`, `line 1, column 2: unexpected end of file: the file is truncated or a '}' is missing`},
		{"truncated string", `{"a" : "abc`, `line 1, column 12: unexpected end of file in a string: the file is truncated or a closing '"' is missing`},
		{"truncated escape", `["abc\`, `line 1, column 7: unexpected end of file in a string: the file is truncated or a closing '"' is missing`},
		{"truncated unicode escape", `["\u00`, `line 1, column 7: unexpected end of file in a string: the file is truncated or a closing '"' is missing`},
		{"duplicate key", "{\n  \"a\" : 1,\n  \"x\" : 2,\n  \"x\" : 3\n}", `line 4, column 3: duplicate key "x" (first at line 3, column 3): remove one of them`},
		{"duplicate key by escape", `{"x" : 1, "\u0078" : 2}`, `line 1, column 11: duplicate key "x" (first at line 1, column 2): remove one of them`},
		{"duplicate key in big object", jsonBigObject(100, "k50"), `line 1, column 1182: duplicate key "k50" (first at line 1, column 582): remove one of them`},
		{"same key in nested objects is fine", `{"a" : {"a" : {"a" : 1}}, "b" : {"a" : 2}, "a" : 3}`, `line 1, column 44: duplicate key "a" (first at line 1, column 2): remove one of them`},
		{"deep arrays", deep, `line 1, column 513: nesting deeper than 512 levels: AM configuration nests a dozen levels at most, so the file is damaged or not configuration; restore it from a backup`},
		{"deep objects", deepObj, `line 1, column 2561: nesting deeper than 512 levels: AM configuration nests a dozen levels at most, so the file is damaged or not configuration; restore it from a backup`},
		{"after top-level value", `{"a" : 1} x`, `line 1, column 11: unexpected 'x' after the end of the JSON value: a file holds one value; remove what follows it`},
		{"two top-level values", "{ }\n{ }", `line 2, column 1: unexpected '{' after the end of the JSON value: a file holds one value; remove what follows it`},
		{"line comment", "{\n  // note\n  \"a\" : 1\n}", `line 2, column 3: unexpected '/': JSON does not allow comments; remove the comment`},
		{"block comment after value", `[1 /* x */]`, `line 1, column 4: unexpected '/': JSON does not allow comments; remove the comment`},
		{"single-quoted value", `{"a" : 'x'}`, `line 1, column 8: unexpected "'": JSON strings must be in double quotes`},
		{"single-quoted key", `{'a' : 1}`, `line 1, column 2: unexpected "'": JSON strings must be in double quotes`},
		{"unquoted key", `{a : 1}`, `line 1, column 2: unexpected 'a': object keys must be in double quotes`},
		{"bad key start", `{: 1}`, `line 1, column 2: unexpected ':': expected a key in double quotes or '}'`},
		{"bad key after comma", `{"a" : 1, ]`, `line 1, column 11: unexpected ']': expected a key in double quotes`},
		{"missing colon", `{"a" 1}`, `line 1, column 6: unexpected '1' after key "a": expected ':'`},
		{"equals for colon", `{"a" = 1}`, `line 1, column 6: unexpected '=' after key "a": expected ':'`},
		{"missing comma in object", "{\n  \"a\" : 1\n  \"b\" : 2\n}", `line 3, column 3: unexpected '"' after an object member: a ',' is probably missing`},
		{"missing comma in array", `[1 2]`, `line 1, column 4: unexpected '2' after an array element: a ',' is probably missing`},
		{"unescaped quote", `{"a" : "say "hi""}`, `line 1, column 14: unexpected 'h' right after a string: a '"' inside the string is probably not escaped; write it as \"`},
		{"mismatched bracket in object", "{\n  \"a\" : 1]", `line 2, column 10: unexpected ']' after an object member: expected ',' or '}' to close the '{' at line 1, column 1`},
		{"mismatched bracket in array", `{"a" : [1, 2}`, `line 1, column 13: unexpected '}' after an array element: expected ',' or ']' to close the '[' at line 1, column 8`},
		{"bad byte after member", `{"a" : 1;}`, `line 1, column 9: unexpected ';' after an object member: expected ',' or '}'`},
		{"double comma", `[1,,2]`, `line 1, column 4: unexpected ',': expected a value (object, array, string, number, true, false or null)`},
		{"missing value", `{"a" : }`, `line 1, column 8: unexpected '}': expected a value (object, array, string, number, true, false or null)`},
		{"NaN", `[NaN]`, `line 1, column 2: invalid value "NaN": JSON has no NaN or infinity; use null or a string`},
		{"Infinity", `[Infinity]`, `line 1, column 2: invalid value "Infinity": JSON has no NaN or infinity; use null or a string`},
		{"minus Infinity", `[-Infinity]`, `line 1, column 2: invalid number "-Infinity": JSON has no NaN or infinity; use null or a string`},
		{"capital True", `[True]`, `line 1, column 2: invalid value "True": JSON literals are lowercase; write true`},
		{"None", `[None]`, `line 1, column 2: invalid value "None": write null`},
		{"truncated literal", `[tru`, `line 1, column 2: invalid value: expected true, false, null, a number, or text in double quotes`},
		{"literal with tail", `[nullx]`, `line 1, column 2: invalid value: expected true, false, null, a number, or text in double quotes`},
		{"long word", "[" + strings.Repeat("a", 50) + "]", `line 1, column 2: invalid value: expected true, false, null, a number, or text in double quotes`},
		{"leading zero", `[0123]`, `line 1, column 2: invalid number: leading zeros are not allowed; remove them, or quote the value if it is text`},
		{"negative leading zero", `[-00]`, `line 1, column 2: invalid number: leading zeros are not allowed; remove them, or quote the value if it is text`},
		{"lone minus", `[-]`, `line 1, column 2: invalid number: a digit must follow '-'`},
		{"no fraction digits", `[1.]`, `line 1, column 2: invalid number: a digit must follow the decimal point`},
		{"no exponent digits", `[1e+]`, `line 1, column 2: invalid number: the exponent needs at least one digit`},
		{"hex", `[0x1F]`, `line 1, column 2: invalid number: JSON has no hexadecimal numbers; write it in decimal`},
		{"two points", `[1.5.3]`, `line 1, column 2: invalid number: not a JSON number; quote it if it is text`},
		{"leading plus", `[+1]`, `line 1, column 2: unexpected '+': a JSON number cannot start with '+'; remove it`},
		{"leading point", `[.5]`, `line 1, column 2: unexpected '.': a number must start with a digit; write 0.5, not .5`},
		{"line break in string", "{\"a\" : \"abc\n\"}", `line 1, column 12: line break in string: a string cannot span lines; write it as \n, or add the missing closing '"'`},
		{"tab in string", "[\"a\tb\"]", `line 1, column 4: tab character in string: write it as \t`},
		{"carriage return in string", "[\"a\rb\"]", `line 1, column 4: carriage return in string: write it as \r`},
		{"control char in string", "[\"a\x01b\"]", `line 1, column 4: control character U+0001 in string: write it as \u0001`},
		{"control char outside string", "[\x00]", `line 1, column 2: unexpected '\x00': expected a value (object, array, string, number, true, false or null)`},
		{"non-ASCII outside string", "[é]", `line 1, column 2: unexpected 'é': expected a value (object, array, string, number, true, false or null)`},
		{"BOM in the middle", "[1]\xEF\xBB\xBF", `line 1, column 4: unexpected '\ufeff' after the end of the JSON value: a file holds one value; remove what follows it`},
		{"CRLF lines", "{\r\n  \"a\" : 1,\r\n}", `line 2, column 10: unexpected ',' before '}': JSON does not allow a trailing comma; remove it`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %s, want error", AppendJSON(nil, v, PrintOptions{}))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("Parse error (-want +got):\n%s", diff)
			}
			// The streaming path must refuse the same input in the same words.
			for _, pretty := range []bool{false, true} {
				dst := []byte("keep")
				got, rerr := Reformat(dst, []byte(tc.in), PrintOptions{PrettyArrays: pretty})
				if diff := cmp.Diff(tc.want, jsonErrText(rerr)); diff != "" {
					t.Errorf("Reformat error (-want +got):\n%s", diff)
				}
				if string(got) != "keep" {
					t.Errorf("Reformat returned %q on error, want dst unchanged", got)
				}
			}
		})
	}
}

// jsonBigObject is {"k0" : 0, "k1" : 1, ...} with n members and dup appended
// as a last key, to exercise the indexed duplicate check.
func jsonBigObject(n int, dup string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `" : ` + strconv.Itoa(i))
	}
	if dup != "" {
		b.WriteString(`, "` + dup + `" : 0`)
	}
	b.WriteString("}")
	return b.String()
}

func TestSyntaxErrorFields(t *testing.T) {
	_, err := Parse([]byte("{\n  \"é\" : x\n}"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *SyntaxError", err)
	}
	want := &SyntaxError{Offset: 11, Line: 2, Column: 9, Msg: `invalid value: expected true, false, null, a number, or text in double quotes`}
	if diff := cmp.Diff(want, se); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{`""`, ""},
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d"`, `a"b\c/d`},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{`"\u0041\u00e9\u20AC"`, "Aé€"},
		{`"\u0000"`, "\x00"},
		{`"\uD83D\uDE00"`, "😀"},
		{`"\ud83d\ude00x"`, "😀x"},
		{`"raw é € 😀"`, "raw é € 😀"},
		{`"\uFFFF"`, "\uFFFF"},
		{"\"\xEF\xBF\xBD\"", "\uFFFD"},
		{`"<&>'="`, `<&>'=`},
		{"\xEF\xBB\xBF\"bom\"", "bom"},
	}
	for _, tc := range tests {
		v := mustParseJSON(t, tc.in)
		if diff := cmp.Diff(&Value{Kind: String, Text: tc.want}, v); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseNumbersKept(t *testing.T) {
	for _, num := range []string{
		"0", "-0", "-0.0", "1", "-1", "12345678901234567890123", "1e400", "-1E-400",
		"953.171875", "0.1", "1.0", "1e5", "1E+05", "2.50e-3", "9007199254740993",
	} {
		v := mustParseJSON(t, "[ "+num+" ]")
		want := NewArray(NewNumber(num))
		if diff := cmp.Diff(want, v); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", num, diff)
		}
		if got := string(AppendJSON(nil, v, PrintOptions{})); got != "[ "+num+" ]\n" {
			t.Errorf("AppendJSON(Parse(%s)) = %q", num, got)
		}
	}
}

func TestParseTree(t *testing.T) {
	got := mustParseJSON(t, "\xEF\xBB\xBF {\"b\":[true,false,null,{}],\r\n\t\"a\":{\"x\":\"y\"},\"c\":[]} ")
	want := &Value{Kind: Object, Members: []Member{
		{"b", NewArray(NewBool(true), NewBool(false), NewNull(), NewObject())},
		{"a", &Value{Kind: Object, Members: []Member{{"x", NewString("y")}}}},
		{"c", NewArray()},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestParseSlabs parses containers of every size at every place in a big
// file, where the slab estimates are far off.
func TestParseSlabs(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for _, n := range []int{0, 1, 2, 7, 100, 2047, 2048, 4097, 9000} {
		b.WriteString("[")
		b.WriteString(strings.Repeat("0,", n) + "1],{")
		for i := range n {
			b.WriteString(`"k` + strconv.Itoa(i) + `":0,`)
		}
		b.WriteString(`"end":1},`)
	}
	b.WriteString(`"` + strings.Repeat("x", 4<<20) + `"]`)
	in := b.String()
	v := mustParseJSON(t, in)
	for i, n := range []int{0, 1, 2, 7, 100, 2047, 2048, 4097, 9000} {
		if got := len(v.Items[2*i].Items); got != n+1 {
			t.Errorf("array %d has %d items, want %d", i, got, n+1)
		}
		if got := len(v.Items[2*i+1].Members); got != n+1 {
			t.Errorf("object %d has %d members, want %d", i, got, n+1)
		}
	}
	// Appending to one container must not write into its neighbour's memory.
	first := v.Items[2]
	first.Items = append(first.Items, NewNull())
	first.Set("x", nil)
	v.Items[3].Set("new", NewNull())
	if got, want := len(v.Items[4].Items), 3; got != want {
		t.Errorf("neighbour array has %d items, want %d", got, want)
	}
	if diff := cmp.Diff(NewNumber("0"), v.Items[5].Members[0].Value); diff != "" {
		t.Errorf("neighbour object changed (-want +got):\n%s", diff)
	}
	got, err := Reformat(nil, []byte(in), PrintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, AppendJSON(nil, mustParseJSON(t, in), PrintOptions{})) {
		t.Error("Reformat differs from AppendJSON(Parse())")
	}
}

func TestDeepNestingWithinLimit(t *testing.T) {
	in := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	v := mustParseJSON(t, in)
	want := strings.Repeat("[ ", MaxDepth-1) + "[ ]" + strings.Repeat(" ]", MaxDepth-1) + "\n"
	if diff := cmp.Diff(want, string(AppendJSON(nil, v, PrintOptions{}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, err := Reformat(nil, []byte(in), PrintOptions{})
	if err != nil || string(got) != want {
		t.Errorf("Reformat = %.40q, %v", got, err)
	}
}

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		inline, pret string
	}{
		{
			name:   "scalars",
			in:     `"x"`,
			inline: "\"x\"\n",
			pret:   "\"x\"\n",
		},
		{
			name:   "empty object",
			in:     `{}`,
			inline: "{ }\n",
			pret:   "{ }\n",
		},
		{
			name:   "empty top-level array",
			in:     `[]`,
			inline: "[ ]\n",
			pret:   "[\n  \n]\n",
		},
		{
			name: "object",
			in:   `{"data":{"ou":[],"list":["a","b"],"n":1.50,"t":true,"z":null,"e":{}}}`,
			inline: `{
  "data" : {
    "ou" : [ ],
    "list" : [ "a", "b" ],
    "n" : 1.50,
    "t" : true,
    "z" : null,
    "e" : { }
  }
}
`,
			pret: `{
  "data" : {
    "ou" : [
      
    ],
    "list" : [
      "a",
      "b"
    ],
    "n" : 1.50,
    "t" : true,
    "z" : null,
    "e" : { }
  }
}
`,
		},
		{
			// As Amster writes directoryServers: an inline array does not
			// raise the indentation of the objects in it.
			name: "objects in arrays",
			in:   `{"data":{"servers":[{"host":"a","port":1},{"host":"b"}],"nested":[[1,[]],[{}]]}}`,
			inline: `{
  "data" : {
    "servers" : [ {
      "host" : "a",
      "port" : 1
    }, {
      "host" : "b"
    } ],
    "nested" : [ [ 1, [ ] ], [ { } ] ]
  }
}
`,
			pret: `{
  "data" : {
    "servers" : [
      {
        "host" : "a",
        "port" : 1
      },
      {
        "host" : "b"
      }
    ],
    "nested" : [
      [
        1,
        [
          
        ]
      ],
      [
        { }
      ]
    ]
  }
}
`,
		},
		{
			name:   "top-level array of objects",
			in:     `[{"a":1},{"b":[]}]`,
			inline: "[ {\n  \"a\" : 1\n}, {\n  \"b\" : [ ]\n} ]\n",
			pret:   "[\n  {\n    \"a\" : 1\n  },\n  {\n    \"b\" : [\n      \n    ]\n  }\n]\n",
		},
		{
			name:   "escapes",
			in:     `["q\"b\\s/\b\f\n\r\t\u0000\u001f\u007f<>&'=é\u20ac\ud83d\ude00"]`,
			inline: "[ \"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u001F\u007f<>&'=é€😀\" ]\n",
			pret:   "[\n  \"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u001F\u007f<>&'=é€😀\"\n]\n",
		},
		{
			name:   "escaped key",
			in:     `{"a\u0022\n":1}`,
			inline: "{\n  \"a\\\"\\n\" : 1\n}\n",
			pret:   "{\n  \"a\\\"\\n\" : 1\n}\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustParseJSON(t, tc.in)
			for _, c := range []struct {
				opts PrintOptions
				want string
			}{{PrintOptions{}, tc.inline}, {PrintOptions{PrettyArrays: true}, tc.pret}} {
				got := string(AppendJSON(nil, v, c.opts))
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("AppendJSON(%+v) (-want +got):\n%s", c.opts, diff)
				}
				rf, err := Reformat(nil, []byte(tc.in), c.opts)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(c.want, string(rf)); diff != "" {
					t.Errorf("Reformat(%+v) (-want +got):\n%s", c.opts, diff)
				}
			}
		})
	}
}

func TestAppendJSONBuiltTrees(t *testing.T) {
	obj := NewObject()
	obj.Set("nil", nil)
	obj.Members = append(obj.Members, Member{Key: "raw nil", Value: nil})
	obj.Set("bad utf8", NewString("a\xffb"))
	obj.Set("arr", NewArray(nil, NewString("x")))
	got := string(AppendJSON([]byte("prefix:"), obj, PrintOptions{}))
	want := "prefix:{\n  \"nil\" : null,\n  \"raw nil\" : null,\n  \"bad utf8\" : \"a\uFFFDb\",\n  \"arr\" : [ null, \"x\" ]\n}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := string(AppendJSON(nil, nil, PrintOptions{})); got != "null\n" {
		t.Errorf("AppendJSON(nil) = %q", got)
	}
	deep := strings.Repeat(" ", 200)
	v := NewString("x")
	for range 100 {
		o := NewObject()
		o.Set("k", v)
		v = o
	}
	out := string(AppendJSON(nil, v, PrintOptions{}))
	if !strings.Contains(out, "\n"+deep+"\"k\" : \"x\"\n") {
		t.Errorf("indentation past the precomputed spaces is wrong")
	}
	if _, err := Parse([]byte(out)); err != nil {
		t.Error(err)
	}
}

func TestUTF8Len(t *testing.T) {
	// utf8Len must agree with the standard library on every short sequence.
	var buf [4]byte
	check := func(b []byte) {
		r, size := rune(0), 0
		if len(b) > 0 {
			r, size = utf8.DecodeRune(b)
		}
		want := size
		if r == 0xFFFD && size == 1 {
			want = 0
		}
		if got := utf8Len(b, 0); got != want {
			t.Fatalf("utf8Len(% x) = %d, want %d", b, got, want)
		}
		if got := utf8Len(string(b), 0); got != want {
			t.Fatalf("utf8Len(string % x) = %d, want %d", b, got, want)
		}
	}
	for a := 0; a < 256; a++ {
		buf[0] = byte(a)
		check(buf[:1])
		for b := 0; b < 256; b++ {
			buf[1] = byte(b)
			check(buf[:2])
			if a >= 0xE0 {
				for _, c := range []byte{0x00, 0x7F, 0x80, 0xBF, 0xC0} {
					buf[2] = c
					check(buf[:3])
					for _, d := range []byte{0x7F, 0x80, 0xBF, 0xC0} {
						buf[3] = d
						check(buf[:4])
					}
				}
			}
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
		{`{"a":1,"b":2}`, `{"a":1,"b":3}`, false},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":1,"b":2}`, `{"a":1,"c":2}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[1,2]`, `[1,2]`, true},
		{`[1]`, `[1,1]`, false},
		{`1.0`, `1`, true},
		{`1e2`, `100`, true},
		{`-0`, `0`, true},
		{`-0.0`, `0`, true},
		{`0.1`, `0.10`, true},
		{`1`, `2`, false},
		{`12345678901234567890123`, `12345678901234567890124`, false},
		{`12345678901234567890123`, `1.2345678901234567890123e22`, true},
		{`1e400`, `1e400`, true},
		{`1e400`, `1e401`, false},
		{`9007199254740993`, `9007199254740992`, false},
		{`"a"`, `"a"`, true},
		{`"\u0041"`, `"A"`, true},
		{`"a"`, `"b"`, false},
		{`"1"`, `1`, false},
		{`true`, `true`, true},
		{`true`, `false`, false},
		{`null`, `null`, true},
		{`null`, `false`, false},
		{`[]`, `{}`, false},
		{`{"x":[{"a":1,"b":[1.0]}]}`, `{"x":[{"b":[1],"a":1}]}`, true},
		{jsonBigObject(40, ""), jsonBigObject(40, ""), true},
	}
	for _, tc := range tests {
		a, b := mustParseJSON(t, tc.a), mustParseJSON(t, tc.b)
		if got := Equal(a, b); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Equal(b, a); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
	big1, big2 := mustParseJSON(t, jsonBigObject(40, "")), mustParseJSON(t, jsonBigObject(40, ""))
	big2.Members[7].Value = NewNumber("8")
	if Equal(big1, big2) {
		t.Error("Equal ignored a changed member of a big object")
	}
	if !Equal(nil, NewNull()) || !Equal(nil, nil) || Equal(nil, NewBool(false)) {
		t.Error("a nil *Value must equal null and nothing else")
	}
	if Equal(NewNumber("abc"), NewNumber("abd")) {
		t.Error("unparsable number texts that differ must not be equal")
	}
}

func TestObjectMethods(t *testing.T) {
	v := mustParseJSON(t, `{"a":1,"b":2,"c":3}`)
	if got := v.Get("b"); got == nil || got.Text != "2" {
		t.Errorf("Get(b) = %v", got)
	}
	if got := v.Get("z"); got != nil {
		t.Errorf("Get(z) = %v, want nil", got)
	}
	if i, ok := v.Lookup("c"); i != 2 || !ok {
		t.Errorf("Lookup(c) = %d, %v", i, ok)
	}
	if i, ok := v.Lookup("z"); i != -1 || ok {
		t.Errorf("Lookup(z) = %d, %v", i, ok)
	}
	v.Set("b", NewString("two"))
	v.Set("d", NewBool(true))
	if !v.Delete("a") || v.Delete("a") {
		t.Error("Delete(a) must succeed once")
	}
	want := "{\n  \"b\" : \"two\",\n  \"c\" : 3,\n  \"d\" : true\n}\n"
	if diff := cmp.Diff(want, string(AppendJSON(nil, v, PrintOptions{}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	var nilV *Value
	arr := NewArray(NewString("x"))
	for _, notObj := range []*Value{nilV, arr, NewString("s")} {
		if notObj.Get("x") != nil || notObj.Delete("x") {
			t.Errorf("Get/Delete on %v must find nothing", notObj)
		}
		if _, ok := notObj.Lookup("x"); ok {
			t.Errorf("Lookup on %v must find nothing", notObj)
		}
		notObj.Set("x", NewNull()) // must not panic
	}
	if len(arr.Items) != 1 || arr.Members != nil {
		t.Errorf("Set changed an array: %+v", arr)
	}
}

func TestClone(t *testing.T) {
	v := mustParseJSON(t, `{"a":[1,{"b":"c"}],"d":{},"e":[]}`)
	c := v.Clone()
	if diff := cmp.Diff(v, c); diff != "" {
		t.Fatalf("Clone differs (-orig +clone):\n%s", diff)
	}
	c.Get("a").Items[1].Set("b", NewString("changed"))
	c.Get("a").Items[0].Text = "2"
	c.Set("new", NewNull())
	if got := string(AppendJSON(nil, v, PrintOptions{})); strings.Contains(got, "changed") || strings.Contains(got, "new") || strings.Contains(got, "2") {
		t.Errorf("editing the clone changed the original:\n%s", got)
	}
	if nilV := (*Value)(nil); nilV.Clone() != nil {
		t.Error("Clone(nil) must be nil")
	}
}

func TestInterface(t *testing.T) {
	v := mustParseJSON(t, `{"s":"x","i":42,"neg":-7,"big":12345678901234567890123,"f":1.5,"e":1e3,"z":-0,"b":true,"n":null,"a":[1,"y"],"o":{}}`)
	want := map[string]any{
		"s": "x", "i": int64(42), "neg": int64(-7), "big": 12345678901234567890123.0,
		"f": 1.5, "e": 1000.0, "z": int64(0), "b": true, "n": nil,
		"a": []any{int64(1), "y"}, "o": map[string]any{},
	}
	if diff := cmp.Diff(want, v.Interface()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := (*Value)(nil).Interface(); got != nil {
		t.Errorf("nil.Interface() = %v", got)
	}
}

func TestFromInterface(t *testing.T) {
	shared := mustParseJSON(t, `{"k":[1]}`)
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{true, "true"},
		{"s\"", `"s\""`},
		{10, "10"},
		{int8(-8), "-8"},
		{int16(16), "16"},
		{int32(-32), "-32"},
		{int64(-1 << 63), "-9223372036854775808"},
		{uint(7), "7"},
		{uint8(8), "8"},
		{uint16(16), "16"},
		{uint32(32), "32"},
		{uint64(1<<64 - 1), "18446744073709551615"},
		{uintptr(3), "3"},
		{1.5, "1.5"},
		{3.0, "3"},
		{math.Copysign(0, -1), "-0"},
		{1e6, "1000000"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1e-7, "1e-07"},
		{0.000001, "0.000001"},
		{float32(1.1), "1.1"},
		{[]string{"a", "b"}, `[ "a", "b" ]`},
		{[]string{}, `[ ]`},
		{[]any{1, "x", nil, []any{}}, `[ 1, "x", null, [ ] ]`},
		{map[string]any{"b": 1, "a": map[string]any{"z": false, "y": []string{"q"}}}, "{\n  \"a\" : {\n    \"y\" : [ \"q\" ],\n    \"z\" : false\n  },\n  \"b\" : 1\n}"},
		{shared, "{\n  \"k\" : [ 1 ]\n}"},
		{(*Value)(nil), "null"},
	}
	for _, tc := range tests {
		v, err := FromInterface(tc.in)
		if err != nil {
			t.Errorf("FromInterface(%#v): %v", tc.in, err)
			continue
		}
		got := strings.TrimSuffix(string(AppendJSON(nil, v, PrintOptions{})), "\n")
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("FromInterface(%#v) (-want +got):\n%s", tc.in, diff)
		}
	}
	v, _ := FromInterface(shared)
	v.Get("k").Items[0].Text = "2"
	if shared.Get("k").Items[0].Text != "1" {
		t.Error("FromInterface(*Value) must clone")
	}

	errTests := []struct {
		in   any
		want string
	}{
		{struct{}{}, "cannot convert a value of Go type struct {} to JSON"},
		{[]int{1}, "cannot convert a value of Go type []int to JSON"},
		{map[string]int{}, "cannot convert a value of Go type map[string]int to JSON"},
		{[]any{1, complex(1, 2)}, "element 1: cannot convert a value of Go type complex128 to JSON"},
		{map[string]any{"k": []any{jsonNaN()}}, `key "k": element 0: cannot convert float64 NaN to JSON: JSON has no NaN or infinity; use null or a string`},
		{float32(jsonInf()), "cannot convert float32 +Inf to JSON: JSON has no NaN or infinity; use null or a string"},
	}
	for _, tc := range errTests {
		_, err := FromInterface(tc.in)
		if diff := cmp.Diff(tc.want, jsonErrText(err)); diff != "" {
			t.Errorf("FromInterface(%#v) error (-want +got):\n%s", tc.in, diff)
		}
	}
}

func jsonNaN() float64 { z := 0.0; return z / z }
func jsonInf() float64 { z := 0.0; return 1 / z }

func TestInterfaceRoundTrip(t *testing.T) {
	in := mustParseJSON(t, `{"b":[1,2.5,"x",null,true,{"c":{}}],"a":"y"}`)
	out, err := FromInterface(in.Interface())
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(in, out) {
		t.Errorf("FromInterface(Interface()) = %s", AppendJSON(nil, out, PrintOptions{}))
	}
}

// ---- Real trees ----

// jsonKeyColon finds a member written as `"key": value`, which marks a file
// written by another tool than AM or the vendor upgrader (sorted keys,
// Python or jq output).
var jsonKeyColon = regexp.MustCompile(`(?m)^\s*"(?:[^"\\]|\\.)*": `)

type jsonRealTree struct {
	dir    string
	pretty bool
	// addNewline: Amster (and the forgeops 7.0.0 tooling, for most files)
	// writes no final newline; AppendJSON always does, so a file without
	// one is compared with a newline added.
	addNewline bool
}

// jsonHandFormatted lists real files that no printer wrote as they stand: a
// person edited them and left their own spacing.
var jsonHandFormatted = map[string]string{
	"fbc-7.0.0-forgeops-cdk/services/realm/root/patchobjectnode/1.0/organizationconfig/default/3990ce1f-cce6-435b-ae1c-f138e89411c1.json":             `["userName"] without Jackson's spaces`,
	"fbc-7.0.0-forgeops-cdk/services/realm/root/scriptingservice/1.0/globalconfig/default/authentication_tree_decision_node/engineconfiguration.json": "a space after the final '}'",
	"fbc-7.0.0-forgeops-cdk/services/realm/root/scriptingservice/1.0/globalconfig/default/oidc_claims/engineconfiguration.json":                       "inline and one-per-line arrays mixed",
}

var jsonRealTrees = []jsonRealTree{
	{dir: "fbc-8.0-darkedges-amupgraded", pretty: true},
	{dir: "fbc-7.5.0-darkedges"},
	{dir: "fbc-7.2-forgeops-cdk", pretty: true},
	{dir: "fbc-7.0.0-forgeops-cdk", addNewline: true},
	{dir: "amster-8.0.2-manoharreddy", addNewline: true},
	{dir: "amster-6.5.1-forgeops-cdm", addNewline: true},
}

// jsonRealFiles returns the .json files of one tree, relative to jsonRealDir.
func jsonRealFiles(t testing.TB, dir string) []string {
	t.Helper()
	root := filepath.Join(jsonRealDir, dir)
	if _, err := os.Stat(root); err != nil {
		t.Skipf("real AM tree %s not found (%v): the shared corpus is not checked out next to the repository", root, err)
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .json files in %s", root)
	}
	return files
}

// TestRealTreesRoundTrip checks the printer against files AM, Amster and
// the vendor tool wrote: parsing and printing must give the file back byte
// for byte, except for files written by some other tool. A tree's files
// are expected in its tool's layout; a file in the other layout (a file the
// vendor tool copied untouched, or a forgeops tree whose files were
// rewritten with pretty arrays) counts as a match in that layout and is
// listed.
func TestRealTreesRoundTrip(t *testing.T) {
	for _, tree := range jsonRealTrees {
		t.Run(tree.dir, func(t *testing.T) {
			var matched, other, skipped, mismatched int
			for _, path := range jsonRealFiles(t, tree.dir) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				want := data
				if tree.addNewline && !bytes.HasSuffix(data, []byte("\n")) {
					want = append(bytes.Clone(data), '\n')
				}
				rel, _ := filepath.Rel(jsonRealDir, path)
				if why, ok := jsonHandFormatted[filepath.ToSlash(rel)]; ok {
					t.Logf("%s: skipped, hand-formatted: %s", rel, why)
					skipped++
					continue
				}
				if jsonKeyColon.Match(data) || !bytes.HasSuffix(want, []byte("\n")) {
					skipped++
					continue
				}
				v, err := Parse(data)
				if err != nil {
					t.Errorf("%s: %v", path, err)
					mismatched++
					continue
				}
				got := AppendJSON(nil, v, PrintOptions{PrettyArrays: tree.pretty})
				if bytes.Equal(got, want) {
					matched++
					continue
				}
				if bytes.Equal(AppendJSON(nil, v, PrintOptions{PrettyArrays: !tree.pretty}), want) {
					other++
					t.Logf("%s: in the other array layout (PrettyArrays: %v)", rel, !tree.pretty)
					continue
				}
				mismatched++
				t.Errorf("%s: printed file differs from the original:\n%s", path, jsonFirstDiff(want, got))
			}
			t.Logf("%s (PrettyArrays: %v): %d matched, %d matched in the other array layout, %d skipped (other style or hand-formatted), %d mismatched",
				tree.dir, tree.pretty, matched, other, skipped, mismatched)
		})
	}
}

// TestRealTreesReformat proves the streaming path writes exactly what
// Parse + AppendJSON write, on every real file, in both layouts.
func TestRealTreesReformat(t *testing.T) {
	for _, tree := range jsonRealTrees {
		t.Run(tree.dir, func(t *testing.T) {
			n := 0
			var buf []byte
			for _, path := range jsonRealFiles(t, tree.dir) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				v, err := Parse(data)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, opts := range []PrintOptions{{}, {PrettyArrays: true}} {
					want := AppendJSON(nil, v, opts)
					buf, err = Reformat(buf[:0], data, opts)
					if err != nil {
						t.Fatalf("%s: Reformat: %v", path, err)
					}
					if !bytes.Equal(buf, want) {
						t.Errorf("%s %+v: Reformat differs from AppendJSON(Parse()):\n%s", path, opts, jsonFirstDiff(want, buf))
					}
				}
				n++
			}
			t.Logf("%s: Reformat == AppendJSON(Parse()) on %d files", tree.dir, n)
		})
	}
}

// jsonFirstDiff shows the first differing line, which is all one needs to
// find a printer bug.
func jsonFirstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + jsonShortQuote(w) + "\n  got  " + jsonShortQuote(g)
		}
	}
	return "(same lines)"
}

func jsonShortQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}
