package idc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/google/go-cmp/cmp"
)

// idmDir is the shared real OpenIDM data, relative to this package:
// ../shared/testdata/idm beside the checkout.
var idmDir = filepath.Join("..", "..", "..", "shared", "testdata", "idm")

// fixture is a path under the shared OpenIDM data; the test is skipped
// when it is absent.
func fixture(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{idmDir}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared OpenIDM data %s is absent (%v): these tests need ../shared/testdata/idm beside the checkout", p, err)
	}
	return p
}

var regexpLeft = regexp.MustCompile(`\(\d+ bytes left\)`)

func ptr(s string) *string { return &s }

// summary is what a test compares of a store.
type entrySummary struct {
	Alias, Kind, Subject string
	Chain                int
}

func summarise(s *idc.Store) []entrySummary {
	var out []entrySummary
	for _, e := range s.Entries {
		es := entrySummary{Alias: e.Alias, Kind: e.Kind.String(), Chain: len(e.Chain)}
		if c := e.Cert(); c != nil {
			es.Subject = c.Subject.String()
		}
		out = append(out, es)
	}
	return out
}

// The sample key store of OpenIDM 4.0.0 (written by a JDK of 2011).
func TestSampleKeyStore(t *testing.T) {
	t.Parallel()
	s, err := idc.ReadStore(fixture(t, "openidm-4.0.0-sample-security", "keystore.jceks"), ptr("changeit"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != idc.JCEKS || !s.Verified || s.Size != 3024 {
		t.Errorf("format %s, verified %v, size %d; want JCEKS, true, 3024", s.Format, s.Verified, s.Size)
	}
	want := []entrySummary{
		{Alias: "openidm-sym-default", Kind: "secret key"},
		{Alias: "openidm-localhost", Kind: "private key", Subject: "CN=localhost,O=OpenIDM Self-Signed Certificate", Chain: 1},
		{Alias: "openidm-local-openidm-forgerock-org", Kind: "private key", Subject: "CN=local.openidm.forgerock.org,O=OpenIDM Self-Signed Certificate", Chain: 1},
	}
	if diff := cmp.Diff(want, summarise(s)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	alg, key, err := s.Lookup("OPENIDM-SYM-DEFAULT").SecretKey("changeit")
	if err != nil || alg != "AES" || len(key) != 16 {
		t.Errorf("secret key: %s, %d bytes, %v; want AES, 16 bytes", alg, len(key), err)
	}
	for _, alias := range []string{"openidm-localhost", "openidm-local-openidm-forgerock-org"} {
		e := s.Lookup(alias)
		k, err := e.PrivateKey("changeit")
		if err != nil {
			t.Fatal(err)
		}
		if !k.(interface{ Public() crypto.PublicKey }).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(e.Cert().PublicKey) {
			t.Errorf("%s: the key does not match its certificate", alias)
		}
		if _, err := e.PrivateKey("changeme"); !errors.Is(err, idc.ErrWrongKeyPassword) {
			t.Errorf("%s with a wrong password: %v, want ErrWrongKeyPassword", alias, err)
		}
	}
	if _, _, err := s.Lookup("openidm-sym-default").SecretKey("changeme"); !errors.Is(err, idc.ErrWrongKeyPassword) {
		t.Errorf("secret key with a wrong password: %v, want ErrWrongKeyPassword", err)
	}
}

func TestSampleTrustStoresAndEmptyKeyStore(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path     []string
		format   idc.Format
		entries  int
		localhst bool
	}{
		{[]string{"openidm-4.0.0-sample-security", "truststore"}, idc.JKS, 77, true},
		{[]string{"openidm-4.0.0", "security", "truststore"}, idc.JKS, 76, false},
		{[]string{"openidm-4.0.0", "security", "keystore.jceks"}, idc.JCEKS, 0, false},
	} {
		p := fixture(t, c.path...)
		s, err := idc.ReadStore(p, ptr("changeit"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Format != c.format || len(s.Entries) != c.entries || !s.Verified {
			t.Errorf("%s: %s, %d entries, verified %v; want %s, %d, true", p, s.Format, len(s.Entries), s.Verified, c.format, c.entries)
		}
		for _, e := range s.Entries {
			if e.Kind != idc.TrustedCertEntry || e.CertErr != nil {
				t.Errorf("%s: %s is a %s (%v)", p, e.Alias, e.Kind, e.CertErr)
			}
		}
		if got := s.Lookup("openidm-localhost") != nil; got != c.localhst {
			t.Errorf("%s: openidm-localhost present %v, want %v", p, got, c.localhst)
		}
		// A wrong password is told apart from a damaged file, and the
		// entries can still be listed.
		s, err = idc.ReadStore(p, ptr("wrong"))
		if !errors.Is(err, idc.ErrWrongPassword) || s == nil || len(s.Entries) != c.entries || s.Verified {
			t.Errorf("%s with a wrong password: %v", p, err)
		}
		// Without a password the entries are read unchecked.
		s, err = idc.ReadStore(p, nil)
		if err != nil || s.Verified || len(s.Entries) != c.entries {
			t.Errorf("%s without a password: %v", p, err)
		}
	}
}

// Stores written by keytool of JDK 17 (testdata/README.md says how): a
// JCEKS with 200000 PBE iterations, an EC key whose password is not the
// store's, and a JKS.
func TestKeytoolStores(t *testing.T) {
	t.Parallel()
	s, err := idc.ReadStore(filepath.Join("testdata", "jdk17.jceks"), ptr("pass-17"))
	if err != nil {
		t.Fatal(err)
	}
	want := []entrySummary{
		{Alias: "openidm-sym-default", Kind: "secret key"},
		{Alias: "openidm-localhost", Kind: "private key", Subject: "CN=ic21.example.com,O=Example", Chain: 1},
		{Alias: "other-keypass", Kind: "private key", Subject: "CN=other", Chain: 1},
	}
	if diff := cmp.Diff(want, summarise(s)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if _, err := s.Lookup("openidm-localhost").PrivateKey("pass-17"); err != nil {
		t.Error(err)
	}
	if alg, key, err := s.Lookup("openidm-sym-default").SecretKey("pass-17"); err != nil || alg != "AES" || len(key) != 16 {
		t.Errorf("secret key: %s, %d bytes, %v", alg, len(key), err)
	}
	other := s.Lookup("other-keypass")
	if _, err := other.PrivateKey("pass-17"); !errors.Is(err, idc.ErrWrongKeyPassword) {
		t.Errorf("other-keypass with the store password: %v, want ErrWrongKeyPassword", err)
	}
	if _, err := other.PrivateKey("not-the-store-pw"); err != nil {
		t.Errorf("other-keypass with its own password: %v", err)
	}
	j, err := idc.ReadStore(filepath.Join("testdata", "jdk17.jks"), ptr("pass-17"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Lookup("jkskey").PrivateKey("pass-17"); err != nil {
		t.Error(err)
	}
	if _, err := j.Lookup("jkskey").PrivateKey("pass-18"); !errors.Is(err, idc.ErrWrongKeyPassword) {
		t.Errorf("JKS key with a wrong password: %v", err)
	}
}

// Stores written by idctest read back with every entry and key.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := idctest.NewCert(idctest.CertOptions{CommonName: "ic21.example.com"})
	ca := idctest.NewCert(idctest.CertOptions{CommonName: "ca"})
	for _, format := range []idc.Format{idc.JKS, idc.JCEKS} {
		entries := []idctest.Entry{
			{Alias: "tls", Key: c.Key, Chain: []*x509.Certificate{c.Cert, ca.Cert}},
			{Alias: "ca", Cert: ca.Cert},
			{Alias: "own-password", Key: c.Key, Chain: []*x509.Certificate{c.Cert}, KeyPassword: "other"},
		}
		write := idctest.JKS
		if format == idc.JCEKS {
			write = idctest.JCEKS
			entries = append(entries,
				idctest.Entry{Alias: "sym", Secret: []byte("0123456789abcdef0123456789abcdef")},
				// Equal salt halves: the JCE reverses the first half.
				idctest.Entry{Alias: "sym-20", Secret: []byte("0123456789abcdef"), Iterations: 20, SecretAlgorithm: "DESede"})
		}
		s, err := idc.Parse(write("s3cret", entries...), "s3cret")
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if s.Format != format || len(s.Entries) != len(entries) {
			t.Fatalf("%s: read %s with %d entries", format, s.Format, len(s.Entries))
		}
		if got := s.Lookup("tls"); len(got.Chain) != 2 || !got.Chain[1].Equal(ca.Cert) {
			t.Errorf("%s: the chain of tls is %d certificates", format, len(got.Chain))
		}
		if k, err := s.Lookup("tls").PrivateKey("s3cret"); err != nil || !c.Key.(*ecdsa.PrivateKey).Equal(k) {
			t.Errorf("%s: tls key: %v", format, err)
		}
		if _, err := s.Lookup("own-password").PrivateKey("s3cret"); !errors.Is(err, idc.ErrWrongKeyPassword) {
			t.Errorf("%s: own-password with the store password: %v", format, err)
		}
		if _, err := s.Lookup("own-password").PrivateKey("other"); err != nil {
			t.Errorf("%s: own-password with its password: %v", format, err)
		}
		if format == idc.JCEKS {
			alg, key, err := s.Lookup("sym").SecretKey("s3cret")
			if err != nil || alg != "AES" || string(key) != "0123456789abcdef0123456789abcdef" {
				t.Errorf("sym: %s %q %v", alg, key, err)
			}
			if alg, _, err := s.Lookup("sym-20").SecretKey("s3cret"); err != nil || alg != "DESede" {
				t.Errorf("sym-20: %s %v", alg, err)
			}
		}
	}
}

func TestMalformedStores(t *testing.T) {
	t.Parallel()
	good := idctest.JCEKS("pw", idctest.Entry{Alias: "sym", Secret: []byte("0123456789abcdef")})
	jks := idctest.JKS("pw", idctest.Entry{Alias: "ca", Cert: idctest.NewCert(idctest.CertOptions{CommonName: "ca"}).Cert})
	set := func(b []byte, off int, v ...byte) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], v)
		return b
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "at byte 0: 0 bytes is too short for a key store (an empty one has 32)"},
		{"short", []byte{0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2}, "at byte 0: 8 bytes is too short for a key store (an empty one has 32)"},
		{"pem", []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "at byte 0: this is a PEM file, not a JKS or JCEKS key store: import it with keytool -importcert (certificates) or keytool -importkeystore"},
		{"pkcs12", append([]byte{0x30, 0x82, 0x0a, 0x00}, make([]byte, 40)...), "at byte 0: this looks like DER (a PKCS#12 key store or a certificate), not JKS or JCEKS: IDM 4 and Identity Connect expect JCEKS (keystore.jceks) and JKS (truststore); convert it with keytool -importkeystore"},
		{"text", []byte("openidm.keystore.password=changeit\n"), "at byte 0: not a JKS or JCEKS key store (it starts with 6f70656e, not feedfeed or cececece)"},
		{"version 3", set(good, 4, 0, 0, 0, 3), "at byte 4: unknown JCEKS version 3 (only 2 exists)"},
		{"count too large", set(good, 8, 0x7f, 0, 0, 0), "at byte 8: the header counts 2130706432 entries, more than 477 bytes can hold"},
		{"count one more", set(good, 8, 0, 0, 0, 2), "at byte 457: a 4-byte field of 4 bytes runs past the end of the entries (0 bytes left): the file is truncated or damaged"},
		{"count one less", set(good, 8, 0, 0, 0, 0), "at byte 12: 445 bytes after the last of 0 entries, before the digest: the file is damaged or not a key store"},
		{"unknown tag", set(good, 12, 0, 0, 0, 9), "at byte 12: unknown entry tag 9 (1 private key, 2 trusted certificate, 3 secret key): the file is damaged or not a JCEKS store"},
		{"secret key in JKS", set(good, 0, 0xfe, 0xed, 0xfe, 0xed), `at byte 12: entry "sym": a secret key entry in a JKS store (only JCEKS holds them)`},
		// A JCEKS entry: tag at 12, alias length at 16, alias at 18, date
		// at 21, the sealed key's object stream at 29.
		{"truncated", good[:60], `at byte 37: entry "sym": the sealed secret key: a string of 51 bytes runs past the end of the entries (3 bytes left): the file is truncated or damaged`},
		{"bad stream magic", set(good, 29, 0xac, 0xee), `at byte 29: entry "sym": the sealed secret key: not a Java object stream (it starts with acee, not aced)`},
		{"bad stream annotation", set(good, 29+4+2+2+51+8+1+2, 'Q'), `at byte 99: entry "sym": the sealed secret key: unknown type code 0x51`},
		// A JKS trusted certificate: alias at 18, date at 20, certificate
		// type at 28, certificate length at 35, certificate at 39.
		{"cert type", set(jks, 30, 'Y'), `at byte 28: entry "ca": certificate type "Y.509" (only X.509 is supported)`},
		{"cert length", set(jks, 35, 0, 0xff, 0xff, 0xff), "at byte 39: a certificate of 16777215 bytes runs past the end of the entries (N bytes left): the file is truncated or damaged"},
		{"cert length huge", set(jks, 35, 0x7f, 0xff, 0xff, 0xff), "at byte 35: a certificate claims 2147483647 bytes: the file is damaged"},
		{"alias utf", set(jks, 18, 0xff), "at byte 16: a string with malformed modified UTF-8 at its byte 0"},
	} {
		_, err := idc.ParseUnverified(c.data)
		got := "<nil>"
		if err != nil {
			got = err.Error()
		}
		if c.name == "cert length" {
			got = regexpLeft.ReplaceAllString(got, "(N bytes left)")
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	// A store changed by one byte fails its digest, like a wrong password.
	if _, err := idc.Parse(set(good, 40, good[40]^1), "pw"); !errors.Is(err, idc.ErrWrongPassword) {
		t.Errorf("altered byte: %v, want ErrWrongPassword", err)
	}
}

// A store larger than MaxStoreSize is refused before it is read whole.
func TestReadStoreBound(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "keystore.jceks")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(idc.MaxStoreSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = idc.ReadStore(p, nil)
	if want := p + ": larger than 16 MiB, which no file of this kind IDM reads is"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// FuzzParse: no input panics or runs away. (Keys are not decrypted here: a
// mutated iteration count costs up to MaxPBEIterations of MD5 per key,
// which is bounded but slow, and the decrypted side is only reachable with
// the right password.)
func FuzzParse(f *testing.F) {
	f.Add(idctest.JCEKS("pw", idctest.Entry{Alias: "sym", Secret: []byte("0123456789abcdef")}))
	c := idctest.NewCert(idctest.CertOptions{CommonName: "x"})
	f.Add(idctest.JKS("pw", idctest.Entry{Alias: "k", Key: c.Key, Chain: []*x509.Certificate{c.Cert}}, idctest.Entry{Alias: "c", Cert: c.Cert}))
	for _, p := range []string{"testdata/jdk17.jceks", "testdata/jdk17.jks"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := idc.ParseUnverified(data)
		if err != nil {
			return
		}
		if len(s.Entries) == 0 && len(data) != 32 {
			t.Errorf("%d bytes parse as an empty store", len(data))
		}
	})
}
