package idc

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
	"errors"
	"fmt"
)

// Keys in JKS and JCEKS stores are encrypted with a password; IDM opens
// them with its key store password (openidm.keystore.password), so a key
// whose password differs from the store's is a key IDM cannot use. Two
// schemes exist, both Sun's own and both readable with the standard library:
//
//   - JKS's key protector (OID 1.3.6.1.4.1.42.2.17.1.1): a SHA-1 keystream
//     from the UTF-16 password and a 20-byte salt, then a SHA-1 check value;
//   - JCE's PBEWithMD5AndTripleDES (OID 1.3.6.1.4.1.42.2.19.1), used by
//     JCEKS for private keys and, inside a serialised SealedObject, for
//     secret keys: MD5 iterated over each half of an 8-byte salt gives a
//     Triple-DES key and IV.
//
// A JCEKS store may hold keys of either scheme (keytool -importkeystore
// from JKS keeps the JKS protection).

var (
	oidJKSKeyProtector        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1}
	oidPBEWithMD5AndTripleDES = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 19, 1}
)

// MaxPBEIterations bounds the iteration count a stored key may ask for; the
// JDK caps JCEKS at the same number (jdk.jceks.iterationCount), and the
// bound keeps a hostile store from costing minutes of MD5.
const MaxPBEIterations = 5000000

// ErrWrongKeyPassword is wrapped by the errors of PrivateKey and SecretKey
// when the password does not decrypt the key.
var ErrWrongKeyPassword = errors.New("the password does not decrypt the key")

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbeParameters struct {
	Salt       []byte
	Iterations int
}

// PrivateKey decrypts a private key entry with password and returns the
// key (as x509.ParsePKCS8PrivateKey does).
func (e *Entry) PrivateKey(password string) (crypto.PrivateKey, error) {
	if e.Kind != PrivateKeyEntry {
		return nil, fmt.Errorf("%q is a %s entry, not a private key", e.Alias, e.Kind)
	}
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(e.Protected, &info)
	if err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%q: the encrypted private key is not DER EncryptedPrivateKeyInfo", e.Alias)
	}
	var plain []byte
	switch {
	case info.Algorithm.Algorithm.Equal(oidJKSKeyProtector):
		plain, err = recoverJKSKey(info.Data, password)
	case info.Algorithm.Algorithm.Equal(oidPBEWithMD5AndTripleDES):
		var p pbeParameters
		if rest, perr := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); perr != nil || len(rest) > 0 {
			return nil, fmt.Errorf("%q: the key's PBE parameters are not DER (salt, iterations)", e.Alias)
		}
		plain, err = decryptPBEWithMD5AndTripleDES(info.Data, p, password)
	default:
		return nil, fmt.Errorf("%q: the key is protected with algorithm %v, which is neither JKS's nor JCEKS's", e.Alias, info.Algorithm.Algorithm)
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %w", e.Alias, err)
	}
	key, err := parsePKCS8(plain)
	if err != nil {
		// A wrong Triple-DES key passes the padding check about once in
		// 256 tries; the key then does not parse.
		return nil, fmt.Errorf("%q: %w", e.Alias, ErrWrongKeyPassword)
	}
	return key, nil
}

// SecretKey decrypts a JCEKS secret key entry with password and returns
// the key's algorithm (AES for IDM's openidm-sym-default) and its bytes.
func (e *Entry) SecretKey(password string) (algorithm string, key []byte, err error) {
	if e.Kind != SecretKeyEntry {
		return "", nil, fmt.Errorf("%q is a %s entry, not a secret key", e.Alias, e.Kind)
	}
	v, _, err := decodeSerialized(e.Protected)
	if err != nil {
		return "", nil, fmt.Errorf("%q: %w", e.Alias, err)
	}
	sealed, ok := v.(*jObject)
	if !ok {
		return "", nil, fmt.Errorf("%q: the sealed key is not an object", e.Alias)
	}
	params, _ := sealed.fields["encodedParams"].([]byte)
	content, _ := sealed.fields["encryptedContent"].([]byte)
	alg, _ := sealed.fields["sealAlg"].(string)
	if alg != "PBEWithMD5AndTripleDES" {
		return "", nil, fmt.Errorf("%q: the key is sealed with %q, not PBEWithMD5AndTripleDES", e.Alias, alg)
	}
	var p pbeParameters
	if rest, perr := asn1.Unmarshal(params, &p); perr != nil || len(rest) > 0 {
		return "", nil, fmt.Errorf("%q: the sealed key's PBE parameters are not DER (salt, iterations)", e.Alias)
	}
	plain, err := decryptPBEWithMD5AndTripleDES(content, p, password)
	if err != nil {
		return "", nil, fmt.Errorf("%q: %w", e.Alias, err)
	}
	inner, _, err := decodeSerialized(plain)
	if err != nil {
		return "", nil, fmt.Errorf("%q: %w", e.Alias, ErrWrongKeyPassword)
	}
	spec, ok := inner.(*jObject)
	if !ok {
		return "", nil, fmt.Errorf("%q: the sealed key is not an object", e.Alias)
	}
	alg, _ = spec.fields["algorithm"].(string)
	key, _ = spec.fields["key"].([]byte)
	if alg == "" || key == nil {
		return spec.class.name, nil, nil
	}
	return alg, key, nil
}

// recoverJKSKey undoes sun.security.provider.KeyProtector: salt (20) ||
// key XOR keystream || SHA-1(password || key).
func recoverJKSKey(data []byte, password string) ([]byte, error) {
	if len(data) < 2*sha1.Size+1 {
		return nil, fmt.Errorf("the protected key is %d bytes, too short for JKS's key protection", len(data))
	}
	salt := data[:sha1.Size]
	enc := data[sha1.Size : len(data)-sha1.Size]
	check := data[len(data)-sha1.Size:]
	pw := passwordUTF16(password)
	plain := jksKeystream(pw, salt, enc)
	h := sha1.New()
	h.Write(pw)
	h.Write(plain)
	if !bytes.Equal(h.Sum(nil), check) {
		return nil, ErrWrongKeyPassword
	}
	return plain, nil
}

// jksKeystream XORs in with the keystream of JKS's key protector.
func jksKeystream(pw, salt, in []byte) []byte {
	out := make([]byte, len(in))
	digest := salt
	for off := 0; off < len(in); off += sha1.Size {
		h := sha1.New()
		h.Write(pw)
		h.Write(digest)
		digest = h.Sum(nil)
		for k := 0; k < sha1.Size && off+k < len(in); k++ {
			out[off+k] = in[off+k] ^ digest[k]
		}
	}
	return out
}

func decryptPBEWithMD5AndTripleDES(data []byte, p pbeParameters, password string) ([]byte, error) {
	if len(p.Salt) != 8 {
		return nil, fmt.Errorf("a PBE salt of %d bytes (8 expected)", len(p.Salt))
	}
	if p.Iterations < 1 || p.Iterations > MaxPBEIterations {
		return nil, fmt.Errorf("a PBE iteration count of %d (1 to %d accepted)", p.Iterations, MaxPBEIterations)
	}
	if len(data) == 0 || len(data)%des.BlockSize != 0 {
		return nil, fmt.Errorf("encrypted data of %d bytes, not whole Triple-DES blocks", len(data))
	}
	key, iv, err := derivePBEKey(password, p.Salt, p.Iterations)
	if err != nil {
		return nil, err
	}
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	n := int(plain[len(plain)-1])
	if n < 1 || n > des.BlockSize || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, ErrWrongKeyPassword
	}
	return plain[:len(plain)-n], nil
}

// derivePBEKey is the key derivation of the JCE's PBEWithMD5AndTripleDES:
// each half of the salt (the first half reversed when both are equal) is
// hashed with the password, iterations times, and the two digests give 24
// bytes of Triple-DES key and 8 of IV. The JCE turns the password into
// bytes one character each and takes printable ASCII only.
func derivePBEKey(password string, salt []byte, iterations int) (key, iv []byte, err error) {
	pw := make([]byte, 0, len(password))
	for _, c := range password {
		if c < 0x20 || c > 0x7E {
			return nil, nil, errors.New("the password has a character outside printable ASCII, which the JCE's key protection does not take")
		}
		pw = append(pw, byte(c))
	}
	s := append([]byte(nil), salt...)
	if bytes.Equal(s[:4], s[4:]) {
		s[0], s[3] = s[3], s[0]
		s[1], s[2] = s[2], s[1]
	}
	out := make([]byte, 0, 32)
	in := make([]byte, 0, md5.Size+len(pw))
	for half := 0; half < 2; half++ {
		in = append(append(in[:0], s[half*4:half*4+4]...), pw...)
		var d [md5.Size]byte
		for i := 0; i < iterations; i++ {
			d = md5.Sum(in)
			in = append(append(in[:0], d[:]...), pw...)
		}
		out = append(out, d[:]...)
	}
	return out[:24], out[24:32], nil
}

// UnsupportedKey is a private key that decrypted correctly (it is a
// well-formed PKCS#8 structure) but whose algorithm Go does not implement,
// such as DSA, which old keytool versions made by default.
type UnsupportedKey struct {
	Algorithm asn1.ObjectIdentifier
}

type pkcs8 struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// parsePKCS8 parses a decrypted private key. Only bytes that are no PKCS#8
// structure at all are an error: that is what a wrong password gives.
func parsePKCS8(b []byte) (crypto.PrivateKey, error) {
	if key, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return key, nil
	}
	var p pkcs8
	if rest, err := asn1.Unmarshal(b, &p); err != nil || len(rest) > 0 {
		return nil, errors.New("not a PKCS#8 private key")
	}
	return UnsupportedKey{Algorithm: p.Algorithm.Algorithm}, nil
}
