package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/tools/benchtree/gen"
)

// srcTree returns the real 7.5.0 tree, or skips the test when it is absent.
func srcTree(t *testing.T) string {
	t.Helper()
	src := gen.DefaultSrc()
	if _, err := os.Stat(filepath.Join(src, "services", "global", "realms", "root-alpha.json")); err != nil {
		t.Skipf("source tree %s not available (it lives in the shared test data beside the repository): %v", src, err)
	}
	return src
}

// readTree maps slash-separated relative paths to contents.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const (
	entityRel = "services/global/realms/root-alpha.json"
	folderRel = "services/realm/root-alpha/"
)

func TestGenerateThreeCopies(t *testing.T) {
	src := srcTree(t)
	const copies = 3
	out := filepath.Join(t.TempDir(), "tree")
	st, err := gen.Generate(gen.Options{Src: src, Out: out, Copies: copies})
	if err != nil {
		t.Fatal(err)
	}
	in := readTree(t, src)
	got := readTree(t, out)

	folder := 0
	for rel := range in {
		if strings.HasPrefix(rel, folderRel) {
			folder++
		}
	}
	wantFiles := len(in) + copies*(folder+1)
	if len(got) != wantFiles || st.Files != wantFiles || st.BaseFiles != len(in) || st.FilesPerCopy != folder+1 {
		t.Fatalf("files: tree has %d, stats %+v; want %d = %d base + %d × (%d + 1)",
			len(got), st, wantFiles, len(in), copies, folder)
	}
	var total int64
	for _, b := range got {
		total += int64(len(b))
	}
	if total != st.Bytes {
		t.Errorf("stats say %d bytes, tree has %d", st.Bytes, total)
	}

	// The source files are all there, byte for byte.
	for rel, b := range in {
		if !bytes.Equal(got[rel], b) {
			t.Errorf("%s: not copied as it is", rel)
		}
	}

	// Every .json parses.
	for rel, b := range got {
		if strings.HasSuffix(rel, ".json") && !json.Valid(b) {
			t.Errorf("%s: not valid JSON", rel)
		}
	}

	for i := 1; i <= copies; i++ {
		name := "alpha" + strconv.Itoa(i)
		eid := base64.RawURLEncoding.EncodeToString([]byte("/" + name))
		n := 0
		for rel, orig := range in {
			var crel string
			switch {
			case rel == entityRel:
				crel = "services/global/realms/root-" + name + ".json"
			case strings.HasPrefix(rel, folderRel):
				crel = "services/realm/root-" + name + "/" + strings.TrimPrefix(rel, folderRel)
			default:
				continue
			}
			n++
			b, ok := got[crel]
			if !ok {
				t.Errorf("copy %d: %s missing", i, crel)
				continue
			}
			checkCopy(t, crel, b, orig, name, eid, rel == entityRel)
		}
		if n != folder+1 {
			t.Errorf("copy %d: checked %d files, want %d", i, n, folder+1)
		}
	}
}

// checkCopy checks one file of a copy against its original.
func checkCopy(t *testing.T, rel string, b, orig []byte, name, eid string, entity bool) {
	t.Helper()
	for _, s := range gen.Leftovers("alpha") {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s: still contains %s", rel, s)
		}
	}
	// Layout kept: only the realm names (and the entity id) differ.
	back := bytes.ReplaceAll(b, []byte(name), []byte("alpha"))
	if entity {
		back = bytes.Replace(back, []byte(`"`+eid+`"`), []byte(`"L2FscGhh"`), 1)
	}
	if !bytes.Equal(back, orig) {
		t.Errorf("%s: differs from its original in more than the realm-specific values", rel)
	}
	if bytes.Equal(b, orig) {
		t.Errorf("%s: identical to the original", rel)
	}

	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Errorf("%s: %v", rel, err)
		return
	}
	meta, _ := doc["metadata"].(map[string]any)
	if r := meta["realm"]; r != "/"+name {
		t.Errorf("%s: metadata.realm = %v, want /%s", rel, r, name)
	}
	if uid, _ := meta["uid"].(string); !strings.Contains(uid, "o="+name+",") {
		t.Errorf("%s: metadata.uid = %q, want o=%s,", rel, uid, name)
	}
	walkStrings(doc, func(s string) {
		if s == "/alpha" || strings.HasPrefix(s, "/alpha/") || strings.Contains(s, "o=alpha,") ||
			strings.HasSuffix(s, "realm=alpha") || strings.Contains(s, "realm=alpha&") {
			t.Errorf("%s: value %q still names /alpha", rel, s)
		}
	})
	if entity {
		id, _ := meta["entityId"].(string)
		dec, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || string(dec) != "/"+name {
			t.Errorf("%s: entityId %q decodes to %q (%v), want /%s", rel, id, dec, err, name)
		}
		data, _ := doc["data"].(map[string]any)
		if data["_id"] != "root-"+name || data["name"] != name {
			t.Errorf("%s: data._id = %v, data.name = %v", rel, data["_id"], data["name"])
		}
	}
}

func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case map[string]any:
		for _, e := range v {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range v {
			walkStrings(e, fn)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	src := srcTree(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, out := range []string{a, b} {
		if _, err := gen.Generate(gen.Options{Src: src, Out: out, Copies: 3}); err != nil {
			t.Fatal(err)
		}
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("runs differ in file count: %d vs %d", len(ta), len(tb))
	}
	for rel, x := range ta {
		if y, ok := tb[rel]; !ok || !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs", rel)
		}
	}
}

func TestEntityIDCodecMatchesSource(t *testing.T) {
	src := srcTree(t)
	// The source's root realm "/" is "Lw": AM writes no padding.
	st, err := gen.Generate(gen.Options{Src: src, Out: filepath.Join(t.TempDir(), "t"), Copies: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.EntityIDCodec != "base64url, no padding" {
		t.Errorf("codec %q", st.EntityIDCodec)
	}
}

func TestCopiesForFiles(t *testing.T) {
	ti := gen.TemplateInfo{BaseFiles: 936, FilesPerCopy: 132}
	for _, tc := range []struct{ target, want int }{
		{0, 0}, {500, 0}, {936, 0}, {1000, 0}, {1002, 1},
		{5000, 31}, {10000, 69}, {20000, 144}, {20736, 150}, {40000, 296},
	} {
		if got := ti.CopiesFor(tc.target); got != tc.want {
			t.Errorf("CopiesFor(%d) = %d, want %d", tc.target, got, tc.want)
		}
	}
	if got := (gen.TemplateInfo{}).CopiesFor(100); got != 0 {
		t.Errorf("empty template: %d", got)
	}
}

func TestRefusesOutputInRepository(t *testing.T) {
	root, err := gen.FindRepoRoot(".")
	if err != nil {
		t.Skip(err)
	}
	out := filepath.Join(root, "tools", "benchtree", "must-not-exist")
	_, err = gen.Generate(gen.Options{Src: t.TempDir(), Out: out, Copies: 1})
	if err == nil || !strings.Contains(err.Error(), "inside the repository") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s was created", out)
	}
}

func TestRefusesNonEmptyOutput(t *testing.T) {
	src := srcTree(t)
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(gen.Options{Src: src, Out: out, Copies: 1}); err == nil {
		t.Fatal("no error for a non-empty output")
	}
}

func TestRunFiles(t *testing.T) {
	src := srcTree(t)
	out := filepath.Join(t.TempDir(), "t")
	if err := run([]string{"-src", src, "-out", out, "-files", "1200"}); err != nil {
		t.Fatal(err)
	}
	ti, err := gen.Inspect(src, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	want := ti.BaseFiles + ti.CopiesFor(1200)*ti.FilesPerCopy
	if n := len(readTree(t, out)); n != want {
		t.Errorf("%d files, want %d", n, want)
	}
	if err := run([]string{"-src", src, "-out", out, "-copies", "1", "-files", "5"}); err == nil {
		t.Error("-copies with -files accepted")
	}
	if err := run([]string{"-src", src, "-out", out, "-copies", "1"}); err == nil {
		t.Error("non-empty -out accepted without -clean")
	}
	if err := run([]string{"-src", src, "-out", out, "-copies", "1", "-clean"}); err != nil {
		t.Errorf("-clean: %v", err)
	}
}

func TestRewriteStrings(t *testing.T) {
	r := gen.RealmRenamer{Old: "alpha", New: "alpha12", EntityIDOld: "L2FscGhh", EntityIDNew: "L2FscGhhMTI"}
	for _, tc := range []struct {
		name, in, want string
		entity         bool
		changed        int
	}{
		{"spaced", `{ "metadata" : { "realm" : "/alpha" } }`, `{ "metadata" : { "realm" : "/alpha12" } }`, false, 1},
		{"compact", "{\"metadata\":{\"realm\":\"/alpha\"}}\n", "{\"metadata\":{\"realm\":\"/alpha12\"}}\n", false, 1},
		{"sub realm", `{"realm":"/alpha/sub"}`, `{"realm":"/alpha12/sub"}`, false, 1},
		{"other realm", `{"realm":"/alphabet"}`, `{"realm":"/alphabet"}`, false, 0},
		{"key untouched", `{"/alpha":"x","o=alpha,ou=x":1}`, `{"/alpha":"x","o=alpha,ou=x":1}`, false, 0},
		{"dn", `{"uid":"ou=a,o=alpha,ou=services"}`, `{"uid":"ou=a,o=alpha12,ou=services"}`, false, 1},
		{"dn other rdn", `{"uid":"ou=a,o=alphabet,ou=alpha"}`, `{"uid":"ou=a,o=alphabet,ou=alpha"}`, false, 0},
		{"array", `{"a":[ "/alpha", 1, {"b":"/alpha"} ]}`, `{"a":[ "/alpha12", 1, {"b":"/alpha12"} ]}`, false, 2},
		{"query", `{"u":"x/?realm=alpha"}`, `{"u":"x/?realm=alpha12"}`, false, 1},
		{"query amp", `{"u":"x?a=1&realm=/alpha&b=2"}`, `{"u":"x?a=1&realm=/alpha12&b=2"}`, false, 1},
		{"query other", `{"u":"x?realm=alphabet&xrealm=alpha"}`, `{"u":"x?realm=alphabet&xrealm=alpha"}`, false, 0},
		{"escapes kept", `{"s":"a\"b\\","r":"/alpha"}`, `{"s":"a\"b\\","r":"/alpha12"}`, false, 1},
		{"folder keeps name", `{"data":{"name":"alpha","_id":"root-alpha"}}`, `{"data":{"name":"alpha","_id":"root-alpha"}}`, false, 0},
		{"entity", `{"metadata":{"entityId":"L2FscGhh"},"data":{"_id":"root-alpha","name":"alpha","x":{"name":"alpha"}}}`,
			`{"metadata":{"entityId":"L2FscGhhMTI"},"data":{"_id":"root-alpha12","name":"alpha12","x":{"name":"alpha"}}}`, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := r.FolderValue
			if tc.entity {
				fn = r.EntityValue
			}
			got, n, err := gen.RewriteStrings([]byte(tc.in), fn)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want || n != tc.changed {
				t.Errorf("got %s (%d changes), want %s (%d)", got, n, tc.want, tc.changed)
			}
			if !json.Valid(got) {
				t.Errorf("result is not valid JSON")
			}
		})
	}
	for _, bad := range []string{`{"a":1`, `{"a":"x}`, `[1}`, `{"a":1}}`} {
		if _, _, err := gen.RewriteStrings([]byte(bad), r.FolderValue); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
