package checklist

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/engine"
	"github.com/amupgrade/amupgrade/internal/upgradetest"
)

// testCase is a checklist run over one of the trees in testdata, with no
// rules: the start version what the tree records unless Options.From is
// given, secret property values masked unless show.
type testCase struct {
	opts Options
	show bool
}

// build reads testdata/NAME.txtar, runs no rules over it, and checks the
// checklist; it returns the items and the facts.
func build(t *testing.T, name string, tc testCase) ([]Item, *Facts) {
	t.Helper()
	in := upgradetest.TxtarTree(t, filepath.Join("testdata", name+".txtar"))
	res, files := upgradetest.Upgrade{In: in, IgnoreNoRuleTracking: true}.Files(t)
	f := NewFacts(res.Tree.Layout.Mode)
	for _, file := range files {
		f.Observe(file)
	}
	o := tc.opts
	o.Chain = res.Chain
	if ev := upgradetest.Evidence(t, in); o.From == "" && ev.Start != nil {
		o.From = ev.Start.String()
	}
	o.Mask = func(key, val string) string {
		if !tc.show && strings.Contains(strings.ToLower(key), "password") {
			return "********"
		}
		return val
	}
	items, err := Build(f, o)
	if err != nil {
		t.Fatal(err)
	}
	return items, f
}

// brief prints an item as the tests compare it: the verdict, then each
// piece of evidence as file, pointer or line, and note.
func brief(it Item) []string {
	lines := []string{fmt.Sprintf("%s: %s", it.ID, it.Applies)}
	for _, e := range it.Evidence {
		where := e.File
		if e.Pointer != "" {
			where += "#" + e.Pointer
		}
		if e.Line > 0 {
			where += fmt.Sprintf(":%d", e.Line)
		}
		lines = append(lines, "  "+where+" "+e.Note)
	}
	return lines
}

func briefAll(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, brief(it)...)
	}
	return out
}

func TestChecklistFBC(t *testing.T) {
	t.Parallel()
	items, _ := build(t, "fbc-70-device", testCase{})
	const store = "realm/root/sunidentityrepositoryservice/1.0/organizationconfig/default/ds.json"
	const servers = "realm/root/iplanetamplatformservice/1.0/globalconfig/default/com-sun-identity-servers/"
	const scripts = "realm/root/scriptingservice/1.0/globalconfig/default/"
	want := []string{
		"transient-state-key: yes",
		"  realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore/mappings/am.authn.trees.transientstate.encryption.json#/data/aliases global mapping of am.authn.trees.transientstate.encryption to alias mytransientkey",
		"  realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore.json#/data/file the secret store holding the mapping: keystore /secrets/keystore.jceks (JCEKS)",
		"identity-store-retry-limit-schema: yes",
		"  " + store + " identity store DS in realm /: PingDS (LDAPv3ForOpenDS)",
		"identity-store-device-schema: yes",
		"  " + store + " identity store DS in realm /: PingDS (LDAPv3ForOpenDS)",
		"  realm/root-alpha/webauthnregistrationnode/1.0/organizationconfig/default/0c8f1a2e-1111-4c5a-9a4e-2f1d3c4b5a6e.json WebAuthn: WebAuthnRegistrationNode default/0c8f1a2e-1111-4c5a-9a4e-2f1d3c4b5a6e in realm /alpha",
		"  " + store + "#/data/userconfig/sun-idrepo-ldapv3-config-user-objectclass/1 the user object classes name webauthnDeviceProfilesContainer",
		"config-store-sort-aci: no",
		"custom-advanced-properties: yes",
		"  " + servers + "http___am_8080_am.json#/data/serverconfig/1 server http://am:8080/am: com.sun.identity.server.fqdnMap[login.example.com]=login.example.com (kept)",
		"  " + servers + "server-default.json#/data/serverconfig/2 server defaults: com.example.custom.flag=on (kept)",
		"  " + servers + "server-default.json#/data/serverconfig/3 server defaults: com.example.proxy.password=******** (kept)",
		"javax-references: yes",
		"  " + scripts + "authentication_tree_decision_node/engineconfiguration.json#/data/whiteList/1 allowlist entry javax.servlet.http.Cookie has no jakarta.servlet.http.Cookie twin",
		"  " + scripts + "globalscripts/3f1b5e2a-2222-4c5a-9a4e-2f1d3c4b5a6e.json#/data/script:1 script Cookie script (base64), line 1: var cookie = new javax.servlet.http.Cookie('a', 'b');",
		"  " + scripts + "globalscripts/3f1b5e2a-2222-4c5a-9a4e-2f1d3c4b5a6e.json#/data/script:3 script Cookie script (base64), line 3: var ws = javax.websocket.Session;",
		"  realm/root/scripts/custom.groovy:1 line 1: import javax.websocket.Session",
		"tomcat-encoded-slash: unknown",
	}
	if diff := gocmp.Diff(want, briefAll(items)); diff != "" {
		t.Errorf("checklist (-want +got):\n%s", diff)
	}
	js := item(t, items, "javax-references")
	if want := "2 scripts and 1 allowlist entry still reference javax.servlet or javax.websocket; amupgrade --with jakarta migrates them"; js.Summary != want {
		t.Errorf("summary %q, want %q", js.Summary, want)
	}
	// --show-secrets shows the value of a secret property.
	items, _ = build(t, "fbc-70-device", testCase{show: true})
	if got := strings.Join(brief(item(t, items, "custom-advanced-properties")), "\n"); !strings.Contains(got, "com.example.proxy.password=hunter2") {
		t.Errorf("--show-secrets: the property is still masked:\n%s", got)
	}
}

func TestChecklistAmster(t *testing.T) {
	t.Parallel()
	items, _ := build(t, "amster-651", testCase{})
	want := []string{
		"transient-state-key: yes",
		"  realms/root/KeyStoreMappings/am.authn.trees.transientstate.encryption.json#/data/aliases mapping in realm / only: AM needs it in a global store",
		"identity-store-retry-limit-schema: yes",
		"  realms/root/OpenDJ/OpenDJ.json identity store OpenDJ in realm /: PingDS (OpenDJ)",
		"identity-store-device-schema: yes",
		"  realms/root/OpenDJ/OpenDJ.json identity store OpenDJ in realm /: PingDS (OpenDJ)",
		"  realms/root/AuthenticatorPushModule/push.json push: AuthenticatorPushModule push in realm /",
		"config-store-sort-aci: yes",
		"  global/Servers/01/DirectoryConfiguration.json#/data/directoryConfiguration/bindDn the configuration store of server http://am:8080/am binds as uid=am-config,ou=admins,ou=am-config",
		"custom-advanced-properties: yes",
		"  global/DefaultAdvancedProperties.json#/data/com.sun.identity.server.fqdnMap[sso.example.com] server defaults: com.sun.identity.server.fqdnMap[sso.example.com]=sso.example.com (kept)",
		"  global/Servers/01/AdvancedProperties.json#/data/org.example.trace server http://am:8080/am: org.example.trace=true (kept)",
		"javax-references: yes",
		"  realms/root/Scripts/5e6f7a8b-3333-4c5a-9a4e-2f1d3c4b5a6e.json#/data/script:1 script Request script (base64), line 1: var r = requestObj; // javax.servlet.http.HttpServletRequest",
		"tomcat-encoded-slash: unknown",
	}
	if diff := gocmp.Diff(want, briefAll(items)); diff != "" {
		t.Errorf("checklist (-want +got):\n%s", diff)
	}
	if s, want := item(t, items, "javax-references").Summary, "1 script still references javax.servlet or javax.websocket"; !strings.HasPrefix(s, want) {
		t.Errorf("javax summary %q, want it to start with %q", s, want)
	}
	if s := item(t, items, "transient-state-key").Summary; !strings.Contains(s, "no global secret store maps") {
		t.Errorf("a realm-only mapping is not enough: %q", s)
	}
	if a := item(t, items, "config-store-sort-aci").Action; !strings.Contains(a, `userdn = "ldap:///uid=am-config,ou=admins,ou=am-config"`) {
		t.Errorf("the ACI does not name the bind DN of the tree:\n%s", a)
	}
	// A later start version (--from wins over the export's amsterVersion).
	items, _ = build(t, "amster-651", testCase{opts: Options{From: "7.2.0"}})
	if it := item(t, items, "identity-store-retry-limit-schema"); it.Applies != No {
		t.Errorf("--from 7.2.0: %s %s", it.Applies, it.Summary)
	}
}

func TestChecklistTomcat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := write("old.xml", "<Server>\n  <!-- -Dorg.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH=true -->\n  <Connector port=\"8080\" />\n</Server>\n")
	fixed := write("fixed.xml", "<Server>\n  <Connector port=\"8080\" encodedSolidusHandling=\"decode\" />\n</Server>\n")
	tests := []struct {
		file string
		want []string
	}{
		{old, []string{"tomcat-encoded-slash: yes", "  " + old + ":2 sets org.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH=true: <!-- -Dorg.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH=true -->"}},
		{fixed, []string{"tomcat-encoded-slash: no", "  " + fixed + ":2 a Connector sets encodedSolidusHandling: <Connector port=\"8080\" encodedSolidusHandling=\"decode\" />"}},
	}
	for _, tt := range tests {
		items, _ := build(t, "fbc-70-device", testCase{opts: Options{TomcatServerXML: tt.file}})
		if diff := gocmp.Diff(tt.want, brief(item(t, items, "tomcat-encoded-slash"))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
	if _, err := tomcatItem(filepath.Join(dir, "missing.xml")); err == nil || !strings.Contains(err.Error(), "--tomcat-server-xml") {
		t.Errorf("a missing file: %v", err)
	}
}

// Steps that come with a later release than the upgrade's target do not
// apply, whatever the configuration shows, and say why.
func TestChecklistTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target string
		want   map[string]Applies
	}{
		{"7.4.0", map[string]Applies{"transient-state-key": No, "identity-store-retry-limit-schema": Yes, "identity-store-device-schema": No,
			"config-store-sort-aci": No, "custom-advanced-properties": Yes, "javax-references": No, "tomcat-encoded-slash": No}},
		{"8.0.0", map[string]Applies{"transient-state-key": No, "identity-store-retry-limit-schema": Yes, "identity-store-device-schema": No,
			"config-store-sort-aci": No, "custom-advanced-properties": Yes, "javax-references": Yes, "tomcat-encoded-slash": Unknown}},
		{"8.1.0", map[string]Applies{"transient-state-key": Yes, "identity-store-retry-limit-schema": Yes, "identity-store-device-schema": Yes,
			"config-store-sort-aci": Yes, "custom-advanced-properties": Yes, "javax-references": Yes, "tomcat-encoded-slash": Unknown}},
	}
	for _, tt := range tests {
		target, err := engine.ParseVersion(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		items, _ := build(t, "amster-651", testCase{opts: Options{Target: target}})
		got := map[string]Applies{}
		for _, it := range items {
			got[it.ID] = it.Applies
			if BeyondTarget(it, target) && !strings.Contains(it.Summary, "this upgrade goes to AM "+tt.target) {
				t.Errorf("--to %s: %s does not say why it does not apply: %q", tt.target, it.ID, it.Summary)
			}
		}
		if diff := gocmp.Diff(tt.want, got); diff != "" {
			t.Errorf("--to %s (-want +got):\n%s", tt.target, diff)
		}
	}
}

func item(t *testing.T, items []Item, id string) Item {
	t.Helper()
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no checklist item %s", id)
	return Item{}
}

func TestNeedle(t *testing.T) {
	n := newNeedle(`"script"`, `script"`)
	tests := []struct {
		data string
		want int
	}{
		{``, -1},
		{`script"`, -1}, // the anchor, with no room for the quote before it
		{`{"script":1}`, 1},
		{`{"noscript":1,"script":2}`, 14},
		{`"script`, -1},
		{`x"script"`, 1},
	}
	for _, tt := range tests {
		if got := n.index([]byte(tt.data)); got != tt.want {
			t.Errorf("index(%q) = %d, want %d", tt.data, got, tt.want)
		}
		if got, want := n.index([]byte(tt.data)), bytes.Index([]byte(tt.data), n.s); got != want {
			t.Errorf("index(%q) = %d, bytes.Index %d", tt.data, got, want)
		}
	}
}

func TestEncodedJavax(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		data string
		want bool
	}{
		{`{"data":{"script":"` + b64("var c = new javax.servlet.http.Cookie('a', 'b');") + `"}}`, true},
		{`{"data":{"script" : "` + b64("var x = 1;\nvar ws = javax.websocket.Session;") + `"}}`, true},
		{`{"data":{"script":"` + b64("var x = javax.xml.parsers;") + `"}}`, false},
		{`{"data":{"script":"4a1c3f0e-1111-4c5a-9a4e-2f1d3c4b5a6e"}}`, false},
		{`{"data":{"script":{"id":"x"},"type":"script"}}`, false},
		{`{"data":{"script":"a\u002eb"}}`, true}, // escapes: the parse decides
		{`{"data":{"nodes":[{"script":"x"},{"script":"` + b64("javax.servlet.A") + `"}]}}`, true},
	}
	for _, tt := range tests {
		if got := encodedJavax([]byte(tt.data)); got != tt.want {
			t.Errorf("encodedJavax(%s) = %v, want %v", tt.data, got, tt.want)
		}
	}
}
