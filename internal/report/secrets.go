package report

import (
	"regexp"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
)

// What is a secret in AM configuration: the list that decides masking,
// built from the real AM trees (Amster 6.5.1 and 8.0.2 exports, FBC 7.0 to
// 8.0) and AM's documentation. docs/report.md ("What is masked") prints the
// same list; keep them together.
//
// A value is secret when the name of its attribute (an object member, or
// the key of a key=value entry) is secret, when an enclosing attribute's
// name is (the elements of an array, the members of an object), or when
// its shape is one of AM's encrypted or hashed forms. Names are never
// masked, only values; and a value that names something (a journey, a
// secret label, a placeholder) stays readable.

// nameRule is one entry of the list: a name, lower-cased, that ends with
// suffix (or, for an exact rule, is suffix), and why it is on the list.
type nameRule struct {
	suffix string
	exact  bool
	why    string
}

// secretNames are the attribute names whose values are secret. A name is
// matched without regard to case, by its end: AM names secrets in camel case
// (smtpUserPassword), in dotted server properties
// (org.forgerock.services.cts.store.password) and with dashes
// (sun-idrepo-ldapv3-config-authpw).
var secretNames = []nameRule{
	{suffix: "-encrypted", why: "an Amster export holds the AM-encrypted value of a password attribute in a sibling named <attribute>-encrypted: sharedSecret-encrypted, userPassword-encrypted, bindPassword-encrypted, statelessSigningHmacSecret-encrypted, metadataSigningKeyPass-encrypted, sun-idrepo-ldapv3-config-authpw-encrypted, org.forgerock.services.cts.store.password-encrypted (6.5.1 export)"},
	{suffix: "password", why: "passwords: userPassword, bindPassword, smtpUserPassword, smtpPassword, ldapUserBindPassword, userBindPassword, password (JDBC module, one-time-password mail sender, Prometheus), userpassword (OAuth2 and agent clients), the device and authenticator services' *KeystorePassword and *KeystorePrivateKeyPassword, oidc-keystore-password, saml2-signature-key-password, org.forgerock.services.cts.store.password, org.forgerock.openam.httpclienthandler.system.proxy.password, com.sun.identity.crl.cache.directory.password, Tomcat's certificateKeystorePassword"},
	{suffix: "passwd", why: "iplanet-am-auth-ldap-bind-passwd, the LDAP module's bind password in AM's service schema"},
	{suffix: "pwd", why: "am.encryption.pwd, the key AM encrypts its configuration's passwords with (server properties), and dsameuserpwd"},
	{suffix: "authpw", why: "sun-idrepo-ldapv3-config-authpw, the bind password of an LDAP identity store"},
	{suffix: "keypass", why: "metadataSigningKeyPass, the SAML2 metadata signing key's password; Tomcat's keyPass"},
	{suffix: "storepass", why: "Tomcat's keystorePass and truststorePass (a server.xml given with --tomcat-server-xml)"},
	{suffix: "passphrase", why: "pass phrases of keys"},
	{suffix: "secret", why: "shared and client secrets: sharedSecret (authentication service), clientSecret (OAuth2 clients, RADIUS clients, social providers), provisioningClientSecret (IDM integration), oidc-client-secret (STS), statelessSigningHmacSecret (sessions), tokenSigningHmacSharedSecret and idTokenAuthenticitySecret (6.x OAuth2 provider), secret (the push notification service's SNS access key secret)"},
	{suffix: "secretkey", why: "captchaSecretKey, the reCAPTCHA secret of self-service"},
	{suffix: "salt", why: "hashSalt, the salt of the OAuth2 provider's pairwise subject identifiers (\"changeme\" and a 32-character salt in the FBC trees)"},
	{suffix: "hmackey", why: "confirmationIdHmacKey, the self-service link signing key (a base64 key in the FBC 7.2 trees), and hmacKey of the 6.x persistent cookie module"},
	{suffix: "hmacsigningkey", why: "the persistent cookie node's HMAC signing key"},
	{suffix: "aeskey", why: "statelessEncryptionAesKey, the client-based sessions' encryption key"},
	{suffix: "passwordkey", why: "replayPasswordKey, the key that encrypts replayed passwords"},
	{suffix: "privatekey", why: "private keys"},
}

// notSecretNames end like a secret name but hold the name of something,
// a path or a switch: their values stay readable. Each is an exact name.
var notSecretNames = []nameRule{
	{suffix: "storepassword", exact: true, why: "KeyStoreSecretStore and HsmSecretStore: the secret label that resolves to the store password (AM's schema: \"Store password secret label\", letters, digits and dots), storepass in every tree"},
	{suffix: "keyentrypassword", exact: true, why: "KeyStoreSecretStore: the secret label of the entry password (\"Entry password secret label\"), entrypass or keypass in the trees"},
	{suffix: "updatepassword", exact: true, why: "treeMapping of the platform UI: the journey that updates a password (UpdatePassword)"},
	{suffix: "resetpassword", exact: true, why: "treeMapping of the platform UI: the journey that resets a password (ResetPassword, PlatformResetPassword)"},
	{suffix: "forgottenpassword", exact: true, why: "the self-service forgotten-password section: settings, no secret"},
	{suffix: "promptforpassword", exact: true, why: "a switch of the Windows NT module (true or false)"},
	{suffix: "com.sun.identity.saml.xmlsig.storepass", exact: true, why: "the path of the file that holds the keystore password (%BASE_DIR%/security/secrets/default/.storepass), not the password"},
	{suffix: "com.sun.identity.saml.xmlsig.keypass", exact: true, why: "the path of the file that holds the key password (.keypass), not the password"},
}

// IsSecretName reports whether an attribute of that name holds a secret.
func IsSecretName(name string) bool {
	if name == "" {
		return false
	}
	lower := strings.ToLower(name)
	for _, r := range notSecretNames {
		if lower == r.suffix {
			return false
		}
	}
	for _, r := range secretNames {
		if strings.HasSuffix(lower, r.suffix) {
			return true
		}
	}
	return false
}

// shapeRule is a form of value that is secret whatever its attribute.
type shapeRule struct {
	re  *regexp.Regexp
	why string
}

// secretShapes are the forms of secret values, matched on a whole string.
var secretShapes = sync.OnceValue(func() []shapeRule {
	return []shapeRule{
		{regexp.MustCompile(`^AQIC[0-9A-Za-z+/*._=-]{12,}$`), "AM's encrypted values as FBC holds them (smtpUserPassword \"AQICcCfo…\", sharedSecret \"AQICx/+m…\"); SSO tokens start so too"},
		{regexp.MustCompile(`^AAAAA[0-9A-Za-z+/]{16,}={0,2}$`), "AM's AES-wrapped values as Amster exports hold them (\"AAAAA0FFUw…\", base64 of a version header and \"AES\")"},
		{regexp.MustCompile(`(?i)^\{(SSHA(256|384|512)?|SHA(-?(1|256|384|512))?|SMD5|MD5|CRYPT|BCRYPT|PBKDF2[-A-Z0-9]*|SCRYPT|ARGON2[A-Z0-9]*|CLEAR|AES|3DES|BLOWFISH|RC4)\}.`), "password hashes and reversible forms of DS and AM ({SSHA512}…, {PBKDF2-HMAC-SHA256}…, the {SHA-512} digest the vendor's RADIUS rule writes, {CLEAR}…)"},
		{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`), "a PEM private key, anywhere in a string"},
		{regexp.MustCompile(`"kty"[\s\S]*"(d|k)"\s*:|"(d|k)"\s*:[\s\S]*"kty"`), "a JSON Web Key with its private (d) or symmetric (k) part, held as text (jwkSet)"},
	}
})

// secretShape reports whether s has the form of a secret value.
func secretShape(s string) bool {
	if len(s) < 8 {
		return false
	}
	for _, r := range secretShapes() {
		if r.re.MatchString(s) {
			return true
		}
	}
	return false
}

// maskText is what a masked value, or a masked part of one, reads as.
const maskText = "********"

// installToken matches the tokens of AM's configuration templates that the
// installer replaces (@AM_ENC_PWD@): a name, not a value.
var installToken = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^@[A-Z0-9_]+@$`) })

// maskString returns s as it is printed: masked in full, in part (the
// value of a key=value entry, the default of a placeholder), or as it is.
// secret says that the attribute holding s is secret.
func maskString(s string, secret bool) (string, bool) {
	if s == "" {
		return s, false
	}
	if name, def, ok := placeholder(s); ok {
		// A placeholder names a property; its default is the value AM
		// uses when the property is not set: secret when the attribute or
		// the property is, or when it has a secret's shape.
		if def == "" {
			return s, false
		}
		if m, changed := maskString(def, secret || IsSecretName(name)); changed {
			return s[:len(s)-1-len(def)] + m + "}", true
		}
		return s, false
	}
	switch {
	case secret && installToken().MatchString(s):
		return s, false
	case secret, secretShape(s):
		return maskText, true
	}
	if k, v, ok := keyValue(s); ok && IsSecretName(k) {
		if m, changed := maskString(v, true); changed {
			return k + "=" + m, true
		}
	}
	return s, false
}

// placeholder splits a string that is one AM placeholder, &{name} or
// &{name|default}, into its property name and default ("" when none).
// The default may itself be a placeholder: &{a|&{b}}.
func placeholder(s string) (name, def string, ok bool) {
	if !strings.HasPrefix(s, "&{") || !strings.HasSuffix(s, "}") {
		return "", "", false
	}
	inner := s[2 : len(s)-1]
	name, def, _ = strings.Cut(inner, "|")
	if name == "" || strings.ContainsAny(name, "{}&") {
		return "", "", false
	}
	// The default must close its own braces: "&{a}x&{b}" is two
	// placeholders and text, not one.
	depth := 0
	for i := 0; i < len(def); i++ {
		switch def[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth < 0 {
				return "", "", false
			}
		}
	}
	return name, def, depth == 0
}

// keyValue splits an entry of a key=value set (serverconfig,
// advanced properties as text) whose key is a name.
func keyValue(s string) (key, val string, ok bool) {
	key, val, ok = strings.Cut(s, "=")
	if !ok || key == "" || len(key) > 200 {
		return "", "", false
	}
	for i := 0; i < len(key); i++ {
		if !nameByte(key[i]) {
			return "", "", false
		}
	}
	return key, val, true
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_'
}

// maskValue returns v with its secret parts masked: v itself when there
// are none, otherwise a copy (v is never changed). secret says that the
// attribute holding v is secret. A masked number or boolean prints as the
// masked string; booleans and null are never secret.
func maskValue(v *amjson.Value, secret bool) *amjson.Value {
	switch v.Kind {
	case amjson.String:
		if m, changed := maskString(v.Text, secret); changed {
			return amjson.NewString(m)
		}
	case amjson.Number:
		if secret {
			return amjson.NewString(maskText)
		}
	case amjson.Array:
		var items []*amjson.Value
		for i, it := range v.Items {
			m := maskValue(it, secret)
			if m != it && items == nil {
				items = append(make([]*amjson.Value, 0, len(v.Items)), v.Items[:i]...)
			}
			if items != nil {
				items = append(items, m)
			}
		}
		if items != nil {
			return &amjson.Value{Kind: amjson.Array, Items: items}
		}
	case amjson.Object:
		var members []amjson.Member
		for i, mb := range v.Members {
			m := maskValue(mb.Value, secret || IsSecretName(mb.Key))
			if m != mb.Value && members == nil {
				members = append(make([]amjson.Member, 0, len(v.Members)), v.Members[:i]...)
			}
			if members != nil {
				members = append(members, amjson.Member{Key: mb.Key, Value: m})
			}
		}
		if members != nil {
			return &amjson.Value{Kind: amjson.Object, Members: members}
		}
	}
	return v
}

// SecretValues lists every secret of a document, once per place it is
// found: the values (or the parts of values: the value of a key=value
// entry, the default of a placeholder) that masking hides, as text.
func SecretValues(doc *amjson.Value) []string {
	var out []string
	var walk func(v *amjson.Value, secret bool)
	walk = func(v *amjson.Value, secret bool) {
		switch v.Kind {
		case amjson.String:
			out = append(out, secretParts(v.Text, secret)...)
		case amjson.Number:
			if secret {
				out = append(out, v.Text)
			}
		case amjson.Array:
			for _, it := range v.Items {
				walk(it, secret)
			}
		case amjson.Object:
			for _, m := range v.Members {
				walk(m.Value, secret || IsSecretName(m.Key))
			}
		}
	}
	walk(doc, false)
	return out
}

// secretParts is the secret text maskString hides in s.
func secretParts(s string, secret bool) []string {
	m, changed := maskString(s, secret)
	if !changed {
		return nil
	}
	if m == maskText {
		return []string{s}
	}
	// A part: the text that the mask stands for in m.
	i := strings.Index(m, maskText)
	return []string{s[i : len(s)-(len(m)-i-len(maskText))]}
}
