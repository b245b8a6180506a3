package idc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// The guide's migration, as curl calls to the 7.1.6 server:
//
//	POST /openidm/endpoint/migration?_action=configure  as anonymous, body
//	     {instanceUrl, userName, password, authType: "idm_headers"}: the 2.1
//	     instance and account; the answer "indicates that status is pending"
//	POST …?_action=status   until it reports success (or a failure, such as
//	     a bad certificate)
//	POST …?_action=migrate  as the administrator
//	POST …?_action=status   until it reports complete
//
// The endpoint is Identity Connect's own; its answers are not documented,
// so Migrate shows them as they come and reads their state tolerantly (see
// ParseStatus).

// Credentials are a user name and password, sent as IDM's
// X-OpenIDM-Username and X-OpenIDM-Password headers (or, for the 2.1
// account, in the configure body).
type Credentials struct{ User, Password string }

// Anonymous is how the guide calls configure.
var Anonymous = Credentials{User: "anonymous", Password: "anonymous"}

// MigrateOptions say what to migrate and how.
type MigrateOptions struct {
	NewURL string      // the 7.1.6 server: https://localhost:9443
	OldURL string      // the 2.1 instance URL given to configure: https://ic21:8443/openidm/
	Old    Credentials // the 2.1 account, sent in the configure body
	Admin  Credentials // the 7.1.6 administrator, for migrate and status
	Client *http.Client

	Poll           time.Duration // between status requests
	Timeout        time.Duration // for each wait: the configuration, the migration
	RequestTimeout time.Duration // for one request
	// Retries is how many status requests in a row may go unanswered
	// before the server is taken to have stopped answering.
	Retries int
	// StatusOnly follows the status of a migration already started.
	StatusOnly bool

	Report func(Event)                          // nil: nothing is reported
	Now    func() time.Time                     // nil: time.Now
	Sleep  func(time.Duration) <-chan time.Time // nil: time.After
}

// EventKind tells what an Event reports.
type EventKind int

const (
	StepEvent     EventKind = iota + 1 // a step begins: Step, Text
	RequestEvent                       // a request is sent: Method, URL, As, Body
	ResponseEvent                      // an answer came: Code, Body
	StatusEvent                        // a status answer, read: Status, Polls, Elapsed
	NoteEvent                          // something to know: Text
)

// Event is one thing Migrate reports as it goes.
type Event struct {
	Kind    EventKind
	Step    string // configure, wait-configure, migrate, wait-migrate
	Text    string
	Method  string
	URL     string
	As      string // the X-OpenIDM-Username sent
	Code    int
	Body    string // sent or received, as it is (mask before printing)
	Status  MigrationStatus
	Polls   int
	Elapsed time.Duration
}

// State is where a configuration or migration stands, as read from a
// status answer.
type State string

const (
	Running  State = "running"
	Complete State = "complete"
	Failed   State = "failed"
	Unknown  State = "unknown" // the answer has no word amupgrade knows
)

// MigrationStatus is a status answer, read tolerantly.
type MigrationStatus struct {
	State    State
	Words    []string // the status words found, with where: status=PENDING
	Message  string   // a message, reason or error text in the answer
	Progress string   // processed/total counts, when the answer has them
	Cert     bool     // the answer speaks of a certificate problem
}

// ErrorKind classifies a MigrateError.
type ErrorKind int

const (
	ErrUntrusted    ErrorKind = iota + 1 // the 7.1.6 server's certificate is not trusted
	ErrExpired                           // … has expired
	ErrHostMismatch                      // … is for another host
	ErrUnauthorized                      // 401: wrong user name or password
	ErrForbidden                         // 403: the user may not do this
	ErrNotFound                          // 404: no migration endpoint
	ErrHTTP                              // another HTTP error
	ErrFailed                            // the server reported a failure
	ErrTimeout                           // no end within the timeout
	ErrNoAnswer                          // the server does not answer
)

// MigrateError is why a migration stopped, with what to do.
type MigrateError struct {
	Kind ErrorKind
	Msg  string
	Todo string
	Err  error
}

func (e *MigrateError) Error() string {
	s := e.Msg
	if e.Todo != "" {
		s += "\n" + e.Todo
	}
	return s
}

func (e *MigrateError) Unwrap() error { return e.Err }

// maxBody bounds what is read of an answer.
const maxBody = 1 << 20

type migrator struct {
	o        MigrateOptions
	endpoint string
	statusAs Credentials
	switched bool // statusAs was changed once after a 401/403
}

// Migrate runs the guide's configure → status → migrate → status against
// the 7.1.6 server, and returns the last status answer.
func Migrate(ctx context.Context, o MigrateOptions) (MigrationStatus, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = time.After
	}
	if o.Report == nil {
		o.Report = func(Event) {}
	}
	if o.Retries < 1 {
		o.Retries = 1
	}
	m := &migrator{o: o, endpoint: EndpointURL(o.NewURL)}
	if o.StatusOnly {
		m.statusAs = o.Admin
		o.Report(Event{Kind: StepEvent, Step: "wait-migrate", Text: "follow the migration's status"})
		final, err := m.wait(ctx, "wait-migrate", "the migration", nil)
		return final.MigrationStatus, err
	}

	o.Report(Event{Kind: StepEvent, Step: "configure", Text: "configure: give 7.1.6 the 2.1 instance URL and account"})
	body, _ := json.Marshal(map[string]string{"instanceUrl": o.OldURL, "userName": o.Old.User, "password": o.Old.Password, "authType": "idm_headers"})
	ans, err := m.post(ctx, "configure", "configure", Anonymous, body)
	if err != nil {
		return MigrationStatus{}, err
	}
	if st := ParseStatus(ans); st.State == Failed {
		return st, m.failed("the configuration", st)
	}

	m.statusAs = Anonymous
	o.Report(Event{Kind: StepEvent, Step: "wait-configure", Text: "wait for the configuration to succeed"})
	last, err := m.wait(ctx, "wait-configure", "the configuration", nil)
	if err != nil {
		return last.MigrationStatus, err
	}
	before := last.raw

	o.Report(Event{Kind: StepEvent, Step: "migrate", Text: "migrate: copy the data from 2.1 to 7.1.6"})
	ans, err = m.post(ctx, "migrate", "migrate", o.Admin, nil)
	if err != nil {
		return MigrationStatus{}, err
	}
	if st := ParseStatus(ans); st.State == Failed {
		return st, m.failed("the migration", st)
	}
	if m.statusAs == Anonymous && !m.switched {
		m.statusAs = o.Admin
	}
	o.Report(Event{Kind: StepEvent, Step: "wait-migrate", Text: "wait for the migration to complete"})
	final, err := m.wait(ctx, "wait-migrate", "the migration", before)
	return final.MigrationStatus, err
}

// EndpointURL is the migration endpoint of a 7.1.6 base URL, which may be
// given with or without /openidm.
func EndpointURL(base string) string {
	base = strings.TrimRight(base, "/")
	base = strings.TrimSuffix(base, "/openidm")
	return base + "/openidm/endpoint/migration"
}

// answer is a status answer with its raw body.
type answer struct {
	MigrationStatus
	raw []byte
}

// sameAsBefore is how many status answers equal to the last one before
// migrate (and no running state seen since) are taken as the end of the
// migration: a server may answer its configuration status until the
// migration starts.
const sameAsBefore = 3

// wait polls the status until it says complete or failed. before is the
// last answer before migrate, if any (see sameAsBefore).
func (m *migrator) wait(ctx context.Context, step, what string, before []byte) (answer, error) {
	o := m.o
	start := o.Now()
	polls, unanswered, same := 0, 0, 0
	sawRunning := false
	var last answer
	for {
		body, err := m.post(ctx, step, "status", m.statusAs, nil)
		var me *MigrateError
		switch {
		case errors.As(err, &me) && (me.Kind == ErrUnauthorized || me.Kind == ErrForbidden) && !m.switched:
			// The guide does not say who may read the status: try the
			// other identity once, and keep the one that works.
			m.switched = true
			other := o.Admin
			if m.statusAs == o.Admin {
				other = Anonymous
			}
			o.Report(Event{Kind: NoteEvent, Step: step, Text: fmt.Sprintf("status refused to %s; asking as %s", m.statusAs.User, other.User)})
			m.statusAs = other
			continue
		case errors.As(err, &me) && me.Kind == ErrNoAnswer && unanswered+1 < o.Retries && o.Now().Sub(start) < o.Timeout:
			unanswered++
			o.Report(Event{Kind: NoteEvent, Step: step, Text: fmt.Sprintf("no answer (%v); asking again (%d of %d)", me.Err, unanswered+1, o.Retries)})
		case err != nil:
			return last, err
		default:
			unanswered = 0
			polls++
			st := ParseStatus(body)
			last = answer{st, body}
			o.Report(Event{Kind: StatusEvent, Step: step, Status: st, Body: string(body), Polls: polls, Elapsed: o.Now().Sub(start)})
			switch st.State {
			case Failed:
				return last, m.failed(what, st)
			case Running:
				sawRunning = true
			case Complete:
				if before == nil || sawRunning || !bytes.Equal(body, before) {
					return last, nil
				}
				if same++; same >= sameAsBefore {
					o.Report(Event{Kind: NoteEvent, Step: step, Text: fmt.Sprintf("the status has not changed since before migrate (%d answers); taken as complete: check the data in the 7.1.6 user interface", same)})
					return last, nil
				}
			}
		}
		if o.Now().Sub(start) >= o.Timeout {
			return last, &MigrateError{Kind: ErrTimeout,
				Msg:  fmt.Sprintf("%s did not end within %s (%d status answers; the last: %s)", what, o.Timeout, polls, describeStatus(last.MigrationStatus)),
				Todo: "it may still be running on the server: follow it with --status-only, with a longer --timeout, and look at the 7.1.6 server's log"}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-o.Sleep(o.Poll):
		}
	}
}

func describeStatus(s MigrationStatus) string {
	if len(s.Words) == 0 {
		return "no status word"
	}
	return strings.Join(s.Words, ", ")
}

func (m *migrator) failed(what string, st MigrationStatus) error {
	msg := fmt.Sprintf("%s failed: the server reports %s", what, describeStatus(st))
	if st.Message != "" {
		msg += ": " + st.Message
	}
	todo := "see the server's answer above and the 7.1.6 server's log"
	if st.Cert {
		todo = "the 7.1.6 server could not check the 2.1 server's certificate (the guide's \"bad certificate\"): the 7.1.6 trust store must trust it (copy 2.1's truststore), it must not be expired, and the instance URL's host must be a name in it; amupgrade idc preflight checks all three"
	}
	return &MigrateError{Kind: ErrFailed, Msg: msg, Todo: todo}
}

// post sends one POST to the endpoint and returns the answer's body.
func (m *migrator) post(ctx context.Context, step, action string, as Credentials, body []byte) ([]byte, error) {
	o := m.o
	u := m.endpoint + "?_action=" + action
	ctx, cancel := context.WithTimeout(ctx, o.RequestTimeout)
	defer cancel()
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-OpenIDM-Username", as.User)
	req.Header.Set("X-OpenIDM-Password", as.Password)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	o.Report(Event{Kind: RequestEvent, Step: step, Method: "POST", URL: u, As: as.User, Body: string(body)})
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, m.transportError(ctx, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &MigrateError{Kind: ErrNoAnswer, Msg: fmt.Sprintf("%s: the answer was cut off: %v", u, err), Err: err,
			Todo: "the server stopped answering in the middle: look at its log, and whether it still runs"}
	}
	if len(data) > maxBody {
		data = data[:maxBody]
	}
	o.Report(Event{Kind: ResponseEvent, Step: step, Code: resp.StatusCode, Body: string(data)})
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	return nil, httpError(u, resp.StatusCode, as, data)
}

func httpError(u string, code int, as Credentials, body []byte) error {
	msg := fmt.Sprintf("%s: %d %s", u, code, http.StatusText(code))
	if s := ParseStatus(body).Message; s != "" {
		msg += ": " + s
	}
	e := &MigrateError{Kind: ErrHTTP, Msg: msg}
	switch {
	case code == http.StatusUnauthorized:
		e.Kind = ErrUnauthorized
		e.Todo = fmt.Sprintf("the 7.1.6 server refused the user %q: check the user name and password you gave (they are sent as X-OpenIDM-Username and X-OpenIDM-Password)", as.User)
	case code == http.StatusForbidden:
		e.Kind = ErrForbidden
		e.Todo = fmt.Sprintf("the user %q may not do this: use an Identity Connect 7.1.6 administrator", as.User)
	case code == http.StatusNotFound:
		e.Kind = ErrNotFound
		e.Todo = "this server has no Identity Connect migration endpoint: check that --new is the Identity Connect 7.1.6 server (not 2.1, not a plain IDM, whose own service is /openidm/migration) and that it has started"
	case code >= 500:
		e.Todo = "the server failed: see its answer above and its log"
	default:
		e.Todo = "see the server's answer above"
	}
	return e
}

// transportError turns a failed request into a MigrateError.
func (m *migrator) transportError(ctx context.Context, u string, err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	var te *TLSError
	if errors.As(err, &te) {
		e := &MigrateError{Msg: te.Error(), Err: err}
		switch te.Kind {
		case Expired:
			e.Kind = ErrExpired
			e.Todo = "renew the certificate (it is the 2.1 one, copied): keytool -genkeypair with the same alias in the key store, restart, and copy the stores again; amupgrade idc preflight shows its dates"
		case HostMismatch:
			e.Kind = ErrHostMismatch
			e.Todo = "call the server by a name its certificate has (--new https://NAME:PORT), mapped to it in the hosts file if need be"
		default:
			e.Kind = ErrUntrusted
			e.Todo = fmt.Sprintf("this is not the certificate of the copied 2.1 key store, or %s is not the copied 2.1 truststore: give --truststore the 7.1.6 installation's security/truststore (or --insecure to check nothing, which the guide does, at the price of sending the passwords to whoever answers)", te.Source)
		}
		return e
	}
	why := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		why = ue.Err.Error()
	}
	e := &MigrateError{Kind: ErrNoAnswer, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Msg = fmt.Sprintf("%s: nothing listens there (connection refused)", hostOf(u))
		e.Todo = "start the Identity Connect 7.1.6 server, or give --new its URL (the guide's is https://localhost:9443)"
	case ctx.Err() == context.DeadlineExceeded || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, os.ErrDeadlineExceeded):
		e.Msg = fmt.Sprintf("%s did not answer within %s", hostOf(u), m.o.RequestTimeout)
		e.Todo = "the server is busy or stuck: look at its log; a longer --request-timeout waits more"
	default:
		e.Msg = fmt.Sprintf("%s: %s", hostOf(u), why)
		e.Todo = "check the URL, that the server runs, and the network between"
	}
	return e
}
