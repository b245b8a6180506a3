package idc_test

import (
	"fmt"
	"testing"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/google/go-cmp/cmp"
)

func TestDecodePassword(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		form     idc.PasswordForm
		err      string
	}{
		{"changeit", "changeit", idc.PlainPassword, ""},
		// Jetty's obfuscation of "changeit", as published in many Jetty
		// set-ups.
		{"OBF:1vn21ugu1saj1v9i1v941sar1ugw1vo0", "changeit", idc.ObfuscatedPassword, ""},
		// OpenIDM's CRYPT: of "changeit", computed with Java's
		// Cipher.getInstance("AES") and OpenIDM's key (and with openssl
		// enc -aes-128-ecb).
		{"CRYPT:a8b5a01ba48a306f300b62a1541734c7", "changeit", idc.CryptPassword, ""},
		{"CONSOLE", "", idc.ConsolePassword, "CONSOLE: IDM asks for the password when it starts, so the file does not hold it"},
		{"&{env.KEYSTORE_PASSWORD}", "", idc.ExpressionPassword, `"&{env.KEYSTORE_PASSWORD}" is an expression that IDM resolves at start-up`},
		{"OBF:1vn21ugu1sa", "", idc.ObfuscatedPassword, "OBF: value cut short at character 8 (groups of 4 base-36 digits expected)"},
		{"OBF:1vn2!!!!", "", idc.ObfuscatedPassword, `OBF: value has "!!!!" at character 4, not base-36 digits`},
		{"CRYPT:a8b5", "", idc.CryptPassword, "CRYPT: value is not whole AES blocks in hex"},
		{"CRYPT:zz", "", idc.CryptPassword, "CRYPT: value is not whole AES blocks in hex"},
		{"CRYPT:00000000000000000000000000000000", "", idc.CryptPassword, "CRYPT: value does not decrypt with OpenIDM's built-in key: it was written with another key (another product or version)"},
	} {
		got, form, err := idc.DecodePassword(c.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.want || form != c.form || gotErr != c.err {
			t.Errorf("DecodePassword(%q) = %q, %q, %q; want %q, %q, %q", c.in, got, form, gotErr, c.want, c.form, c.err)
		}
	}
}

// The forms written by idctest (Jetty 9's obfuscation with its U groups for
// non-ASCII bytes) decode back.
func TestPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"changeit", "a", "", "Passw0rd!#$%", "pässwörd", "long password with spaces and 38 chars"} {
		if got, _, err := idc.DecodePassword(idctest.Obfuscate(pw)); err != nil || got != pw {
			t.Errorf("OBF %q: %q %v", pw, got, err)
		}
		if got, _, err := idc.DecodePassword(idctest.EncryptCRYPT(pw)); err != nil || got != pw {
			t.Errorf("CRYPT %q: %q %v", pw, got, err)
		}
	}
}

func TestParseProperties(t *testing.T) {
	t.Parallel()
	src := "# comment\n" +
		"! also a comment\n" +
		"openidm.port.https=8443\n" +
		"  spaced   =   value with spaces  \n" +
		"colon:value\n" +
		"blank.sep value\n" +
		"blank.then.eq = v\n" +
		"continued=first \\\n" +
		"    second\n" +
		"escaped\\=key=x\\ty\\u0041\n" +
		"empty=\n" +
		"keyonly\n" +
		"trailing.backslash.pair=a\\\\\n" +
		"windows=crlf\r\n" +
		"latin=caf\xe9\n"
	p, err := idc.ParseProperties("boot.properties", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range []string{"openidm.port.https", "spaced", "colon", "blank.sep", "blank.then.eq", "continued", "escaped=key", "empty", "keyonly", "trailing.backslash.pair", "windows", "latin", "absent"} {
		if v, line, ok := p.Get(k); ok {
			got[k] = fmt.Sprintf("%s @%d", v, line)
		}
	}
	want := map[string]string{
		"openidm.port.https":      "8443 @3",
		"spaced":                  "value with spaces   @4",
		"colon":                   "value @5",
		"blank.sep":               "value @6",
		"blank.then.eq":           "v @7",
		"continued":               "first second @8",
		"escaped=key":             "x\tyA @10",
		"empty":                   " @11",
		"keyonly":                 " @12",
		"trailing.backslash.pair": `a\ @13`,
		"windows":                 "crlf @14",
		"latin":                   "café @15",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := idc.ParseProperties("boot.properties", []byte("a=1\nbad=\\u12\n")); err == nil || err.Error() != `boot.properties:2: a malformed \uxxxx escape` {
		t.Errorf("bad escape: %v", err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	p, err := idc.ParseProperties("boot.properties", []byte(
		"openidm.keystore.location=&{idm.install.dir}/security/keystore.jceks\n"+
			"indirect=&{openidm.keystore.location}\n"+
			"loop=&{loop}\n"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"idm.install.dir": "/opt/ic"}
	for _, c := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"&{openidm.keystore.location}", "/opt/ic/security/keystore.jceks", ""},
		{"&{indirect}", "/opt/ic/security/keystore.jceks", ""},
		{"&{absent|&{idm.install.dir}/security/truststore}", "/opt/ic/security/truststore", ""},
		{"&{absent|x}-&{absent2|y}", "x-y", ""},
		{"&{absent}", "", "&{absent} is not set in the file, and has no default"},
		{"&{unclosed", "", `"&{unclosed": an expression &{ without its }`},
		{"&{loop}", "", "property expressions nest more than 16 deep, or refer to themselves"},
	} {
		got, err := p.Resolve(c.in, vars)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.want || gotErr != c.err {
			t.Errorf("Resolve(%q) = %q, %q; want %q, %q", c.in, got, gotErr, c.want, c.err)
		}
	}
}

// The stock boot.properties of OpenIDM 4.0.0.
func TestStockBootProperties(t *testing.T) {
	t.Parallel()
	p, err := idc.ReadProperties(fixture(t, "openidm-4.0.0", "conf", "boot", "boot.properties"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range []string{"openidm.keystore.password", "openidm.truststore.password", "openidm.https.keystore.cert.alias", "openidm.config.crypto.alias", "openidm.keystore.location", "openidm.port.https"} {
		v, line, _ := p.Get(k)
		got[k] = fmt.Sprintf("%s @%d", v, line)
	}
	want := map[string]string{
		"openidm.keystore.password":         "changeit @16",
		"openidm.truststore.password":       "changeit @17",
		"openidm.https.keystore.cert.alias": "openidm-localhost @7",
		"openidm.config.crypto.alias":       "openidm-sym-default @24",
		"openidm.keystore.location":         "security/keystore.jceks @12",
		"openidm.port.https":                "8443 @2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
