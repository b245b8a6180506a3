package idc

import (
	"crypto/x509"
	"net"
	"strings"
)

// CertNames are the names a Java TLS client checks a host name against:
// the certificate's DNS subject alternative names or, when it has none, its
// most specific common name; and its IP address SANs. keytool -genkeypair
// without -ext san= makes certificates with a CN only (OpenIDM's samples
// are such), which Java accepts and Go's own verifier, since Go 1.15, does
// not; so amupgrade checks names as Java does.
func CertNames(c *x509.Certificate) (dns []string, ips []net.IP, fromCN bool) {
	dns = c.DNSNames
	if len(dns) == 0 && c.Subject.CommonName != "" {
		// pkix.Name keeps the last CN, the most specific one, as Java's
		// HostnameChecker takes.
		dns, fromCN = []string{c.Subject.CommonName}, true
	}
	return dns, c.IPAddresses, fromCN
}

// MatchHostname reports whether host is a name c is valid for, by the rules
// of Java's HostnameChecker for TLS: an IP address must be an IP SAN; a
// name must match a DNS SAN (or the CN when there is none), with a
// wildcard allowed in the leftmost label only, never in the last two.
func MatchHostname(c *x509.Certificate, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	dns, ips, _ := CertNames(c)
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		for _, a := range ips {
			if a.Equal(ip) {
				return true
			}
		}
		return false
	}
	for _, pattern := range dns {
		if matchDNSName(strings.TrimSuffix(strings.ToLower(pattern), "."), host) {
			return true
		}
	}
	return false
}

func matchDNSName(pattern, host string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == host
	}
	pl, hl := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(pl) != len(hl) || len(pl) < 3 || strings.Contains(strings.Join(pl[1:], "."), "*") {
		return false
	}
	for i := 1; i < len(pl); i++ {
		if pl[i] != hl[i] {
			return false
		}
	}
	// The leftmost label: "*", or a partial wildcard such as "ic*".
	prefix, suffix, _ := strings.Cut(pl[0], "*")
	if strings.Contains(suffix, "*") {
		return false
	}
	l := hl[0]
	return len(l) >= len(prefix)+len(suffix) && strings.HasPrefix(l, prefix) && strings.HasSuffix(l, suffix)
}
