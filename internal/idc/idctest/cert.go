package idctest

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"
)

// Cert is a certificate and its key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// CertOptions describe a self-signed certificate.
type CertOptions struct {
	CommonName string
	DNSNames   []string // none: the host name is only in the CN, as keytool makes it
	IPs        []net.IP
	NotBefore  time.Time // zero: an hour ago
	NotAfter   time.Time // zero: in ten years
}

// NewCert makes a self-signed ECDSA P-256 certificate.
func NewCert(o CertOptions) Cert {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().AddDate(10, 0, 0)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName, Organization: []string{"amupgrade test"}},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return Cert{Cert: c, Key: key}
}

// TLS is the certificate as a server's tls.Certificate.
func (c Cert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
}

// Obfuscate writes s in Jetty's OBF: form (Jetty 9's, with U groups for
// bytes outside ASCII).
func Obfuscate(s string) string {
	b := []byte(s)
	var out strings.Builder
	out.WriteString("OBF:")
	for i := range b {
		b1, b2 := b[i], b[len(b)-1-i]
		if b1 >= 0x80 || b2 >= 0x80 {
			x := strconv.FormatInt(int64(b1)*256+int64(b2), 36)
			out.WriteString("U0000"[:5-len(x)] + x)
			continue
		}
		i1, i2 := 127+int(b1)+int(b2), 127+int(b1)-int(b2)
		x := strconv.FormatInt(int64(i1*256+i2), 36)
		out.WriteString("0000"[:4-len(x)] + x)
	}
	return out.String()
}

// EncryptCRYPT writes s in OpenIDM's CRYPT: form.
func EncryptCRYPT(s string) string {
	key := []byte{0xce, 0x32, 0xf0, 0xe6, 0x9d, 0xc3, 0x5e, 0x2d, 0x1a, 0x4b, 0xd9, 0xd4, 0xd0, 0xb5, 0x28, 0x04}
	block, _ := aes.NewCipher(key)
	n := aes.BlockSize - len(s)%aes.BlockSize
	p := append([]byte(s), bytes.Repeat([]byte{byte(n)}, n)...)
	for i := 0; i < len(p); i += aes.BlockSize {
		block.Encrypt(p[i:], p[i:])
	}
	return "CRYPT:" + hex.EncodeToString(p)
}
