package report

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/google/go-cmp/cmp"
)

func TestIsSecretName(t *testing.T) {
	secret := []string{
		// From the real trees.
		"userPassword", "userpassword", "bindPassword", "smtpUserPassword", "smtpPassword", "password",
		"ldapUserBindPassword", "userBindPassword", "deviceIdSettingsEncryptionKeystorePassword",
		"authenticatorPushDeviceSettingsEncryptionKeystorePrivateKeyPassword", "oidc-keystore-password",
		"saml2-signature-key-password", "soap-encryption-key-password", "org.forgerock.services.cts.store.password",
		"org.forgerock.openam.httpclienthandler.system.proxy.password", "com.sun.identity.crl.cache.directory.password",
		"sharedSecret", "sharedSecret-encrypted", "clientSecret", "provisioningClientSecret", "oidc-client-secret",
		"statelessSigningHmacSecret", "secret", "captchaSecretKey", "hashSalt", "confirmationIdHmacKey",
		"statelessEncryptionAesKey", "replayPasswordKey", "metadataSigningKeyPass", "metadataSigningKeyPass-encrypted",
		"sun-idrepo-ldapv3-config-authpw", "sun-idrepo-ldapv3-config-authpw-encrypted", "am.encryption.pwd",
		"userPassword-encrypted", "org.forgerock.services.cts.store.password-encrypted",
		// From AM's documentation and schemas.
		"iplanet-am-auth-ldap-bind-passwd", "tokenSigningHmacSharedSecret", "idTokenAuthenticitySecret", "hmacKey",
		"dsameuserpwd", "keystorePass", "truststorePass", "certificateKeystorePassword",
	}
	notSecret := []string{
		"passwordGrantAuthService", "secretId", "credentialsSecretId", "signingSecretKeyAlias", "secretKeyAttribute",
		"minimumSecretKeyLength", "allowedSecretNamePatterns", "KeyStoreSecretStore", "storePassword", "keyEntryPassword",
		"updatePassword", "resetPassword", "forgottenPassword", "promptForPassword", "minimumPasswordLength",
		"passwordAttribute", "passwordColumn", "passwordStatement", "passwordDecoderClass", "passwordExpiryTime",
		"passwordResetEnabled", "showPasswordInHeader", "beheraPasswordPolicySupportEnabled", "moduleMessageEnabledInPasswordGrant",
		"keyStorePasswordFile", "keyPasswordFile", "com.sun.identity.saml.xmlsig.storepass", "com.sun.identity.saml.xmlsig.keypass",
		"com.sun.identity.saml.xmlsig.passwordDecoder", "com.sun.identity.password.deploymentDescriptor",
		"org.forgerock.openam.secrets.special.user.passwords.format", "forgerock-oath-sharedsecret-implementation-class",
		"statelessSigningRsaCertAlias", "metadataSigningKey", "sharedStateKey", "i18nKey", "authorizedKeys",
		"encryptedKeyInKeyInfo", "userinfoEncryptedResponseAlg", "",
	}
	var got []string
	for _, n := range secret {
		if !IsSecretName(n) {
			got = append(got, "not secret: "+n)
		}
	}
	for _, n := range notSecret {
		if IsSecretName(n) {
			got = append(got, "secret: "+n)
		}
	}
	if diff := cmp.Diff([]string(nil), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func obj(members ...any) *amjson.Value {
	v := amjson.NewObject()
	for i := 0; i < len(members); i += 2 {
		v.Members = append(v.Members, amjson.Member{Key: members[i].(string), Value: members[i+1].(*amjson.Value)})
	}
	return v
}

func arr(items ...*amjson.Value) *amjson.Value {
	return &amjson.Value{Kind: amjson.Array, Items: items}
}

var str = amjson.NewString

func TestMaskValue(t *testing.T) {
	tests := []struct {
		name string
		ptr  string
		v    *amjson.Value
		want string
	}{
		{"secret string", "/data/clientSecret", str("s3cret"), `"********"`},
		{"placeholder", "/data/clientSecret", str("&{am.client.secret}"), `"&{am.client.secret}"`},
		{"placeholder with a placeholder default", "/data/userBindPassword", str("&{a.password|&{b.password}}"), `"&{a.password|&{b.password}}"`},
		{"placeholder with a literal default", "/data/userBindPassword", str("&{am.password|hunter2}"), `"&{am.password|********}"`},
		{"nested literal default", "/data/x", str("&{a|&{b.password|hunter2}}"), `"&{a|&{b.password|********}}"`},
		{"install token", "/data/am.encryption.pwd", str("@AM_ENC_PWD@"), `"@AM_ENC_PWD@"`},
		{"empty", "/data/clientSecret", str(""), `""`},
		{"not secret", "/data/name", str("s3cret"), `"s3cret"`},
		{"a service name", "/data/advancedOAuth2Config/passwordGrantAuthService", str("[Empty]"), `"[Empty]"`},
		{"a journey name", "/data/treeMapping/resetPassword", str("PlatformResetPassword"), `"PlatformResetPassword"`},
		{"a secret label", "/data/storePassword", str("storepass"), `"storepass"`},
		{"a secret label id", "/data/mappings/0/secretId", str("am.services.oauth2.jwt.authenticity.signing"), `"am.services.oauth2.jwt.authenticity.signing"`},
		{"number", "/data/pin-password", amjson.NewNumber("123456"), `"********"`},
		{"boolean and null stay", "/data/x", obj("password", amjson.NewBool(true), "clientSecret", amjson.NewNull()),
			"{\n  \"password\" : true,\n  \"clientSecret\" : null\n}"},
		{"array of secrets", "/data/password", arr(str("one"), str("two"), str("&{p}")), `[ "********", "********", "&{p}" ]`},
		{"inside a secret attribute", "/data/org.forgerock.services.cts.store.password/value", str("pw"), `"********"`},
		{"inside a secret attribute, escaped pointer", "/data/a~1b.password/0", str("pw"), `"********"`},
		{"object holding secrets", "/data/coreOAuth2ClientConfig", obj("userpassword", str("pw"), "userpassword-encrypted", str("AAAAA0FFUwIQua59DZ5tYzgXnm61MTatcEqBNgl5"), "clientName", arr(str("app"))),
			"{\n  \"userpassword\" : \"********\",\n  \"userpassword-encrypted\" : \"********\",\n  \"clientName\" : [ \"app\" ]\n}"},
		{"object under a secret name", "/data", obj("org.forgerock.services.uma.labels.store.password", obj("value", str("pw"), "inherited", amjson.NewBool(false))),
			"{\n  \"org.forgerock.services.uma.labels.store.password\" : {\n    \"value\" : \"********\",\n    \"inherited\" : false\n  }\n}"},
		{"key=value entries", "/data/serverconfig", arr(str("am.encryption.pwd=k3y"), str("com.iplanet.am.cookie.name=iPlanetDirectoryPro"),
			str("org.forgerock.services.cts.store.password=&{am.stores.cts.password}"), str("com.sun.identity.crl.cache.directory.password="),
			str("com.sun.identity.saml.xmlsig.storepass=%BASE_DIR%/security/secrets/default/.storepass")),
			`[ "am.encryption.pwd=********", "com.iplanet.am.cookie.name=iPlanetDirectoryPro", "org.forgerock.services.cts.store.password=&{am.stores.cts.password}", "com.sun.identity.crl.cache.directory.password=", "com.sun.identity.saml.xmlsig.storepass=%BASE_DIR%/security/secrets/default/.storepass" ]`},
		{"AM-encrypted shape", "/data/somethingElse", str("AQICcCfoAiWiwDQs6O9Y3ULhztBBXBeCq5T7"), `"********"`},
		{"Amster-encrypted shape", "/data/x", str("AAAAA0FFUwIQ1SNjSiB/RoLRxX6f7QGhCUPC7Z7fYx3Eh/QpUVjU0Zi0N2NGj3X5IQ=="), `"********"`},
		{"hash shape", "/data/x", arr(str("{SSHA512}c2FsdGVkaGFzaA=="), str("{SHA-512}ZGlnZXN0"), str("{PBKDF2-HMAC-SHA256}10000:abc")), `[ "********", "********", "********" ]`},
		{"PEM private key", "/data/x", str("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"), `"********"`},
		{"PEM certificate stays", "/data/x", str("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----"), `"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----"`},
		{"private JWK", "/data/jwkSet", str(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}]}`), `"********"`},
		{"public JWK stays", "/data/jwkSet", str(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`), `"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\",\"e\":\"AQAB\"}]}"`},
		{"text mentioning a password", "/data/description", str("Update password using active session"), `"Update password using active session"`},
	}
	for _, tt := range tests {
		if got := (Masker{}).Value(tt.ptr, tt.v); got != tt.want {
			t.Errorf("%s: %s: got %s, want %s", tt.name, tt.ptr, got, tt.want)
		}
	}
	v := arr(str("one"))
	if got := (Masker{Show: true}).Value("/data/password", v); got != `[ "one" ]` {
		t.Errorf("--show-secrets: got %s", got)
	}
	if v.Items[0].Text != "one" {
		t.Error("masking changed the value it printed")
	}
}

func TestMaskFileKeepsLayout(t *testing.T) {
	in := "\ufeff{\n" +
		`  "metadata": {"entityType": "OAuth2Provider"},` + "\n" +
		`  "data" : {` + "\n" +
		`    "advancedOAuth2Config" : { "passwordGrantAuthService" : "[Empty]", "hashSalt" : "rMWLMd7U\u004aJEJF" },` + "\n" +
		`    "password": [` + "\n" +
		`      "a",` + "\n" +
		`      12` + "\n" +
		`    ],` + "\n" +
		`    "serverconfig" : [ "am.encryption.pwd=k3y", "x=y" ],` + "\n" +
		`    "bindPassword" : { "$string" : "&{am.stores.user.password}" },` + "\n" +
		`    "userPassword-encrypted":"AAAAA0FFUwIQ1o/tFpFdqB1hDr+DOwyF1B4uNrvY",` + "\n" +
		`    "n" : -1.5e3, "ok" : true, "none" : null` + "\n" +
		"  }\n}"
	want := "\ufeff{\n" +
		`  "metadata": {"entityType": "OAuth2Provider"},` + "\n" +
		`  "data" : {` + "\n" +
		`    "advancedOAuth2Config" : { "passwordGrantAuthService" : "[Empty]", "hashSalt" : "********" },` + "\n" +
		`    "password": [` + "\n" +
		`      "********",` + "\n" +
		`      "********"` + "\n" +
		`    ],` + "\n" +
		`    "serverconfig" : [ "am.encryption.pwd=********", "x=y" ],` + "\n" +
		`    "bindPassword" : { "$string" : "&{am.stores.user.password}" },` + "\n" +
		`    "userPassword-encrypted":"********",` + "\n" +
		`    "n" : -1.5e3, "ok" : true, "none" : null` + "\n" +
		"  }\n}"
	if diff := cmp.Diff(want, string(Masker{}.File([]byte(in)))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := string(Masker{Show: true}.File([]byte(in))); got != in {
		t.Errorf("--show-secrets changed the file:\n%s", got)
	}
}

func TestMaskDiff(t *testing.T) {
	old := "{\n  \"a\" : 1,\n  \"clientSecret\" : \"old-secret\",\n  \"b\" : 2\n}"
	new := "{\n  \"a\" : 1,\n  \"clientSecret\" : \"new-secret\",\n  \"b\" : 3\n}\n"
	want := "diff a/f.json b/f.json\n--- a/f.json\n+++ b/f.json\n@@ -1,5 +1,5 @@\n {\n   \"a\" : 1,\n-  \"clientSecret\" : \"********\",\n-  \"b\" : 2\n-}\n\\ No newline at end of file\n+  \"clientSecret\" : \"********\",\n+  \"b\" : 3\n+}\n"
	if diff := cmp.Diff(want, Masker{}.Diff("a/f.json", []byte(old), "b/f.json", []byte(new))); diff != "" {
		t.Errorf("changed secret (-want +got):\n%s", diff)
	}
	gone := Masker{}.Diff("a/f.json", []byte(old), "/dev/null", nil)
	wantGone := "diff a/f.json /dev/null\n--- a/f.json\n+++ /dev/null\n@@ -1,5 +0,0 @@\n-{\n-  \"a\" : 1,\n-  \"clientSecret\" : \"********\",\n-  \"b\" : 2\n-}\n\\ No newline at end of file\n"
	if diff := cmp.Diff(wantGone, gone); diff != "" {
		t.Errorf("deleted file (-want +got):\n%s", diff)
	}
	created := Masker{}.Diff("/dev/null", nil, "b/s.properties", []byte("user=am\npassword=hunter2\n"))
	wantCreated := "diff /dev/null b/s.properties\n--- /dev/null\n+++ b/s.properties\n@@ -0,0 +1,2 @@\n+user=am\n+password=********\n"
	if diff := cmp.Diff(wantCreated, created); diff != "" {
		t.Errorf("created text file (-want +got):\n%s", diff)
	}
	if got := (Masker{Show: true}).Diff("a/f.json", []byte(old), "b/f.json", []byte(new)); !strings.Contains(got, "new-secret") {
		t.Errorf("--show-secrets masked the diff:\n%s", got)
	}
}

func TestMaskText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"JSON members", `-    "storePassword" : "storepass",` + "\n" + `+    "clientSecret" : "changed",` + "\n" + ` "bindPassword" : "&{am.stores.password}", "pin-password": 1234, "n" : "x"`,
			`-    "storePassword" : "storepass",` + "\n" + `+    "clientSecret" : "********",` + "\n" + ` "bindPassword" : "&{am.stores.password}", "pin-password": "********", "n" : "x"`},
		{"JSON strings by shape and key=value", `[ "am.encryption.pwd=k3y", "AQICcCfoAiWiwDQs6O9Y3ULhztBBXBeCq5T7", "[Empty]" ]`,
			`[ "am.encryption.pwd=********", "********", "[Empty]" ]`},
		{"properties", "user=am\npassword=hunter2\n\tkeystorePass = changeit\ncom.sun.identity.saml.xmlsig.storepass=/path/.storepass",
			"user=am\npassword=********\n\tkeystorePass = ********\ncom.sun.identity.saml.xmlsig.storepass=/path/.storepass"},
		{"XML attributes", `<Connector port="8443" keystorePass="changeit" truststorePass='x1' keyAlias="tomcat"/>`,
			`<Connector port="8443" keystorePass="********" truststorePass='********' keyAlias="tomcat"/>`},
		{"XML elements", "<DirDN>cn=am</DirDN><DirPassword>AQICxyz123456789012</DirPassword>\n<DirPassword>\nhunter2\n</DirPassword>\n<DirPassword>&{am.passwords.dsameuser.encrypted}\n</DirPassword>",
			"<DirDN>cn=am</DirDN><DirPassword>********</DirPassword>\n<DirPassword>\n********\n</DirPassword>\n<DirPassword>&{am.passwords.dsameuser.encrypted}\n</DirPassword>"},
		{"placeholder defaults", `holds a placeholder (&{am.stores.user.password|hunter2}) and (&{am.server.fqdn|am.example.com})`,
			`holds a placeholder (&{am.stores.user.password|********}) and (&{am.server.fqdn|am.example.com})`},
		{"shapes in text", "token AQIC5wM2LY4SfczAbCdEfGh*AAJTSQACMDE.* and {SSHA}abcdEFGH= end",
			"token ******** and ******** end"},
		{"PEM", "key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nafter",
			"key: ********\n********\n********\nafter"},
		{"names stay", `rule X: realm/root/x.json at /data/userPassword: "passwordGrantAuthService" is a name; minimumPasswordLength=8`,
			`rule X: realm/root/x.json at /data/userPassword: "passwordGrantAuthService" is a name; minimumPasswordLength=8`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Masker{}.Text(tt.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if got := (Masker{Show: true}).Text(tt.in); got != tt.in {
			t.Errorf("%s: --show-secrets changed the text:\n%s", tt.name, got)
		}
	}
}

func TestSecretValues(t *testing.T) {
	doc := obj("data", obj(
		"password", arr(str("one"), str("")),
		"hashSalt", str("salty"),
		"bindPassword", obj("$string", str("&{am.stores.user.password|dflt}")),
		"serverconfig", arr(str("am.encryption.pwd=k3y"), str("x=y")),
		"name", str("passwordGrantAuthService"),
		"other", str("AQICcCfoAiWiwDQs6O9Y3ULhztBBXBeCq5T7"),
		"pin-password", amjson.NewNumber("1234"),
		"storePassword", str("storepass"),
	))
	want := []string{"one", "salty", "dflt", "k3y", "AQICcCfoAiWiwDQs6O9Y3ULhztBBXBeCq5T7", "1234"}
	if diff := cmp.Diff(want, SecretValues(doc)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMaskRealFiles masks every JSON file of the real trees: the lines
// stay, the text is still JSON, and none of the file's secret values is
// left in it.
func TestMaskRealFiles(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "testdata", "real")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("real trees are absent (%v): this test needs ../shared/testdata/real beside the checkout", err)
	}
	files, secrets := 0, 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		doc, err := amjson.Parse(data)
		if err != nil {
			return err
		}
		files++
		masked := Masker{}.File(data)
		if bytes.Count(masked, []byte("\n")) != bytes.Count(data, []byte("\n")) {
			t.Errorf("%s: masking changed the number of lines", p)
		}
		if _, err := amjson.Parse(masked); err != nil {
			t.Errorf("%s: masked text is not JSON: %v", p, err)
		}
		for _, s := range SecretValues(doc) {
			secrets++
			if bytes.Contains(masked, []byte(s)) {
				t.Errorf("%s: secret %.6s… left in the masked text", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d secret values masked", files, secrets)
	if secrets == 0 {
		t.Error("no secret value found in the real trees: the list finds nothing")
	}
}

// TestMaskListDocumented checks that docs/report.md lists every name and
// shape rule of the code, so the documented list is the one applied.
func TestMaskListDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## What is masked\n")
	if !ok {
		t.Fatal(`docs/report.md has no "## What is masked" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, r := range append(append([]nameRule{}, secretNames...), notSecretNames...) {
		row := "(?i)\n\\| name \\| `\\*" + regexp.QuoteMeta(r.suffix) + "` \\|"
		if r.exact {
			row = "(?i)\n\\| not secret \\| `" + regexp.QuoteMeta(r.suffix) + "` \\|"
		}
		if !regexp.MustCompile(row).MatchString(section) {
			t.Errorf("docs/report.md, What is masked: no row for %q", r.suffix)
		}
	}
	if n := strings.Count(section, "\n| name |") + strings.Count(section, "\n| not secret |"); n != len(secretNames)+len(notSecretNames) {
		t.Errorf("docs/report.md, What is masked: %d name rows, the code has %d names", n, len(secretNames)+len(notSecretNames))
	}
	if n := strings.Count(section, "\n| shape |"); n != len(secretShapes()) {
		t.Errorf("docs/report.md, What is masked: %d shape rows, the code has %d shapes", n, len(secretShapes()))
	}
}
