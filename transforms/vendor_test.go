package transforms

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/engine"
)

// The files of the tracking document of each layout.
var testTracking = map[engine.Mode][2]string{
	engine.FBC: {"realm/root/configurationversionservice/1.0/globalconfig/default.json",
		`{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"}, "data": {"_id": "default", "appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`},
	engine.Amster: {"global/ConfigurationVersionService.json",
		`{"metadata": {"realm": null, "amsterVersion": "7.0.0", "entityType": "ConfigurationVersionService", "entityId": "ConfigurationVersionService", "pathParams": {}}, "data": {"_id": "", "configurationVersion": "5.0.0.0"}}`},
}

// testStep is one rule of a test chain: a transform with its args, on the
// documents sel selects within a section (sel nil: a whole-tree transform).
type testStep struct {
	sel       *engine.Selector
	within    amjson.Pointer
	transform string
	args      string
}

// runTransforms writes files into a tree of the mode, applies one rule per
// step in order, and returns the files of the new tree (compact JSON, the
// tracking document left out) and the notices.
func runTransforms(t *testing.T, mode engine.Mode, files map[string]string, steps []testStep, opts engine.Options) (map[string]string, []engine.Notice, error) {
	t.Helper()
	dir := t.TempDir()
	tr := testTracking[mode]
	files[tr[0]] = tr[1]
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chain := &engine.Chain{Mode: mode}
	for i, s := range steps {
		tf, ok := Lookup(s.transform)
		if !ok {
			t.Fatalf("no transform %s", s.transform)
		}
		var args *amjson.Value
		if s.args != "" {
			v, err := amjson.Parse([]byte(s.args))
			if err != nil {
				t.Fatal(err)
			}
			args = v
		}
		if tf.Check != nil {
			if err := tf.Check(args); err != nil {
				t.Fatalf("%s: %v", s.transform, err)
			}
		}
		chain.Rules = append(chain.Rules, &engine.Rule{ID: "R" + string(rune('1'+i)), Parts: []*engine.Part{{Select: s.sel, Within: s.within, Ops: []engine.Op{&engine.TransformOp{T: tf, Args: args}}}}})
	}
	tree, err := engine.ReadTree(context.Background(), dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Apply(context.Background(), tree, chain, opts)
	if err != nil {
		return nil, nil, err
	}
	out, err := res.Render(context.Background(), engine.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range out.Files {
		if f.Path == tr[0] {
			continue
		}
		v, err := amjson.Parse(f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		got[f.Path] = string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))
	}
	return got, res.Notices, nil
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	v, err := amjson.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(amjson.AppendJSON(nil, v, amjson.PrintOptions{}))
}

func sel(typ string, scope engine.Scope) *engine.Selector {
	return &engine.Selector{Services: []string{typ}, Scope: scope}
}

// The vendor's hash, checked against a value computed apart (Python's
// hashlib: sha512(bytes(range(20)) + b"secret")), and our salts.
func TestSecurify(t *testing.T) {
	t.Parallel()
	salt := make([]byte, 20)
	for i := range salt {
		salt[i] = byte(i)
	}
	const want = "{SHA-512}sKd4z1tTPKVXFaBx8Bm9x2lRwNUp1NhOSk25SSnVyVvwonKVeSbs0Gr4xOiwM8m+ydM+SqoF5x48qbCjdgyMlA=="
	if got := securify(salt, "secret"); got != want {
		t.Errorf("securify = %s, want %s", got, want)
	}
	form := regexp.MustCompile(`^\{SHA-512\}[A-Za-z0-9+/]{86}==$`)
	a := securifySalt("", "realm/root/x.json", "/data/clientSecret")
	b := securifySalt("", "realm/root/y.json", "/data/clientSecret")
	c := securifySalt("seed", "realm/root/x.json", "/data/clientSecret")
	if len(a) != 20 || slices.Equal(a, b) || slices.Equal(a, c) || !slices.Equal(a, securifySalt("", "realm/root/x.json", "/data/clientSecret")) {
		t.Errorf("salts: want 20 bytes, the same for the same place and seed, another otherwise: %x %x %x", a, b, c)
	}
	if !form.MatchString(securify(a, "secret")) {
		t.Errorf("%s is not in the vendor's form", securify(a, "secret"))
	}
}

// Every transform that leaves part of the vendor's change undone says, in
// each manual step it reports, what the vendor would have done, why not,
// and what to do by hand. Each such transform has a case here that makes
// it report one.
func TestManualStepsSayWhatToDo(t *testing.T) {
	t.Parallel()
	fbcOIDC := `{"metadata": {"realm": "/", "entityType": "SocialIdentityProviders", "entityId": "default/oidcConfig/google", "pathParams": {}}, "data": {"_id": "default/oidcConfig/google", "clientId": "id", "wellKnownEndpoint": "https://accounts.google.com/.well-known/openid-configuration", "requestObjectEncryptionAlg": "RSA-OAEP-256", "privateKeyJwtExpTime": 3600}}`
	oidcPath := "realm/root/socialidentityproviders/1.0/organizationconfig/default/oidcconfig/google.json"
	cases := []struct {
		transform string
		mode      engine.Mode
		files     map[string]string
		step      testStep
	}{
		{"add-new-global-script-settings", engine.Amster, map[string]string{}, testStep{transform: "add-new-global-script-settings", args: `{"uuid": "da56fe60-8b38-4c46-a405-d6b306d4b336"}`}},
		{"add-access-token-script-settings", engine.Amster, map[string]string{}, testStep{transform: "add-access-token-script-settings"}},
		{"add-may-act-script-settings", engine.Amster, map[string]string{}, testStep{transform: "add-may-act-script-settings"}},
		{"generate-symmetric-secret", engine.Amster, map[string]string{}, testStep{transform: "generate-symmetric-secret", args: `{"label": "am.services.uma.pct.encryption", "bytes": 32}`}},
		{"move-key-alias-to-secrets-api", engine.Amster, map[string]string{"global/Session.json": `{"metadata": {"realm": null, "entityType": "Session", "entityId": "Session", "pathParams": {}}, "data": {"_id": "", "stateless": {"statelessSigningRsaCertAlias": "test"}}}`},
			testStep{sel: sel("Session", engine.GlobalScope), within: amjson.Pointer{"stateless"}, transform: "move-key-alias-to-secrets-api", args: `{"attribute": "statelessSigningRsaCertAlias", "label": "am.global.services.session.clientbased.signing"}`}},
		{"move-password-protected-alias-to-secrets", engine.Amster, map[string]string{"global/SamlV2ServiceConfiguration.json": `{"metadata": {"realm": null, "entityType": "SamlV2ServiceConfiguration", "entityId": "SamlV2ServiceConfiguration", "pathParams": {}}, "data": {"_id": "", "defaults": {"metadataSigningKey": "test", "metadataSigningKeyPass-encrypted": "AAAA"}}}`},
			testStep{sel: sel("SamlV2ServiceConfiguration", engine.GlobalScope), within: amjson.Pointer{"defaults"}, transform: "move-password-protected-alias-to-secrets"}},
		{"migrate-saml2-entities-to-secrets", engine.Amster, map[string]string{"realms/root/Saml2Entity/idp.json": `{"metadata": {"realm": "/", "entityType": "Saml2Entity", "entityId": "idp", "pathParams": {}}, "data": {"_id": "idp"}}`},
			testStep{sel: sel("Saml2Entity", engine.RealmScope), transform: "migrate-saml2-entities-to-secrets"}},
		{"move-saml2-encryption-algorithms-to-extended-metadata", engine.Amster, map[string]string{"realms/root/Saml2Entity/idp.json": `{"metadata": {"realm": "/", "entityType": "Saml2Entity", "entityId": "idp", "pathParams": {}}, "data": {"_id": "idp"}}`},
			testStep{sel: sel("Saml2Entity", engine.RealmScope), transform: "move-saml2-encryption-algorithms-to-extended-metadata"}},
		{"remove-saml2-cert-aliases-and-key-descriptors-from-config", engine.Amster, map[string]string{"realms/root/Saml2Entity/idp.json": `{"metadata": {"realm": "/", "entityType": "Saml2Entity", "entityId": "idp", "pathParams": {}}, "data": {"_id": "idp"}}`},
			testStep{sel: sel("Saml2Entity", engine.RealmScope), transform: "remove-saml2-cert-aliases-and-key-descriptors-from-config"}},
		{"configure-oidc-issuer-from-well-known", engine.FBC, map[string]string{oidcPath: fbcOIDC}, testStep{sel: sel("SocialIdentityProviders", engine.RealmScope), transform: "configure-oidc-issuer-from-well-known"}},
		{"upgrade-private-key-jwt-attributes", engine.FBC, map[string]string{oidcPath: fbcOIDC}, testStep{sel: sel("SocialIdentityProviders", engine.RealmScope), transform: "upgrade-private-key-jwt-attributes"}},
		{"upgrade-social-provider-signing-and-encryption-attributes", engine.FBC, map[string]string{oidcPath: fbcOIDC}, testStep{sel: sel("SocialIdentityProviders", engine.RealmScope), transform: "upgrade-social-provider-signing-and-encryption-attributes"}},
		{"update-oauth2-plugins-settings", engine.FBC, map[string]string{"realm/root/oauth2provider/1.0/organizationconfig/default.json": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"}, "data": {"_id": "default", "pluginsConfig": {"scopeImplementationClass": "com.example.Mine"}}}`},
			testStep{sel: sel("OAuth2Provider", engine.RealmScope), within: amjson.Pointer{"pluginsConfig"}, transform: "update-oauth2-plugins-settings"}},
		{"migrate-fapi-settings-across-service-sections", engine.FBC, map[string]string{"realm/root/oauth2provider/1.0/organizationconfig/default.json": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"}, "data": {"_id": "default", "coreOIDCConfig": {"maxAgeOfRequestObjectNbfClaim": 0}}}`},
			testStep{sel: sel("OAuth2Provider", engine.RealmScope), transform: "migrate-fapi-settings-across-service-sections"}},
		{"create-email-service-instances-fbc", engine.FBC, map[string]string{"realm/root/mailserver/1.0/organizationconfig/default.json": `{"metadata": {"realm": "/", "entityType": "MailServer", "entityId": "default"}, "data": {"_id": "default", "hostname": "smtp.example.com", "port": 465}}`},
			testStep{sel: sel("MailServer", engine.RealmScope), transform: "create-email-service-instances-fbc"}},
	}
	// create-secret-stores reports nothing of its own: what it would do
	// beyond the mappings is the key material of the transforms above.
	covered := map[string]bool{"create-secret-stores": true}
	for _, tc := range cases {
		covered[tc.transform] = true
	}
	for _, tr := range All() {
		if tr.Gap != nil && !covered[tr.Name] {
			t.Errorf("%s leaves part of the vendor's change to the user but has no case here", tr.Name)
		}
	}
	for _, tc := range cases {
		t.Run(tc.transform, func(t *testing.T) {
			t.Parallel()
			steps := []testStep{tc.step}
			if tc.transform == "move-key-alias-to-secrets-api" {
				steps = append(steps, testStep{transform: "create-secret-stores"})
			}
			_, notices, err := runTransforms(t, tc.mode, tc.files, steps, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var manual []engine.Notice
			for _, n := range engine.NoticesOf(notices, engine.NoticeNotImplemented) {
				if n.Transform == tc.transform {
					manual = append(manual, n)
				}
			}
			if len(manual) == 0 {
				t.Fatalf("no manual step; notices: %v", notices)
			}
			for _, n := range manual {
				if n.Message == "" || n.Action == "" || n.Reason == "" || !slices.Contains(engine.Needs(), n.Needs) || n.RuleID == "" {
					t.Errorf("a manual step must say what the vendor would have done, why not, with a known need, and what to do by hand: %#v", n)
				}
				if !strings.Contains(n.Message, "would have") {
					t.Errorf("the message does not say what the vendor would have done: %s", n.Message)
				}
			}
		})
	}
}

// The document transforms whose effect the facts give, in both layouts
// where they apply: what they write, compared whole.
func TestVendorTransformEffects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		mode  engine.Mode
		files map[string]string
		steps []testStep
		want  map[string]string
	}{{
		name: "social provider signing and encryption, Amster OIDC",
		mode: engine.Amster,
		files: map[string]string{"realms/root/OIDCClient/google.json": `{"metadata": {"realm": "/", "entityType": "OIDCClient", "entityId": "google", "pathParams": {}},
			"data": {"_id": "google", "clientId": "id", "requestObjectSigningAlg": "", "requestObjectEncryptionAlg": ""}}`},
		steps: []testStep{{sel: sel("OIDCClient", engine.RealmScope), transform: "upgrade-social-provider-signing-and-encryption-attributes"}},
		want: map[string]string{"realms/root/OIDCClient/google.json": `{"metadata": {"realm": "/", "entityType": "OIDCClient", "entityId": "google", "pathParams": {}},
			"data": {"_id": "google", "clientId": "id", "jwtSigningAlgorithm": "NONE", "jwtEncryptionAlgorithm": "NONE", "jwtEncryptionMethod": "NONE", "encryptJwtRequestParameter": false}}`},
	}, {
		name: "form-post redirect URI, FBC",
		mode: engine.FBC,
		files: map[string]string{"realm/root/socialidentityproviders/1.0/organizationconfig/default/appleconfig/apple_web.json": `{"metadata": {"realm": "/", "entityType": "SocialIdentityProviders", "entityId": "default/appleConfig/apple_web"},
			"data": {"_id": "default/appleConfig/apple_web", "redirectURI": "https://am.example.com/am/oauth2/client/form_post"}}`},
		steps: []testStep{{sel: sel("SocialIdentityProviders", engine.RealmScope), transform: "append-social-provider-form-post-redirect-uri-with-entity-id"}},
		want: map[string]string{"realm/root/socialidentityproviders/1.0/organizationconfig/default/appleconfig/apple_web.json": `{"metadata": {"realm": "/", "entityType": "SocialIdentityProviders", "entityId": "default/appleConfig/apple_web"},
			"data": {"_id": "default/appleConfig/apple_web", "redirectURI": "https://am.example.com/am/oauth2/client/form_post/apple_web"}}`},
	}, {
		name: "key alias to a mapping, FBC store without a mappings node",
		mode: engine.FBC,
		files: map[string]string{
			"realm/root/iplanetamsessionservice/1.0/globalconfig/default.json":              `{"metadata": {"realm": null, "entityType": "iPlanetAMSessionService", "entityId": "default"}, "data": {"_id": "default", "stateless": {"statelessEncryptionRsaCertAlias": "test"}}}`,
			"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore.json": `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default/default-keystore"}, "data": {"_id": "default/default-keystore"}}`,
		},
		steps: []testStep{
			{sel: sel("iPlanetAMSessionService", engine.GlobalScope), within: amjson.Pointer{"stateless"}, transform: "move-key-alias-to-secrets-api", args: `{"attribute": "statelessEncryptionRsaCertAlias", "label": "am.global.services.session.clientbased.encryption"}`},
			{transform: "create-secret-stores"},
		},
		want: map[string]string{
			"realm/root/iplanetamsessionservice/1.0/globalconfig/default.json":                       `{"metadata": {"realm": null, "entityType": "iPlanetAMSessionService", "entityId": "default"}, "data": {"_id": "default", "stateless": {}}}`,
			"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore.json":          `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default/default-keystore"}, "data": {"_id": "default/default-keystore"}}`,
			"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore/mappings.json": `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default/default-keystore/mappings", "uid": "ou=mappings,ou=default-keystore,ou=default,ou=GlobalConfig,ou=1.0,ou=KeyStoreSecretStore,ou=services,ou=am-config", "sunServiceID": "mappings", "objectClass": ["sunServiceComponent", "top"], "pathParams": {}, "ou": ["mappings"]}, "data": {"_id": "default/default-keystore/mappings", "_type": {"_id": "KeyStoreSecretStore", "name": "KeyStoreSecretStore", "collection": false}}}`,
			"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore/mappings/am.global.services.session.clientbased.encryption.json": `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default/default-keystore/mappings/am.global.services.session.clientbased.encryption", "uid": "ou=am.global.services.session.clientbased.encryption,ou=mappings,ou=default-keystore,ou=default,ou=GlobalConfig,ou=1.0,ou=KeyStoreSecretStore,ou=services,ou=am-config", "sunServiceID": "instance", "objectClass": ["sunServiceComponent", "top"], "pathParams": {}, "ou": ["am.global.services.session.clientbased.encryption"]},
				"data": {"_id": "default/default-keystore/mappings/am.global.services.session.clientbased.encryption", "_type": {"_id": "KeyStoreSecretStore", "name": "KeyStoreSecretStore", "collection": false}, "secretId": "am.global.services.session.clientbased.encryption", "aliases": ["test"]}}`,
		},
	}, {
		name: "email transport, Amster",
		mode: engine.Amster,
		files: map[string]string{"realms/root-alpha/EmailService.json": `{"metadata": {"realm": "/alpha", "amsterVersion": "7.2.0", "entityType": "EmailService", "entityId": "EmailService", "pathParams": {}},
			"data": {"_id": "", "hostname": "smtp.example.com", "port": 587, "sslState": "Start TLS", "from": "am@example.com"}}`},
		steps: []testStep{{sel: sel("EmailService", engine.RealmScope), transform: "create-email-service-instances-amster"}},
		want: map[string]string{
			"realms/root-alpha/EmailService.json": `{"metadata": {"realm": "/alpha", "amsterVersion": "7.2.0", "entityType": "EmailService", "entityId": "EmailService", "pathParams": {}},
				"data": {"_id": "", "hostname": "smtp.example.com", "port": 587, "sslState": "Start TLS", "from": "am@example.com"}}`,
			"realms/root-alpha/Smtp/default-smtp.json": `{"metadata": {"realm": "/alpha", "amsterVersion": "7.0.0", "entityType": "Smtp", "entityId": "default-smtp", "pathParams": {}},
				"data": {"_id": "default-smtp", "hostname": "smtp.example.com", "port": 587, "sslState": "Start TLS", "_type": {"_id": "smtpTransports", "name": "SMTP", "collection": true}}}`,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := runTransforms(t, tc.mode, tc.files, tc.steps, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for p, s := range tc.want {
				want[p] = compactJSON(t, s)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// With --fetch-well-known the issuer comes from the discovery document;
// every failure is an error that names the URL and the file.
func TestFetchWellKnown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"issuer": "https://idp.example.com/good", "jwks_uri": "https://idp.example.com/jwks"}`))
		case "/no-issuer/.well-known/openid-configuration":
			w.Write([]byte(`{"jwks_uri": "x"}`))
		case "/not-json/.well-known/openid-configuration":
			w.Write([]byte(`<html>`))
		case "/slow/.well-known/openid-configuration":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	provider := func(path string) map[string]string {
		return map[string]string{"realm/root/socialidentityproviders/1.0/organizationconfig/default/oidcconfig/p.json": `{"metadata": {"realm": "/", "entityType": "SocialIdentityProviders", "entityId": "default/oidcConfig/p"},
			"data": {"_id": "default/oidcConfig/p", "wellKnownEndpoint": "` + srv.URL + path + `/.well-known/openid-configuration"}}`}
	}
	step := []testStep{{sel: sel("SocialIdentityProviders", engine.RealmScope), transform: "configure-oidc-issuer-from-well-known"}}
	opts := engine.Options{FetchWellKnown: true, FetchTimeout: 200 * time.Millisecond, HTTPClient: srv.Client()}

	got, notices, err := runTransforms(t, engine.FBC, provider("/good"), step, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got["realm/root/socialidentityproviders/1.0/organizationconfig/default/oidcconfig/p.json"], `"issuer" : "https://idp.example.com/good"`) {
		t.Errorf("issuer not set: %v", got)
	}
	if len(engine.NoticesOf(notices, engine.NoticeNotImplemented)) > 0 {
		t.Errorf("a manual step although the issuer was fetched: %v", notices)
	}

	for path, want := range map[string]string{
		"/missing":   "404 Not Found",
		"/no-issuer": "has no issuer",
		"/not-json":  "is not a JSON discovery document",
		"/slow":      "no answer within 200ms",
	} {
		_, _, err := runTransforms(t, engine.FBC, provider(path), step, opts)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), srv.URL+path) || !strings.Contains(err.Error(), "oidcconfig/p.json") {
			t.Errorf("%s: error %v, want one naming the URL, the file and %q", path, err, want)
		}
	}

	// Without the flag: no request, a manual step naming the URL and the attribute.
	_, notices, err = runTransforms(t, engine.FBC, provider("/good"), step, engine.Options{HTTPClient: &http.Client{Transport: failTransport{t}}})
	if err != nil {
		t.Fatal(err)
	}
	manual := engine.NoticesOf(notices, engine.NoticeNotImplemented)
	if len(manual) != 1 || manual[0].Pointer != "/data/issuer" || !strings.Contains(manual[0].Action, srv.URL+"/good/.well-known/openid-configuration") || manual[0].Needs != engine.NeedNetwork {
		t.Errorf("manual steps %#v", manual)
	}
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("a request without --fetch-well-known: %s", r.URL)
	return nil, http.ErrNotSupported
}

// A global script from the reference, in either layout, becomes the
// tree's layout: the body base64 in Amster, the attributes in their order.
func TestGlobalScriptFromReference(t *testing.T) {
	t.Parallel()
	body := "var a = 1;\n"
	uuid := "da56fe60-8b38-4c46-a405-d6b306d4b336"
	amsterScript := `{"metadata": {"realm": null, "amsterVersion": "8.0.2", "entityType": "GlobalScripts", "entityId": "` + uuid + `", "pathParams": {}},
		"data": {"_id": "` + uuid + `", "createdBy": "me", "evaluatorVersion": "V1_0", "language": "JAVASCRIPT", "script": "` + base64.StdEncoding.EncodeToString([]byte(body)) + `", "context": "OAUTH2_EVALUATE_SCOPE", "name": "S", "_type": {"_id": "globalScript", "name": "globalScript", "collection": true}}}`
	fbcScript := `{"metadata": {"realm": null, "entityType": "ScriptingService", "entityId": "default/globalScripts/` + uuid + `", "uid": "ou=` + uuid + `,ou=globalScripts,ou=default,ou=GlobalConfig,ou=1.0,ou=ScriptingService,ou=services,ou=cfg", "sunServiceID": "globalScript", "objectClass": ["sunServiceComponent", "top"], "pathParams": {}, "ou": ["` + uuid + `"]},
		"data": {"_id": "default/globalScripts/` + uuid + `", "_type": {"_id": "ScriptingService", "name": "ScriptingService", "collection": false}, "createdBy": "me", "evaluatorVersion": "V1_0", "language": "JAVASCRIPT", "script": "var a = 1;\n", "context": "OAUTH2_EVALUATE_SCOPE", "name": "S"}}`
	refs := map[string]map[string]string{
		"amster": {"global/GlobalScripts/" + uuid + ".json": amsterScript},
		"fbc": {
			"realm/root/scriptingservice/1.0/globalconfig/default/globalscripts/" + uuid + ".json": fbcScript,
			testTracking[engine.FBC][0]: testTracking[engine.FBC][1],
		},
	}
	wantAmster := `{"metadata": {"realm": null, "amsterVersion": "7.0.0", "entityType": "GlobalScripts", "entityId": "` + uuid + `", "pathParams": {}},
		"data": {"_id": "` + uuid + `", "createdBy": "me", "evaluatorVersion": "V1_0", "language": "JAVASCRIPT", "script": "` + base64.StdEncoding.EncodeToString([]byte(body)) + `", "context": "OAUTH2_EVALUATE_SCOPE", "name": "S", "_type": {"_id": "globalScript", "name": "globalScript", "collection": true}}}`
	wantFBC := strings.Replace(fbcScript, "ou=services,ou=cfg", "ou=services,ou=am-config", 1)
	for _, mode := range []engine.Mode{engine.Amster, engine.FBC} {
		for name, files := range refs {
			t.Run(string(mode)+" from "+name, func(t *testing.T) {
				t.Parallel()
				ref := t.TempDir()
				for p, s := range files {
					full := filepath.Join(ref, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				got, notices, err := runTransforms(t, mode, map[string]string{},
					[]testStep{{transform: "add-new-global-script-settings", args: `{"uuid": "` + uuid + `"}`}}, engine.Options{Reference: ref})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"global/GlobalScripts/" + uuid + ".json": compactJSON(t, wantAmster)}
				if mode == engine.FBC {
					w := wantFBC
					if name == "amster" {
						// Built from the Amster entity: FBC metadata of our own.
						w = `{"metadata": {"realm": null, "entityType": "ScriptingService", "entityId": "default/globalScripts/` + uuid + `", "uid": "ou=` + uuid + `,ou=globalScripts,ou=default,ou=GlobalConfig,ou=1.0,ou=ScriptingService,ou=services,ou=am-config", "sunServiceID": "globalScript", "objectClass": ["sunServiceComponent", "top"], "pathParams": {}, "ou": ["` + uuid + `"]},
							"data": {"_id": "default/globalScripts/` + uuid + `", "_type": {"_id": "ScriptingService", "name": "ScriptingService", "collection": false}, "createdBy": "me", "evaluatorVersion": "V1_0", "language": "JAVASCRIPT", "script": "var a = 1;\n", "context": "OAUTH2_EVALUATE_SCOPE", "name": "S"}}`
					}
					want = map[string]string{"realm/root/scriptingservice/1.0/globalconfig/default/globalscripts/" + uuid + ".json": compactJSON(t, w)}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("files (-want +got):\n%s", diff)
				}
				if len(notices) > 0 {
					t.Errorf("notices: %v", notices)
				}
			})
		}
	}
}

// A mapping asked for by move-key-alias-to-secrets-api waits for
// create-secret-stores; a run of some rules without it says so.
func TestMappingWithoutCreateSecretStores(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"global/Session.json":                              `{"metadata": {"realm": null, "entityType": "Session", "entityId": "Session", "pathParams": {}}, "data": {"_id": "", "stateless": {"statelessSigningRsaCertAlias": "test"}}}`,
		"global/KeyStoreSecretStore/default-keystore.json": `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default-keystore", "pathParams": {}}, "data": {"_id": "default-keystore"}}`,
	}
	got, notices, err := runTransforms(t, engine.Amster, files, []testStep{{sel: sel("Session", engine.GlobalScope), within: amjson.Pointer{"stateless"}, transform: "move-key-alias-to-secrets-api",
		args: `{"attribute": "statelessSigningRsaCertAlias", "label": "am.global.services.session.clientbased.signing"}`}}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["global/KeyStoreSecretStore/default-keystore/KeyStoreMappings/am.global.services.session.clientbased.signing.json"]; ok {
		t.Error("the mapping was written without create-secret-stores")
	}
	manual := engine.NoticesOf(notices, engine.NoticeNotImplemented)
	if len(manual) != 1 || !strings.Contains(manual[0].Message, `secret label am.global.services.session.clientbased.signing ([ "test" ])`) ||
		!strings.Contains(manual[0].Message, "no create-secret-stores rule ran after it") || !strings.HasPrefix(manual[0].Action, "run the step's create-secret-stores rule too") {
		t.Errorf("manual steps %#v", manual)
	}
}

// Two documents that map one label to different aliases: the first is
// written, the second is a manual step.
func TestMappingConflict(t *testing.T) {
	t.Parallel()
	rcs := func(realm, alias string) string {
		return `{"metadata": {"realm": "` + realm + `", "entityType": "RemoteConsentService", "entityId": "default"}, "data": {"_id": "default", "signingKeyAlias": "` + alias + `"}}`
	}
	files := map[string]string{
		"realm/root/remoteconsentservice/1.0/organizationconfig/default.json":           rcs("/", "rsajwtsigningkey"),
		"realm/root-alpha/remoteconsentservice/1.0/organizationconfig/default.json":     rcs("/alpha", "alphakey"),
		"realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore.json": `{"metadata": {"realm": null, "entityType": "KeyStoreSecretStore", "entityId": "default/default-keystore"}, "data": {"_id": "default/default-keystore"}}`,
	}
	got, notices, err := runTransforms(t, engine.FBC, files, []testStep{
		{sel: sel("RemoteConsentService", engine.RealmScope), transform: "move-key-alias-to-secrets-api", args: `{"attribute": "signingKeyAlias", "label": "am.services.oauth2.remote.consent.response.signing.RSA"}`},
		{transform: "create-secret-stores"},
	}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := got["realm/root/keystoresecretstore/1.0/globalconfig/default/default-keystore/mappings/am.services.oauth2.remote.consent.response.signing.rsa.json"]
	if !strings.Contains(m, `"rsajwtsigningkey"`) {
		t.Errorf("mapping %s, want the root realm's alias", m)
	}
	manual := engine.NoticesOf(notices, engine.NoticeNotImplemented)
	if len(manual) != 1 || manual[0].File != "realm/root/remoteconsentservice/1.0/organizationconfig/default.json" && manual[0].File != "realm/root-alpha/remoteconsentservice/1.0/organizationconfig/default.json" ||
		!strings.Contains(manual[0].Message, `[ "alphakey" ]`) || !strings.Contains(manual[0].Action, "secret store of the realm") {
		t.Errorf("manual steps %#v", manual)
	}
}
