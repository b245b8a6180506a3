package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/internal/checklist"
	"github.com/amupgrade/amupgrade/internal/report"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// realTree is a tree of the shared reference trees, beside the repository.
func realTree(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "testdata", "real", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is not here (the shared reference trees sit beside the repository)", p)
	}
	return p
}

// write writes the report of an upgrade to each path, as --report does.
func write(t *testing.T, u report.Upgrade, paths ...string) {
	t.Helper()
	r := u.Report(t)
	for _, p := range paths {
		if err := r.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readReport validates a JSON report against docs/report.schema.json and
// decodes it.
func readReport(t *testing.T, s *jsonschema.Schema, path string) *report.Report {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("%s does not match docs/report.schema.json: %v", path, err)
	}
	var r report.Report
	if err := json.Unmarshal(src, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// The reports of real upgrades match the schema, and their counts add up.
func TestReportMatchesSchema(t *testing.T) {
	s := schema(t)
	cases := []struct {
		name string
		tree func(t *testing.T) string
		u    report.Upgrade
	}{
		{"example-fbc-7.5", func(*testing.T) string { return filepath.Join("..", "..", "examples", "fbc-7.5", "services") }, report.Upgrade{To: "8.1.0"}},
		{"real-fbc-7.5.0", func(t *testing.T) string { return realTree(t, "fbc-7.5.0-darkedges/services") }, report.Upgrade{To: "8.1.0"}},
		{"real-fbc-7.0.0", func(t *testing.T) string { return realTree(t, "fbc-7.0.0-forgeops-cdk/services") }, report.Upgrade{To: "8.1.0", Run: report.Run{From: "7.0.0"}}},
		{"real-amster-6.5.1", func(t *testing.T) string { return realTree(t, "amster-6.5.1-forgeops-cdm") }, report.Upgrade{To: "8.1.0", AmsterVersion: "8.1.0", IgnoreNoRuleTracking: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.u.In = c.tree(t)
			path := filepath.Join(t.TempDir(), "r.json")
			write(t, c.u, path)
			r := readReport(t, s, path)
			if r.Summary.Changes != len(r.Changes) || r.Summary.Changes == 0 {
				t.Errorf("summary.changes %d, changes %d", r.Summary.Changes, len(r.Changes))
			}
			byRule, byService := 0, 0
			for _, rc := range r.Summary.Rules {
				byRule += rc.Changes
			}
			for _, sc := range r.Summary.Services {
				byService += sc.Changes
			}
			if byRule != len(r.Changes) || byService != len(r.Changes) {
				t.Errorf("per rule %d and per service %d do not add up to %d changes", byRule, byService, len(r.Changes))
			}
			if len(r.Checklist) != 7 {
				t.Errorf("%d checklist items, want 7", len(r.Checklist))
			}
			for _, c := range r.Changes {
				if c.Title == "" {
					t.Errorf("change by %s has no title", c.Rule)
					break
				}
			}
		})
	}
}

var secretInput = map[string]string{
	"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore.json": `{
  "metadata" : { "realm" : null, "entityType" : "KeyStoreSecretStore", "entityId" : "default/default-keystore" },
  "data" : { "_id" : "default/default-keystore", "storePassword" : "storepass", "file" : "/ks.jceks" }
}
`,
	"realm/root/oauth2provider/1.0/organizationconfig/default.json": `{
  "metadata" : { "realm" : "/", "entityType" : "OAuth2Provider", "entityId" : "default" },
  "data" : { "_id" : "default", "lifetime" : 60, "hashSalt" : "Sup3rSecretSalt" }
}
`,
	"realm/root/configurationversionservice/1.0/globalconfig/default.json": `{
  "metadata" : { "realm" : null, "entityType" : "ConfigurationVersionService", "entityId" : "default" },
  "data" : { "_id" : "default", "appliedRuleIds" : [ ], "configurationVersion" : "8.0.0.0" }
}
`,
}

// A rule that rewrites a salt: the value is masked in both reports, and
// shown with --show-secrets. The store password's secret label is not a
// secret.
const secretRules = `from: 8.0.0
to: 8.1.0
mode: fbc
rules:
  - id: rotate-salt
    title: A new salt
    select: {service: OAuth2Provider, scope: realm}
    do:
      - set: {hashSalt: N3wSecretSalt}
  - id: rename-store-password-label
    title: Another secret label
    select: {service: KeyStoreSecretStore, scope: global}
    do:
      - set: {storePassword: storepass2}
  - id: lifetime
    title: Longer lifetime
    select: {service: OAuth2Provider, scope: realm}
    do:
      - replace: {lifetime: 90}
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReportsMaskSecrets(t *testing.T) {
	in := writeTree(t, secretInput)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(secretRules), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, show := range []bool{false, true} {
		write(t, report.Upgrade{In: in, Rules: []string{rules}, Run: report.Run{Action: "dry-run", Masker: report.Masker{Show: show}}},
			filepath.Join(out, "r.json"), filepath.Join(out, "r.html"))
		for _, name := range []string{"r.json", "r.html"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"Sup3rSecretSalt", "N3wSecretSalt"} {
				if got := bytes.Contains(b, []byte(secret)); got != show {
					t.Errorf("--show-secrets %v: %s holds %s: %v", show, name, secret, got)
				}
			}
			if !bytes.Contains(b, []byte("storepass2")) {
				t.Errorf("--show-secrets %v: %s hides the secret label storepass2", show, name)
			}
			if !show && !bytes.Contains(b, []byte("********")) {
				t.Errorf("%s shows no mask", name)
			}
		}
	}
}

var (
	countID   = regexp.MustCompile(`<span id="(count-[a-z-]+)">(\d+)</span>`)
	assetAttr = regexp.MustCompile(`(?i)<(script|img|link|iframe|object|embed|source|video|audio)\b[^>]*\b(src|href|data)\s*=`)
	hrefAttr  = regexp.MustCompile(`\bhref="([^"]*)"`)
)

// The HTML page is self-contained, its counts equal the JSON report's, and
// every change is marked with its rule and service.
func TestHTMLReport(t *testing.T) {
	in := realTree(t, "fbc-7.5.0-darkedges/services")
	dir := t.TempDir()
	write(t, report.Upgrade{In: in, To: "8.1.0"}, filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html"))
	r := readReport(t, schema(t), filepath.Join(dir, "r.json"))
	page, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	if m := assetAttr.FindString(html); m != "" {
		t.Errorf("the page loads an external asset: %s", m)
	}
	// Links go inside the page, or to the upgrade guide; configuration values
	// that hold addresses are text.
	for _, m := range hrefAttr.FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], checklist.GuideURL+"#") {
			t.Errorf("the page links to %s", m[1])
		}
	}
	counts := map[string]int{}
	for _, m := range countID.FindAllStringSubmatch(html, -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	want := map[string]int{"count-changes": len(r.Changes), "count-files-changed": r.Summary.FilesChangedByRules, "count-files-reprinted": r.Summary.FilesReprinted, "count-created": len(r.Created),
		"count-deleted": len(r.Deleted), "count-rules": r.Summary.RulesWithChanges, "count-warnings": len(r.Notices), "count-recorded": len(r.Recorded),
		"count-unmatched": len(r.Unmatched), "count-visible": len(r.Changes)}
	for id, n := range want {
		if counts[id] != n {
			t.Errorf("#%s shows %d, the JSON report %d", id, counts[id], n)
		}
	}
	if n := strings.Count(html, `<tr class="change" `); n != len(r.Changes) {
		t.Errorf("%d change rows, want %d", n, len(r.Changes))
	}
	for _, rc := range r.Summary.Rules {
		if n := strings.Count(html, `<tr class="change" data-rule="`+rc.ID+`"`); n != rc.Changes {
			t.Errorf("rule %s: %d change rows, want %d", rc.ID, n, rc.Changes)
		}
	}
	if n := strings.Count(html, `<li class="check `); n != len(r.Checklist) {
		t.Errorf("%d checklist items on the page, want %d", n, len(r.Checklist))
	}
	if !strings.Contains(html, `<pre class="diff">`) {
		t.Error("the page has no diff")
	}
}
