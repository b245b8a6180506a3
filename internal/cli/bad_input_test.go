package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Bad inputs a script cannot make: bytes a txtar file should not hold, huge and deeply nested
// files, and a full disk (bad_fulldisk_linux_test.go). The others are in
// testdata/script/bad_*.txtar; unreadable files and folders without write permission, which
// need a user other than root, are in TestBinary (crash_test.go).

// badRules adds a key to every OAuth2Provider, so that a file of that type is parsed and
// re-printed from its tree, and any other file is only checked and re-printed.
const badRules = `from: 8.0.0
to: 8.1.0
mode: fbc
rules:
  - id: add-it
    select: {service: OAuth2Provider}
    do:
      - add: {added: true}
`

const (
	cvsPath    = "realm/root/configurationversionservice/1.0/globalconfig/default.json"
	oauth2Path = "realm/root/oauth2provider/1.0/organizationconfig/default.json"
)

// writeFBC writes a minimal FBC tree under root plus the given files, and the rule file beside
// it, whose path it returns.
func writeFBC(t testing.TB, root string, files map[string][]byte) string {
	t.Helper()
	all := map[string][]byte{
		cvsPath:    []byte(`{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"}, "data": {"_id": "default", "appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`),
		oauth2Path: []byte(`{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"}, "data": {"_id": "default"}}`),
	}
	for p, b := range files {
		all[p] = b
	}
	for p, b := range all {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules := filepath.Join(filepath.Dir(root), "rules.yaml")
	if err := os.WriteFile(rules, []byte(badRules), 0o644); err != nil {
		t.Fatal(err)
	}
	return rules
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestBadInputBytes(t *testing.T) {
	deep := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)
	entity := func(data string) []byte {
		return []byte(`{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "x"}, "data": ` + data + `}`)
	}
	tests := []struct {
		name    string
		content []byte
		code    int
		stderr  string // a regexp for the first line of stderr
	}{
		{"invalid UTF-8 in a string", []byte("{\"data\": {\"a\": \"caf\xe9\"}}"), 1,
			`^amupgrade: realm/root/x.json:1:20: invalid UTF-8 byte 0xe9 in string: the file must be UTF-8 encoded; convert it to UTF-8$`},
		{"invalid UTF-8 in a string of an entity a rule reads", entity("{\"a\": \"caf\xe9\"}"), 1,
			`^amupgrade: realm/root/x.json:1:97: invalid UTF-8 byte 0xe9 in string: the file must be UTF-8 encoded; convert it to UTF-8$`},
		{"invalid UTF-8 outside strings", []byte("{\"data\": \xff}"), 1,
			`^amupgrade: realm/root/x.json:1:10: invalid UTF-8 byte 0xff: the file must be UTF-8 encoded; convert it to UTF-8$`},
		{"Latin-1 text", []byte("{\"data\": {\"ville\": \"Montr\xe9al\"}}"), 1,
			`^amupgrade: realm/root/x.json:1:26: invalid UTF-8 byte 0xe9 in string: `},
		{"UTF-16", []byte("\xff\xfe{\x00}\x00"), 1,
			`^amupgrade: realm/root/x.json:1:1: file is UTF-16 encoded: save it as UTF-8$`},
		{"NUL after the value", []byte("{\"data\": {}}\x00"), 1,
			`^amupgrade: realm/root/x.json:1:13: unexpected '\\x00' after the end of the JSON value: a file holds one value; remove what follows it$`},
		{"10,000-deep arrays", []byte(deep), 1,
			`^amupgrade: realm/root/x.json:1:513: nesting deeper than 512 levels: AM configuration nests a dozen levels at most, so the file is damaged or not configuration; restore it from a backup$`},
		{"10,000-deep objects", []byte(strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000)), 1,
			`^amupgrade: realm/root/x.json:1:2561: nesting deeper than 512 levels: `},
		{"10,000-deep in the data of an entity a rule reads", entity(`{"d": ` + deep + `}`), 1,
			`^amupgrade: realm/root/x.json:1:\d+: nesting deeper than 512 levels: `},
		{"10,000-deep in metadata", []byte(`{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "x", "d": ` + deep + `}, "data": {}}`), 1,
			`^amupgrade: realm/root/x.json:1:\d+: nesting deeper than 512 levels: `},
		{"byte order mark", append([]byte("\xEF\xBB\xBF"), entity("{}")...), 0,
			`^warning: realm/root/x.json: starts with a UTF-8 byte order mark: accepted, as AM does, and left out when the file is re-printed$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
			rules := writeFBC(t, in, map[string][]byte{"realm/root/x.json": tt.content})
			for _, mode := range []string{"-o", "--check"} {
				args := []string{"-i", in, mode, out, rules}
				if mode == "--check" {
					args = []string{"-i", in, "--check", rules}
				}
				code, _, stderr := run(t, args...)
				want := tt.code
				if want == 0 && mode == "--check" {
					want = ExitChanges
				}
				if code != want {
					t.Errorf("%s: exit %d, want %d; stderr:\n%s", mode, code, want, stderr)
				}
				if !regexp.MustCompile(tt.stderr).MatchString(firstLine(stderr)) {
					t.Errorf("%s: stderr begins %q, want a match for %s", mode, firstLine(stderr), tt.stderr)
				}
			}
			_, err := os.Stat(out)
			if tt.code != 0 && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the output folder was written: %v", err)
			}
		})
	}
}

// A 100 MB configuration file that a rule changes: upgraded, every byte of it where it
// should be, in a few seconds. Under the race detector and with -short the file is 10 MB.
func TestBadInputHugeFile(t *testing.T) {
	size := 100 << 20
	if raceEnabled || testing.Short() {
		size = 10 << 20
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	rules := writeFBC(t, in, nil)
	big := filepath.Join(in, "realm", "root", "oauth2provider", "1.0", "organizationconfig", "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "big"}, "data": {"_id": "big", "list": [`)
	n := 0
	for written := 0; written < size; n++ {
		if n > 0 {
			w.WriteString(", ")
		}
		k, _ := fmt.Fprintf(w, `{"k%d": "value %d", "n": 12345678901234567890.123456789012345678901234567890e-%d}`, n, n, n%400)
		written += k + 2
	}
	w.WriteString("]}}\n")
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	code, _, stderr := run(t, "-i", in, "-o", out, rules)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	fi, _ := os.Stat(big)
	t.Logf("%d MB file, %d elements, upgraded in %v", fi.Size()>>20, n, took.Round(time.Millisecond))

	got, err := os.ReadFile(filepath.Join(out, "realm", "root", "oauth2provider", "1.0", "organizationconfig", "big.json"))
	if err != nil {
		t.Fatal(err)
	}
	last := n - 1
	for _, want := range []string{
		"{\n  \"metadata\" : {\n",
		"\"list\" : [ {\n      \"k0\" : \"value 0\",\n      \"n\" : 12345678901234567890.123456789012345678901234567890e-0\n    }, {",
		fmt.Sprintf("      \"k%d\" : \"value %d\",\n      \"n\" : 12345678901234567890.123456789012345678901234567890e-%d\n    } ],\n    \"added\" : true\n  }\n}\n", last, last, last%400),
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("the upgraded file lacks %q", want)
		}
	}
	if c := bytes.Count(got, []byte(`"k`)); c != n {
		t.Errorf("the upgraded file holds %d elements, want %d", c, n)
	}
}
