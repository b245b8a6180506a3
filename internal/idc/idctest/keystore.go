// Package idctest builds what the tests of amupgrade idc need and CI
// cannot get from Java: JKS and JCEKS key stores written in Go (keytool
// reads them), certificates, the obfuscated password forms of
// boot.properties, and a TLS server that plays Identity Connect 7.1.6's
// migration endpoint.
//
// The writers here are a second, independent implementation of the formats
// internal/idc reads, so that a test that round-trips through both checks
// each against the other; the stores they write were also checked with
// keytool -list of JDK 17.
package idctest

import (
	"bytes"
	"crypto"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"
)

// Entry is one alias of a Store; exactly one of Key, Cert, Secret and
// Protected is set.
type Entry struct {
	Alias string
	Date  time.Time // zero: 2020-01-01

	// A private key entry: the key and its chain (leaf first).
	Key   crypto.PrivateKey
	Chain []*x509.Certificate

	// A trusted certificate entry.
	Cert *x509.Certificate

	// A secret key entry (JCEKS only): the key bytes and algorithm.
	Secret          []byte
	SecretAlgorithm string // default AES

	// An entry copied as it is stored in another store: Kind 1 (private
	// key; ChainDER is its chain), 2 (a trusted certificate, ChainDER[0])
	// or 3 (secret key, a serialised sealed object). A key stays encrypted
	// with that store's key password.
	Protected []byte
	Kind      int
	ChainDER  [][]byte

	// KeyPassword encrypts Key or Secret; default: the store password.
	KeyPassword string
	// Iterations of PBEWithMD5AndTripleDES (JCEKS); default 1000. (JDK 17
	// writes 200000, JDK 8 until 2019 wrote 20.)
	Iterations int
}

// JKS and JCEKS write the store's entries and the keyed integrity digest.
func JKS(password string, entries ...Entry) []byte   { return write(0xFEEDFEED, password, entries) }
func JCEKS(password string, entries ...Entry) []byte { return write(0xCECECECE, password, entries) }

func write(magic uint32, password string, entries []Entry) []byte {
	var b bytes.Buffer
	u32 := func(v uint32) { binary.Write(&b, binary.BigEndian, v) }
	utf := func(s string) { u16(&b, uint16(len(s))); b.WriteString(s) } // ASCII aliases only
	u32(magic)
	u32(2)
	u32(uint32(len(entries)))
	jceks := magic == 0xCECECECE
	for i, e := range entries {
		date := e.Date
		if date.IsZero() {
			date = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		keyPass := e.KeyPassword
		if keyPass == "" {
			keyPass = password
		}
		iter := e.Iterations
		if iter == 0 {
			iter = 1000
		}
		salt := []byte{byte(i), 0x5a, 0x17, 0x03, 0x99, byte(len(e.Alias)), 0x42, 0x24}
		kind := e.Kind
		switch {
		case e.Key != nil:
			kind = 1
		case e.Cert != nil:
			kind = 2
		case e.Secret != nil:
			kind = 3
		}
		u32(uint32(kind))
		utf(e.Alias)
		binary.Write(&b, binary.BigEndian, date.UnixMilli())
		switch kind {
		case 1:
			protected, chain := e.Protected, e.ChainDER
			if e.Key != nil {
				der, err := x509.MarshalPKCS8PrivateKey(e.Key)
				if err != nil {
					panic(err)
				}
				if jceks {
					protected = protectPBE(der, keyPass, salt, iter)
				} else {
					protected = protectJKS(der, keyPass, salt)
				}
				chain = nil
				for _, c := range e.Chain {
					chain = append(chain, c.Raw)
				}
			}
			u32(uint32(len(protected)))
			b.Write(protected)
			u32(uint32(len(chain)))
			for _, c := range chain {
				utf("X.509")
				u32(uint32(len(c)))
				b.Write(c)
			}
		case 2:
			der := e.ChainDER[:min(1, len(e.ChainDER))]
			if e.Cert != nil {
				der = [][]byte{e.Cert.Raw}
			}
			if len(der) == 0 {
				panic(fmt.Sprintf("idctest: trusted entry %q has no certificate", e.Alias))
			}
			utf("X.509")
			u32(uint32(len(der[0])))
			b.Write(der[0])
		case 3:
			if e.Protected != nil {
				b.Write(e.Protected)
				break
			}
			alg := e.SecretAlgorithm
			if alg == "" {
				alg = "AES"
			}
			b.Write(sealSecretKey(e.Secret, alg, keyPass, salt, iter))
		default:
			panic(fmt.Sprintf("idctest: entry %q sets none of Key, Cert, Secret, Protected", e.Alias))
		}
	}
	h := sha1.New()
	h.Write(utf16BE(password))
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(b.Bytes())
	b.Write(h.Sum(nil))
	return b.Bytes()
}

func u16(b *bytes.Buffer, v uint16) { binary.Write(b, binary.BigEndian, v) }

func utf16BE(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// protectJKS is sun.security.provider.KeyProtector.protect with a given salt.
func protectJKS(plain []byte, password string, salt8 []byte) []byte {
	pw := utf16BE(password)
	salt := append(bytes.Repeat(salt8, 2), salt8[:4]...) // 20 bytes
	out := append([]byte(nil), salt...)
	digest := salt
	enc := make([]byte, len(plain))
	for off := 0; off < len(plain); off += 20 {
		h := sha1.New()
		h.Write(pw)
		h.Write(digest)
		digest = h.Sum(nil)
		for k := 0; k < 20 && off+k < len(plain); k++ {
			enc[off+k] = plain[off+k] ^ digest[k]
		}
	}
	out = append(out, enc...)
	h := sha1.New()
	h.Write(pw)
	h.Write(plain)
	out = append(out, h.Sum(nil)...)
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1}, Parameters: asn1.NullRawValue}, out})
	if err != nil {
		panic(err)
	}
	return der
}

type pbeParams struct {
	Salt       []byte
	Iterations int
}

// protectPBE is com.sun.crypto.provider.KeyProtector.protect.
func protectPBE(plain []byte, password string, salt []byte, iter int) []byte {
	params, _ := asn1.Marshal(pbeParams{salt, iter})
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 19, 1}, Parameters: asn1.RawValue{FullBytes: params}}, encryptPBE(plain, password, salt, iter)})
	if err != nil {
		panic(err)
	}
	return der
}

// encryptPBE is PBEWithMD5AndTripleDES encryption (see internal/idc's
// derivePBEKey for the scheme).
func encryptPBE(plain []byte, password string, salt []byte, iter int) []byte {
	s := append([]byte(nil), salt...)
	if bytes.Equal(s[:4], s[4:]) {
		s[0], s[1], s[2], s[3] = s[3], s[2], s[1], s[0]
	}
	var derived []byte
	for half := 0; half < 2; half++ {
		d := s[half*4 : half*4+4]
		for i := 0; i < iter; i++ {
			sum := md5.Sum(append(append([]byte(nil), d...), password...))
			d = sum[:]
		}
		derived = append(derived, d...)
	}
	block, err := des.NewTripleDESCipher(derived[:24])
	if err != nil {
		panic(err)
	}
	n := 8 - len(plain)%8
	padded := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, derived[24:32]).CryptBlocks(out, padded)
	return out
}

// sealSecretKey writes what JceKeyStore writes for a secret key: a
// serialised com.sun.crypto.provider.SealedObjectForKeyProtector whose
// content is a serialised javax.crypto.spec.SecretKeySpec, encrypted. The
// serialVersionUIDs are the JDK's, so keytool reads the result.
func sealSecretKey(key []byte, algorithm, password string, salt []byte, iter int) []byte {
	var spec bytes.Buffer
	w := &objWriter{b: &spec}
	w.header()
	w.b.WriteByte(0x73)
	w.classDesc("javax.crypto.spec.SecretKeySpec", 0x5b470b66e230614d, []field{{'L', "algorithm", "Ljava/lang/String;"}, {'[', "key", "[B"}})
	w.b.WriteByte(0x70) // no superclass
	w.handle()          // the object
	w.str(algorithm)
	w.byteArray(key)

	params, _ := asn1.Marshal(pbeParams{salt, iter})
	var sealed bytes.Buffer
	w = &objWriter{b: &sealed}
	w.header()
	w.b.WriteByte(0x73)
	w.classDesc("com.sun.crypto.provider.SealedObjectForKeyProtector", -0x32a835a618cf44ad, nil)
	w.classDesc("javax.crypto.SealedObject", 0x3e363da6c3b75470, []field{
		{'[', "encodedParams", "[B"}, {'[', "encryptedContent", "[B"},
		{'L', "paramsAlg", "Ljava/lang/String;"}, {'L', "sealAlg", "Ljava/lang/String;"},
	})
	w.b.WriteByte(0x70)
	w.handle()
	w.byteArray(params)
	w.byteArray(encryptPBE(spec.Bytes(), password, salt, iter))
	w.str("PBEWithMD5AndTripleDES")
	w.str("PBEWithMD5AndTripleDES")
	return sealed.Bytes()
}

type field struct {
	code      byte
	name, typ string
}

// objWriter writes the little of the Java object stream sealSecretKey
// needs, reusing strings and class descriptors by handle as Java does.
type objWriter struct {
	b       *bytes.Buffer
	next    int
	strings map[string]int
	classes map[string]int
}

func (w *objWriter) header() {
	w.b.Write([]byte{0xAC, 0xED, 0x00, 0x05})
	w.strings, w.classes = map[string]int{}, map[string]int{}
}

func (w *objWriter) handle() int { w.next++; return 0x7E0000 + w.next - 1 }

func (w *objWriter) ref(h int) {
	w.b.WriteByte(0x71)
	binary.Write(w.b, binary.BigEndian, uint32(h))
}

func (w *objWriter) str(s string) {
	if h, ok := w.strings[s]; ok {
		w.ref(h)
		return
	}
	w.b.WriteByte(0x74)
	u16(w.b, uint16(len(s)))
	w.b.WriteString(s)
	w.strings[s] = w.handle()
}

// classDesc writes a class descriptor, or a reference to it when written
// before; it reports which, since only a new one is followed by its
// superclass.
func (w *objWriter) classDesc(name string, uid int64, fields []field) (isNew bool) {
	if h, ok := w.classes[name]; ok {
		w.ref(h)
		return false
	}
	w.b.WriteByte(0x72)
	u16(w.b, uint16(len(name)))
	w.b.WriteString(name)
	binary.Write(w.b, binary.BigEndian, uid)
	w.classes[name] = w.handle()
	w.b.WriteByte(0x02) // SC_SERIALIZABLE
	u16(w.b, uint16(len(fields)))
	for _, f := range fields {
		w.b.WriteByte(f.code)
		u16(w.b, uint16(len(f.name)))
		w.b.WriteString(f.name)
		w.str(f.typ)
	}
	w.b.WriteByte(0x78) // no class annotation
	return true
}

func (w *objWriter) byteArray(p []byte) {
	w.b.WriteByte(0x75)
	if w.classDesc("[B", -0x530ce807f9f7ab20, nil) {
		w.b.WriteByte(0x70)
	}
	w.handle()
	binary.Write(w.b, binary.BigEndian, uint32(len(p)))
	w.b.Write(p)
}
