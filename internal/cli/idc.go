package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/amupgrade/amupgrade/internal/idc"
	"github.com/amupgrade/amupgrade/internal/report"
	ucli "github.com/urfave/cli/v3"
	"golang.org/x/term"
)

// Credentials come from these environment variables, or from a prompt on a
// terminal; never from flags, which other users see in the process list
// and shells keep in their history.
const (
	envStorePass   = "AMUPGRADE_IDC_STOREPASS"    // key store password, where boot.properties holds none to read
	envOldUser     = "AMUPGRADE_IDC_OLD_USER"     // the Identity Connect 2.1 account configure sends
	envOldPassword = "AMUPGRADE_IDC_OLD_PASSWORD" //
	envNewUser     = "AMUPGRADE_IDC_NEW_USER"     // the 7.1.6 administrator for migrate and status
	envNewPassword = "AMUPGRADE_IDC_NEW_PASSWORD" // (default: the 2.1 account, as in the guide)
)

// idcCommand is `amupgrade idc preflight|migrate`, for the upgrade of
// Salesforce Identity Connect 2.1 to 7.1.6.
func (c *CLI) idcCommand(code *int) *ucli.Command {
	return &ucli.Command{
		Name:  "idc",
		Usage: "Identity Connect 2.1 → 7.1.6: check the upgrade's preconditions, run the data migration",
		Description: "The steps of Salesforce's guide \"Upgrade from Identity Connect 2.1 to Identity Connect 7.1.6\",\n" +
			"checked and run: see docs/idc.md.",
		Commands: []*ucli.Command{c.idcPreflightCommand(code), c.idcMigrateCommand(code)},
	}
}

// usageErr makes a flag error a usage error (exit 2, no help printed).
func usageErr(_ context.Context, _ *ucli.Command, err error, _ bool) error {
	return &usageError{err.Error()}
}

func (c *CLI) idcPreflightCommand(code *int) *ucli.Command {
	return &ucli.Command{
		Name:         "preflight",
		Usage:        "check the guide's preconditions on the two installations; exit 1 when one fails",
		UsageText:    "amupgrade idc preflight --old DIR --new DIR [--instance-url URL] [--json]",
		OnUsageError: usageErr,
		Description: "Reads, and never changes, the two installation folders (the ones holding security/ and conf/).\n" +
			"The key store password is read from boot.properties (plain, OBF: or CRYPT:); where it holds none to\n" +
			"read, from " + envStorePass + ", or asked on a terminal.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "old", Usage: "the Identity Connect 2.1 installation folder"},
			&ucli.StringFlag{Name: "new", Usage: "the Identity Connect 7.1.6 installation folder"},
			&ucli.StringFlag{Name: "instance-url", Usage: "the 2.1 URL the migration will be configured with (https://HOST:8443/openidm/)"},
			&ucli.IntFlag{Name: "expiry-margin", Value: 30, Usage: "days: a TLS certificate that expires sooner fails"},
			&ucli.BoolFlag{Name: "json", Usage: "print the checks as JSON"},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			o := idc.PreflightOptions{
				Old: cmd.String("old"), New: cmd.String("new"), InstanceURL: cmd.String("instance-url"),
				ExpiryMargin:      time.Duration(cmd.Int("expiry-margin")) * 24 * time.Hour,
				HowToGivePassword: "give it in " + envStorePass + ", or run amupgrade on a terminal to be asked",
			}
			if err := checkInstallFlags(o.Old, o.New); err != nil {
				return err
			}
			if cmd.Int("expiry-margin") < 0 {
				return &usageError{"--expiry-margin takes a number of days, 0 or more"}
			}
			if o.InstanceURL != "" {
				if u, err := url.Parse(o.InstanceURL); err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
					return &usageError{fmt.Sprintf("--instance-url %q is not a URL such as https://ic21.example.com:8443/openidm/", o.InstanceURL)}
				}
			}
			if pw := os.Getenv(envStorePass); pw != "" {
				o.Password, o.PasswordFrom = pw, envStorePass
			}
			if p := newPrompter(c.Stderr); p != nil {
				o.Ask = func(installation, why string) (string, bool) {
					fmt.Fprintf(c.Stderr, "%s\n", why)
					pw, err := p.secret(fmt.Sprintf("Key store password of Identity Connect %s (empty to skip): ", installation))
					return pw, err == nil && pw != ""
				}
			}
			defer c.interruptible()()
			r := idc.Preflight(ctx, o)
			if cmd.Bool("json") {
				if err := writePreflightJSON(c.Stdout, r); err != nil {
					return err
				}
			} else {
				printPreflight(c.Stdout, r)
			}
			if r.Failed() {
				*code = ExitFailed
			}
			return nil
		},
	}
}

func checkInstallFlags(old, nu string) error {
	switch {
	case old == "":
		return &usageError{"missing --old: the Identity Connect 2.1 installation folder"}
	case nu == "":
		return &usageError{"missing --new: the Identity Connect 7.1.6 installation folder"}
	}
	for _, d := range []string{old, nu} {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() {
			return &usageError{fmt.Sprintf("%s is not a folder: give the installation folder, the one holding security/ and conf/", d)}
		}
	}
	return nil
}

// printPreflight writes the checks for a person: one block per check, its
// evidence indented under it, then what to do.
func printPreflight(w io.Writer, r *idc.Report) {
	fmt.Fprintln(w, "Identity Connect 2.1 → 7.1.6 preflight")
	fmt.Fprintf(w, "  2.1 installation:   %s\n  7.1.6 installation: %s\n", r.Old, r.New)
	if r.InstanceURL != "" {
		fmt.Fprintf(w, "  2.1 instance URL:   %s\n", r.InstanceURL)
	}
	for _, res := range r.Results {
		fmt.Fprintf(w, "\n%-7s %s\n", strings.ToUpper(string(res.Status)), res.Title)
		for _, e := range res.Evidence {
			fmt.Fprintf(w, "          %s\n", e)
		}
		if res.Todo != "" {
			fmt.Fprint(w, wrap(res.Todo, "        → ", "          ", 100))
		}
	}
	fmt.Fprintf(w, "\n%d checks: %d passed, %d failed, %d to check by hand\n",
		len(r.Results), r.Count(idc.Pass), r.Count(idc.Fail), r.Count(idc.Manual))
}

// wrap breaks text into lines of at most width columns (a word longer than
// that stands alone), the first after first, the others after rest.
func wrap(text, first, rest string, width int) string {
	var b strings.Builder
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len([]rune(line))+1+len([]rune(word)) > width {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

func writePreflightJSON(w io.Writer, r *idc.Report) error {
	out := struct {
		*idc.Report
		Summary map[idc.Status]int `json:"summary"`
	}{r, map[idc.Status]int{idc.Pass: r.Count(idc.Pass), idc.Fail: r.Count(idc.Fail), idc.Manual: r.Count(idc.Manual)}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (c *CLI) idcMigrateCommand(code *int) *ucli.Command {
	return &ucli.Command{
		Name:         "migrate",
		Usage:        "run the guide's configure, migrate and status calls against the 7.1.6 server",
		UsageText:    "amupgrade idc migrate --new URL --old-url URL [--dir DIR | --truststore FILE]",
		OnUsageError: usageErr,
		Description: "Trusts the 7.1.6 server's certificate through the copied 2.1 truststore (DIR/security/truststore),\n" +
			"first checks the 2.1 server's certificate the way 7.1.6 will, then configures, waits, migrates and\n" +
			"waits, showing the server's answers. Credentials: " + envOldUser + " and " + envOldPassword + "\n" +
			"(the 2.1 account), " + envNewUser + " and " + envNewPassword + " (the 7.1.6 administrator; default:\n" +
			"the 2.1 account), or asked on a terminal. Exit 0 when the migration completes, 1 otherwise.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "new", Usage: "the Identity Connect 7.1.6 server (https://localhost:9443)"},
			&ucli.StringFlag{Name: "old-url", Usage: "the 2.1 instance URL to configure (https://HOST:8443/openidm/)"},
			&ucli.StringFlag{Name: "dir", Value: ".", Usage: "the 7.1.6 installation folder, whose truststore is trusted"},
			&ucli.StringFlag{Name: "truststore", Usage: "trust this JKS or JCEKS trust store instead"},
			&ucli.BoolFlag{Name: "insecure", Usage: "check no certificate (as the guide's curl --insecure): the passwords go to whoever answers"},
			&ucli.BoolFlag{Name: "skip-probe", Usage: "do not check the 2.1 server's certificate first"},
			&ucli.BoolFlag{Name: "status-only", Usage: "only follow the status of a migration already started"},
			&ucli.DurationFlag{Name: "poll", Value: 5 * time.Second, Usage: "time between status requests"},
			&ucli.DurationFlag{Name: "timeout", Value: 2 * time.Hour, Usage: "how long to wait for the configuration, then for the migration"},
			&ucli.DurationFlag{Name: "request-timeout", Value: time.Minute, Usage: "how long one request may take"},
			&ucli.IntFlag{Name: "retries", Value: 3, Usage: "status requests in a row that may go unanswered before giving up"},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			return c.idcMigrate(ctx, cmd, code)
		},
	}
}

func (c *CLI) idcMigrate(ctx context.Context, cmd *ucli.Command, code *int) error {
	newURL, oldURL := cmd.String("new"), cmd.String("old-url")
	statusOnly := cmd.Bool("status-only")
	if err := checkServerURL("--new", newURL); err != nil {
		return err
	}
	if !statusOnly {
		if oldURL == "" {
			return &usageError{"missing --old-url: the Identity Connect 2.1 instance URL to configure, such as https://ic21.example.com:8443/openidm/"}
		}
		if err := checkServerURL("--old-url", oldURL); err != nil {
			return err
		}
	}
	for _, f := range []string{"poll", "timeout", "request-timeout"} {
		if cmd.Duration(f) <= 0 {
			return &usageError{fmt.Sprintf("--%s takes a duration greater than 0, such as 5s or 2h", f)}
		}
	}
	if cmd.Int("retries") < 1 {
		return &usageError{"--retries takes 1 or more"}
	}

	trust, err := c.idcTrust(cmd)
	if err != nil {
		return err
	}
	p := newPrompter(c.Stderr)
	var oldCred, admin idc.Credentials
	var defaulted bool
	if !statusOnly {
		if oldCred, _, err = credentials(p, envOldUser, envOldPassword, "Identity Connect 2.1 user", nil); err != nil {
			return err
		}
		admin, defaulted, err = credentials(p, envNewUser, envNewPassword, "Identity Connect 7.1.6 administrator", &oldCred)
	} else {
		admin, _, err = credentials(p, envNewUser, envNewPassword, "Identity Connect 7.1.6 administrator", nil)
	}
	if err != nil {
		return err
	}
	if defaulted {
		fmt.Fprintf(c.Stdout, "The 7.1.6 administrator is the 2.1 user %s, as in the guide (set %s for another).\n", admin.User, envNewUser)
	}

	defer c.interruptible()()
	if !statusOnly && !trust.Insecure && !cmd.Bool("skip-probe") && strings.HasPrefix(oldURL, "https:") {
		if stop := c.probeOld(ctx, trust, oldURL, code); stop {
			return nil
		}
	}
	out := newMigrateOutput(c.Stdout, c.Stderr)
	_, err = idc.Migrate(ctx, idc.MigrateOptions{
		NewURL: newURL, OldURL: oldURL, Old: oldCred, Admin: admin, Client: trust.HTTPClient(),
		Poll: cmd.Duration("poll"), Timeout: cmd.Duration("timeout"), RequestTimeout: cmd.Duration("request-timeout"),
		Retries: int(cmd.Int("retries")), StatusOnly: statusOnly, Report: out.event,
	})
	out.endLine()
	var me *idc.MigrateError
	switch {
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintf(c.Stderr, "amupgrade: interrupted: the server may still be migrating; follow it with amupgrade idc migrate --status-only --new %s\n", newURL)
		*code = ExitInterrupted
	case errors.As(err, &me):
		fmt.Fprintf(c.Stderr, "amupgrade: %s\n", me.Msg)
		if me.Todo != "" {
			fmt.Fprint(c.Stderr, wrap(me.Todo, "  → ", "    ", 100))
		}
		*code = ExitFailed
	case err != nil:
		return err
	default:
		fmt.Fprintln(c.Stdout, "\nThe migration is complete. In the Identity Connect 7.1.6 user interface, check as the guide says:")
		for _, s := range []string{
			"permission sets and groups came over from 2.1;",
			"the Active Directory information is there;",
			"the Salesforce organizations are on the Manage Salesforce Organizations tab;",
			"on the Sync tab, Run Preview Analysis shows your users.",
		} {
			fmt.Fprintf(c.Stdout, "  - %s\n", s)
		}
	}
	return nil
}

func checkServerURL(flag, s string) error {
	if s == "" {
		return &usageError{fmt.Sprintf("missing %s: the server's URL, such as https://localhost:9443", flag)}
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return &usageError{fmt.Sprintf("%s %q is not an http or https URL with a host", flag, s)}
	}
	if u.User != nil {
		return &usageError{fmt.Sprintf("%s: give no credentials in the URL; they come from the environment or a prompt", flag)}
	}
	return nil
}

// idcTrust reads the trust store the client trusts, or returns an
// insecure Trust after a warning.
func (c *CLI) idcTrust(cmd *ucli.Command) (idc.Trust, error) {
	if cmd.Bool("insecure") {
		fmt.Fprintf(c.Stderr, "amupgrade: WARNING: --insecure: no certificate is checked; the 2.1 and 7.1.6 passwords go to whoever answers at %s\n", hostOnly(cmd.String("new")))
		return idc.Trust{Insecure: true}, nil
	}
	ref := idc.StoreRef{Path: cmd.String("truststore")}
	if ref.Path == "" {
		dir := cmd.String("dir")
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return idc.Trust{}, &usageError{fmt.Sprintf("--dir %s is not a folder: give the Identity Connect 7.1.6 installation folder, or --truststore FILE", dir)}
		}
		ref = idc.TrustStoreOf(dir)
	}
	if !ref.PasswordKnown {
		if pw := os.Getenv(envStorePass); pw != "" {
			ref.Password, ref.PasswordKnown, ref.PasswordFrom = pw, true, envStorePass
		}
	}
	var pw *string
	if ref.PasswordKnown {
		pw = &ref.Password
	}
	s, err := idc.ReadStore(ref.Path, pw)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return idc.Trust{}, &usageError{fmt.Sprintf("no trust store at %s: run in the 7.1.6 installation folder, or give --dir or --truststore (the copied 2.1 truststore)", ref.Path)}
	case errors.Is(err, idc.ErrWrongPassword):
		return idc.Trust{}, fmt.Errorf("%w (password: %s); give the right one in %s", err, ref.PasswordFrom, envStorePass)
	case err != nil:
		return idc.Trust{}, err
	}
	t := idc.TrustFromStore(s, ref.Path)
	if len(t.Roots) == 0 {
		return idc.Trust{}, fmt.Errorf("%s holds no trusted certificate: give the copied 2.1 truststore", ref.Path)
	}
	if s.Verified {
		fmt.Fprintf(c.Stdout, "Trusting %s from %s (its integrity digest matches).\n", plural(len(t.Roots), "certificate"), ref.Path)
	} else {
		fmt.Fprintf(c.Stdout, "Trusting %s from %s.\n  note: its integrity digest is not checked: %s; set %s to check it\n", plural(len(t.Roots), "certificate"), ref.Path, ref.Why, envStorePass)
	}
	return t, nil
}

func hostOnly(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Host
	}
	return s
}

// probeOld checks the 2.1 server's certificate as the 7.1.6 server will:
// a certificate problem found here stops before anything is sent. A server
// this host cannot reach is only a note: the 7.1.6 server may reach it.
func (c *CLI) probeOld(ctx context.Context, trust idc.Trust, oldURL string, code *int) (stop bool) {
	cert, err := trust.Probe(ctx, oldURL, 15*time.Second)
	var te *idc.TLSError
	switch {
	case errors.As(err, &te):
		fmt.Fprintf(c.Stderr, "amupgrade: the 2.1 server's certificate would fail the migration (the guide's \"bad certificate\"): %v\n", te)
		todo := "copy the 2.1 key store and truststore to 7.1.6 again, or fix the certificate; amupgrade idc preflight says what is wrong. --skip-probe goes on regardless."
		if te.Kind == idc.HostMismatch {
			todo = "configure with a host name the certificate has (--old-url), mapped to the 2.1 server in the 7.1.6 host's hosts file, as the guide says; --skip-probe goes on regardless."
		}
		fmt.Fprint(c.Stderr, wrap(todo, "  → ", "    ", 100))
		*code = ExitFailed
		return true
	case err != nil:
		fmt.Fprintf(c.Stdout, "Cannot reach the 2.1 server from here to check its certificate (%v); the 7.1.6 server will try.\n", err)
	default:
		fmt.Fprintf(c.Stdout, "The 2.1 server at %s presents %s: trusted, valid, and its name matches.\n", hostOnly(oldURL), cert.Subject)
	}
	return false
}

// credentials reads a user name and password from the environment, else
// asks on the terminal. def, when given, stands for an empty answer, and for
// unset variables where there is no terminal.
func credentials(p *prompter, envUser, envPass, who string, def *idc.Credentials) (cred idc.Credentials, defaulted bool, err error) {
	cred = idc.Credentials{User: os.Getenv(envUser), Password: os.Getenv(envPass)}
	if cred.User == "" && cred.Password == "" && def != nil && p == nil {
		return *def, true, nil
	}
	if cred.User == "" {
		if p == nil {
			return cred, false, &usageError{fmt.Sprintf("no %s: set %s and %s, or run on a terminal to be asked", who, envUser, envPass)}
		}
		label := who + ": "
		if def != nil {
			label = who + " (empty: the same as 2.1): "
		}
		if cred.User, err = p.line(label); err != nil {
			return cred, false, err
		}
		if cred.User == "" && def != nil {
			return *def, true, nil
		}
	}
	if cred.Password == "" {
		if p == nil {
			return cred, false, &usageError{fmt.Sprintf("no password for the %s: set %s, or run on a terminal to be asked", who, envPass)}
		}
		if cred.Password, err = p.secret(fmt.Sprintf("Password of %s %s: ", who, cred.User)); err != nil {
			return cred, false, err
		}
	}
	return cred, false, nil
}

// prompter asks on the terminal: the prompt on out, the answer from
// standard input.
type prompter struct {
	out io.Writer
	fd  int
}

// newPrompter is nil when standard input or out is not a terminal.
func newPrompter(out io.Writer) *prompter {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) || !IsTerminal(out) {
		return nil
	}
	return &prompter{out: out, fd: fd}
}

func (p *prompter) line(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	// Byte by byte, so that nothing typed after the line is buffered away
	// from a later password prompt.
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := os.Stdin.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
		}
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				break
			}
			return "", err
		}
	}
	return strings.TrimRight(string(b), "\r"), nil
}

func (p *prompter) secret(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	return string(b), err
}

// migrateOutput prints Migrate's events: steps, the requests and answers of
// configure and migrate, each status answer that differs from the one
// before, and, on a terminal, a line that tells how long the wait is.
type migrateOutput struct {
	out, errw io.Writer
	tty       bool
	lastBody  string
	drawn     bool
	mask      report.Masker
}

func newMigrateOutput(out, errw io.Writer) *migrateOutput {
	return &migrateOutput{out: out, errw: errw, tty: IsTerminal(errw) && os.Getenv("TERM") != "dumb"}
}

func (m *migrateOutput) endLine() {
	if m.drawn {
		fmt.Fprint(m.errw, "\r\033[K")
		m.drawn = false
	}
}

func (m *migrateOutput) event(e idc.Event) {
	waiting := strings.HasPrefix(e.Step, "wait-")
	switch e.Kind {
	case idc.StepEvent:
		m.endLine()
		fmt.Fprintf(m.out, "\n%s\n", e.Text)
		m.lastBody = ""
	case idc.RequestEvent:
		if waiting {
			return
		}
		m.endLine()
		fmt.Fprintf(m.out, "  POST %s (as %s)\n", e.URL, e.As)
		if e.Body != "" {
			fmt.Fprintf(m.out, "    %s\n", m.mask.Text(e.Body))
		}
	case idc.ResponseEvent:
		if waiting && e.Code >= 200 && e.Code < 300 {
			return
		}
		m.endLine()
		fmt.Fprintf(m.out, "  answer %d:%s", e.Code, m.body(e.Body))
	case idc.StatusEvent:
		if e.Body != m.lastBody {
			m.endLine()
			fmt.Fprintf(m.out, "  status %s:%s", e.Status.State, m.body(e.Body))
			if e.Status.Progress != "" {
				fmt.Fprintf(m.out, "    progress: %s\n", e.Status.Progress)
			}
			m.lastBody = e.Body
		}
		if m.tty && (e.Status.State == idc.Running || e.Status.State == idc.Unknown) {
			line := fmt.Sprintf("  waiting: %s, %s, %s", e.Status.State, plural(e.Polls, "status answer"), e.Elapsed.Round(time.Second))
			if e.Status.Progress != "" {
				line += ", " + e.Status.Progress
			}
			fmt.Fprint(m.errw, "\r\033[K"+line)
			m.drawn = true
		}
	case idc.NoteEvent:
		m.endLine()
		fmt.Fprintf(m.out, "  note: %s\n", e.Text)
	}
}

// body is an answer for printing: on the same line when short, else
// indented below; secrets masked; at most 40 lines.
func (m *migrateOutput) body(s string) string {
	s = strings.TrimSpace(m.mask.Text(s))
	if s == "" {
		return " (empty)\n"
	}
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(s)) == nil && compact.Len() <= 100 {
		return " " + compact.String() + "\n"
	}
	if !strings.Contains(s, "\n") && len(s) <= 100 {
		return " " + s + "\n"
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(s), "", "  ") == nil {
		s = pretty.String()
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = append(lines[:40], fmt.Sprintf("… %d more lines", len(lines)-40))
	}
	return "\n    " + strings.Join(lines, "\n    ") + "\n"
}
