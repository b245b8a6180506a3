package idc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/amupgrade/amupgrade/amjson"
)

// PreflightOptions say what to check.
type PreflightOptions struct {
	Old, New string // the Identity Connect 2.1 and 7.1.6 installation folders
	// InstanceURL is the 2.1 URL that configure will be given (the guide's
	// https://localhost:8443/openidm/); empty leaves the host check manual.
	InstanceURL string
	// ExpiryMargin: a certificate that expires sooner fails.
	ExpiryMargin time.Duration

	// Password is a key store password the user gave, used where
	// boot.properties holds none that can be read; PasswordFrom says where
	// it came from, for the evidence.
	Password, PasswordFrom string
	// Ask asks the user for a password when nothing else gives one (on a
	// terminal); nil or false: the password checks are manual.
	Ask func(installation, why string) (string, bool)
	// HowToGivePassword ends the advice of a manual password check.
	HowToGivePassword string

	Now  func() time.Time // nil: time.Now
	Java JavaEnv
}

// Default aliases and property names of IDM (boot.properties of 4.0.0).
const (
	defaultTLSAlias    = "openidm-localhost"
	defaultCryptoAlias = "openidm-sym-default"
	propKeyStorePass   = "openidm.keystore.password"
	propTrustStorePass = "openidm.truststore.password"
)

// maxKeysChecked bounds how many keys of a store are decrypted (each
// costs up to MaxPBEIterations of MD5); the named aliases are always.
const maxKeysChecked = 16

// installation is what Preflight read of one folder.
type installation struct {
	label    string // 2.1 or 7.1.6
	dir      string
	boot     *Properties
	bootPath string
	bootErr  error

	ks, ts      storeFile
	pw, tsPw    secret
	tlsAlias    string
	cryptoAlias string
	confDir     string
	secretsPath string
}

type storeFile struct {
	path  string
	data  []byte
	store *Store // parsed without the password
	err   error  // missing or malformed
}

// secret is a password and where it came from, or why there is none.
type secret struct {
	value string
	known bool
	from  string
	why   string
}

// Preflight checks the preconditions of the Identity Connect 2.1 → 7.1.6
// upgrade guide on the two installation folders. It reads only; the
// result's checks are in a fixed order.
func Preflight(ctx context.Context, o PreflightOptions) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	old := readInstallation(o.Old, "2.1")
	nu := readInstallation(o.New, "7.1.6")
	old.resolvePasswords(o, nil)
	nu.resolvePasswords(o, old)

	r := &Report{Old: o.Old, New: o.New, InstanceURL: o.InstanceURL}
	add := func(res Result) { r.Results = append(r.Results, res) }
	add(old.storesResult())
	add(nu.storesResult())
	add(copiedResult(old, nu))
	add(old.passwordResult(o))
	add(nu.passwordResult(o))
	add(old.aliasesResult())
	add(nu.aliasesResult())
	if nu.secretsPath != "" {
		add(nu.secretsResult())
	}
	cert, certFrom := tlsCert(old, nu)
	add(hostResult(cert, certFrom, o.InstanceURL))
	add(expiryResult(cert, certFrom, o.Now(), o.ExpiryMargin))
	add(trustResult(cert, certFrom, old, nu))
	add(javaResult(ctx, o.Java))
	add(old.configResult())
	add(nu.configResult())
	add(Result{
		ID: "manual.profile-ad-group", Title: "a default mapping on the Profile to AD Group tab (2.1)", Status: Manual,
		Evidence: []string{"Identity Connect keeps this mapping where its public documentation does not say, so the files cannot show it"},
		Todo:     "in the Identity Connect 2.1 user interface, on the Profile to AD Group tab, confirm that a default mapping value is present: the guide says the migration needs it",
	})
	add(Result{
		ID: "manual.callback-url", Title: "the connected app's callback URLs (Salesforce)", Status: Manual,
		Evidence: []string{"a Salesforce setting, in neither installation"},
		Todo:     "in Salesforce Setup, Manage Connected Apps, the connected app for Identity Connect: confirm the callback URL of Identity Connect 2.1 is present, and add the callback URL of Identity Connect 7.1.6",
	})
	return r
}

func readInstallation(dir, label string) *installation {
	in := &installation{label: label, dir: dir, tlsAlias: defaultTLSAlias, cryptoAlias: defaultCryptoAlias}
	// IDM 7 keeps boot.properties in resolver/; OpenIDM 3 to 6 in conf/boot/.
	for _, rel := range []string{filepath.Join("resolver", "boot.properties"), filepath.Join("conf", "boot", "boot.properties")} {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		in.bootPath = p
		in.boot, in.bootErr = ReadProperties(p)
		break
	}
	vars := map[string]string{"idm.install.dir": dir, "idm.instance.dir": dir, "launcher.install.location": dir}
	location := func(prop, def string) string {
		if v, _, ok := in.boot.Get(prop); ok && v != "" {
			if r, err := in.boot.Resolve(v, vars); err == nil {
				if !filepath.IsAbs(r) {
					r = filepath.Join(dir, r)
				}
				return filepath.Clean(r)
			}
		}
		return filepath.Join(dir, "security", def)
	}
	alias := func(prop string, def *string) {
		if v, _, ok := in.boot.Get(prop); ok && v != "" {
			if r, err := in.boot.Resolve(v, vars); err == nil {
				*def = r
			}
		}
	}
	alias("openidm.https.keystore.cert.alias", &in.tlsAlias)
	alias("openidm.config.crypto.alias", &in.cryptoAlias)
	in.ks = readStoreFile(location("openidm.keystore.location", "keystore.jceks"))
	in.ts = readStoreFile(location("openidm.truststore.location", "truststore"))
	in.confDir = filepath.Join(dir, "conf")
	if p := filepath.Join(in.confDir, "secrets.json"); fileExists(p) {
		in.secretsPath = p
	}
	return in
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func readStoreFile(path string) storeFile {
	f := storeFile{path: path}
	f.data, f.err = readBounded(path, MaxStoreSize)
	if f.err == nil {
		f.store, f.err = ParseUnverified(f.data)
		if f.err != nil {
			f.err = fmt.Errorf("%s: %w", path, f.err)
		}
	}
	return f
}

// resolvePasswords finds the key store and trust store passwords: from
// boot.properties; else the one the user gave; else, for the new
// installation, the old one's (its stores are meant to be the old ones'
// copies, and its setup asks for that password); else by asking.
func (in *installation) resolvePasswords(o PreflightOptions, old *installation) {
	in.pw = in.bootPassword(propKeyStorePass)
	if !in.pw.known && o.Password != "" {
		in.pw = secret{value: o.Password, known: true, from: o.PasswordFrom, why: in.pw.why}
	}
	if !in.pw.known && old != nil && old.pw.known {
		in.pw = secret{value: old.pw.value, known: true, why: in.pw.why,
			from: "the 2.1 one (" + old.pw.from + "): " + in.pw.why + ", and the 7.1.6 setup asks for the password of the copied stores"}
	}
	if !in.pw.known && o.Ask != nil {
		if v, ok := o.Ask(in.label, in.pw.why); ok {
			in.pw = secret{value: v, known: true, from: "typed at the prompt", why: in.pw.why}
		}
	}
	in.tsPw = in.bootPassword(propTrustStorePass)
	if !in.tsPw.known {
		in.tsPw = in.pw
	}
}

func (in *installation) bootPassword(prop string) secret {
	switch {
	case in.bootPath == "":
		return secret{why: "the " + in.label + " installation has no boot.properties (resolver/ or conf/boot/)"}
	case in.bootErr != nil:
		return secret{why: in.bootErr.Error()}
	}
	v, line, ok := in.boot.Get(prop)
	if !ok {
		return secret{why: fmt.Sprintf("%s does not set %s", in.bootPath, prop)}
	}
	where := fmt.Sprintf("%s:%d", in.bootPath, line)
	if strings.Contains(v, "&{") {
		r, err := in.boot.Resolve(v, map[string]string{"idm.install.dir": in.dir})
		if err != nil {
			return secret{why: fmt.Sprintf("%s: %s is %q, which IDM resolves at start-up from outside the file", where, prop, v)}
		}
		v = r
	}
	pw, form, err := DecodePassword(v)
	if err != nil {
		return secret{why: fmt.Sprintf("%s: %v", where, err)}
	}
	how := map[PasswordForm]string{
		PlainPassword:      "in the clear",
		ObfuscatedPassword: "OBF:, decoded",
		CryptPassword:      "CRYPT:, decrypted with OpenIDM's built-in key",
	}[form]
	return secret{value: pw, known: true, from: fmt.Sprintf("%s, %s, %s", where, prop, how)}
}

func (in *installation) storesResult() Result {
	res := Result{ID: "keystores." + in.side(), Title: fmt.Sprintf("the %s security folder holds keystore.jceks and truststore", in.label), Status: Pass}
	for _, f := range []storeFile{in.ks, in.ts} {
		switch {
		case errors.Is(f.err, fs.ErrNotExist):
			res.Status = Fail
			res.Evidence = append(res.Evidence, f.path+": missing")
		case f.err != nil:
			res.Status = Fail
			res.Evidence = append(res.Evidence, f.err.Error())
		default:
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: %s, %s, %d bytes", f.path, f.store.Format, plural(len(f.store.Entries), "entry", "entries"), f.store.Size))
		}
	}
	if res.Status == Fail {
		if in.label == "2.1" {
			res.Todo = "give --old the Identity Connect 2.1 installation folder (the one holding security/ and conf/); the key stores must be those of the running 2.1, which the 7.1.6 installation needs copies of"
		} else {
			res.Todo = "copy keystore.jceks and truststore from the 2.1 security folder into the 7.1.6 one (the guide removes 7.1.6's own first), then run this preflight again"
		}
	}
	return res
}

func (in *installation) side() string {
	if in.label == "2.1" {
		return "old"
	}
	return "new"
}

// copiedResult: the new stores are the old ones, byte for byte or entry
// for entry (a store saved again by keytool has new bytes, the same keys).
func copiedResult(old, nu *installation) Result {
	res := Result{ID: "keystores.copied", Title: "the 7.1.6 key store and trust store are copies of the 2.1 ones", Status: Pass}
	for _, pair := range [][2]storeFile{{old.ks, nu.ks}, {old.ts, nu.ts}} {
		a, b := pair[0], pair[1]
		name := filepath.Base(b.path)
		switch {
		case a.err != nil || b.err != nil:
			res.Status = Fail
			res.Evidence = append(res.Evidence, name+": cannot compare, one of the two cannot be read (see above)")
		case bytes.Equal(a.data, b.data):
			sum := sha256.Sum256(a.data)
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: the same bytes (SHA-256 %x…)", name, sum[:8]))
		default:
			diffs := compareStores(a.store, b.store, old.pw, nu.pw)
			if len(diffs) == 0 {
				res.Evidence = append(res.Evidence, fmt.Sprintf("%s: not the same bytes, but the same entries (saved again)", name))
				continue
			}
			res.Status = Fail
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s differs from the 2.1 one: %s", b.path, strings.Join(diffs, "; ")))
		}
	}
	if res.Status == Fail {
		res.Todo = "remove keystore.jceks and truststore from the 7.1.6 security folder and copy the 2.1 ones there (the guide's rm and copy), before running the 7.1.6 setup: 7.1.6 needs the 2.1 keys to decrypt what 2.1 encrypted"
	}
	return res
}

// compareStores lists how b's entries differ from a's.
func compareStores(a, b *Store, apw, bpw secret) []string {
	var only, onlyB, differ []string
	decrypts := 0
	for _, ea := range a.Entries {
		eb := b.Lookup(ea.Alias)
		if eb == nil {
			only = append(only, ea.Alias)
			continue
		}
		if why := entryDiff(ea, eb, apw, bpw, &decrypts); why != "" {
			differ = append(differ, ea.Alias+" ("+why+")")
		}
	}
	for _, eb := range b.Entries {
		if a.Lookup(eb.Alias) == nil {
			onlyB = append(onlyB, eb.Alias)
		}
	}
	var out []string
	if len(only) > 0 {
		out = append(out, "missing "+listSome(only))
	}
	if len(onlyB) > 0 {
		out = append(out, "not in 2.1: "+listSome(onlyB))
	}
	if len(differ) > 0 {
		out = append(out, "different "+listSome(differ))
	}
	return out
}

func entryDiff(a, b *Entry, apw, bpw secret, decrypts *int) string {
	if a.Kind != b.Kind {
		return fmt.Sprintf("%s, not %s", b.Kind, a.Kind)
	}
	if len(a.ChainDER) != len(b.ChainDER) {
		return "another certificate chain"
	}
	for i := range a.ChainDER {
		if !bytes.Equal(a.ChainDER[i], b.ChainDER[i]) {
			return "another certificate"
		}
	}
	if bytes.Equal(a.Protected, b.Protected) {
		return ""
	}
	// The same key encrypted again has other bytes: compare the keys.
	if !apw.known || !bpw.known || *decrypts >= maxKeysChecked {
		return "the encrypted key differs, and was not decrypted to compare"
	}
	*decrypts++
	switch a.Kind {
	case PrivateKeyEntry:
		ka, err1 := a.PrivateKey(apw.value)
		kb, err2 := b.PrivateKey(bpw.value)
		if err1 != nil || err2 != nil {
			return "the encrypted key differs, and does not decrypt with the store password to compare"
		}
		if e, ok := ka.(interface{ Equal(crypto.PrivateKey) bool }); ok && e.Equal(kb) {
			return ""
		}
		return "another key"
	case SecretKeyEntry:
		_, ka, err1 := a.SecretKey(apw.value)
		_, kb, err2 := b.SecretKey(bpw.value)
		if err1 != nil || err2 != nil {
			return "the encrypted key differs, and does not decrypt with the store password to compare"
		}
		if bytes.Equal(ka, kb) {
			return ""
		}
		return "another key"
	}
	return ""
}

func listSome(items []string) string {
	if len(items) > 8 {
		return strings.Join(items[:8], ", ") + fmt.Sprintf(" and %d more", len(items)-8)
	}
	return strings.Join(items, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (in *installation) passwordResult(o PreflightOptions) Result {
	res := Result{ID: "password." + in.side(), Title: fmt.Sprintf("the key store password opens the %s stores and keys", in.label), Status: Pass}
	if !in.pw.known {
		res.Status = Manual
		res.Evidence = []string{in.pw.why}
		res.Todo = "the password cannot be read from the files; " + o.HowToGivePassword
		return res
	}
	res.Evidence = append(res.Evidence, "password: "+in.pw.from)
	fail := func(line, todo string) {
		res.Status = Fail
		res.Evidence = append(res.Evidence, line)
		if res.Todo == "" {
			res.Todo = todo
		}
	}
	wrongStore := "put the stores' password in " + propKeyStorePass + " of " + in.bootDesc() + " (plain, OBF: or CRYPT:), or, if the stores are not the ones the installation was set up with, copy the right ones"
	if in.ks.err != nil {
		fail(in.ks.path+": cannot be read (see above)", "")
	} else if _, err := Parse(in.ks.data, in.pw.value); err != nil {
		fail(in.ks.path+": "+err.Error(), wrongStore)
	} else {
		bad, n := in.checkKeys()
		if len(bad) > 0 {
			fail(fmt.Sprintf("%s: integrity digest matches; %s not decrypt with it: %s", in.ks.path, plural(len(bad), "key does", "keys do"), strings.Join(bad, ", ")),
				"IDM opens every key with the store password: give each key that password (keytool -keypasswd -alias ALIAS -keystore keystore.jceks -storetype JCEKS)")
		} else {
			line := fmt.Sprintf("%s: integrity digest matches; %s with it", in.ks.path, plural(n, "key decrypts", "keys decrypt"))
			if n == 0 {
				line = in.ks.path + ": integrity digest matches; it holds no key"
			}
			res.Evidence = append(res.Evidence, line)
		}
	}
	if in.ts.err != nil {
		fail(in.ts.path+": cannot be read (see above)", "")
	} else if _, err := Parse(in.ts.data, in.tsPw.value); err != nil {
		fail(in.ts.path+": "+err.Error()+"; password: "+in.tsPw.from, "put the trust store's password in "+propTrustStorePass+" of "+in.bootDesc())
	} else {
		line := in.ts.path + ": integrity digest matches"
		if in.tsPw.from != in.pw.from {
			line += " with " + in.tsPw.from
		}
		res.Evidence = append(res.Evidence, line)
	}
	return res
}

func (in *installation) bootDesc() string {
	if in.bootPath == "" {
		return "boot.properties"
	}
	return in.bootPath
}

// checkKeys decrypts the store's keys with its password: IDM opens keys
// with openidm.keystore.password. The named aliases come first; at most
// maxKeysChecked keys are tried.
func (in *installation) checkKeys() (bad []string, ok int) {
	entries := append([]*Entry(nil), in.ks.store.Entries...)
	sort.SliceStable(entries, func(i, j int) bool {
		return in.named(entries[i].Alias) && !in.named(entries[j].Alias)
	})
	tried := 0
	for _, e := range entries {
		if e.Kind == TrustedCertEntry || (tried >= maxKeysChecked && !in.named(e.Alias)) {
			continue
		}
		tried++
		var err error
		if e.Kind == PrivateKeyEntry {
			_, err = e.PrivateKey(in.pw.value)
		} else {
			_, _, err = e.SecretKey(in.pw.value)
		}
		if err != nil {
			bad = append(bad, e.Alias)
		} else {
			ok++
		}
	}
	return bad, ok
}

func (in *installation) named(alias string) bool {
	return strings.EqualFold(alias, in.tlsAlias) || strings.EqualFold(alias, in.cryptoAlias)
}

func (in *installation) aliasesResult() Result {
	res := Result{ID: "aliases." + in.side(), Title: fmt.Sprintf("the %s key store holds %s and %s", in.label, in.tlsAlias, in.cryptoAlias), Status: Pass}
	if in.ks.err != nil {
		res.Status = Fail
		res.Evidence = []string{in.ks.path + ": cannot be read (see above)"}
		res.Todo = "see the first checks"
		return res
	}
	s := in.ks.store
	if len(s.Entries) == 0 {
		res.Status = Fail
		res.Evidence = []string{in.ks.path + ": the key store is empty"}
		res.Todo = "IDM makes its keys at its first start, so this store is a fresh distribution's; copy the key store of the running 2.1 installation instead (its keys decrypt 2.1's data)"
		return res
	}
	check := func(alias string, kind Kind, use string) {
		e := s.Lookup(alias)
		switch {
		case e == nil:
			res.Status = Fail
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: missing (IDM's %s; the store holds %s)", alias, use, listSome(aliases(s))))
		case e.Kind != kind:
			res.Status = Fail
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: a %s, where IDM's %s needs a %s", alias, e.Kind, use, kind))
		case kind == PrivateKeyEntry && e.Cert() == nil:
			res.Status = Fail
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: its certificate cannot be read: %v", alias, e.CertErr))
		case kind == PrivateKeyEntry:
			res.Evidence = append(res.Evidence, fmt.Sprintf("%s: private key, certificate %s", alias, e.Cert().Subject))
		default:
			line := alias + ": secret key"
			if in.pw.known {
				if alg, key, err := e.SecretKey(in.pw.value); err == nil && key != nil {
					line += fmt.Sprintf(", %s-%d", alg, 8*len(key))
				}
			}
			res.Evidence = append(res.Evidence, line)
		}
	}
	check(in.tlsAlias, PrivateKeyEntry, "TLS key (openidm.https.keystore.cert.alias)")
	check(in.cryptoAlias, SecretKeyEntry, "configuration encryption key (openidm.config.crypto.alias)")
	if res.Status == Fail {
		res.Todo = "copy the key store of the running 2.1 installation, which holds these aliases; if 2.1's lacks them, its boot.properties names other aliases: use the same in 7.1.6"
	}
	return res
}

func aliases(s *Store) []string {
	var out []string
	for _, e := range s.Entries {
		out = append(out, e.Alias)
	}
	return out
}

// secretsResult: IDM 7 maps secret ids to key store aliases in
// conf/secrets.json; each alias named there must be in the key store.
func (in *installation) secretsResult() Result {
	res := Result{ID: "secrets.new", Title: "the aliases conf/secrets.json maps are in the 7.1.6 key store", Status: Pass}
	src, err := readBounded(in.secretsPath, 32<<20)
	var doc *amjson.Value
	if err == nil {
		doc, err = amjson.Parse(src)
	}
	if err != nil {
		res.Status = Fail
		res.Evidence = []string{jsonErrorLine(in.secretsPath, err)}
		res.Todo = "fix the file"
		return res
	}
	var names []string
	var stores *amjson.Value
	if doc.Kind == amjson.Object {
		stores = doc.Get("stores")
	}
	if stores != nil && stores.Kind == amjson.Array {
		for _, st := range stores.Items {
			cfg := st.Get("config")
			if cfg == nil || cfg.Kind != amjson.Object {
				continue
			}
			// Only the stores that are this key store: the file is
			// &{openidm.keystore.location|…} in the stock secrets.json.
			if f := cfg.Get("file"); f == nil || f.Kind != amjson.String || !strings.Contains(f.Text, "keystore") {
				continue
			}
			ms := cfg.Get("mappings")
			if ms == nil || ms.Kind != amjson.Array {
				continue
			}
			for _, m := range ms.Items {
				as := m.Get("aliases")
				if as == nil || as.Kind != amjson.Array {
					continue
				}
				for _, a := range as.Items {
					if a.Kind == amjson.String {
						names = append(names, a.Text)
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, raw := range names {
		name, err := in.boot.Resolve(raw, map[string]string{"idm.install.dir": in.dir})
		if err != nil || seen[name] {
			continue
		}
		seen[name] = true
		if in.ks.err == nil && in.ks.store.Lookup(name) != nil {
			res.Evidence = append(res.Evidence, name+": present")
		} else {
			res.Status = Fail
			res.Evidence = append(res.Evidence, name+": not in "+in.ks.path)
		}
	}
	if len(seen) == 0 {
		res.Evidence = append(res.Evidence, in.secretsPath+" maps no alias of the key store")
	}
	if res.Status == Fail {
		res.Todo = "map the secret ids to the aliases the copied 2.1 key store holds (openidm.config.crypto.alias and openidm.https.keystore.cert.alias in resolver/boot.properties), or copy the right key store"
	}
	return res
}

// tlsCert is the certificate the 2.1 server presents: its key store's TLS
// alias (or, when the 2.1 store cannot be read, the 7.1.6 copy's).
func tlsCert(old, nu *installation) (*x509.Certificate, string) {
	for _, in := range []*installation{old, nu} {
		if in.ks.err != nil {
			continue
		}
		if e := in.ks.store.Lookup(in.tlsAlias); e != nil && e.Kind == PrivateKeyEntry && e.Cert() != nil {
			return e.Cert(), fmt.Sprintf("%s in %s", in.tlsAlias, in.ks.path)
		}
	}
	return nil, ""
}

func describeNames(c *x509.Certificate) string {
	dns, ips, fromCN := CertNames(c)
	var names []string
	names = append(names, dns...)
	for _, ip := range ips {
		names = append(names, ip.String())
	}
	s := strings.Join(names, ", ")
	if fromCN {
		s += " (its CN; it has no DNS subject alternative names, so Java checks the CN)"
	}
	if s == "" {
		return "no host name"
	}
	return s
}

func hostResult(c *x509.Certificate, from, instanceURL string) Result {
	res := Result{ID: "tls.host", Title: "the TLS certificate names the host of the 2.1 instance URL", Status: Pass}
	if c == nil {
		res.Status = Fail
		res.Evidence = []string{"no TLS certificate: neither key store holds the TLS alias (see above)"}
		res.Todo = "see the alias checks"
		return res
	}
	res.Evidence = []string{fmt.Sprintf("%s: %s, names %s", from, c.Subject, describeNames(c))}
	if instanceURL == "" {
		res.Status = Manual
		res.Todo = "give --instance-url with the 2.1 URL you will configure the migration with (the guide's https://localhost:8443/openidm/): its host must be one of these names, and resolve on the 7.1.6 host to the 2.1 server (the guide's hosts file)"
		return res
	}
	u, err := url.Parse(instanceURL)
	if err != nil || u.Hostname() == "" {
		res.Status = Fail
		res.Evidence = append(res.Evidence, fmt.Sprintf("instance URL %q has no host", instanceURL))
		res.Todo = "give --instance-url as https://HOST:PORT/openidm/"
		return res
	}
	host := u.Hostname()
	if MatchHostname(c, host) {
		res.Evidence = append(res.Evidence, fmt.Sprintf("instance URL host %s matches", host))
	} else {
		res.Status = Fail
		res.Evidence = append(res.Evidence, fmt.Sprintf("instance URL host %s is not one of them: 7.1.6 checks host names strictly, and reports a bad certificate", host))
		res.Todo = fmt.Sprintf("configure the migration with a host name the certificate names, resolving on the 7.1.6 host to the 2.1 server (hosts file), or give 2.1 a certificate for %s (keytool -genkeypair -alias openidm-localhost -dname CN=%s -ext san=dns:%s … in the 2.1 key store, restart 2.1, copy the stores again)", host, host, host)
	}
	if u.Scheme != "https" {
		res.Evidence = append(res.Evidence, fmt.Sprintf("the instance URL is %s: the guide's is https, which is what the certificate is for", u.Scheme))
	}
	return res
}

func expiryResult(c *x509.Certificate, from string, now time.Time, margin time.Duration) Result {
	res := Result{ID: "tls.expiry", Title: "the TLS certificate is valid, and not about to expire", Status: Pass}
	if c == nil {
		res.Status = Fail
		res.Evidence = []string{"no TLS certificate (see above)"}
		res.Todo = "see the alias checks"
		return res
	}
	day := "2006-01-02"
	line := fmt.Sprintf("%s: valid from %s to %s", from, c.NotBefore.UTC().Format(day), c.NotAfter.UTC().Format(day))
	switch {
	case now.After(c.NotAfter):
		res.Status = Fail
		res.Evidence = []string{line + ": expired"}
	case now.Before(c.NotBefore):
		res.Status = Fail
		res.Evidence = []string{line + ": not valid yet"}
	case now.Add(margin).After(c.NotAfter):
		res.Status = Fail
		res.Evidence = []string{fmt.Sprintf("%s: expires within %d days", line, int(margin.Hours()/24))}
	default:
		res.Evidence = []string{line}
	}
	if res.Status == Fail {
		res.Todo = "a TLS client refuses an expired certificate: make a new one in the 2.1 key store (keytool -genkeypair with the same alias, or import one from your CA), restart 2.1, and copy the key store and trust store (with the new certificate) to 7.1.6 again"
	}
	return res
}

// trustResult: the 7.1.6 trust store trusts the certificate the 2.1 server
// presents (it holds it, or the certificate chains to one it holds).
func trustResult(c *x509.Certificate, from string, old, nu *installation) Result {
	res := Result{ID: "tls.trust", Title: "the 7.1.6 trust store trusts the 2.1 TLS certificate", Status: Pass}
	switch {
	case c == nil:
		res.Status = Fail
		res.Evidence = []string{"no TLS certificate (see above)"}
		res.Todo = "see the alias checks"
		return res
	case nu.ts.err != nil:
		res.Status = Fail
		res.Evidence = []string{nu.ts.path + ": cannot be read (see above)"}
		res.Todo = "copy the 2.1 truststore to the 7.1.6 security folder"
		return res
	}
	var chain []*x509.Certificate
	if e := old.tlsEntry(); e != nil {
		chain = e.Chain
	}
	if alias, ok := Trusts(nu.ts.store, c, chain); ok {
		res.Evidence = []string{fmt.Sprintf("%s: %s is trusted through %s in %s", from, c.Subject, alias, nu.ts.path)}
		return res
	}
	res.Status = Fail
	res.Evidence = []string{fmt.Sprintf("%s: %s (SHA-256 %s) is neither in %s nor issued by a certificate there", from, c.Subject, fingerprint(c), nu.ts.path)}
	res.Todo = "copy the 2.1 truststore, which trusts 2.1's certificate, or import the certificate: keytool -exportcert -alias openidm-localhost from the 2.1 key store, then keytool -importcert into the 7.1.6 truststore"
	return res
}

func (in *installation) tlsEntry() *Entry {
	if in.ks.err != nil {
		return nil
	}
	return in.ks.store.Lookup(in.tlsAlias)
}

// Trusts reports whether the trusted certificates of s trust c (with the
// rest of its chain as intermediates), and through which alias. Validity
// dates are left to the expiry check: the chain is built at a moment when
// c is valid.
func Trusts(s *Store, c *x509.Certificate, chain []*x509.Certificate) (string, bool) {
	roots := x509.NewCertPool()
	byCert := map[*x509.Certificate]string{}
	for _, e := range s.Entries {
		if e.Kind != TrustedCertEntry || e.Cert() == nil {
			continue
		}
		if e.Cert().Equal(c) {
			return e.Alias, true
		}
		roots.AddCert(e.Cert())
		byCert[e.Cert()] = e.Alias
	}
	inter := x509.NewCertPool()
	for _, x := range chain {
		if !x.Equal(c) {
			inter.AddCert(x)
		}
	}
	at := c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2)
	chains, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 {
		return "", false
	}
	root := chains[0][len(chains[0])-1]
	for x, alias := range byCert {
		if x.Equal(root) {
			return alias, true
		}
	}
	return "", true
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

func javaResult(ctx context.Context, env JavaEnv) Result {
	res := Result{ID: "java", Title: "Java 11 or later for Identity Connect 7.1.6", Status: Pass}
	j, err := env.FindJava(ctx)
	if err != nil {
		res.Status = Fail
		res.Evidence = []string{err.Error()}
		res.Todo = "install Java 11 on the 7.1.6 host (the guide: the system package manager on Linux) and set JAVA_HOME or PATH; if 7.1.6 runs on another host than this preflight, check there with java -version"
		return res
	}
	res.Evidence = []string{fmt.Sprintf("%s (from %s): Java %s, read from %s", j.Path, j.From, j.Version, j.Source)}
	if j.Major < 11 {
		res.Status = Fail
		res.Todo = fmt.Sprintf("Java %d is too old for 7.1.6: install Java 11 and point JAVA_HOME at it", j.Major)
	}
	return res
}

// configResult: every JSON file under conf/ parses, as IDM's cli.sh
// validate checks.
func (in *installation) configResult() Result {
	res := Result{ID: "config." + in.side(), Title: fmt.Sprintf("the %s configuration files parse", in.label), Status: Pass}
	var bad []string
	n := 0
	err := filepath.WalkDir(in.confDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") || !d.Type().IsRegular() {
			return nil
		}
		n++
		src, err := readBounded(p, 32<<20)
		if err == nil {
			_, err = amjson.Parse(src)
		}
		if err != nil {
			bad = append(bad, jsonErrorLine(p, err))
		}
		return nil
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Status = Fail
		res.Evidence = []string{in.confDir + ": missing"}
		res.Todo = "give the installation folder, the one holding conf/ and security/"
		return res
	case err != nil:
		res.Status = Fail
		res.Evidence = []string{err.Error()}
		return res
	}
	if len(bad) > 0 {
		res.Status = Fail
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("and %d more", len(bad)-20))
		}
		res.Evidence = bad
		res.Todo = "fix these files: IDM does not load a configuration file that does not parse"
		return res
	}
	res.Evidence = []string{fmt.Sprintf("%s: %s parse", in.confDir, plural(n, "JSON file", "JSON files"))}
	return res
}

// jsonErrorLine is file:line:col: message for a JSON syntax error.
func jsonErrorLine(path string, err error) string {
	var se *amjson.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s:%d:%d: %s", path, se.Line, se.Column, se.Msg)
	}
	return fmt.Sprintf("%s: %v", path, err)
}

// StoreRef is a store of an installation and its password, found as IDM
// finds them.
type StoreRef struct {
	Path          string
	Password      string
	PasswordKnown bool
	PasswordFrom  string // where the password was read
	Why           string // why it is not known
}

// TrustStoreOf finds the trust store of an installation folder
// (openidm.truststore.location of its boot.properties, else
// security/truststore) and its password (openidm.truststore.password, else
// the key store's).
func TrustStoreOf(dir string) StoreRef {
	in := readInstallation(dir, "7.1.6")
	in.resolvePasswords(PreflightOptions{}, nil)
	return StoreRef{Path: in.ts.path, Password: in.tsPw.value, PasswordKnown: in.tsPw.known, PasswordFrom: in.tsPw.from, Why: in.tsPw.why}
}
