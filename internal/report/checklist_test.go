package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// buildCase reads a tree from testdata/checklist/NAME.txtar, runs no rules
// over it, and builds the report.
func buildCase(t *testing.T, name string, run Run) *Report {
	t.Helper()
	return Upgrade{In: txtarTree(t, name), IgnoreNoRuleTracking: true, Run: run}.Report(t)
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
	r := buildCase(t, "fbc-70-device", Run{})
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
	if diff := cmp.Diff(want, briefAll(r.Checklist)); diff != "" {
		t.Errorf("checklist (-want +got):\n%s", diff)
	}
	if r.StartAMVersion != "7.0.2" {
		t.Errorf("start AM version %q, want 7.0.2 (from com.iplanet.am.version)", r.StartAMVersion)
	}
	js := item(t, r, "javax-references")
	if want := "2 scripts and 1 allowlist entry still reference javax.servlet or javax.websocket; amupgrade --with jakarta migrates them"; js.Summary != want {
		t.Errorf("summary %q, want %q", js.Summary, want)
	}
	// --show-secrets shows the value of a secret property.
	r = buildCase(t, "fbc-70-device", Run{Masker: Masker{Show: true}})
	if got := strings.Join(brief(item(t, r, "custom-advanced-properties")), "\n"); !strings.Contains(got, "com.example.proxy.password=hunter2") {
		t.Errorf("--show-secrets: the property is still masked:\n%s", got)
	}
}

func TestChecklistAmster(t *testing.T) {
	r := buildCase(t, "amster-651", Run{})
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
	if diff := cmp.Diff(want, briefAll(r.Checklist)); diff != "" {
		t.Errorf("checklist (-want +got):\n%s", diff)
	}
	if s, want := item(t, r, "javax-references").Summary, "1 script still references javax.servlet or javax.websocket"; !strings.HasPrefix(s, want) {
		t.Errorf("javax summary %q, want it to start with %q", s, want)
	}
	if s := item(t, r, "transient-state-key").Summary; !strings.Contains(s, "no global secret store maps") {
		t.Errorf("a realm-only mapping is not enough: %q", s)
	}
	if a := item(t, r, "config-store-sort-aci").Action; !strings.Contains(a, `userdn = "ldap:///uid=am-config,ou=admins,ou=am-config"`) {
		t.Errorf("the ACI does not name the bind DN of the tree:\n%s", a)
	}
	// --from wins over the export's amsterVersion.
	r = buildCase(t, "amster-651", Run{From: "7.2.0"})
	if it := item(t, r, "identity-store-retry-limit-schema"); it.Applies != No {
		t.Errorf("--from 7.2.0: %s %s", it.Applies, it.Summary)
	}
}

func TestChecklistTomcat(t *testing.T) {
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
		r := buildCase(t, "fbc-70-device", Run{TomcatServerXML: tt.file})
		if diff := cmp.Diff(tt.want, brief(item(t, r, "tomcat-encoded-slash"))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
	if _, err := tomcatItem(filepath.Join(dir, "missing.xml")); err == nil || !strings.Contains(err.Error(), "--tomcat-server-xml") {
		t.Errorf("a missing file: %v", err)
	}
}

// The console prints one line per item that applies, and nothing when
// none does.
func TestConsoleLines(t *testing.T) {
	r := buildCase(t, "amster-651", Run{})
	lines := r.ConsoleLines()
	if len(lines) != 1+len(r.Applicable()) || !strings.HasPrefix(lines[0], "Manual steps") {
		t.Fatalf("console lines:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[1], "  - Transient state encryption key: ") || !strings.HasSuffix(lines[1], " (guide: Before you upgrade)") {
		t.Errorf("first item line: %q", lines[1])
	}
	r.Checklist = []Item{{ID: "x", Applies: No}, {ID: "y", Applies: Unknown}}
	if lines := r.ConsoleLines(); lines != nil {
		t.Errorf("nothing applies, yet the console prints:\n%s", strings.Join(lines, "\n"))
	}
}

func item(t *testing.T, r *Report, id string) Item {
	t.Helper()
	for _, it := range r.Checklist {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no checklist item %s", id)
	return Item{}
}
