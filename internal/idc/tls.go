package idc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Trust is what the migration client trusts: the certificates of the
// copied trust store, checked as a Java client checks them (chain to a
// trusted certificate, validity, host name with the CN as fallback).
type Trust struct {
	Roots    []*x509.Certificate
	Source   string // the trust store, for messages
	Insecure bool   // check nothing (--insecure)
	Now      func() time.Time
}

// TrustFromStore takes the trusted certificate entries of a trust store;
// as Java does, the certificates of private key entries are not anchors.
func TrustFromStore(s *Store, source string) Trust {
	t := Trust{Source: source}
	for _, e := range s.Entries {
		if e.Kind == TrustedCertEntry && e.Cert() != nil {
			t.Roots = append(t.Roots, e.Cert())
		}
	}
	return t
}

// TLSErrorKind says what is wrong with a server's certificate.
type TLSErrorKind int

const (
	Untrusted    TLSErrorKind = iota + 1 // no chain to a certificate of the trust store
	Expired                              // trusted, but outside its validity dates
	HostMismatch                         // trusted and valid, but for other names
)

// TLSError is a server certificate the client refused.
type TLSError struct {
	Kind   TLSErrorKind
	Host   string
	Cert   *x509.Certificate
	Source string // the trust store
	Now    time.Time
	Err    error
}

func (e *TLSError) Error() string {
	c := e.Cert
	switch e.Kind {
	case Expired:
		if e.Now.Before(c.NotBefore) {
			return fmt.Sprintf("the certificate of %s (%s) is not valid before %s", e.Host, c.Subject, c.NotBefore.UTC().Format("2006-01-02"))
		}
		return fmt.Sprintf("the certificate of %s (%s) expired on %s", e.Host, c.Subject, c.NotAfter.UTC().Format("2006-01-02"))
	case HostMismatch:
		return fmt.Sprintf("the certificate of %s is for %s, not %s", e.Host, describeNames(c), e.Host)
	}
	return fmt.Sprintf("the certificate of %s (%s, issued by %s, SHA-256 %s) is not trusted by %s", e.Host, c.Subject, c.Issuer, fingerprint(c), e.Source)
}

func (e *TLSError) Unwrap() error { return e.Err }

// verify checks a server's chain for host.
func (t Trust) verify(host string, chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return fmt.Errorf("%s sent no certificate", host)
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	leaf := chain[0]
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range t.Roots {
		roots.AddCert(r)
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		kind := Untrusted
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			// Trusted at another time is expired (or not yet valid) now.
			opts.CurrentTime = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
			if _, err2 := leaf.Verify(opts); err2 == nil {
				kind = Expired
			}
		}
		return &TLSError{Kind: kind, Host: host, Cert: leaf, Source: t.Source, Now: now, Err: err}
	}
	if !MatchHostname(leaf, host) {
		return &TLSError{Kind: HostMismatch, Host: host, Cert: leaf, Source: t.Source, Now: now}
	}
	return nil
}

// tlsConfig checks the certificates of host with verify. Go's own
// verification is off because it ignores the CN, which Java (and OpenIDM's
// certificates) rely on; and host is bound here because a TLS client's
// connection state has no server name for an IP address.
func (t Trust) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: true}
	if !t.Insecure {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return t.verify(host, cs.PeerCertificates)
		}
	}
	return cfg
}

// dialTLS connects to addr and makes the TLS handshake, checking the
// server's certificate for addr's host.
func (t Trust) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second}, Config: t.tlsConfig(host)}
	return d.DialContext(ctx, network, addr)
}

// HTTPClient is a client for the 7.1.6 server that trusts t. It uses no
// proxy: the server is the local one, or one on the same network.
func (t Trust) HTTPClient() *http.Client {
	tr := &http.Transport{
		DialTLSContext:  t.dialTLS,
		DialContext:     (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		MaxIdleConns:    2,
		IdleConnTimeout: 90 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Probe makes a TLS handshake with the server of rawURL and checks its
// certificate as the 7.1.6 server would check the 2.1 instance URL's (when
// both use this trust store). It sends nothing over the connection.
func (t Trust) Probe(ctx context.Context, rawURL string, timeout time.Duration) (*x509.Certificate, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not a URL with a host", rawURL)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := t.dialTLS(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("no certificate")
	}
	return certs[0], nil
}

// hostOf is the host of a URL, for messages.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return strings.TrimSuffix(u.Host, ".")
}
