package idc

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf16"
)

// Format is a Java key store format.
type Format string

const (
	JKS   Format = "JKS"   // Sun's original format (magic 0xFEEDFEED): private keys and trusted certificates
	JCEKS Format = "JCEKS" // the JCE format (magic 0xCECECECE): JKS plus secret keys
)

// Kind is the kind of a key store entry.
type Kind int

const (
	PrivateKeyEntry  Kind = 1 // an encrypted private key with its certificate chain
	TrustedCertEntry Kind = 2 // a certificate, in the clear
	SecretKeyEntry   Kind = 3 // an encrypted secret (symmetric) key; JCEKS only
)

func (k Kind) String() string {
	switch k {
	case PrivateKeyEntry:
		return "private key"
	case TrustedCertEntry:
		return "trusted certificate"
	case SecretKeyEntry:
		return "secret key"
	}
	return fmt.Sprintf("kind %d", int(k))
}

// MaxStoreSize bounds what ReadStore reads: the stores IDM uses are a few
// kilobytes (a truststore with a hundred CA certificates is 80 KB), and a
// bound keeps a hostile or mistaken file (a disk image named keystore.jceks)
// from exhausting memory.
const MaxStoreSize = 16 << 20

// maxChain bounds a private key's certificate chain; real chains have 1 to 4.
const maxChain = 64

// ErrWrongPassword is wrapped by the error of Parse when the store's
// integrity digest does not match: the password is wrong, or the file was
// changed. keytool says "Keystore was tampered with, or password was
// incorrect" for the same condition.
var ErrWrongPassword = errors.New("the password does not open the key store (its integrity digest does not match): the password is wrong, or the file was altered")

// Store is a parsed JKS or JCEKS key store.
type Store struct {
	Format  Format
	Version int // 1 or 2 (the version of the file layout)
	Entries []*Entry
	// Verified is true when the integrity digest was checked with a
	// password (Parse); false after ParseUnverified.
	Verified bool
	Size     int
	SHA256   [32]byte // of the whole file, to tell copies apart
}

// Entry is one alias of a Store. Keys stay encrypted as stored; PrivateKey
// and SecretKey decrypt them with a password.
type Entry struct {
	Alias string // as stored; keytool writes aliases in lower case
	Kind  Kind
	Date  time.Time // creation date
	// Chain is the certificate chain of a private key (leaf first), or the
	// one certificate of a trusted certificate entry. A certificate Go
	// cannot parse is nil here, its bytes in ChainDER and the reason in
	// CertErr.
	Chain    []*x509.Certificate
	ChainDER [][]byte
	CertErr  error
	// Protected is the key as stored: a DER EncryptedPrivateKeyInfo for a
	// private key, a Java-serialised sealed object for a secret key.
	Protected []byte
	Offset    int // of the entry in the file
}

// Cert is the entry's first certificate (the leaf of a chain), or nil.
func (e *Entry) Cert() *x509.Certificate {
	if len(e.Chain) == 0 {
		return nil
	}
	return e.Chain[0]
}

// Lookup finds an alias; like Java's key stores, case-insensitively.
func (s *Store) Lookup(alias string) *Entry {
	for _, e := range s.Entries {
		if strings.EqualFold(e.Alias, alias) {
			return e
		}
	}
	return nil
}

// FormatError is a malformed key store: what is wrong and at which byte.
type FormatError struct {
	Offset int
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg)
}

// ReadStore reads and parses the key store at path; password nil reads it
// without checking its integrity (the entries of a JKS trust store are in
// the clear). Errors name the file.
func ReadStore(path string, password *string) (*Store, error) {
	data, err := readBounded(path, MaxStoreSize)
	if err != nil {
		return nil, err
	}
	var s *Store
	if password == nil {
		s, err = ParseUnverified(data)
	} else {
		s, err = Parse(data, *password)
	}
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := fmt.Errorf("%s: larger than %d MiB, which no file of this kind IDM reads is", path, limit>>20)
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// Parse reads a JKS or JCEKS key store and checks its integrity digest
// with password. A wrong password gives an error wrapping ErrWrongPassword,
// and the store as read (Verified false), so that a caller can still list
// what it holds.
func Parse(data []byte, password string) (*Store, error) {
	s, err := parse(data)
	if err != nil {
		return nil, err
	}
	body := data[:len(data)-sha1.Size]
	if !bytes.Equal(storeDigest(password, body), data[len(body):]) {
		return s, ErrWrongPassword
	}
	s.Verified = true
	return s, nil
}

// ParseUnverified reads a key store without checking its integrity.
func ParseUnverified(data []byte) (*Store, error) { return parse(data) }

// storeDigest is the keyed SHA-1 both formats end with: the password as
// UTF-16BE, the words "Mighty Aphrodite", and every byte before the digest.
func storeDigest(password string, body []byte) []byte {
	h := sha1.New()
	h.Write(passwordUTF16(password))
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(body)
	return h.Sum(nil)
}

// passwordUTF16 is a password as Java's char[] in big-endian bytes.
func passwordUTF16(password string) []byte {
	units := utf16.Encode([]rune(password))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.BigEndian.PutUint16(b[2*i:], u)
	}
	return b
}

const (
	magicJKS   = 0xFEEDFEED
	magicJCEKS = 0xCECECECE
)

func parse(data []byte) (*Store, error) {
	r := &reader{b: data}
	if len(data) < 12+sha1.Size {
		if len(data) >= 4 && !isStoreMagic(binary.BigEndian.Uint32(data)) {
			return nil, notAStore(data)
		}
		return nil, &FormatError{0, fmt.Sprintf("%d bytes is too short for a key store (an empty one has 32)", len(data))}
	}
	s := &Store{Size: len(data), SHA256: sha256.Sum256(data)}
	magic := r.u32()
	switch magic {
	case magicJKS:
		s.Format = JKS
	case magicJCEKS:
		s.Format = JCEKS
	default:
		return nil, notAStore(data)
	}
	s.Version = int(r.u32())
	if s.Format == JCEKS && s.Version != 2 {
		return nil, &FormatError{4, fmt.Sprintf("unknown JCEKS version %d (only 2 exists)", s.Version)}
	}
	if s.Version != 1 && s.Version != 2 {
		return nil, &FormatError{4, fmt.Sprintf("unknown JKS version %d (1 and 2 exist)", s.Version)}
	}
	count := r.u32()
	// Every entry takes at least 15 bytes (tag, alias length, date, a length).
	if uint64(count)*15 > uint64(len(data)) {
		return nil, &FormatError{8, fmt.Sprintf("the header counts %d entries, more than %d bytes can hold", count, len(data))}
	}
	end := len(data) - sha1.Size
	r.b = data[:end] // entries may not run into the digest
	for i := uint32(0); i < count; i++ {
		e, err := s.readEntry(r)
		if err != nil {
			return nil, err
		}
		s.Entries = append(s.Entries, e)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != end {
		return nil, &FormatError{r.off, fmt.Sprintf("%d bytes after the last of %d entries, before the digest: the file is damaged or not a key store", end-r.off, count)}
	}
	return s, nil
}

func isStoreMagic(m uint32) bool { return m == magicJKS || m == magicJCEKS }

// notAStore says what a file that is not a JKS or JCEKS store looks like,
// since the usual mistake is a PKCS#12 or PEM file under the expected name.
func notAStore(data []byte) error {
	switch {
	case len(data) == 0:
		return &FormatError{0, "the file is empty, not a key store"}
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")):
		return &FormatError{0, "this is a PEM file, not a JKS or JCEKS key store: import it with keytool -importcert (certificates) or keytool -importkeystore"}
	case data[0] == 0x30:
		return &FormatError{0, "this looks like DER (a PKCS#12 key store or a certificate), not JKS or JCEKS: IDM 4 and Identity Connect expect JCEKS (keystore.jceks) and JKS (truststore); convert it with keytool -importkeystore"}
	}
	return &FormatError{0, fmt.Sprintf("not a JKS or JCEKS key store (it starts with %x, not feedfeed or cececece)", data[:min(4, len(data))])}
}

func (s *Store) readEntry(r *reader) (*Entry, error) {
	e := &Entry{Offset: r.off}
	tag := r.u32()
	e.Kind = Kind(tag)
	e.Alias = r.utf()
	e.Date = time.UnixMilli(r.i64()).UTC()
	if r.err != nil {
		return nil, r.err
	}
	switch e.Kind {
	case PrivateKeyEntry:
		e.Protected = r.bytes32("the encrypted private key")
		n := r.u32()
		if r.err == nil && n > maxChain {
			return nil, &FormatError{r.off - 4, fmt.Sprintf("entry %q: a chain of %d certificates (more than %d): the file is damaged", e.Alias, n, maxChain)}
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			s.readCert(r, e)
		}
	case TrustedCertEntry:
		s.readCert(r, e)
	case SecretKeyEntry:
		if s.Format != JCEKS {
			return nil, &FormatError{e.Offset, fmt.Sprintf("entry %q: a secret key entry in a %s store (only JCEKS holds them)", e.Alias, s.Format)}
		}
		start := r.off
		if r.err == nil {
			n, err := skipSerialized(r.b[r.off:])
			if err != nil {
				// The stream's errors count from its start.
				fe := &FormatError{Msg: err.Error()}
				errors.As(err, &fe)
				return nil, &FormatError{r.off + fe.Offset, fmt.Sprintf("entry %q: the sealed secret key: %s", e.Alias, fe.Msg)}
			}
			r.off += n
		}
		e.Protected = r.b[start:r.off]
	default:
		return nil, &FormatError{e.Offset, fmt.Sprintf("unknown entry tag %d (1 private key, 2 trusted certificate, 3 secret key): the file is damaged or not a %s store", tag, s.Format)}
	}
	if r.err != nil {
		return nil, r.err
	}
	return e, nil
}

// readCert reads one certificate (its type, in version 2, and its bytes).
func (s *Store) readCert(r *reader, e *Entry) {
	if s.Version == 2 {
		at := r.off
		if typ := r.utf(); r.err == nil && typ != "X.509" {
			r.fail(at, fmt.Sprintf("entry %q: certificate type %q (only X.509 is supported)", e.Alias, typ))
			return
		}
	}
	der := r.bytes32("a certificate")
	if r.err != nil {
		return
	}
	e.ChainDER = append(e.ChainDER, der)
	c, err := x509.ParseCertificate(der)
	if err != nil && e.CertErr == nil {
		e.CertErr = err
	}
	e.Chain = append(e.Chain, c)
}

// reader reads big-endian fields of a byte slice, never past its end; the
// first error sticks and later reads return zero values.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(at int, msg string) {
	if r.err == nil {
		r.err = &FormatError{at, msg}
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail(r.off, fmt.Sprintf("%s of %d bytes runs past the end of the entries (%d bytes left): the file is truncated or damaged", what, n, len(r.b)-r.off))
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u16() uint16 {
	p := r.take(2, "a 2-byte field")
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (r *reader) u32() uint32 {
	p := r.take(4, "a 4-byte field")
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (r *reader) i64() int64 {
	p := r.take(8, "an 8-byte field")
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// bytes32 reads an int32 length and that many bytes.
func (r *reader) bytes32(what string) []byte {
	n := r.u32()
	if n > 1<<30 {
		r.fail(r.off-4, fmt.Sprintf("%s claims %d bytes: the file is damaged", what, n))
		return nil
	}
	return r.take(int(n), what)
}

// utf reads a Java DataOutput.writeUTF string.
func (r *reader) utf() string {
	at := r.off
	n := r.u16()
	p := r.take(int(n), "a string")
	if r.err != nil {
		return ""
	}
	s, err := decodeModifiedUTF8(p)
	if err != nil {
		r.fail(at, err.Error())
	}
	return s
}

// decodeModifiedUTF8 decodes Java's modified UTF-8: NUL as two bytes, and
// characters outside the BMP as two 3-byte surrogates.
func decodeModifiedUTF8(p []byte) (string, error) {
	units := make([]uint16, 0, len(p))
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c&0xE0 == 0xC0 && i+1 < len(p) && p[i+1]&0xC0 == 0x80:
			units = append(units, uint16(c&0x1F)<<6|uint16(p[i+1]&0x3F))
			i += 2
		case c&0xF0 == 0xE0 && i+2 < len(p) && p[i+1]&0xC0 == 0x80 && p[i+2]&0xC0 == 0x80:
			units = append(units, uint16(c&0x0F)<<12|uint16(p[i+1]&0x3F)<<6|uint16(p[i+2]&0x3F))
			i += 3
		default:
			return "", fmt.Errorf("a string with malformed modified UTF-8 at its byte %d", i)
		}
	}
	return string(utf16.Decode(units)), nil
}
