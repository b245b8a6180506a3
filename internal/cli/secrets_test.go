package cli

import (
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/internal/report"
)

// secretTrees lists every shared real tree with the arguments a user gives
// to upgrade it to 8.1 (see realTrees).
func secretTrees(t *testing.T) []realTree {
	trees := realTrees(t)
	for i := range trees {
		trees[i].args = userArgs(t, trees[i])
	}
	return trees
}

// inputSecrets reads the secret values of a tree by the list of
// internal/report: each with the file it was first found in. A value that
// the tree also holds where it is not secret (a password that equals an
// alias elsewhere) is left out and returned as shared: it may rightly show.
func inputSecrets(t *testing.T, root string) (secrets map[string]string, shared []string) {
	t.Helper()
	secrets = map[string]string{}
	secretN, leafN := map[string]int{}, map[string]int{}
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
			return fmt.Errorf("%s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		for _, s := range report.SecretValues(doc) {
			secretN[s]++
			if _, ok := secrets[s]; !ok {
				secrets[s] = filepath.ToSlash(rel)
			}
		}
		countLeaves(doc, leafN)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for s := range secrets {
		if leafN[s] > secretN[s] {
			shared = append(shared, s)
			delete(secrets, s)
		}
	}
	sort.Strings(shared)
	return secrets, shared
}

func countLeaves(v *amjson.Value, n map[string]int) {
	switch v.Kind {
	case amjson.String, amjson.Number:
		n[v.Text]++
	case amjson.Array:
		for _, it := range v.Items {
			countLeaves(it, n)
		}
	case amjson.Object:
		for _, m := range v.Members {
			countLeaves(m.Value, n)
		}
	}
}

// encodings are the forms a value takes in what a run writes: as it is,
// and as a JSON string with or without HTML escaping. HTML is searched
// once unescaped, which covers its escaped forms.
func encodings(s string) []string {
	forms := []string{s}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		j := strings.TrimSpace(buf.String())
		forms = append(forms, j[1:len(j)-1])
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// leaks runs a tree the ways that print values and returns, for each
// secret value of the input found in what the runs wrote besides the tree,
// where it was found.
func leaks(t *testing.T, in string, args []string, secrets map[string]string) (map[string][]string, map[string]string) {
	t.Helper()
	tmp := t.TempDir()
	log1, log2 := filepath.Join(tmp, "diff.log"), filepath.Join(tmp, "write.log")
	rjson, rhtml := filepath.Join(tmp, "report.json"), filepath.Join(tmp, "report.html")
	written := map[string]string{}
	code, stdout, stderr := run(t, append([]string{"-i", in, "--diff", "-v", "-l", log1, "--report", rjson}, args...)...)
	if code != ExitOK {
		t.Fatalf("--diff run: exit %d\n%s", code, stderr)
	}
	written["--diff stdout"], written["--diff stderr"] = stdout, stderr
	code, stdout, stderr = run(t, append([]string{"-i", in, "-o", filepath.Join(tmp, "out"), "-v", "-l", log2, "--report", rhtml}, args...)...)
	if code != ExitOK {
		t.Fatalf("write run: exit %d\n%s", code, stderr)
	}
	written["-v stdout"], written["-v stderr"] = stdout, stderr
	for name, p := range map[string]string{"-l log (--diff run)": log1, "-l log (write run)": log2, "JSON report": rjson, "HTML report": rhtml} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		written[name] = string(b)
	}
	// The HTML page marks where long values may wrap with <wbr>: a secret
	// is looked for without them too.
	unescaped := map[string]string{}
	for name, text := range written {
		unescaped[name] = html.UnescapeString(strings.ReplaceAll(text, "<wbr>", ""))
	}
	found := map[string][]string{}
	for s := range secrets {
		forms := encodings(s)
		for name, text := range written {
			for _, f := range forms {
				if strings.Contains(text, f) || strings.Contains(unescaped[name], f) {
					found[s] = append(found[s], name)
					break
				}
			}
		}
		sort.Strings(found[s])
	}
	return found, written
}

// TestRealTreesKeepSecrets upgrades every real tree with --diff, -v, -l,
// and a JSON and an HTML report, and looks for every secret value of the
// input (by the list of internal/report) in all a run writes besides the
// tree: none may show.
func TestRealTreesKeepSecrets(t *testing.T) {
	for _, tc := range secretTrees(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.in
			secrets, shared := inputSecrets(t, in)
			if len(shared) > 0 {
				t.Logf("%d secret values also held where they are not secret, not looked for: %q", len(shared), shared)
			}
			found, written := leaks(t, in, tc.args, secrets)
			for name, text := range written {
				if m := maskedName().FindString(text); m != "" {
					t.Errorf("%s masks the value of a name that is not secret: %s", name, m)
				}
			}
			t.Logf("%d distinct secret values in the input; %d found in what the runs wrote; %d files in the diff",
				len(secrets), len(found), strings.Count(written["--diff stdout"], "\ndiff ")+min(1, strings.Count(written["--diff stdout"][:min(5, len(written["--diff stdout"]))], "diff ")))
			for _, s := range slices.Sorted(func(yield func(string) bool) {
				for s := range found {
					if !yield(s) {
						return
					}
				}
			}) {
				t.Errorf("secret value of %s (%.6s…, %d characters) shows in: %s", secrets[s], s, len(s), strings.Join(found[s], ", "))
			}
		})
	}
}

// maskedName finds a masked value of an attribute whose value names
// something.
var maskedName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"(passwordGrantAuthService|storePassword|keyEntryPassword|secretId|resetPassword|updatePassword)"\s*:\s*"\*{8}"`)
})

// TestRealTreeNamesStayReadable: in the 6.5.1 export's diff, the names
// that read like secrets but name a service or a secret label show as
// they are.
func TestRealTreeNamesStayReadable(t *testing.T) {
	t.Parallel()
	in := needReal(t, "amster-6.5.1-forgeops-cdm")
	code, stdout, stderr := run(t, "-i", in, "--diff", "--to", "8.1.0", "-a", "8.1.0")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{`"passwordGrantAuthService" : "[Empty]"`, `"storePassword" : "storepass"`, `"secretId" : "am.authn.trees.transientstate.encryption"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--diff does not show %s", want)
		}
	}
}

// craftedKinds are the secrets TestCraftedTreeKeepsSecrets adds to every
// document, one of each kind the issue and AM's documentation name.
var craftedKinds = []struct {
	marker string // in the value of every secret of the kind
	name   string
	json   string
}{
	{"arr-secret", "password", `["arr-secret-one", "arr-secret-two"]`},
	{"bindpw-secret", "iplanet-am-auth-ldap-bind-passwd", `"bindpw-secret"`},
	{"authpw-secret", "sun-idrepo-ldapv3-config-authpw", `"authpw-secret"`},
	{"salt-secret", "hashSalt", `"salt-secret"`},
	{"obj-secret", "clientSecret", `{"value": "obj-secret", "inherited": false}`},
	{"entry-secret", "craftedServerconfig", `["am.encryption.pwd=entry-secret", "com.example.flag=true"]`},
	{"90210417", "pin-password", `90210417`},
	{"default-secret", "craftedBindPassword", `{"$string": "&{am.crafted.password|default-secret}"}`},
	{"hashsecret", "craftedHash", `"{SSHA512}hashsecretabcdefgh"`},
	{"AQICcrafted", "craftedEncrypted", `"AQICcraftedabcdefghijk"`},
	{"pemsecret", "craftedKey", `"-----BEGIN PRIVATE KEY-----\npemsecret\n-----END PRIVATE KEY-----"`},
}

// craftTree copies the 6.5.1 Amster export to dir and adds the crafted
// secrets at the end of the data of every document.
func craftTree(t *testing.T, dir string) {
	t.Helper()
	src := needReal(t, "amster-6.5.1-forgeops-cdm")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if doc, err := amjson.Parse(data); err == nil {
			if dv := doc.Get("data"); dv != nil && dv.Kind == amjson.Object {
				for _, k := range craftedKinds {
					v, err := amjson.Parse([]byte(k.json))
					if err != nil {
						return err
					}
					if i := slices.IndexFunc(dv.Members, func(m amjson.Member) bool { return m.Key == k.name }); i >= 0 {
						dv.Members[i].Value = v
					} else {
						dv.Members = append(dv.Members, amjson.Member{Key: k.name, Value: v})
					}
				}
				data = amjson.AppendJSON(nil, doc, amjson.PrintOptions{})
			}
		}
		out := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// craftedRules change secret attributes, so that -v, -l and the reports
// print their old and new values: set, replace, move, copy, delete,
// replace-entries, and the deletion of a whole document.
const craftedRules = `from: 6.5.0
to: 7.0.0
mode: amster
rules:
  - id: crafted-secrets
    select: {service: [Authentication, LdapModule, OpenDJ, PolicyConfiguration]}
    do:
      - set: {/hashSalt: set-salt-secret-value}
      - replace: {/password: [replaced-arr-secret]}
      - move: {from: /iplanet-am-auth-ldap-bind-passwd, to: /movedBindPassword}
      - copy: {from: /clientSecret, to: /copiedClientSecret}
      - delete: [/sun-idrepo-ldapv3-config-authpw, /craftedKey]
      - replace-entries: {/craftedServerconfig: {am.encryption.pwd: new-entry-secret-value}}
  - id: crafted-delete
    select: {service: JdbcModule}
    do:
      - delete-instance: true
`

// TestCraftedTreeKeepsSecrets adds secrets of every kind to every document
// of the 6.5.1 export (arrays, objects, key=value entries, numbers,
// placeholder defaults, hashes, AM-encrypted values, PEM keys under
// secret and other names) and runs it with the bundled rules and with rules
// that change those secrets: none shows in what the runs write. With
// --show-secrets every kind does show, which proves the search looks where
// the values are printed.
func TestCraftedTreeKeepsSecrets(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "export")
	craftTree(t, in)
	rules := filepath.Join(t.TempDir(), "crafted.yaml")
	if err := os.WriteFile(rules, []byte(craftedRules), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets, shared := inputSecrets(t, in)
	if len(shared) > 0 {
		t.Errorf("crafted secrets also held where they are not secret: %q", shared)
	}
	// The rules' own new values are secrets too.
	for _, s := range []string{"set-salt-secret-value", "replaced-arr-secret", "new-entry-secret-value"} {
		secrets[s] = "crafted.yaml"
	}
	for _, args := range [][]string{{"--to", "8.1.0", "-a", "8.1.0"}, {rules}} {
		found, _ := leaks(t, in, args, secrets)
		t.Logf("%v: %d distinct secret values in the input; %d found in what the runs wrote", args, len(secrets), len(found))
		for s, where := range found {
			t.Errorf("%v: secret value of %s (%q) shows in: %s", args, secrets[s], s, strings.Join(where, ", "))
		}
		shown, _ := leaks(t, in, append([]string{"--show-secrets"}, args...), secrets)
		for _, k := range craftedKinds {
			seen := false
			for s := range shown {
				seen = seen || strings.Contains(s, k.marker)
			}
			if !seen {
				t.Errorf("%v --show-secrets: no %s secret (%s) shows: the search does not look where they are printed", args, k.name, k.marker)
			}
		}
		if len(args) == 1 {
			for _, s := range []string{"set-salt-secret-value", "replaced-arr-secret", "new-entry-secret-value"} {
				if _, ok := shown[s]; !ok {
					t.Errorf("%v --show-secrets: the rules' value %s does not show", args, s)
				}
			}
		}
	}
}

// TestMalformedSecretNotEchoed breaks a file at a secret value in several
// ways: the error names the file, line and column, and does not quote the
// value.
func TestMalformedSecretNotEchoed(t *testing.T) {
	tests := []struct{ name, data, secret string }{
		{"unquoted word", `{"metadata": {}, "data": {"userPassword": hunter2Secret99}}`, "hunter2Secret99"},
		{"unquoted hex", `{"metadata": {}, "data": {"pin-password": 0x5EC12E7FF}}`, "5EC12E7FF"},
		{"number with a tail", `{"metadata": {}, "data": {"password": 918273645abc}}`, "918273645"},
		{"bad unicode escape", `{"metadata": {}, "data": {"clientSecret": "s3\uZZ9cret"}}`, "ZZ9c"},
		{"unquoted in an array", `{"metadata": {}, "data": {"password": ["ok", s3cr3tWord]}}`, "s3cr3tWord"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := filepath.Join(t.TempDir(), "services")
			if err := os.CopyFS(in, os.DirFS(filepath.Join("..", "..", "examples", "fbc-7.5", "services"))); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(in, "realm", "root", "x", "bad.json")
			if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(t.TempDir(), "run.log")
			code, stdout, stderr := run(t, "-i", in, "--diff", "-v", "-l", log, "--fileBasedMode", "--to", "8.1.0")
			logged, _ := os.ReadFile(log)
			if code != ExitFailed || !strings.Contains(stderr, "realm/root/x/bad.json:1:") {
				t.Fatalf("exit %d, want %d and an error naming realm/root/x/bad.json:1:COL\n%s", code, ExitFailed, stderr)
			}
			for name, text := range map[string]string{"stdout": stdout, "stderr": stderr, "log": string(logged)} {
				if strings.Contains(text, tt.secret) {
					t.Errorf("%s echoes the secret %q:\n%s", name, tt.secret, text)
				}
			}
		})
	}
}

// TestExprErrorSecretNotEchoed: expr's runtime messages quote the values
// they failed on (int(hunter2)); the error of a rule says where and why
// without them, the literals of the expression kept.
func TestExprErrorSecretNotEchoed(t *testing.T) {
	tree := map[string]string{
		"realm/root/configurationversionservice/1.0/globalconfig/default.json": `{"metadata": {"realm": null, "entityType": "ConfigurationVersionService", "entityId": "default"},
 "data": {"_id": "default", "appliedRuleIds": [], "configurationVersion": "8.0.0.0"}}`,
		"realm/root/oauth2provider/1.0/organizationconfig/default.json": `{"metadata": {"realm": "/", "entityType": "OAuth2Provider", "entityId": "default"},
 "data": {"_id": "default", "hashSalt": "hunter2salt", "serverconfig": ["am.encryption.pwd=entrysecret9"]}}`,
	}
	tests := []struct{ name, op, secret, want string }{
		{"a value", `when: 'int(value("hashSalt")) > 0'`, "hunter2salt", `invalid operation: int(…)`},
		{"an entry's value", `when: 'float(entry("serverconfig", "am.encryption.pwd")) > 1'`, "entrysecret9", `invalid operation: float(…)`},
		{"a literal stays", `when: 'int("notanumber") > 0'`, "", `invalid operation: int(notanumber)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, text := range tree {
				p := filepath.Join(dir, "in", filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rules := filepath.Join(dir, "r.yaml")
			rule := "from: 8.0.0\nto: 8.1.0\nmode: fbc\nrules:\n  - id: r\n    select: {service: OAuth2Provider}\n    " + tt.op + "\n    do:\n      - add: {x: 1}\n"
			if err := os.WriteFile(rules, []byte(rule), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "-i", filepath.Join(dir, "in"), "--check", rules)
			if code != ExitFailed || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want %d and %q in:\n%s", code, ExitFailed, tt.want, stderr)
			}
			if tt.secret != "" && strings.Contains(stdout+stderr, tt.secret) {
				t.Errorf("the error echoes %q:\n%s", tt.secret, stderr)
			}
		})
	}
}
