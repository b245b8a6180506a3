package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/internal/treetest"
)

// The global scripts the Amster steps from 6.5 add (add-new-global-script-settings
// and the two script-settings transforms).
var bundledScriptUUIDs = []string{
	"d22f9a0c-426a-4466-b95e-d0f125b0d5fa", "c735de08-f8f2-4e69-aa4a-2d8d3d438323",
	"da56fe60-8b38-4c46-a405-d6b306d4b336", "25e6c06d-cf70-473b-bd28-26931edc476b",
	"c4f22465-2368-4e27-8013-e6399974fd48", "248b8a56-df81-4b1b-b4ba-45d994f6504c",
	"5e854779-6ec1-4c39-aeba-0477e0986646", "3f93ef6e-e54a-4393-aba1-f322656db28a",
	"400e48ba-3f13-4144-ac7b-f824ea8e98c5", "69f06e63-128c-4e2f-af52-079a8a6f448b",
	"6c49bebe-3a62-11ed-a261-0242ac120002",
}

func parseFile(t *testing.T, b []byte, name string) *amjson.Value {
	t.Helper()
	v, err := amjson.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// report reads a JSON report and returns its not-implemented notices.
func manualSteps(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Notices []map[string]string `json:"notices"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, n := range r.Notices {
		if n["code"] == "not-implemented" {
			out = append(out, n)
		}
	}
	return out
}

// --reference with the shared 8.0.2 Amster export and the 7.5.0 FBC tree: the
// 6.5.1 export gets the bundled global scripts, as the reference holds them,
// converted from FBC where need be; what the reference lacks stays a manual
// step.
func TestReferenceRealTrees(t *testing.T) {
	t.Parallel()
	in := needReal(t, "amster-6.5.1-forgeops-cdm")
	amsterRef := needReal(t, "amster-8.0.2-manoharreddy")
	fbcRef := needReal(t, "fbc-7.5.0-darkedges")
	for _, tc := range []struct {
		name, ref string
		missing   []string // scripts the reference lacks
	}{
		{"amster-8.0.2", amsterRef, []string{"6c49bebe-3a62-11ed-a261-0242ac120002"}},
		{"fbc-7.5.0", fbcRef, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			rep := filepath.Join(t.TempDir(), "report.json")
			if code, _, stderr := run(t, "-i", in, "-o", out, "--to", "8.1.0", "-a", "8.1.0", "--reference", tc.ref, "--report", rep); code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var missing []string
			for _, uuid := range bundledScriptUUIDs {
				b, err := os.ReadFile(filepath.Join(out, "global", "GlobalScripts", uuid+".json"))
				if err != nil {
					missing = append(missing, uuid)
					continue
				}
				got := parseFile(t, b, uuid)
				if av := got.Get("metadata").Get("amsterVersion"); av == nil || av.Text != "8.1.0" {
					t.Errorf("%s: amsterVersion %v, want the run's 8.1.0", uuid, av)
				}
				data := got.Get("data")
				body, err := base64.StdEncoding.DecodeString(data.Get("script").Text)
				if err != nil {
					t.Errorf("%s: the script is not base64: %v", uuid, err)
				}
				var want []byte
				if tc.ref == amsterRef {
					ref := parseFile(t, mustRead(t, filepath.Join(amsterRef, "global", "GlobalScripts", uuid+".json")), uuid)
					if !amjson.Equal(ref.Get("data"), data) {
						t.Errorf("%s: the data differs from the reference's", uuid)
					}
					want, _ = base64.StdEncoding.DecodeString(ref.Get("data").Get("script").Text)
				} else {
					ref := parseFile(t, mustRead(t, filepath.Join(fbcRef, "services", "realm", "root", "scriptingservice", "1.0", "globalconfig", "default", "globalscripts", uuid+".json")), uuid)
					want = []byte(ref.Get("data").Get("script").Text)
					if c := ref.Get("data").Get("context").Text; data.Get("context").Text != c {
						t.Errorf("%s: context %s, want the reference's %s", uuid, data.Get("context").Text, c)
					}
				}
				if !bytes.Equal(body, want) {
					t.Errorf("%s: the body differs from the reference's", uuid)
				}
			}
			if diff := cmp.Diff(tc.missing, missing); diff != "" {
				t.Errorf("scripts not created (-want +got):\n%s", diff)
			}
			var reported []string
			for _, n := range manualSteps(t, rep) {
				if strings.HasPrefix(n["file"], "global/GlobalScripts/") {
					reported = append(reported, strings.TrimSuffix(strings.TrimPrefix(n["file"], "global/GlobalScripts/"), ".json"))
				}
			}
			if diff := cmp.Diff(tc.missing, reported); diff != "" {
				t.Errorf("scripts reported as manual steps (-want +got):\n%s", diff)
			}
		})
	}
}

// The node services add-new-service writes without a reference are what a
// fresh 7.5.0 install holds, byte for byte; with the FBC reference they are
// copied from it, and with an Amster one (which holds no such services) the
// built-in shape is used.
func TestNodeServicesAsInstalled(t *testing.T) {
	t.Parallel()
	in := filepath.Join(needReal(t, "fbc-7.2-forgeops-cdk"), "services")
	installed := filepath.Join(needReal(t, "fbc-7.5.0-darkedges"), "services")
	amsterRef := needReal(t, "amster-8.0.2-manoharreddy")
	services := []string{"multifactorregistrationoptionsnode", "pushregistrationnode", "optoutmultifactorauthenticationnode",
		"getauthenticatorappnode", "oathregistrationnode", "oathtokenverifiernode", "passthroughauthenticationnode", "pushwaitnode"}
	for _, ref := range []string{"", installed, amsterRef} {
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"-i", in, "-o", out, "--fileBasedMode", "--to", "8.1.0"}
		if ref != "" {
			args = append(args, "--reference", ref)
		}
		if code, _, stderr := run(t, args...); code != 0 {
			t.Fatalf("--reference %q: exit %d\n%s", ref, code, stderr)
		}
		for _, s := range services {
			for _, rel := range []string{"realm/root/" + s + ".json", "realm/root/" + s + "/1.0/organizationconfig/defaultconfig.json"} {
				got, want := mustRead(t, filepath.Join(out, filepath.FromSlash(rel))), mustRead(t, filepath.Join(installed, filepath.FromSlash(rel)))
				if !bytes.Equal(got, want) {
					t.Errorf("--reference %q: %s differs from the 7.5.0 install's", ref, rel)
				}
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A 6.5.1 → 8.1 run of the real export reports each vendor change it did
// not make, once, with what to do by hand.
func TestManualSteps651(t *testing.T) {
	t.Parallel()
	in := needReal(t, "amster-6.5.1-forgeops-cdm")
	rep := filepath.Join(t.TempDir(), "report.json")
	if code, _, stderr := run(t, "-i", in, "--check", "--to", "8.1.0", "-a", "8.1.0", "--report", rep); code != 4 {
		t.Fatalf("exit %d, want 4 (changes)\n%s", code, stderr)
	}
	type step struct{ Rule, Transform, Needs, File, Pointer string }
	var got []step
	seen := map[step]bool{}
	for _, n := range manualSteps(t, rep) {
		s := step{n["rule"], n["transform"], n["needs"], n["file"], n["pointer"]}
		if seen[s] {
			t.Errorf("reported twice: %+v", s)
		}
		seen[s] = true
		got = append(got, s)
		if n["message"] == "" || n["action"] == "" || n["reason"] == "" || !strings.Contains(n["message"], "would have") {
			t.Errorf("%+v: a manual step says what the vendor would have done, why not, and what to do: %v", s, n)
		}
	}
	script := func(rule, transform, uuid string) step {
		return step{rule, transform, "licensed-content", "global/GlobalScripts/" + uuid + ".json", ""}
	}
	want := []step{
		script("AME-22086", "add-new-global-script-settings", "248b8a56-df81-4b1b-b4ba-45d994f6504c"),
		script("AME-21631", "add-new-global-script-settings", "25e6c06d-cf70-473b-bd28-26931edc476b"),
		script("AME-21303", "add-new-global-script-settings", "3f93ef6e-e54a-4393-aba1-f322656db28a"),
		script("OPENAM-19232", "add-new-global-script-settings", "400e48ba-3f13-4144-ac7b-f824ea8e98c5"),
		script("AME-22015", "add-new-global-script-settings", "5e854779-6ec1-4c39-aeba-0477e0986646"),
		script("AME-21638", "add-new-global-script-settings", "69f06e63-128c-4e2f-af52-079a8a6f448b"),
		script("7.4-library-script", "add-new-global-script-settings", "6c49bebe-3a62-11ed-a261-0242ac120002"),
		script("AME-21617", "add-new-global-script-settings", "c4f22465-2368-4e27-8013-e6399974fd48"),
		script("7.1-may-act-script-settings", "add-may-act-script-settings", "c735de08-f8f2-4e69-aa4a-2d8d3d438323"),
		script("7.0-access-token-script-settings", "add-access-token-script-settings", "d22f9a0c-426a-4466-b95e-d0f125b0d5fa"),
		script("AME-21302", "add-new-global-script-settings", "da56fe60-8b38-4c46-a405-d6b306d4b336"),
		{"7.0-saml2-client-storage-secret", "generate-symmetric-secret", "key-material", "global/KeyStoreSecretStore/default-keystore/KeyStoreMappings/am.global.services.saml2.client.storage.jwt.encryption.json", ""},
		{"AME-22077", "generate-symmetric-secret", "key-material", "global/KeyStoreSecretStore/default-keystore/KeyStoreMappings/am.services.uma.pct.encryption.json", ""},
		{"7.0-saml2-password-protected-alias", "move-password-protected-alias-to-secrets", "key-material", "global/SamlV2ServiceConfiguration.json", "/data/defaults/metadataSigningKey"},
		{"7.1-may-act-script-settings", "add-may-act-script-settings", "licensed-content", "global/ScriptingEngineConfiguration/OAUTH2_MAY_ACT.json", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manual steps of the 6.5.1 export (-want +got):\n%s", diff)
	}
}

// --fetch-well-known reads the issuer over the network; a failure stops the
// run, names the URL, and writes nothing.
func TestFetchWellKnownFlag(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok/.well-known/openid-configuration" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"issuer": "https://idp.example.com/ok"}`))
	}))
	defer srv.Close()
	tree := func(path string) string {
		dir := t.TempDir()
		treetest.Make(t, dir, map[string]string{
			"realm/root/configurationversionservice/1.0/globalconfig/default.json": `{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"},
 "data": {"_id": "default", "appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`,
			"realm/root/socialidentityproviders/1.0/organizationconfig/default/oidcconfig/corp.json": `{"metadata": {"realm": "/", "entityType": "SocialIdentityProviders", "entityId": "default/oidcConfig/corp"},
 "data": {"_id": "default/oidcConfig/corp", "clientId": "id", "wellKnownEndpoint": "` + srv.URL + path + `/.well-known/openid-configuration"}}`,
		})
		return dir
	}
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run(t, "-i", tree("/ok"), "-o", out, "--fileBasedMode", "--only", "AME-20751", "--fetch-well-known", "fbc/latest"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := parseFile(t, mustRead(t, filepath.Join(out, "realm/root/socialidentityproviders/1.0/organizationconfig/default/oidcconfig/corp.json")), "corp")
	if iss := got.Get("data").Get("issuer"); iss == nil || iss.Text != "https://idp.example.com/ok" {
		t.Errorf("issuer %v, want the discovery document's", iss)
	}

	out2 := filepath.Join(t.TempDir(), "out")
	code, _, stderr := run(t, "-i", tree("/down"), "-o", out2, "--fileBasedMode", "--only", "AME-20751", "--fetch-well-known", "fbc/latest")
	if code != ExitFailed || !strings.Contains(stderr, srv.URL+"/down/.well-known/openid-configuration: 503 Service Unavailable") || !strings.Contains(stderr, "oidcconfig/corp.json") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d naming the URL, the status and the file", code, stderr, ExitFailed)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Errorf("the failed run wrote %s", out2)
	}
}
