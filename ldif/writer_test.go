package ldif

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriter(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("abcdefghij", 10)
	e := &Entry{DNText: "ou=default,ou=GlobalConfig,ou=1.0,ou=ScriptingService,ou=services,ou=am-config", Attrs: []Attr{
		{Name: "objectClass", Value: []byte("top")},
		{Name: "sunKeyValue", Value: []byte("script=var a;\nreturn a;")},
		{Name: "sunKeyValue", Value: []byte("name=" + long)},
		{Name: "sunKeyValue", Value: []byte("empty=")},
		{Name: "description", Value: []byte(" leading space")},
		{Name: "ou", Value: []byte("é")},
		{Name: "userCertificate", Options: "binary", Value: []byte{0, 1, 2}},
	}}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Version()
	w.Comment("generated")
	w.WriteEntry(e)
	w.WriteEntry(&Entry{DN: DN{{{"ou", "a,b"}}}})
	w.Flush()
	want := "version: 1\n" +
		"\n" +
		"# generated\n" +
		"dn: ou=default,ou=GlobalConfig,ou=1.0,ou=ScriptingService,ou=services,ou=am-\n" +
		" config\n" +
		"objectClass: top\n" +
		"sunKeyValue:: c2NyaXB0PXZhciBhOwpyZXR1cm4gYTs=\n" +
		"sunKeyValue: name=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefgh\n" +
		" ijabcdefghijabcdefghijabcdefghijabcdefghij\n" +
		"sunKeyValue: empty=\n" +
		"description:: IGxlYWRpbmcgc3BhY2U=\n" +
		"ou:: w6k=\n" +
		"userCertificate;binary:: AAEC\n" +
		"\n" +
		"dn: ou=a\\,b\n"
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	r, _ := NewReader(&buf, "w.ldif", nil)
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got.DNText != e.DNText || len(got.Attrs) != len(e.Attrs) {
		t.Fatalf("read back %+v", got)
	}
	for i := range e.Attrs {
		if !bytes.Equal(got.Attrs[i].Value, e.Attrs[i].Value) || got.Attrs[i].Name != e.Attrs[i].Name || got.Attrs[i].Options != e.Attrs[i].Options {
			t.Errorf("attr %d: %+v, want %+v", i, got.Attrs[i], e.Attrs[i])
		}
	}
	if got, err := r.Next(); err != nil || got.DN[0][0].Value != "a,b" {
		t.Errorf("second entry %+v, %v", got, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("err = %v, want EOF", err)
	}
}

func TestSafe(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"": true, "abc": true, "a b": true, "a:b": true, "a<b": true,
		" a": false, ":a": false, "<a": false, "a ": false, "a\nb": false, "a\rb": false, "a\x00b": false, "é": false,
	} {
		if got := Safe([]byte(v)); got != want {
			t.Errorf("Safe(%q) = %v, want %v", v, got, want)
		}
	}
}
