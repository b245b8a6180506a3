package ldif

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// realLDIFDir holds real configuration-store LDIF, outside the repository.
var realLDIFDir = filepath.Join("..", "..", "shared", "testdata", "ldif")

// flat is an entry as the tests compare it.
type flat struct {
	DN    string
	Line  int
	Attrs []string // "name[;opts]=value@line"
}

func readAll(t *testing.T, src string) ([]flat, []string) {
	t.Helper()
	r, err := NewReader(strings.NewReader(src), "t.ldif", nil)
	if err != nil {
		t.Fatal(err)
	}
	return drain(r)
}

func drain(r *Reader) ([]flat, []string) {
	var out []flat
	var errs []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, errs
		}
		if err != nil {
			errs = append(errs, err.Error())
			if err == r.fatal {
				return out, errs
			}
			continue
		}
		f := flat{DN: e.DN.String(), Line: e.Line}
		for _, a := range e.Attrs {
			n := a.Name
			if a.Options != "" {
				n += ";" + a.Options
			}
			f.Attrs = append(f.Attrs, n+"="+string(a.Value)+"@"+strconv.Itoa(a.Line))
		}
		out = append(out, f)
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []flat
		errs []string
	}{
		{
			name: "folding, base64, comments, version, case, options",
			src: "version: 1\n" +
				"# a comment that is\n  folded\n" +
				"\n" +
				"dn: ou=default,ou=OrganizationConfig,ou=1.0,ou=Svc,ou=serv\n ices,ou=am-config\n" +
				"objectclass: top\n" +
				"objectClass: sunServiceComponent\n" +
				"sunKeyValue: description=The built-in URL Resource Type available to OpenAM\n  Policies.\n" +
				"sunKeyValue:: c2NyaXB0PXZhciBhID0gMTsKcmV0dXJuIGE7\n" +
				"userCertificate;binary:: AAEC\n" +
				"# inside an entry\n" +
				"sunKeyValue: empty=\n" +
				"sunKeyValue:\n" +
				"\n\n" +
				"dn:: b3U9w6ksb3U9YW0tY29uZmln\n" +
				"ou: é\n",
			want: []flat{
				{DN: "ou=default,ou=OrganizationConfig,ou=1.0,ou=Svc,ou=services,ou=am-config", Line: 5, Attrs: []string{
					"objectclass=top@7",
					"objectClass=sunServiceComponent@8",
					"sunKeyValue=description=The built-in URL Resource Type available to OpenAM Policies.@9",
					"sunKeyValue=script=var a = 1;\nreturn a;@11",
					"userCertificate;binary=\x00\x01\x02@12",
					"sunKeyValue=empty=@14",
					"sunKeyValue=@15",
				}},
				{DN: "ou=é,ou=am-config", Line: 18, Attrs: []string{"ou=é@19"}},
			},
		},
		{
			name: "CRLF line ends, a byte order mark, no final newline",
			src:  "\xEF\xBB\xBFdn: ou=a\r\nou: a\r\n sb\r\n\r\ndn: ou=b\r\nou: b",
			want: []flat{
				{DN: "ou=a", Line: 1, Attrs: []string{"ou=asb@2"}},
				{DN: "ou=b", Line: 5, Attrs: []string{"ou=b@6"}},
			},
		},
		{
			name: "leading blank lines and a version line followed directly by an entry",
			src:  "\n\nversion: 1\ndn: ou=a\nou: a\n",
			want: []flat{{DN: "ou=a", Line: 4, Attrs: []string{"ou=a@5"}}},
		},
		{
			name: "missing dn, then the reader goes on with the next entry",
			src:  "objectclass: top\nou: x\n\ndn: ou=b\nou: b\n",
			want: []flat{{DN: "ou=b", Line: 4, Attrs: []string{"ou=b@5"}}},
			errs: []string{`t.ldif:1:1: an entry must start with a "dn:" line, but this one starts with "objectclass"; add the entry's dn: line, or a blank line if this line belongs to the entry above`},
		},
		{
			name: "broken folding: a continuation line without its space",
			src:  "dn: ou=a,ou=am-con\nfig\nou: a\n",
			errs: []string{`t.ldif:2:1: "fig" is not an attribute line (type: value); a line continuing the one above must start with exactly one space, and entries are separated by one blank line`},
		},
		{
			name: "broken folding: a continuation line after a blank line",
			src:  "dn: ou=a\nou: a\n\n continued\n",
			want: []flat{{DN: "ou=a", Line: 1, Attrs: []string{"ou=a@2"}}},
			errs: []string{"t.ldif:4:1: a line starting with a space continues the line before it, but a blank line comes before it; remove the blank line or the leading space"},
		},
		{
			name: "invalid base64 points at the character, across a fold",
			src:  "dn: ou=a\nsunKeyValue:: c2NyaXB0PXZh\n ci!hID0g\n",
			errs: []string{`t.ldif:3:4: the value after "::" is not valid base64; the file was damaged (check the line folding: continuation lines start with exactly one space), or the value was meant as text after a single ':'`},
		},
		{
			name: "a URL value is refused",
			src:  "dn: ou=a\njpegPhoto:< file:///etc/passwd\n",
			errs: []string{`t.ldif:2:11: values given by URL (":<") are not read, so that a file cannot make the tool read other files; put the value itself into the LDIF (base64 after "::")`},
		},
		{
			name: "a change record is refused",
			src:  "dn: ou=a\nchangetype: modify\nreplace: ou\nou: b\n-\n",
			errs: []string{"t.ldif:2:1: a change record (changetype:) is not an export of entries; export the configuration store with export-ldif"},
		},
		{
			name: "two dn lines without a blank line between them",
			src:  "dn: ou=a\nou: a\ndn: ou=b\nou: b\n",
			errs: []string{"t.ldif:3:1: a second dn: line inside the entry of line 1; separate entries with a blank line"},
		},
		{
			name: "a DN that does not parse",
			src:  "dn: ou=a,services\nou: a\n\ndn: ou=b\n",
			want: []flat{{DN: "ou=b", Line: 4}},
			errs: []string{`t.ldif:1:10: the DN "ou=a,services" does not parse: "services" has no '=': each RDN is type=value`},
		},
		{
			name: "an unknown LDIF version",
			src:  "version: 2\ndn: ou=a\n",
			errs: []string{`t.ldif:1:10: LDIF version "2": only version 1 exists`},
		},
		{
			name: "a bad attribute type",
			src:  "dn: ou=a\nsun Key: x\n",
			errs: []string{`t.ldif:2:1: "sun Key" is not an attribute type (letters, digits and '-', options after ';'); a line continuing the one above must start with exactly one space`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := readAll(t, tt.src)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.errs, errs); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestReaderGzip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, "dn: ou=a\nou: a\n")
	zw.Close()
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "t.ldif.gz", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, errs := drain(r)
	want := []flat{{DN: "ou=a", Line: 1, Attrs: []string{"ou=a@2"}}}
	if d := cmp.Diff(want, got); d != "" || errs != nil {
		t.Errorf("(-want +got):\n%s%v", d, errs)
	}

	// Cut short: the entries before the cut are read, then the error.
	cut := buf.Bytes()[:buf.Len()-6]
	r, err = NewReader(bytes.NewReader(cut), "cut.ldif.gz", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, errs = drain(r)
	if len(errs) != 1 || !strings.Contains(errs[0], "cut.ldif.gz:") || !strings.Contains(errs[0], "gzip stream is corrupt or cut short") {
		t.Errorf("errors %q, want one naming the corrupt gzip stream", errs)
	}

	// The magic bytes, then garbage.
	if _, err := NewReader(strings.NewReader("\x1f\x8bnot gzip"), "bad.gz", nil); err == nil || !strings.Contains(err.Error(), "bad.gz: the file starts like gzip") {
		t.Errorf("err = %v", err)
	}
}

func TestReaderLimits(t *testing.T) {
	t.Parallel()
	opts := &Options{MaxLine: 1 << 20, MaxEntry: 1 << 20}
	long := "dn: ou=a\ndescription: " + strings.Repeat("x", 2<<20) + "\n"
	r, _ := NewReader(strings.NewReader(long), "long.ldif", opts)
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "long.ldif:2: a line longer than 1 MiB") {
		t.Errorf("err = %v", err)
	}
	folded := "dn: ou=a\ndescription: " + strings.Repeat("x\n x", 600<<10) + "\n"
	r, _ = NewReader(strings.NewReader(folded), "folded.ldif", opts)
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "folded.ldif:2: a value longer than 1 MiB") {
		t.Errorf("err = %v", err)
	}
	many := "dn: ou=a\n" + strings.Repeat("description: "+strings.Repeat("y", 1000)+"\n", 1100)
	r, _ = NewReader(strings.NewReader(many), "many.ldif", opts)
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "many.ldif:1: the entry is larger than 1 MiB") {
		t.Errorf("err = %v", err)
	}
}

func TestReaderErrorType(t *testing.T) {
	t.Parallel()
	r, _ := NewReader(strings.NewReader("ou: a\n"), "x.ldif", nil)
	_, err := r.Next()
	var le *Error
	if !errors.As(err, &le) || le.File != "x.ldif" || le.Line != 1 {
		t.Errorf("err = %#v", err)
	}
}

// TestRealLDIF reads the real configuration-store exports: every entry
// parses, with the counts of their SOURCES.md, and the quirks come out as
// values (folding in the middle of a word, mixed-case types).
func TestRealLDIF(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(realLDIFDir, "forgeops-am-config-policystore")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real LDIF not available (%v): the shared test data lives beside the repository", err)
	}
	want := map[string]int{
		"external-am-datastore.ldif":                       65,
		"external-am-datastore.2020-04-02.ldif":            24,
		"sunamhiddenrealmdelegationservicepermission.ldif": 37,
		"alpha_bravo.ldif":                                 44,
	}
	for name, n := range want {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := NewReader(f, name, nil)
		got, errs := drain(r)
		f.Close()
		if len(got) != n || errs != nil {
			t.Errorf("%s: %d entries, errors %q; want %d entries", name, len(got), errs, n)
		}
	}
	f, err := os.Open(filepath.Join(dir, "external-am-datastore.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _ := NewReader(f, "x", nil)
	found := false
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		for _, v := range e.Strings("sunKeyValue") {
			if v == "description=The built-in URL Resource Type available to OpenAM Policies." {
				found = true
			}
		}
	}
	if !found {
		t.Error("the folded description value was not joined")
	}
}
