package amjson

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in      string
		want    Pointer
		wantErr string
	}{
		{in: "", want: Pointer{}},
		{in: "/", want: Pointer{""}},
		{in: "//", want: Pointer{"", ""}},
		{in: "/data/ou/0", want: Pointer{"data", "ou", "0"}},
		{in: "/a~1b", want: Pointer{"a/b"}},
		{in: "/m~0n", want: Pointer{"m~n"}},
		{in: "/~01", want: Pointer{"~1"}},
		{in: "/~10", want: Pointer{"/0"}},
		{in: "/ /é/\"", want: Pointer{" ", "é", `"`}},
		{in: "data", wantErr: `invalid JSON pointer "data": it must be empty (the whole document) or start with '/'`},
		{in: "#/data", wantErr: `invalid JSON pointer "#/data": it must be empty (the whole document) or start with '/'`},
		{in: "/a~", wantErr: `invalid JSON pointer "/a~": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key`},
		{in: "/a~2b", wantErr: `invalid JSON pointer "/a~2b": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key`},
		{in: "/ok/~", wantErr: `invalid JSON pointer "/ok/~": '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key`},
	}
	for _, tc := range tests {
		got, err := ParsePointer(tc.in)
		if tc.wantErr != "" {
			if diff := cmp.Diff(tc.wantErr, jsonErrText(err)); diff != "" {
				t.Errorf("ParsePointer(%q) error (-want +got):\n%s", tc.in, diff)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePointer(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePointer(%q) (-want +got):\n%s", tc.in, diff)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("ParsePointer(%q).String() = %q", tc.in, s)
		}
	}
}

func TestPointerString(t *testing.T) {
	tests := []struct {
		p    Pointer
		want string
	}{
		{nil, ""},
		{Pointer{}, ""},
		{Pointer{""}, "/"},
		{Pointer{"a/b", "m~n", "~1", "/0"}, "/a~1b/m~0n/~01/~10"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.p.String()); diff != "" {
			t.Errorf("%q.String() (-want +got):\n%s", []string(tc.p), diff)
		}
		back, err := ParsePointer(tc.want)
		if err != nil || len(back) != len(tc.p) {
			t.Errorf("ParsePointer(%q) = %q, %v", tc.want, back, err)
		}
	}
}

func TestPointerAt(t *testing.T) {
	// The example document of RFC 6901, section 5.
	doc := mustParseJSON(t, `{
		"foo": ["bar", "baz"],
		"": 0,
		"a/b": 1,
		"c%d": 2,
		"e^f": 3,
		"g|h": 4,
		"i\\j": 5,
		"k\"l": 6,
		" ": 7,
		"m~n": 8,
		"deep": {"list": [[10, 11], {"x": null}]}
	}`)
	tests := []struct {
		ptr  string
		want string // printed value, "" when At must return nil
	}{
		{"", "<doc>"},
		{"/foo", `[ "bar", "baz" ]`},
		{"/foo/0", `"bar"`},
		{"/foo/1", `"baz"`},
		{"/", "0"},
		{"/a~1b", "1"},
		{"/c%d", "2"},
		{"/e^f", "3"},
		{"/g|h", "4"},
		{`/i\j`, "5"},
		{`/k"l`, "6"},
		{"/ ", "7"},
		{"/m~0n", "8"},
		{"/deep/list/0/1", "11"},
		{"/deep/list/1/x", "null"},
		{"/foo/2", ""},
		{"/foo/-", ""},
		{"/foo/01", ""},
		{"/foo/+1", ""},
		{"/foo/-1", ""},
		{"/foo/", ""},
		{"/foo/1e0", ""},
		{"/foo/99999999999999999999999", ""},
		{"/foo/0/x", ""},
		{"/missing", ""},
		{"/missing/deeper", ""},
		{"/deep/list/1/x/y", ""},
		{"/a/b", ""},
	}
	for _, tc := range tests {
		p, err := ParsePointer(tc.ptr)
		if err != nil {
			t.Fatalf("ParsePointer(%q): %v", tc.ptr, err)
		}
		got := doc.At(p)
		var gotS string
		switch {
		case got == doc:
			gotS = "<doc>"
		case got != nil:
			out := AppendJSON(nil, got, PrintOptions{})
			gotS = string(out[:len(out)-1])
		}
		if diff := cmp.Diff(tc.want, gotS); diff != "" {
			t.Errorf("At(%q) (-want +got):\n%s", tc.ptr, diff)
		}
	}
	var nilV *Value
	if nilV.At(Pointer{"a"}) != nil || nilV.At(nil) != nil {
		t.Error("At on a nil *Value must be nil")
	}
}
