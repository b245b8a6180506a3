package ldif

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var fuzzSeeds = []string{
	"", "\n", "version: 1\n", "version: 2\n", "dn:\n", "dn: ou=a\nou: a\n",
	"dn: ou=a\n ou=b\nou: a\n b\n\n",
	"dn:: b3U9YQ==\nou:: YQ==\n", "dn: ou=a\nou:: !!\n", "dn: ou=a\njpegPhoto:< file:///x\n",
	"dn: ou=a\nchangetype: add\n", "ou: a\n", "dn: ou=a\n\n x\n", "# c\n c\ndn: ou=a\n",
	"dn: ou=a\r\nou: a\r\n", "\xEF\xBB\xBFdn: ou=a\n", "dn: ou=a\nx;binary:: AAE=\n",
	"dn: ou=a\ndn: ou=b\n", "dn: ou=a\\2C\n", "dn: ou=\"a\n", "dn: cn=a+sn=b,ou=x\n",
	"\x1f\x8b", "dn: ou=a\nsunKeyValue: name=\n",
}

// FuzzReader reads arbitrary input: no panic, every error is an *Error with
// a position, and every entry read, written back by a Writer and read again,
// is the same entry.
func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	// The real configuration-store exports, when the shared data is there.
	paths, _ := filepath.Glob(filepath.Join(realLDIFDir, "*", "*.ldif"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "f.ldif", &Options{MaxLine: 1 << 16, MaxEntry: 1 << 18})
		if err != nil {
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("NewReader error %T: %v", err, err)
			}
			return
		}
		var entries []*Entry
		for i := 0; ; i++ {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var le *Error
				if !errors.As(err, &le) {
					t.Fatalf("error %T is not an *Error: %v", err, err)
				}
				if le.File != "f.ldif" || (le.Line < 1 && le.Err == nil) || le.Line > r.Line()+1 {
					t.Fatalf("bad error position %+v (read %d lines)", le, r.Line())
				}
				if err == r.fatal {
					break
				}
				if i > len(data)+1 {
					t.Fatalf("Next does not advance")
				}
				continue
			}
			entries = append(entries, e)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, e := range entries {
			w.WriteEntry(e)
		}
		w.Flush()
		r2, err := NewReader(bytes.NewReader(buf.Bytes()), "back.ldif", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range entries {
			got, err := r2.Next()
			if err != nil {
				t.Fatalf("entry %d written back does not read: %v\n%s", i, err, buf.Bytes())
			}
			if got.DNText != want.DNText || len(got.Attrs) != len(want.Attrs) {
				t.Fatalf("entry %d: %q with %d attrs, want %q with %d", i, got.DNText, len(got.Attrs), want.DNText, len(want.Attrs))
			}
			for j := range want.Attrs {
				a, b := got.Attrs[j], want.Attrs[j]
				if a.Name != b.Name || a.Options != b.Options || !bytes.Equal(a.Value, b.Value) {
					t.Fatalf("entry %d attr %d: %+v, want %+v", i, j, a, b)
				}
			}
		}
		if _, err := r2.Next(); err != io.EOF {
			t.Fatalf("extra entry written back: %v", err)
		}
	})
}
