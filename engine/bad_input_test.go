package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/atomictree"
	"github.com/amupgrade/amupgrade/internal/treetest"
)

// Bad inputs the engine meets before any rule runs: links, files of the other layout, byte
// order marks, hostile nesting and entity ids that would name a path outside the tree. The
// command-line side of each is in internal/cli (bad_input_test.go, testdata/script/bad_*).

const cvsFile = "realm/root/configurationversionservice/1.0/globalconfig/default.json"

// fbcTree is a minimal FBC tree: version tracking and one entity.
func fbcTree() map[string]string {
	return map[string]string{
		cvsFile: `{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"}, "data": {"_id": "default", "appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`,
		"realm/root/oauth2provider/1.0/organizationconfig/default.json": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"}, "data": {"_id": "default"}}`,
	}
}

// Links are never followed. One whose target resolves inside the tree (following, as the
// kernel would, the links it passes through) is carried as a link; one that leads out, or to
// an absolute path, is left out with a warning that names it and says why.
func TestReadTreeLinks(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "tree")
	spec := fbcTree()
	links := map[string]string{
		// kept: they resolve inside the tree
		"realm/root/in.json":      "oauth2provider/1.0/organizationconfig/default.json",
		"realm/root/dirlink":      "oauth2provider",
		"realm/up":                "..",
		"realm/root/dangling":     "no/such/file",
		"realm/root/via-link.txt": "dirlink/1.0/../../in.json",
		"realm/loop1":             "loop2", // a loop leads nowhere, so not out either
		"realm/loop2":             "loop1/x",
		// left out
		"realm/abs":                 "/etc/passwd",
		"realm/root/out.json":       "../../../outside/secret.json",
		"realm/sneaky":              "up/../outside/secret.json",
		"realm/root/through-abs":    "abs-dir/x",
		"realm/root/abs-dir":        "/etc",
		"realm/root/climb-from-dir": "dirlink/../../../../outside",
	}
	for p, target := range links {
		spec[p] = treetest.LinkPrefix + target
	}
	treetest.Make(t, root, spec)
	treetest.Make(t, filepath.Join(dir, "outside"), map[string]string{"secret.json": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "secret"}, "data": {}}`})

	tree, err := ReadTree(t.Context(), root, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range tree.Docs {
		if d.Link == "" {
			continue
		}
		if d.Raw != nil || d.JSON || d.Entity != nil {
			t.Errorf("%s: a link was read: Raw=%q JSON=%v Entity=%v", d.Path, d.Raw, d.JSON, d.Entity)
		}
		got[d.Path] = d.Link
	}
	want := map[string]string{}
	for _, p := range []string{"realm/root/in.json", "realm/root/dirlink", "realm/up", "realm/root/dangling", "realm/root/via-link.txt", "realm/loop1", "realm/loop2"} {
		want[p] = links[p]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links kept (-want +got):\n%s", diff)
	}
	wantWarnings := map[string]string{
		"realm/abs":                 "an absolute path",
		"realm/root/out.json":       "outside the tree",
		"realm/sneaky":              "outside the tree",
		"realm/root/through-abs":    "through realm/root/abs-dir, which is a link to an absolute path",
		"realm/root/abs-dir":        "an absolute path",
		"realm/root/climb-from-dir": "outside the tree",
	}
	notices := noticeLines(tree.Notices)
	if len(notices) != len(wantWarnings) {
		t.Errorf("notices:\n%s", strings.Join(notices, "\n"))
	}
	for p, why := range wantWarnings {
		w := p + ": a symbolic link to " + links[p] + ", " + why + ": not followed, and not copied to the output"
		if !containsPrefix(notices, w) {
			t.Errorf("no notice %q in:\n%s", w, strings.Join(notices, "\n"))
		}
	}

	// In place, the kept links come through as the same links, and the others are gone.
	res := &Result{Tree: tree}
	out, err := res.Render(t.Context(), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := atomictree.WriteTree(t.Context(), root, out.Files, atomictree.Options{Clean: true}); err != nil {
		t.Fatal(err)
	}
	after := treetest.Read(t, root)
	for p, target := range links {
		_, kept := want[p]
		switch got, ok := after[p]; {
		case kept && got != treetest.LinkPrefix+target:
			t.Errorf("%s = %q after an upgrade in place, want the link to %s", p, got, target)
		case !kept && ok:
			t.Errorf("%s = %q after an upgrade in place, want it left out", p, got)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "outside", "secret.json")); err != nil || !strings.Contains(string(b), `"secret"`) {
		t.Errorf("the file outside the tree changed: %q %v", b, err)
	}
}

// noticeLines returns the notices as the command line prints them.
func noticeLines(ns []Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// An Amster file left inside an FBC tree is named in a warning and passes through byte for
// byte: no rule sees it and it is not re-printed.
func TestReadTreeAmsterStray(t *testing.T) {
	root := t.TempDir()
	spec := fbcTree()
	stray := "realm/root/oauth2provider/1.0/organizationconfig/amster.json"
	spec[stray] = `{"metadata": {"realm": "/", "amsterVersion": "7.5.0", "entityType": "OAuth2Provider", "entityId": "amster", "pathParams": {}},   "data": {"_id": "amster"}}`
	treetest.Make(t, root, spec)
	tree, err := ReadTree(t.Context(), root, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{stray + ": an Amster file inside a file-based configuration: passed through unchanged"}
	if diff := cmp.Diff(want, noticeLines(tree.Notices)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	d := tree.find(stray)
	if d.Entity != nil || d.JSON {
		t.Errorf("stray: Entity=%v JSON=%v, want neither", d.Entity, d.JSON)
	}
	out, err := (&Result{Tree: tree}).Render(t.Context(), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range out.Files {
		if f.Path == stray && (string(f.Data) != spec[stray] || !out.Unchanged[i]) {
			t.Errorf("stray rendered as %q, want its bytes", f.Data)
		}
	}
}

// A UTF-8 byte order mark is accepted, as AM (Jackson) accepts it, and a warning says so and
// that the re-printed file will not have it.
func TestReadTreeBOM(t *testing.T) {
	root := t.TempDir()
	spec := fbcTree()
	p := "realm/root/oauth2provider/1.0/organizationconfig/default.json"
	spec[p] = "\xEF\xBB\xBF" + spec[p]
	treetest.Make(t, root, spec)
	tree, err := ReadTree(t.Context(), root, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{p + ": starts with a UTF-8 byte order mark: accepted, as AM does, and left out when the file is re-printed"}
	if diff := cmp.Diff(want, noticeLines(tree.Notices)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	out, err := (&Result{Tree: tree}).Render(t.Context(), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Files {
		if f.Path == p && (strings.HasPrefix(string(f.Data), "\xEF\xBB\xBF") || !strings.HasPrefix(string(f.Data), "{\n")) {
			t.Errorf("rendered %q", f.Data)
		}
	}
}

// 10,000 levels of nesting, where a rule would parse the file (metadata) and where only the
// printer reads it: an error at the line and column, no stack overflow.
func TestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)
	for name, content := range map[string]string{
		"arrays":      deep,
		"objects":     strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000),
		"in data":     `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "x"}, "data": {"d": ` + deep + `}}`,
		"in metadata": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "x", "deep": ` + deep + `}, "data": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			spec := fbcTree()
			spec["realm/root/x.json"] = content
			treetest.Make(t, root, spec)
			tree, err := ReadTree(t.Context(), root, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d := tree.find("realm/root/x.json"); d.Entity != nil {
				if _, err := d.parsed(); err == nil || !strings.Contains(err.Error(), "realm/root/x.json:1:") || !strings.Contains(err.Error(), "nesting deeper than 512 levels") {
					t.Errorf("parse: %v", err)
				}
			}
			_, err = (&Result{Tree: tree}).Render(context.Background(), RenderOptions{})
			if err == nil || !strings.Contains(err.Error(), "realm/root/x.json:1:") || !strings.Contains(err.Error(), "nesting deeper than 512 levels") {
				t.Errorf("render: %v", err)
			}
		})
	}
}

// Entity ids come from configuration files and rule files; none may name a path outside the
// tree when a rule creates a file or renames one.
func TestEntityPathStaysInside(t *testing.T) {
	ids := []string{"..", ".", "../../../etc/passwd", "/etc/passwd", "a/../../b", `..\..\x`, "", "x\x00y", "a//b", "http://am:80/am/../../..", "C:/x"}
	for _, mode := range []Layout{{Mode: FBC}, {Mode: FBC, Prefix: "services/"}, {Mode: Amster}} {
		for _, id := range ids {
			for _, e := range []Entity{
				{Type: "Svc", ID: id, Global: true},
				{Type: "Svc", ID: "x", Realm: id},
				{Type: id, ID: id, Realm: "/"},
				{Type: "Svc", ID: "x", Global: true, PathParams: map[string]string{"p": id}},
			} {
				p := mode.EntityPath(&e)
				if err := checkRelPath(p); err != nil {
					t.Errorf("%s: EntityPath(%+v) = %q: %v", mode.Mode, e, p, err)
				}
				if err := atomictree.CheckTreePath(p); err != nil {
					t.Errorf("%s: EntityPath(%+v) = %q: %v", mode.Mode, e, p, err)
				}
			}
		}
	}
	for _, id := range ids {
		s := SanitizeName(id)
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") {
			t.Errorf("SanitizeName(%q) = %q", id, s)
		}
	}
}

// The input folder given as a link (to where the configuration lives) is read where it
// points; WalkDir alone would see one link and no files.
func TestReadTreeRootIsLink(t *testing.T) {
	dir := t.TempDir()
	treetest.Make(t, filepath.Join(dir, "real"), fbcTree())
	if err := os.Symlink("real", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tree, err := ReadTree(t.Context(), filepath.Join(dir, "link"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Docs) != 2 || tree.find(cvsFile) == nil || len(tree.Notices) != 0 {
		t.Errorf("docs %v, notices %v", tree.Docs, tree.Notices)
	}
}
