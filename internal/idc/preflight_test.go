package idc_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/google/go-cmp/cmp"
)

// day is the preflight's "now" in these tests.
var day = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// java11 is a Java 11 found on PATH.
func java11(t *testing.T) idc.JavaEnv {
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "bin"), 0o755)
	os.WriteFile(filepath.Join(d, "bin", "java"), nil, 0o755)
	os.WriteFile(filepath.Join(d, "release"), []byte(`JAVA_VERSION="11.0.22"`+"\n"), 0o644)
	return idc.JavaEnv{
		Getenv:   func(string) string { return "" },
		LookPath: func(string) (string, error) { return filepath.Join(d, "bin", "java"), nil },
	}
}

// writeTree writes files (slash paths) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleInstall is the files of an OpenIDM 4.0.0 installation that has
// run: its stock configuration with the sample key stores.
func sampleInstall(t *testing.T) map[string][]byte {
	conf := fixture(t, "openidm-4.0.0", "conf")
	sec := fixture(t, "openidm-4.0.0-sample-security")
	files := map[string][]byte{
		"security/keystore.jceks": readFile(t, filepath.Join(sec, "keystore.jceks")),
		"security/truststore":     readFile(t, filepath.Join(sec, "truststore")),
	}
	err := filepath.WalkDir(conf, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(conf, p)
		files["conf/"+filepath.ToSlash(rel)] = readFile(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func with(files map[string][]byte, changes map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// preflight writes the two installations and runs the preflight.
func preflight(t *testing.T, old, nu map[string][]byte, change func(*idc.PreflightOptions)) *idc.Report {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "ic21"), old)
	writeTree(t, filepath.Join(dir, "ic716"), nu)
	o := idc.PreflightOptions{
		Old: filepath.Join(dir, "ic21"), New: filepath.Join(dir, "ic716"),
		ExpiryMargin: 30 * 24 * time.Hour, Now: func() time.Time { return day }, Java: java11(t),
		HowToGivePassword: "give it to the test",
	}
	if change != nil {
		change(&o)
	}
	r := idc.Preflight(context.Background(), o)
	// Paths in the evidence, relative to dir, for comparisons.
	for i := range r.Results {
		for j, e := range r.Results[i].Evidence {
			r.Results[i].Evidence[j] = strings.ReplaceAll(e, dir+string(filepath.Separator), "")
		}
	}
	return r
}

func statuses(r *idc.Report) map[string]idc.Status {
	out := map[string]idc.Status{}
	for _, res := range r.Results {
		out[res.ID] = res.Status
	}
	return out
}

func result(t *testing.T, r *idc.Report, id string) idc.Result {
	t.Helper()
	for _, res := range r.Results {
		if res.ID == id {
			return res
		}
	}
	t.Fatalf("no check %s", id)
	return idc.Result{}
}

// allPass is every check passing, the manual ones manual.
func allPass(changes map[string]idc.Status) map[string]idc.Status {
	m := map[string]idc.Status{
		"keystores.old": idc.Pass, "keystores.new": idc.Pass, "keystores.copied": idc.Pass,
		"password.old": idc.Pass, "password.new": idc.Pass, "aliases.old": idc.Pass, "aliases.new": idc.Pass,
		"tls.host": idc.Pass, "tls.expiry": idc.Pass, "tls.trust": idc.Pass, "java": idc.Pass,
		"config.old": idc.Pass, "config.new": idc.Pass,
		"manual.profile-ad-group": idc.Manual, "manual.callback-url": idc.Manual,
	}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

// The OpenIDM 4.0.0 fixtures, copied as the guide says: everything passes
// but the certificate, which expired in 2021.
func TestPreflightFixtures(t *testing.T) {
	t.Parallel()
	files := sampleInstall(t)
	r := preflight(t, files, files, func(o *idc.PreflightOptions) { o.InstanceURL = "https://localhost:8443/openidm/" })
	if diff := cmp.Diff(allPass(map[string]idc.Status{"tls.expiry": idc.Fail}), statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	want := []idc.Result{
		{ID: "password.old", Title: "the key store password opens the 2.1 stores and keys", Status: idc.Pass, Evidence: []string{
			"password: ic21/conf/boot/boot.properties:16, openidm.keystore.password, in the clear",
			"ic21/security/keystore.jceks: integrity digest matches; 3 keys decrypt with it",
			"ic21/security/truststore: integrity digest matches with ic21/conf/boot/boot.properties:17, openidm.truststore.password, in the clear",
		}},
		{ID: "aliases.new", Title: "the 7.1.6 key store holds openidm-localhost and openidm-sym-default", Status: idc.Pass, Evidence: []string{
			"openidm-localhost: private key, certificate CN=localhost,O=OpenIDM Self-Signed Certificate",
			"openidm-sym-default: secret key, AES-128",
		}},
		{ID: "tls.host", Title: "the TLS certificate names the host of the 2.1 instance URL", Status: idc.Pass, Evidence: []string{
			"openidm-localhost in ic21/security/keystore.jceks: CN=localhost,O=OpenIDM Self-Signed Certificate, names localhost (its CN; it has no DNS subject alternative names, so Java checks the CN)",
			"instance URL host localhost matches",
		}},
		{ID: "tls.expiry", Title: "the TLS certificate is valid, and not about to expire", Status: idc.Fail, Evidence: []string{
			"openidm-localhost in ic21/security/keystore.jceks: valid from 2011-08-17 to 2021-08-17: expired",
		}, Todo: "a TLS client refuses an expired certificate: make a new one in the 2.1 key store (keytool -genkeypair with the same alias, or import one from your CA), restart 2.1, and copy the key store and trust store (with the new certificate) to 7.1.6 again"},
		{ID: "config.old", Title: "the 2.1 configuration files parse", Status: idc.Pass, Evidence: []string{"ic21/conf: 31 JSON files parse"}},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, result(t, r, w.ID)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.ID, diff)
		}
	}
	if !r.Failed() {
		t.Error("Failed() is false")
	}
}

// A certificate for another host than the instance URL's.
func TestPreflightWrongHost(t *testing.T) {
	t.Parallel()
	files := sampleInstall(t)
	r := preflight(t, files, files, func(o *idc.PreflightOptions) { o.InstanceURL = "https://ic21.example.com:8443/openidm/" })
	got := result(t, r, "tls.host")
	if got.Status != idc.Fail || got.Evidence[1] != "instance URL host ic21.example.com is not one of them: 7.1.6 checks host names strictly, and reports a bad certificate" ||
		!strings.Contains(got.Todo, "keytool -genkeypair -alias openidm-localhost -dname CN=ic21.example.com -ext san=dns:ic21.example.com") {
		t.Errorf("%+v", got)
	}
	// Without an instance URL, the host check is left to the user, with
	// the names the certificate has.
	r = preflight(t, files, files, nil)
	if got := result(t, r, "tls.host"); got.Status != idc.Manual || !strings.Contains(got.Todo, "give --instance-url") {
		t.Errorf("%+v", got)
	}
}

func bootWith(t *testing.T, files map[string][]byte, prop, value string) []byte {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(files["conf/boot/boot.properties"]), "\n") {
		if strings.HasPrefix(l, prop+"=") {
			l = prop + "=" + value
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}

func TestPreflightPasswords(t *testing.T) {
	t.Parallel()
	files := sampleInstall(t)
	for _, c := range []struct {
		name    string
		value   string // openidm.keystore.password of both installations
		opts    func(*idc.PreflightOptions)
		status  idc.Status
		first   string // the first evidence line
		another string // another evidence line, or the advice
	}{
		{name: "OBF:", value: "OBF:1vn21ugu1saj1v9i1v941sar1ugw1vo0", status: idc.Pass,
			first: "password: ic21/conf/boot/boot.properties:16, openidm.keystore.password, OBF:, decoded"},
		{name: "CRYPT:", value: "CRYPT:a8b5a01ba48a306f300b62a1541734c7", status: idc.Pass,
			first: "password: ic21/conf/boot/boot.properties:16, openidm.keystore.password, CRYPT:, decrypted with OpenIDM's built-in key"},
		{name: "wrong password", value: "changeme", status: idc.Fail,
			first:   "password: ic21/conf/boot/boot.properties:16, openidm.keystore.password, in the clear",
			another: "ic21/security/keystore.jceks: the password does not open the key store (its integrity digest does not match): the password is wrong, or the file was altered"},
		{name: "CONSOLE, nothing given", value: "CONSOLE", status: idc.Manual,
			first:   "ic21/conf/boot/boot.properties:16: CONSOLE: IDM asks for the password when it starts, so the file does not hold it",
			another: "the password cannot be read from the files; give it to the test"},
		{name: "CONSOLE, given", value: "CONSOLE", opts: func(o *idc.PreflightOptions) { o.Password, o.PasswordFrom = "changeit", "AMUPGRADE_IDC_STOREPASS" }, status: idc.Pass,
			first: "password: AMUPGRADE_IDC_STOREPASS"},
		{name: "CONSOLE, asked", value: "CONSOLE", opts: func(o *idc.PreflightOptions) {
			o.Ask = func(inst, why string) (string, bool) { return "changeit", inst == "2.1" }
		}, status: idc.Pass, first: "password: typed at the prompt"},
		{name: "CONSOLE, wrong one given", value: "CONSOLE", opts: func(o *idc.PreflightOptions) { o.Password, o.PasswordFrom = "nope", "AMUPGRADE_IDC_STOREPASS" }, status: idc.Fail,
			first: "password: AMUPGRADE_IDC_STOREPASS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			boot := bootWith(t, files, "openidm.keystore.password", c.value)
			boot = []byte(strings.Replace(string(boot), "openidm.truststore.password=changeit\n", "", 1))
			inst := with(files, map[string][]byte{"conf/boot/boot.properties": boot})
			r := preflight(t, inst, inst, c.opts)
			got := result(t, r, "password.old")
			if got.Status != c.status || got.Evidence[0] != c.first {
				t.Errorf("%s: %s, evidence %q\nwant %s, %q", c.name, got.Status, got.Evidence, c.status, c.first)
			}
			if c.another != "" && !contains(append(got.Evidence, got.Todo), c.another) {
				t.Errorf("%s: %q lacks %q", c.name, append(got.Evidence, got.Todo), c.another)
			}
			// The 7.1.6 side was asked (Ask answered only for 2.1): without a
			// password of its own, it takes the 2.1 one.
			if c.name == "CONSOLE, asked" {
				if n := result(t, r, "password.new"); n.Status != idc.Pass || !strings.HasPrefix(n.Evidence[0], "password: the 2.1 one (typed at the prompt)") {
					t.Errorf("password.new: %+v", n)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A 7.1.6 installation before its setup has no boot.properties: the 2.1
// password is taken, as its setup will ask for it.
func TestPreflightNewWithoutBootProperties(t *testing.T) {
	t.Parallel()
	files := sampleInstall(t)
	r := preflight(t, files, with(files, map[string][]byte{"conf/boot/boot.properties": nil}), nil)
	got := result(t, r, "password.new")
	want := "password: the 2.1 one (ic21/conf/boot/boot.properties:16, openidm.keystore.password, in the clear): the 7.1.6 installation has no boot.properties (resolver/ or conf/boot/), and the 7.1.6 setup asks for the password of the copied stores"
	if got.Status != idc.Pass || got.Evidence[0] != want {
		t.Errorf("%+v", got)
	}
}

// The stock 4.0.0 key store is empty (keys are made at first start), and
// its trust store lacks the sample certificate.
func TestPreflightStockStores(t *testing.T) {
	t.Parallel()
	files := sampleInstall(t)
	stock := with(files, map[string][]byte{
		"security/keystore.jceks": readFile(t, fixture(t, "openidm-4.0.0", "security", "keystore.jceks")),
		"security/truststore":     readFile(t, fixture(t, "openidm-4.0.0", "security", "truststore")),
	})
	r := preflight(t, files, stock, func(o *idc.PreflightOptions) { o.InstanceURL = "https://localhost:8443/openidm/" })
	if diff := cmp.Diff(allPass(map[string]idc.Status{"keystores.copied": idc.Fail, "aliases.new": idc.Fail, "tls.expiry": idc.Fail, "tls.trust": idc.Fail}), statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	want := []idc.Result{
		{ID: "keystores.copied", Title: "the 7.1.6 key store and trust store are copies of the 2.1 ones", Status: idc.Fail, Evidence: []string{
			"ic716/security/keystore.jceks differs from the 2.1 one: missing openidm-sym-default, openidm-localhost, openidm-local-openidm-forgerock-org",
			"ic716/security/truststore differs from the 2.1 one: missing openidm-localhost",
		}, Todo: "remove keystore.jceks and truststore from the 7.1.6 security folder and copy the 2.1 ones there (the guide's rm and copy), before running the 7.1.6 setup: 7.1.6 needs the 2.1 keys to decrypt what 2.1 encrypted"},
		{ID: "aliases.new", Title: "the 7.1.6 key store holds openidm-localhost and openidm-sym-default", Status: idc.Fail, Evidence: []string{
			"ic716/security/keystore.jceks: the key store is empty",
		}, Todo: "IDM makes its keys at its first start, so this store is a fresh distribution's; copy the key store of the running 2.1 installation instead (its keys decrypt 2.1's data)"},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, result(t, r, w.ID)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.ID, diff)
		}
	}
	if got := result(t, r, "tls.trust"); !strings.Contains(got.Evidence[0], "(SHA-256 D2:1E:4C:29:A7:AF:43:64:EF:7D:78:54:11:A2:04:CE:E3:E3:BE:C7:FC:97:22:75:B2:AF:81:F8:34:E4:14:44) is neither in ic716/security/truststore nor issued by a certificate there") {
		t.Errorf("tls.trust: %q", got.Evidence)
	}
}

// Stores written here: a 2.1 installation whose certificate is valid for
// ic21.example.com, and broken 7.1.6 copies of it.
type storeSet struct {
	tls     idctest.Cert
	sym     []byte
	keys    []idctest.Entry
	trusted []idctest.Entry
}

func newStoreSet() storeSet {
	s := storeSet{
		tls: idctest.NewCert(idctest.CertOptions{CommonName: "ic21.example.com", DNSNames: []string{"ic21.example.com"},
			NotBefore: day.AddDate(-1, 0, 0), NotAfter: day.AddDate(2, 0, 0)}),
		sym: []byte("0123456789abcdef"),
	}
	s.keys = []idctest.Entry{
		{Alias: "openidm-localhost", Key: s.tls.Key, Chain: []*x509.Certificate{s.tls.Cert}},
		{Alias: "openidm-sym-default", Secret: s.sym},
	}
	s.trusted = []idctest.Entry{{Alias: "openidm-localhost", Cert: s.tls.Cert}}
	return s
}

func (s storeSet) files(t *testing.T, keys []idctest.Entry) map[string][]byte {
	t.Helper()
	conf := fixture(t, "openidm-4.0.0", "conf", "boot", "boot.properties")
	return map[string][]byte{
		"conf/boot/boot.properties": readFile(t, conf),
		"conf/managed.json":         []byte("{\n  \"objects\" : [ ]\n}\n"),
		"security/keystore.jceks":   idctest.JCEKS("changeit", keys...),
		"security/truststore":       idctest.JKS("changeit", s.trusted...),
	}
}

// Stores that pass every check: nothing fails.
func TestPreflightAllPass(t *testing.T) {
	t.Parallel()
	s := newStoreSet()
	files := s.files(t, s.keys)
	r := preflight(t, files, files, func(o *idc.PreflightOptions) { o.InstanceURL = "https://ic21.example.com:8443/openidm/" })
	if diff := cmp.Diff(allPass(nil), statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if r.Failed() {
		t.Error("Failed() is true")
	}
	// Stores saved again (other bytes, the same keys) are copies too.
	resaved := with(files, map[string][]byte{"security/keystore.jceks": idctest.JCEKS("changeit", s.keys[1], s.keys[0])})
	r = preflight(t, files, resaved, nil)
	if got := result(t, r, "keystores.copied"); got.Status != idc.Pass || got.Evidence[0] != "keystore.jceks: not the same bytes, but the same entries (saved again)" {
		t.Errorf("%+v", got)
	}
}

func TestPreflightBrokenStores(t *testing.T) {
	t.Parallel()
	s := newStoreSet()
	good := s.files(t, s.keys)
	other := idctest.NewCert(idctest.CertOptions{CommonName: "ic716.example.com", NotAfter: day.AddDate(1, 0, 0)})
	for _, c := range []struct {
		name    string
		old, nu map[string][]byte
		fails   map[string]idc.Status
		id      string
		want    []string // evidence of check id
	}{
		{
			name: "missing alias",
			old:  s.files(t, s.keys[:1]), nu: s.files(t, s.keys[:1]),
			fails: map[string]idc.Status{"aliases.old": idc.Fail, "aliases.new": idc.Fail},
			id:    "aliases.old",
			want: []string{"openidm-localhost: private key, certificate CN=ic21.example.com,O=amupgrade test",
				"openidm-sym-default: missing (IDM's configuration encryption key (openidm.config.crypto.alias); the store holds openidm-localhost)"},
		},
		{
			name: "alias of the wrong kind",
			old:  s.files(t, []idctest.Entry{s.keys[0], {Alias: "openidm-sym-default", Cert: s.tls.Cert}}), nu: good,
			fails: map[string]idc.Status{"aliases.old": idc.Fail, "keystores.copied": idc.Fail},
			id:    "aliases.old",
			want: []string{"openidm-localhost: private key, certificate CN=ic21.example.com,O=amupgrade test",
				"openidm-sym-default: a trusted certificate, where IDM's configuration encryption key (openidm.config.crypto.alias) needs a secret key"},
		},
		{
			name: "copies that differ",
			old:  good,
			nu: s.files(t, []idctest.Entry{{Alias: "openidm-localhost", Key: other.Key, Chain: []*x509.Certificate{other.Cert}},
				{Alias: "openidm-sym-default", Secret: []byte("fedcba9876543210")}, {Alias: "openidm-selfservice-key", Secret: s.sym}}),
			fails: map[string]idc.Status{"keystores.copied": idc.Fail},
			id:    "keystores.copied",
			want: []string{"ic716/security/keystore.jceks differs from the 2.1 one: not in 2.1: openidm-selfservice-key; different openidm-localhost (another certificate), openidm-sym-default (another key)",
				"truststore: the same bytes (SHA-256 " + sha(good["security/truststore"]) + "…)"},
		},
		{
			name: "a key with its own password",
			old:  s.files(t, []idctest.Entry{s.keys[0], {Alias: "openidm-sym-default", Secret: s.sym, KeyPassword: "other"}}), nu: good,
			fails: map[string]idc.Status{"password.old": idc.Fail, "keystores.copied": idc.Fail},
			id:    "password.old",
			want: []string{"password: ic21/conf/boot/boot.properties:16, openidm.keystore.password, in the clear",
				"ic21/security/keystore.jceks: integrity digest matches; 1 key does not decrypt with it: openidm-sym-default",
				"ic21/security/truststore: integrity digest matches with ic21/conf/boot/boot.properties:17, openidm.truststore.password, in the clear"},
		},
		{
			name: "no stores in 7.1.6",
			old:  good, nu: with(good, map[string][]byte{"security/keystore.jceks": nil, "security/truststore": []byte("not a store")}),
			fails: map[string]idc.Status{"keystores.new": idc.Fail, "keystores.copied": idc.Fail, "password.new": idc.Fail, "aliases.new": idc.Fail, "tls.trust": idc.Fail},
			id:    "keystores.new",
			want: []string{"ic716/security/keystore.jceks: missing",
				"ic716/security/truststore: at byte 0: not a JKS or JCEKS key store (it starts with 6e6f7420, not feedfeed or cececece)"},
		},
		{
			name: "expires within the margin",
			old: with(good, map[string][]byte{"security/keystore.jceks": idctest.JCEKS("changeit", idctest.Entry{Alias: "openidm-localhost", Key: other.Key, Chain: []*x509.Certificate{
				idctest.NewCert(idctest.CertOptions{CommonName: "ic21.example.com", NotBefore: day.AddDate(-1, 0, 0), NotAfter: day.AddDate(0, 0, 10)}).Cert}}, s.keys[1])}),
			nu:    good,
			fails: map[string]idc.Status{"tls.expiry": idc.Fail, "keystores.copied": idc.Fail, "tls.trust": idc.Fail},
			id:    "tls.expiry",
			want:  []string{"openidm-localhost in ic21/security/keystore.jceks: valid from 2025-03-01 to 2026-03-11: expires within 30 days"},
		},
		{
			name: "a configuration file that does not parse",
			old:  good, nu: with(good, map[string][]byte{"conf/sync.json": []byte("{\n  \"mappings\" : [ ],\n}\n")}),
			fails: map[string]idc.Status{"config.new": idc.Fail},
			id:    "config.new",
			want:  []string{"ic716/conf/sync.json:2:19: unexpected ',' before '}': JSON does not allow a trailing comma; remove it"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := preflight(t, c.old, c.nu, func(o *idc.PreflightOptions) { o.InstanceURL = "https://ic21.example.com:8443/openidm/" })
			if diff := cmp.Diff(allPass(c.fails), statuses(r)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.want, result(t, r, c.id).Evidence); diff != "" {
				t.Errorf("%s evidence (-want +got):\n%s", c.id, diff)
			}
		})
	}
}

// IDM 7's layout: resolver/boot.properties with property expressions, and
// conf/secrets.json mapping secret ids to aliases.
func TestPreflightIDM7Layout(t *testing.T) {
	t.Parallel()
	s := newStoreSet()
	old := s.files(t, s.keys)
	nu := with(old, map[string][]byte{
		"conf/boot/boot.properties": nil,
		"resolver/boot.properties": []byte("openidm.keystore.location=&{idm.install.dir}/security/keystore.jceks\n" +
			"openidm.truststore.location=&{idm.install.dir}/security/truststore\n" +
			"openidm.keystore.password=" + idctest.Obfuscate("changeit") + "\n"),
		"conf/secrets.json": []byte(`{"stores": [{"name": "mainKeyStore", "class": "org.forgerock.openidm.secrets.config.FileBasedStore", "config": {
  "file": "&{openidm.keystore.location|&{idm.install.dir}/security/keystore.jceks}", "storetype": "JCEKS",
  "mappings": [{"secretId": "idm.default", "aliases": ["&{openidm.config.crypto.alias|openidm-sym-default}", "openidm-localhost"]},
               {"secretId": "idm.jwt.session.module.encryption", "aliases": ["&{openidm.https.keystore.cert.alias|openidm-localhost}"]},
               {"secretId": "idm.selfservice.encryption", "aliases": ["selfservice"]}]}},
  {"name": "mainTrustStore", "config": {"file": "&{openidm.truststore.location}", "mappings": []}}]}`),
	})
	r := preflight(t, old, nu, func(o *idc.PreflightOptions) { o.InstanceURL = "https://ic21.example.com:8443/openidm/" })
	if diff := cmp.Diff(allPass(map[string]idc.Status{"secrets.new": idc.Fail}), statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"openidm-sym-default: present", "openidm-localhost: present", "selfservice: not in ic716/security/keystore.jceks"}, result(t, r, "secrets.new").Evidence); diff != "" {
		t.Errorf("secrets.new (-want +got):\n%s", diff)
	}
	if got := result(t, r, "password.new").Evidence[0]; got != "password: ic716/resolver/boot.properties:3, openidm.keystore.password, OBF:, decoded" {
		t.Errorf("password.new: %s", got)
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
