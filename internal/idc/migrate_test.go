package idc_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/idc/idctest"
	"github.com/google/go-cmp/cmp"
)

var (
	admin  = idc.Credentials{User: "admin", Password: "Adm1n!"}
	old21  = idc.Credentials{User: "yourname", Password: "Passw0rd"}
	loopIP = []net.IP{net.IPv4(127, 0, 0, 1)}
)

// now returns at once, so that polls take no time.
func now(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Now()
	return c
}

// events records what Migrate reports.
type events struct {
	mu   sync.Mutex
	list []idc.Event
}

func (e *events) add(ev idc.Event) { e.mu.Lock(); e.list = append(e.list, ev); e.mu.Unlock() }

func (e *events) notes() []string {
	var out []string
	for _, ev := range e.list {
		if ev.Kind == idc.NoteEvent {
			out = append(out, ev.Text)
		}
	}
	return out
}

// options for a server at url trusted through roots.
func options(url string, ev *events, roots ...*x509.Certificate) idc.MigrateOptions {
	return idc.MigrateOptions{
		NewURL: url, OldURL: "https://ic21.example.com:8443/openidm/", Old: old21, Admin: admin,
		Client: idc.Trust{Roots: roots, Source: "security/truststore"}.HTTPClient(),
		Poll:   time.Millisecond, Timeout: 5 * time.Second, RequestTimeout: 5 * time.Second, Retries: 3,
		Report: ev.add, Sleep: now,
	}
}

// guideScript: configure is pending then succeeds; the migration runs,
// reporting reconciliation-like progress, then completes.
var guideScript = idctest.Script{
	AdminUser: "admin", AdminPassword: "Adm1n!",
	ConfigureStatus: []string{`{"status":"PENDING"}`, `{"status":"SUCCESS"}`},
	MigrateStatus: []string{
		`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":10,"total":"?"}}}}`,
		`{"status":"IN_PROGRESS","progress":{"source":{"existing":{"processed":120,"total":120}}}}`,
		`{"status":"COMPLETE"}`,
	},
}

func TestMigrateAsTheGuide(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	srv := idctest.NewMigrationServer(t, cert, guideScript)
	ev := &events{}
	st, err := idc.Migrate(context.Background(), options(srv.URL, ev, cert.Cert))
	if err != nil {
		t.Fatal(err)
	}
	if st.State != idc.Complete {
		t.Errorf("state %s, want complete", st.State)
	}
	want := []idctest.Request{
		{Action: "configure", User: "anonymous", Password: "anonymous", Body: map[string]any{
			"instanceUrl": "https://ic21.example.com:8443/openidm/", "userName": "yourname", "password": "Passw0rd", "authType": "idm_headers"}},
		{Action: "status", User: "anonymous", Password: "anonymous"},
		{Action: "status", User: "anonymous", Password: "anonymous"},
		{Action: "migrate", User: "admin", Password: "Adm1n!"},
		{Action: "status", User: "admin", Password: "Adm1n!"},
		{Action: "status", User: "admin", Password: "Adm1n!"},
		{Action: "status", User: "admin", Password: "Adm1n!"},
	}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	var progress []string
	for _, e := range ev.list {
		if e.Kind == idc.StatusEvent && e.Status.Progress != "" {
			progress = append(progress, e.Status.Progress)
		}
	}
	if diff := cmp.Diff([]string{"source 10/?", "source 120/120"}, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

// The certificate of OpenIDM's samples names its host in the CN only. Java
// accepts that; so must the client (Go's own verifier does not).
func TestMigrateCNOnlyCertificate(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost"})
	srv := idctest.NewMigrationServer(t, cert, guideScript)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := idc.Migrate(context.Background(), options(url, &events{}, cert.Cert)); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateErrors(t *testing.T) {
	t.Parallel()
	good := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	for _, c := range []struct {
		name    string
		cert    idctest.Cert      // the server's (default good)
		trusted *x509.Certificate // default the server's
		script  idctest.Script    // default guideScript
		setup   func(*idc.MigrateOptions)
		kind    idc.ErrorKind
		msg     string // a part of the message
		todo    string // a part of the advice
	}{
		{
			name: "configuration fails: bad certificate",
			script: idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!", ConfigureStatus: []string{`{"status":"PENDING"}`,
				`{"status":"FAILED","message":"sun.security.validator.ValidatorException: PKIX path building failed: unable to find valid certification path to requested target"}`}},
			kind: idc.ErrFailed, msg: "the configuration failed: the server reports status=FAILED: sun.security.validator.ValidatorException", todo: "the guide's \"bad certificate\"",
		},
		{
			name: "migration fails, reconciliation shape",
			script: idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!", ConfigureStatus: []string{`{"status":"SUCCESS"}`},
				MigrateStatus: []string{`[{"mapping":"repoManagedUser","state":"ACTIVE","stage":"ACTIVE_RECONCILING_SOURCE"}]`,
					`[{"mapping":"repoManagedUser","state":"FAILED","stage":"COMPLETED_FAILED","stageDescription":"reconciliation failed"}]`}},
			kind: idc.ErrFailed, msg: "the migration failed: the server reports [0].stage=COMPLETED_FAILED, [0].state=FAILED: reconciliation failed", todo: "7.1.6 server's log",
		},
		{
			name:   "configure answers a failure at once",
			script: idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!", ConfigureAnswer: `{"status":"ERROR","reason":"instanceUrl unreachable"}`},
			kind:   idc.ErrFailed, msg: "the configuration failed: the server reports status=ERROR: instanceUrl unreachable",
		},
		{
			name: "certificate for another host", cert: idctest.NewCert(idctest.CertOptions{CommonName: "ic716.example.com", DNSNames: []string{"ic716.example.com"}}),
			kind: idc.ErrHostMismatch, msg: "the certificate of 127.0.0.1 is for ic716.example.com, not 127.0.0.1", todo: "a name its certificate has",
		},
		{
			name: "untrusted certificate", trusted: idctest.NewCert(idctest.CertOptions{CommonName: "other"}).Cert,
			kind: idc.ErrUntrusted, msg: "is not trusted by security/truststore", todo: "not the certificate of the copied 2.1 key store",
		},
		{
			name: "expired certificate", cert: idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP, NotBefore: time.Date(2011, 8, 17, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2021, 8, 17, 0, 0, 0, 0, time.UTC)}),
			kind: idc.ErrExpired, msg: "the certificate of 127.0.0.1 (CN=localhost,O=amupgrade test) expired on 2021-08-17", todo: "renew the certificate",
		},
		{
			name: "wrong administrator password", setup: func(o *idc.MigrateOptions) { o.Admin.Password = "wrong" },
			kind: idc.ErrUnauthorized, msg: "?_action=migrate: 401 Unauthorized: Access Denied", todo: `refused the user "admin"`,
		},
		{
			name: "not an administrator", script: func() idctest.Script { s := guideScript; s.ForbiddenUser = "admin"; return s }(),
			kind: idc.ErrForbidden, msg: "403 Forbidden", todo: "use an Identity Connect 7.1.6 administrator",
		},
		{
			name: "no migration endpoint", script: idctest.Script{NoEndpoint: true},
			kind: idc.ErrNotFound, msg: "?_action=configure: 404 Not Found: Resource 'endpoint/migration' not found", todo: "no Identity Connect migration endpoint",
		},
		{
			name:   "the server stops answering",
			script: func() idctest.Script { s := guideScript; s.HangAfter = 3; return s }(),
			setup:  func(o *idc.MigrateOptions) { o.RequestTimeout = 50 * time.Millisecond; o.Retries = 2 },
			kind:   idc.ErrNoAnswer, msg: "did not answer within 50ms", todo: "busy or stuck",
		},
		{
			name:   "the migration does not end",
			script: idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!", ConfigureStatus: []string{`{"status":"SUCCESS"}`}, MigrateStatus: []string{`{"status":"IN_PROGRESS"}`}},
			setup: func(o *idc.MigrateOptions) {
				o.Timeout = 30 * time.Millisecond
				o.Sleep = time.After
				o.Poll = 5 * time.Millisecond
			},
			kind: idc.ErrTimeout, msg: "the migration did not end within 30ms", todo: "--status-only",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cert := c.cert
			if cert.Cert == nil {
				cert = good
			}
			trusted := c.trusted
			if trusted == nil {
				trusted = cert.Cert
			}
			script := c.script
			if script.AdminUser == "" && !script.NoEndpoint {
				script = guideScript
			}
			srv := idctest.NewMigrationServer(t, cert, script)
			o := options(srv.URL, &events{}, trusted)
			if c.setup != nil {
				c.setup(&o)
			}
			_, err := idc.Migrate(context.Background(), o)
			var me *idc.MigrateError
			if !errors.As(err, &me) {
				t.Fatalf("error %v, want a MigrateError", err)
			}
			if me.Kind != c.kind || !strings.Contains(me.Msg, c.msg) || !strings.Contains(me.Todo, c.todo) {
				t.Errorf("got kind %d, %q\n  todo %q\nwant kind %d, message with %q, todo with %q", me.Kind, me.Msg, me.Todo, c.kind, c.msg, c.todo)
			}
		})
	}
}

func TestMigrateConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = idc.Migrate(context.Background(), options("https://"+addr, &events{}))
	var me *idc.MigrateError
	if !errors.As(err, &me) || me.Kind != idc.ErrNoAnswer || me.Msg != addr+": nothing listens there (connection refused)" {
		t.Fatalf("got %v", err)
	}
}

// A server that refuses anonymous status requests gets them as the
// administrator, and the client says so.
func TestMigrateStatusAsAdministrator(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	s := guideScript
	s.StatusNeedsAdmin = true
	srv := idctest.NewMigrationServer(t, cert, s)
	ev := &events{}
	if _, err := idc.Migrate(context.Background(), options(srv.URL, ev, cert.Cert)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"status refused to anonymous; asking as admin"}, ev.notes()); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// A status that still says what it said before migrate is not taken as the
// migration's end at once.
func TestMigrateStatusUnchangedSinceConfigure(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	srv := idctest.NewMigrationServer(t, cert, idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!",
		ConfigureStatus: []string{`{"status":"SUCCESS"}`}, MigrateStatus: []string{`{"status":"SUCCESS"}`}})
	ev := &events{}
	if _, err := idc.Migrate(context.Background(), options(srv.URL, ev, cert.Cert)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"the status has not changed since before migrate (3 answers); taken as complete: check the data in the 7.1.6 user interface"}, ev.notes()); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	statuses := 0
	for _, r := range srv.Requests() {
		if r.Action == "status" {
			statuses++
		}
	}
	if statuses != 4 {
		t.Errorf("%d status requests, want 1 before migrate and 3 after", statuses)
	}
}

// --status-only follows a migration already running, as the administrator,
// and sends nothing else.
func TestMigrateStatusOnly(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	s := guideScript
	s.Migrating = true
	srv := idctest.NewMigrationServer(t, cert, s)
	o := options(srv.URL, &events{}, cert.Cert)
	o.StatusOnly = true
	if st, err := idc.Migrate(context.Background(), o); err != nil || st.State != idc.Complete {
		t.Fatalf("%v, %v", st, err)
	}
	want := []idctest.Request{
		{Action: "status", User: "admin", Password: "Adm1n!"},
		{Action: "status", User: "admin", Password: "Adm1n!"},
		{Action: "status", User: "admin", Password: "Adm1n!"},
	}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Cancelling stops the wait with context.Canceled, so that the command can
// say the server may go on.
func TestMigrateCancelled(t *testing.T) {
	t.Parallel()
	cert := idctest.NewCert(idctest.CertOptions{CommonName: "localhost", IPs: loopIP})
	srv := idctest.NewMigrationServer(t, cert, idctest.Script{AdminUser: "admin", AdminPassword: "Adm1n!",
		ConfigureStatus: []string{`{"status":"SUCCESS"}`}, MigrateStatus: []string{`{"status":"IN_PROGRESS"}`}})
	ctx, cancel := context.WithCancel(context.Background())
	o := options(srv.URL, &events{}, cert.Cert)
	o.Report = func(e idc.Event) {
		if e.Kind == idc.StatusEvent && e.Step == "wait-migrate" {
			cancel()
		}
	}
	o.Sleep = time.After
	o.Poll = time.Hour
	if _, err := idc.Migrate(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// The client sends no request without a certificate check: a plain HTTP
// server at an https URL is an error, not a downgrade.
func TestMigrateNotTLS(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	_, err = idc.Migrate(context.Background(), options("https://"+l.Addr().String(), &events{}))
	var me *idc.MigrateError
	if !errors.As(err, &me) || me.Kind != idc.ErrNoAnswer || !strings.Contains(me.Msg, "http: server gave HTTP response to HTTPS client") {
		t.Fatalf("got %v", err)
	}
}
