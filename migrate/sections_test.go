package migrate

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// zipOf builds a zip (a war or a jar) holding files.
func zipOf(t *testing.T, files map[string][]byte, order ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const oauthSections = `# OAuth2 provider sections
coreOAuth2Config=forgerock-oauth2-provider-access-token-lifetime

advancedOAuth2Config=forgerock-oauth2-provider-supported-scopes
`

func TestLoadSections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := write("one/OAuth2Provider.section.properties", []byte(oauthSections))
	jar := zipOf(t, map[string][]byte{
		"JSON.section.properties":           []byte("commonHandler=enabled\njsonConfig=location\n"),
		"OAuth2Provider.section.properties": []byte("other=forgerock-oauth2-provider-access-token-lifetime\n"),
	}, "JSON.section.properties", "OAuth2Provider.section.properties")
	war := write("AM.war", zipOf(t, map[string][]byte{
		"WEB-INF/lib/openam-audit.jar":                      jar,
		"WEB-INF/classes/OAuth2Provider.section.properties": []byte(oauthSections),
		"WEB-INF/lib/README.jar":                            []byte("not a zip"),
	}, "WEB-INF/lib/openam-audit.jar", "WEB-INF/lib/README.jar", "WEB-INF/classes/OAuth2Provider.section.properties"))
	write("folder/sub/OAuth2Provider.section.properties", []byte(oauthSections))
	write("folder/lib/audit.jar", jar)

	tests := []struct {
		src   string
		names []string
	}{
		{file, []string{"OAuth2Provider"}},
		// In a war, WEB-INF/classes comes before the jars (a class loader's
		// order): its OAuth2Provider file wins over the jar's.
		{war, []string{"JSON", "OAuth2Provider"}},
		{filepath.Join(dir, "folder"), []string{"JSON", "OAuth2Provider"}},
	}
	for _, tt := range tests {
		p, err := LoadSections(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		if d := cmp.Diff(tt.names, p.Names()); d != "" {
			t.Errorf("%s: names (-want +got):\n%s", tt.src, d)
		}
		if got := p.Section("OAuth2Provider", "", "forgerock-oauth2-provider-access-token-lifetime", "accessTokenLifetime"); got != "coreOAuth2Config" {
			t.Errorf("%s: section of the access token lifetime = %q", tt.src, got)
		}
		if got := p.Section("OAuth2Provider", "", "forgerock-oauth2-provider-issue-refresh-token", "x"); got != "" {
			t.Errorf("%s: an attribute the file does not name has section %q", tt.src, got)
		}
		if len(tt.names) > 1 {
			// A sub-schema's file is named after the sub-schema.
			if got := p.Section("AuditService", "JSON", "location", "location"); got != "jsonConfig" {
				t.Errorf("%s: JSON handler location section = %q", tt.src, got)
			}
		}
	}

	os.MkdirAll(filepath.Join(dir, "none"), 0o755)
	bad := []struct {
		src, err string
	}{
		{write("x/OAuth2Provider.section.properties", []byte("# ok\nno equals sign\n")), `OAuth2Provider.section.properties:2: "no equals sign" is not a section=attribute line; fix the line, or start it with '#'`},
		{write("sections.txt", []byte(oauthSections)), "--sectionsSource: name the file <service>.section.properties"},
		{filepath.Join(dir, "missing"), "--sectionsSource: cannot read it"},
		{filepath.Join(dir, "none"), "holds no *.section.properties file"},
		{write("empty.war", zipOf(t, map[string][]byte{"a.txt": nil}, "a.txt")), "holds no *.section.properties file"},
	}
	for _, tt := range bad {
		_, err := LoadSections(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("LoadSections(%s) error = %v, want %q", tt.src, err, tt.err)
		}
	}
}

func TestMinedSections(t *testing.T) {
	t.Parallel()
	m := Mined()
	if got := m.Section("OAuth2Provider", "", "forgerock-oauth2-provider-access-token-lifetime", "accessTokenLifetime"); got != "coreOAuth2Config" {
		t.Errorf("accessTokenLifetime in %q", got)
	}
	if got := m.Section("oauth2provider", "", "", "accessTokenLifetime"); got != "coreOAuth2Config" {
		t.Errorf("service names ignore case: %q", got)
	}
	if got := m.Section("OAuth2Provider", "", "", "noSuchAttribute"); got != "" {
		t.Errorf("unknown attribute in %q", got)
	}
	if !MinedHas("OAuth2Provider", "", "advancedOAuth2Config") || MinedHas("OAuth2Provider", "", "nodes") {
		t.Error("MinedHas")
	}
	if (Flat{}).Section("OAuth2Provider", "", "", "accessTokenLifetime") != "" {
		t.Error("Flat has a section")
	}
}
