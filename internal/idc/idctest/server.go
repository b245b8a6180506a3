package idctest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// MigrationServer plays Identity Connect 7.1.6's migration endpoint
// (POST /openidm/endpoint/migration?_action=configure|status|migrate) over
// TLS on loopback, as the upgrade guide describes it. Its answers are
// scripted: the endpoint's real answers are not public.
type MigrationServer struct {
	URL string // https://127.0.0.1:PORT

	srv      *httptest.Server
	mu       sync.Mutex
	script   Script
	phase    string // "", configured, migrating
	index    int
	statuses int
	requests []Request
	closing  chan struct{}
}

// Script is what the server answers.
type Script struct {
	AdminUser, AdminPassword string // the administrator (migrate; status when StatusNeedsAdmin)
	// ForbiddenUser is a user that exists but may not migrate (403).
	ForbiddenUser string
	// StatusNeedsAdmin refuses anonymous status requests (401).
	StatusNeedsAdmin bool
	// NoEndpoint answers 404 to everything, as a server without the
	// endpoint does.
	NoEndpoint bool

	ConfigureAnswer string   // default {"status":"PENDING"}
	ConfigureStatus []string // status answers after configure; the last repeats
	MigrateAnswer   string   // default {"status":"IN_PROGRESS"}
	MigrateStatus   []string // status answers after migrate; the last repeats

	// Migrating starts the server in the middle of a migration, as one
	// that a client stopped following.
	Migrating bool

	// HangAfter > 0: from that status request on, the server stops
	// answering (the request waits until the client gives up).
	HangAfter int
}

// Request is one request the server received.
type Request struct {
	Action         string
	User, Password string // X-OpenIDM-Username, X-OpenIDM-Password
	Body           map[string]any
}

// NewMigrationServer starts a server with cert; it stops when the test
// ends.
func NewMigrationServer(t testing.TB, cert Cert, s Script) *MigrationServer {
	t.Helper()
	m := StartMigrationServer(cert, s)
	t.Cleanup(m.Close)
	return m
}

// StartMigrationServer starts a server with cert; Close stops it.
func StartMigrationServer(cert Cert, s Script) *MigrationServer {
	if s.ConfigureAnswer == "" {
		s.ConfigureAnswer = `{"status":"PENDING"}`
	}
	if s.MigrateAnswer == "" {
		s.MigrateAnswer = `{"status":"IN_PROGRESS"}`
	}
	m := &MigrationServer{script: s, closing: make(chan struct{})}
	if s.Migrating {
		m.phase = "migrating"
	}
	m.srv = StartTLSServer(cert, http.HandlerFunc(m.serve))
	m.URL = m.srv.URL
	return m
}

// Close stops the server, first releasing the requests it holds.
func (m *MigrationServer) Close() {
	close(m.closing)
	m.srv.Close()
}

// NewTLSServer starts an httptest server presenting cert; it stops when
// the test ends.
func NewTLSServer(t testing.TB, cert Cert, h http.Handler) *httptest.Server {
	t.Helper()
	srv := StartTLSServer(cert, h)
	t.Cleanup(srv.Close)
	return srv
}

// StartTLSServer starts an httptest server presenting cert.
func StartTLSServer(cert Cert, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS()}}
	// The client refusing a certificate is what some tests expect.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

// Requests are the requests received so far.
func (m *MigrationServer) Requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Request(nil), m.requests...)
}

func reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// crestError is IDM's error shape.
func crestError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]any{"code": code, "reason": http.StatusText(code), "message": msg})
	reply(w, code, string(b))
}

func (m *MigrationServer) serve(w http.ResponseWriter, r *http.Request) {
	s := m.script
	if s.NoEndpoint || r.URL.Path != "/openidm/endpoint/migration" {
		crestError(w, http.StatusNotFound, fmt.Sprintf("Resource '%s' not found", strings.TrimPrefix(r.URL.Path, "/openidm/")))
		return
	}
	if r.Method != http.MethodPost {
		crestError(w, http.StatusMethodNotAllowed, "only POST")
		return
	}
	req := Request{Action: r.URL.Query().Get("_action"), User: r.Header.Get("X-OpenIDM-Username"), Password: r.Header.Get("X-OpenIDM-Password")}
	if b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)); len(b) > 0 {
		if err := json.Unmarshal(b, &req.Body); err != nil {
			crestError(w, http.StatusBadRequest, "the body is not JSON")
			return
		}
	}
	m.mu.Lock()
	m.requests = append(m.requests, req)
	anonymous := req.User == "anonymous" && req.Password == "anonymous"
	admin := req.User == s.AdminUser && req.Password == s.AdminPassword
	forbidden := req.User == s.ForbiddenUser && s.ForbiddenUser != ""
	var code int
	var body string
	hang := false
	switch req.Action {
	case "configure":
		switch {
		case !anonymous && !admin:
			code, body = 401, ""
		case req.Body["instanceUrl"] == nil || req.Body["userName"] == nil || req.Body["password"] == nil || req.Body["authType"] != "idm_headers":
			code, body = 400, "configure needs instanceUrl, userName, password and authType idm_headers"
		default:
			m.phase, m.index = "configured", 0
			code, body = 200, s.ConfigureAnswer
		}
	case "migrate":
		switch {
		case forbidden:
			code, body = 403, "Forbidden"
		case !admin:
			code, body = 401, ""
		case m.phase != "configured":
			code, body = 400, "configure first"
		default:
			m.phase, m.index = "migrating", 0
			code, body = 200, s.MigrateAnswer
		}
	case "status":
		m.statuses++
		switch {
		case s.HangAfter > 0 && m.statuses >= s.HangAfter:
			hang = true
		case !admin && (s.StatusNeedsAdmin || !anonymous):
			code, body = 401, ""
		default:
			list := map[string][]string{"configured": s.ConfigureStatus, "migrating": s.MigrateStatus}[m.phase]
			code, body = 200, `{"status":"NOT_CONFIGURED"}`
			if len(list) > 0 {
				body = list[min(m.index, len(list)-1)]
				m.index++
			}
		}
	default:
		code, body = 400, "unknown action"
	}
	m.mu.Unlock()
	switch {
	case hang:
		select {
		case <-r.Context().Done():
		case <-m.closing:
		}
	case code == 200:
		reply(w, code, body)
	case code == 401 && body == "":
		crestError(w, code, "Access Denied")
	default:
		crestError(w, code, body)
	}
}
