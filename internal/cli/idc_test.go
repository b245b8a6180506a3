package cli

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/rogpeppe/go-internal/testscript"
)

// idmDir is the shared real OpenIDM data, relative to this package.
var idmDir = filepath.Join("..", "..", "..", "shared", "testdata", "idm")

// TestIdcScript runs the scripts of testdata/idc: amupgrade idc preflight
// and migrate, on installations and against TLS servers the scripts make.
// Besides testscript's own commands and exits (see TestScript), scripts
// have:
//
//	[idcdata]                     the shared OpenIDM data is there
//	idcinstall DIR [stock]        an OpenIDM 4.0.0 installation that has run: the
//	                              stock conf/ and the sample key stores (shared data);
//	                              with stock, the distribution's own stores
//	idcstores DIR HOST [expired] [nosym] [keypass=PW]
//	                              DIR/security/keystore.jceks and truststore (password
//	                              changeit) with a certificate for HOST, valid from a
//	                              year ago for two years (or expired in 2021)
//	idcserver VAR DIR SCRIPT      a TLS server on loopback presenting the certificate
//	                              of DIR's key store (alias openidm-localhost); VAR is
//	                              set to its https://localhost:PORT. SCRIPT: guide,
//	                              badcert, hang, noendpoint, tls (TLS only, 404s)
func TestIdcScript(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "idc"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			if env.Getenv("GORACE") == "" {
				env.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			// No credentials or Java from the environment of the test.
			for _, k := range []string{envStorePass, envOldUser, envOldPassword, envNewUser, envNewPassword, "JAVA_HOME"} {
				env.Setenv(k, "")
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "idcdata" {
				_, err := os.Stat(filepath.Join(idmDir, "openidm-4.0.0-sample-security", "keystore.jceks"))
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":      cmdExits,
			"idcinstall": cmdIdcInstall,
			"idcstores":  cmdIdcStores,
			"idcserver":  cmdIdcServer,
		},
	})
}

func cmdIdcInstall(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 || (len(args) == 2 && args[1] != "stock") {
		ts.Fatalf("usage: idcinstall DIR [stock]")
	}
	dir := ts.MkAbs(args[0])
	security := filepath.Join(idmDir, "openidm-4.0.0-sample-security")
	if len(args) == 2 {
		security = filepath.Join(idmDir, "openidm-4.0.0", "security")
	}
	ts.Check(os.CopyFS(filepath.Join(dir, "conf"), os.DirFS(filepath.Join(idmDir, "openidm-4.0.0", "conf"))))
	ts.Check(os.MkdirAll(filepath.Join(dir, "security"), 0o755))
	for _, f := range []string{"keystore.jceks", "truststore"} {
		b, err := os.ReadFile(filepath.Join(security, f))
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, "security", f), b, 0o644))
	}
	// CopyFS keeps the read-only modes of the shared data.
	ts.Check(filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	}))
}

func cmdIdcStores(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: idcstores DIR HOST [expired] [nosym] [keypass=PW]")
	}
	now := time.Now()
	o := idctest.CertOptions{CommonName: args[1], DNSNames: []string{args[1]}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(2, 0, 0)}
	keypass := ""
	sym := true
	for _, a := range args[2:] {
		switch {
		case a == "expired":
			o.NotBefore, o.NotAfter = time.Date(2011, 8, 17, 13, 35, 10, 0, time.UTC), time.Date(2021, 8, 17, 13, 35, 10, 0, time.UTC)
		case a == "nosym":
			sym = false
		case strings.HasPrefix(a, "keypass="):
			keypass = strings.TrimPrefix(a, "keypass=")
		default:
			ts.Fatalf("idcstores: unknown option %q", a)
		}
	}
	c := idctest.NewCert(o)
	keys := []idctest.Entry{{Alias: "openidm-localhost", Key: c.Key, Chain: []*x509.Certificate{c.Cert}, KeyPassword: keypass}}
	if sym {
		keys = append(keys, idctest.Entry{Alias: "openidm-sym-default", Secret: []byte("0123456789abcdef")})
	}
	dir := filepath.Join(ts.MkAbs(args[0]), "security")
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "keystore.jceks"), idctest.JCEKS("changeit", keys...), 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "truststore"), idctest.JKS("changeit", idctest.Entry{Alias: "openidm-localhost", Cert: c.Cert}), 0o644))
}

// storeCert is the TLS certificate and key of an installation's key store.
func storeCert(ts *testscript.TestScript, dir string) idctest.Cert {
	s, err := idc.ReadStore(filepath.Join(dir, "security", "keystore.jceks"), ptr("changeit"))
	ts.Check(err)
	e := s.Lookup("openidm-localhost")
	if e == nil {
		ts.Fatalf("%s has no openidm-localhost", dir)
	}
	k, err := e.PrivateKey("changeit")
	ts.Check(err)
	return idctest.Cert{Cert: e.Cert(), Key: k.(crypto.Signer)}
}

func ptr(s string) *string { return &s }

func cmdIdcServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: idcserver VAR DIR SCRIPT")
	}
	cert := storeCert(ts, ts.MkAbs(args[1]))
	guide := idctest.Script{
		AdminUser: "openidm-admin", AdminPassword: "Adm1n-716",
		ConfigureStatus: []string{`{"status":"PENDING"}`, `{"status":"SUCCESS"}`},
		MigrateStatus: []string{
			`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":40,"total":"?"}}}}`,
			`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":120,"total":120}}}}`,
			`{"status":"COMPLETE"}`,
		},
	}
	var url string
	switch args[2] {
	case "tls":
		srv := idctest.StartTLSServer(cert, http.NotFoundHandler())
		ts.Defer(srv.Close)
		url = srv.URL
	default:
		s := guide
		switch args[2] {
		case "guide":
		case "badcert":
			s.ConfigureStatus = []string{`{"status":"PENDING"}`, `{"status":"FAILED","message":"sun.security.validator.ValidatorException: PKIX path building failed: unable to find valid certification path to requested target"}`}
		case "hang":
			s.HangAfter = 1
		case "noendpoint":
			s.NoEndpoint = true
		default:
			ts.Fatalf("idcserver: unknown script %q", args[2])
		}
		m := idctest.StartMigrationServer(cert, s)
		ts.Defer(m.Close)
		url = m.URL
	}
	ts.Setenv(args[0], strings.Replace(url, "127.0.0.1", "localhost", 1))
}
