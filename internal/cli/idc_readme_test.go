package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/rogpeppe/go-internal/diff"
)

// TestReadmeIdc runs the commands of README.md's ```shell-session blocks
// (its Identity Connect examples, which TestReadme does not run, since they
// need the shared OpenIDM data and test servers) and requires that each
// prints what README.md shows. The set-up is what the README says:
//
//   - ic21 is OpenIDM 4.0.0's stock conf/ with its sample key stores, ic716
//     a copy, on a host without Java (JAVA_HOME unset, no java on PATH);
//   - before migrate, the TLS certificate is renewed in both (a new key and
//     certificate for localhost, as keytool -genkeypair makes, in the key
//     store and the trust store), and the 7.1.6 test server (port 9443 in
//     the README) and the 2.1 server (8443) present it.
//
// Lines starting with "$ " that do not run amupgrade are not allowed, so
// that every command shown is checked.
func TestReadmeIdc(t *testing.T) {
	if _, err := os.Stat(filepath.Join(idmDir, "openidm-4.0.0-sample-security")); err != nil {
		t.Skipf("the shared OpenIDM data is absent (%v): this test needs ../shared/testdata/idm beside the checkout", err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the shell-session blocks, as console blocks for readmeCommands.
	var only strings.Builder
	in := false
	for _, line := range strings.SplitAfter(string(src), "\n") {
		switch t := strings.TrimSpace(line); {
		case t == "```shell-session":
			in = true
			only.WriteString("```console\n")
		case in && strings.HasPrefix(t, "```"):
			in = false
			only.WriteString("```\n")
		case in:
			only.WriteString(line)
		default:
			only.WriteString("\n") // keeps README.md's line numbers
		}
	}
	cmds, err := readmeCommands(only.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 {
		t.Fatalf("README.md has %d shell-session commands, want the preflight and the migration", len(cmds))
	}

	dir := t.TempDir()
	for _, inst := range []string{"ic21", "ic716"} {
		if err := os.CopyFS(filepath.Join(dir, inst, "conf"), os.DirFS(filepath.Join(idmDir, "openidm-4.0.0", "conf"))); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(filepath.Join(dir, inst, "security"), os.DirFS(filepath.Join(idmDir, "openidm-4.0.0-sample-security"))); err != nil {
			t.Fatal(err)
		}
		filepath.WalkDir(filepath.Join(dir, inst), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				return os.Chmod(p, 0o755)
			}
			return os.Chmod(p, 0o644)
		})
	}
	t.Chdir(dir)
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	t.Setenv(envStorePass, "")
	t.Setenv(envOldUser, "openidm-admin")
	t.Setenv(envOldPassword, "Adm1n-716")
	t.Setenv(envNewUser, "")
	t.Setenv(envNewPassword, "")

	wantCode := map[string]int{"preflight": ExitFailed, "migrate": ExitOK}
	for _, c := range cmds {
		if len(c.args) < 2 || c.args[0] != "idc" {
			t.Fatalf("README.md:%d: a shell-session block runs amupgrade %s; only idc examples are expected there", c.line, strings.Join(c.args, " "))
		}
		args := append([]string(nil), c.args...)
		var ports *strings.Replacer
		if c.args[1] == "migrate" {
			newURL, oldURL := readmeServers(t, dir)
			for i, a := range args {
				args[i] = strings.NewReplacer("localhost:9443", newURL, "localhost:8443", oldURL).Replace(a)
			}
			ports = strings.NewReplacer(newURL, "localhost:9443", oldURL, "localhost:8443")
			// Polls every 10ms instead of 5s: nothing printed depends on it
			// off a terminal.
			args = append(args, "--poll", "10ms")
		}
		var combined syncBuffer
		stdout := &streamWriter{combined: &combined}
		stderr := &streamWriter{combined: &combined}
		code := (&CLI{Stdout: stdout, Stderr: stderr, noSync: true}).Run(context.Background(), append([]string{"amupgrade"}, args...))
		got := combined.buf.String()
		if ports != nil {
			got = ports.Replace(got)
		}
		cmdline := "$ amupgrade " + strings.Join(c.args, " ")
		if code != wantCode[c.args[1]] {
			t.Errorf("README.md:%d: %s\nexit %d, want %d", c.line, cmdline, code, wantCode[c.args[1]])
		}
		if got != c.want {
			t.Errorf("README.md:%d: %s\nprints other than README.md shows:\n%s", c.line, cmdline,
				diff.Diff("README.md", []byte(c.want), "amupgrade", []byte(got)))
		}
	}
}

var hostPort = regexp.MustCompile(`^https://127\.0\.0\.1:(\d+)$`)

// readmeServers renews the certificate of the two installations and starts
// the 7.1.6 test server and a 2.1 TLS server presenting it; it returns their
// localhost:PORT.
func readmeServers(t *testing.T, dir string) (newHost, oldHost string) {
	now := time.Now()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", DNSNames: []string{"localhost"}, NotBefore: now.AddDate(0, 0, -1), NotAfter: now.AddDate(2, 0, 0)})
	for _, inst := range []string{"ic21", "ic716"} {
		if err := idctest.RenewTLS(filepath.Join(dir, inst), "changeit", "openidm-localhost", cert); err != nil {
			t.Fatal(err)
		}
	}
	m := idctest.NewMigrationServer(t, cert, idctest.Script{
		AdminUser: "openidm-admin", AdminPassword: "Adm1n-716",
		ConfigureStatus: []string{`{"status":"PENDING"}`, `{"status":"SUCCESS"}`},
		MigrateStatus: []string{
			`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":40,"total":"?"}}}}`,
			`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":120,"total":120}}}}`,
			`{"status":"COMPLETE"}`,
		},
	})
	old := idctest.NewTLSServer(t, cert, http.NotFoundHandler())
	local := func(u string) string {
		p := hostPort.FindStringSubmatch(u)
		if p == nil {
			t.Fatalf("test server at %s", u)
		}
		return "localhost:" + p[1]
	}
	return local(m.URL), local(old.URL)
}
