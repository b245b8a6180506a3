package idc

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Properties is a Java .properties file (IDM's boot.properties), with the
// line each key is on.
type Properties struct {
	File   string
	values map[string]property
}

type property struct {
	value string
	line  int
}

// maxPropertiesSize bounds ReadProperties; boot.properties is about 2 KB.
const maxPropertiesSize = 1 << 20

// ReadProperties reads a .properties file.
func ReadProperties(path string) (*Properties, error) {
	data, err := readBounded(path, maxPropertiesSize)
	if err != nil {
		return nil, err
	}
	return ParseProperties(path, data)
}

// ParseProperties parses the format of java.util.Properties.load: comments
// after # or !, a key ended by '=', ':' or white space, lines continued by
// a trailing backslash, and \t \n \r \f \uXXXX escapes. Bytes are read as
// ISO-8859-1, as Properties.load reads a stream, unless the file is valid
// UTF-8 with non-ASCII text, which is how people write it today.
func ParseProperties(file string, data []byte) (*Properties, error) {
	p := &Properties{File: file, values: map[string]property{}}
	text := string(data)
	if !utf8.Valid(data) {
		runes := make([]rune, len(data))
		for i, b := range data {
			runes[i] = rune(b)
		}
		text = string(runes)
	}
	lines := splitLines(text)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for endsInEscape(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if endsInEscape(line) {
			line = line[:len(line)-1]
		}
		key, value := splitProperty(line)
		k, err := unescapeProperty(key)
		if err == nil {
			value, err = unescapeProperty(value)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, start, err)
		}
		p.values[k] = property{value: value, line: start}
	}
	return p, nil
}

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
}

// endsInEscape reports an odd number of trailing backslashes.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitProperty(line string) (key, value string) {
	i := 0
	for ; i < len(line); i++ {
		if line[i] == '\\' {
			i++
			continue
		}
		if strings.IndexByte("=: \t\f", line[i]) >= 0 {
			break
		}
	}
	if i >= len(line) {
		return line, ""
	}
	key, rest := line[:i], line[i:]
	if rest[0] == '=' || rest[0] == ':' {
		return key, strings.TrimLeft(rest[1:], " \t\f")
	}
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, rest
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", errors.New(`a malformed \uxxxx escape`)
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errors.New(`a malformed \uxxxx escape`)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// Get returns a property's value and line.
func (p *Properties) Get(key string) (value string, line int, ok bool) {
	if p == nil {
		return "", 0, false
	}
	v, ok := p.values[key]
	return v.value, v.line, ok
}

// Resolve expands IDM's property expressions in value: &{name} and
// &{name|default}, defaults nesting (&{a|&{idm.install.dir}/x}). Names are
// looked up among the file's own properties, then vars (idm.install.dir
// and the like). An expression that nothing resolves is an error naming it.
func (p *Properties) Resolve(value string, vars map[string]string) (string, error) {
	return p.resolve(value, vars, 0)
}

func (p *Properties) resolve(value string, vars map[string]string, depth int) (string, error) {
	if depth > 16 {
		return "", errors.New("property expressions nest more than 16 deep, or refer to themselves")
	}
	var b strings.Builder
	for {
		i := strings.Index(value, "&{")
		if i < 0 {
			b.WriteString(value)
			return b.String(), nil
		}
		b.WriteString(value[:i])
		end, bar := -1, -1
		nest := 0
		for j := i + 2; j < len(value); j++ {
			switch {
			case strings.HasPrefix(value[j:], "&{"):
				nest++
				j++
			case value[j] == '}' && nest > 0:
				nest--
			case value[j] == '}':
				end = j
			case value[j] == '|' && nest == 0 && bar < 0:
				bar = j
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return "", fmt.Errorf("%q: an expression &{ without its }", value)
		}
		name, def, hasDef := value[i+2:end], "", false
		if bar >= 0 {
			name, def, hasDef = value[i+2:bar], value[bar+1:end], true
		}
		var got string
		if v, _, ok := p.Get(name); ok {
			r, err := p.resolve(v, vars, depth+1)
			if err != nil {
				return "", err
			}
			got = r
		} else if v, ok := vars[name]; ok {
			got = v
		} else if hasDef {
			r, err := p.resolve(def, vars, depth+1)
			if err != nil {
				return "", err
			}
			got = r
		} else {
			return "", fmt.Errorf("&{%s} is not set in the file, and has no default", name)
		}
		b.WriteString(got)
		value = value[end+1:]
	}
}

// PasswordForm is how a password is written in boot.properties.
type PasswordForm string

const (
	PlainPassword      PasswordForm = "plain"      // as it is
	ObfuscatedPassword PasswordForm = "OBF:"       // Jetty's reversible obfuscation
	CryptPassword      PasswordForm = "CRYPT:"     // OpenIDM's AES form, with a key built into OpenIDM
	ConsolePassword    PasswordForm = "CONSOLE"    // asked at the console when IDM starts
	ExpressionPassword PasswordForm = "expression" // &{...}, resolved from elsewhere
)

// crypt key of OpenIDM's crypto bundle (org.forgerock.openidm.crypto, class
// Main, NON_SECRET_KEY): every OpenIDM since 2011 encrypts CRYPT: values
// with this one public key, AES in ECB mode with PKCS#5 padding, written in
// hex. CRYPT: therefore hides the password from a glance, not from anyone
// who has the file.
var openidmCryptKey = []byte{0xce, 0x32, 0xf0, 0xe6, 0x9d, 0xc3, 0x5e, 0x2d, 0x1a, 0x4b, 0xd9, 0xd4, 0xd0, 0xb5, 0x28, 0x04}

// DecodePassword reads a password property as IDM does: OBF: and CRYPT:
// are decoded; CONSOLE (IDM prompts at start-up) and &{...} expressions
// cannot be, and give their form with an error saying so.
func DecodePassword(v string) (string, PasswordForm, error) {
	switch {
	case strings.HasPrefix(v, "OBF:"):
		s, err := Deobfuscate(v)
		return s, ObfuscatedPassword, err
	case strings.HasPrefix(v, "CRYPT:"):
		s, err := DecryptCRYPT(v)
		return s, CryptPassword, err
	case strings.EqualFold(v, "CONSOLE"):
		return "", ConsolePassword, errors.New("CONSOLE: IDM asks for the password when it starts, so the file does not hold it")
	case strings.Contains(v, "&{"):
		return "", ExpressionPassword, fmt.Errorf("%q is an expression that IDM resolves at start-up", v)
	}
	return v, PlainPassword, nil
}

// Deobfuscate decodes Jetty's OBF: form: four base-36 digits per byte, or
// U and four digits for a byte that is not ASCII (Jetty 9 and later).
func Deobfuscate(s string) (string, error) {
	s = strings.TrimPrefix(s, "OBF:")
	var out []byte
	for i := 0; i < len(s); {
		wide := s[i] == 'U'
		if wide {
			i++
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("OBF: value cut short at character %d (groups of 4 base-36 digits expected)", i)
		}
		n, err := strconv.ParseUint(s[i:i+4], 36, 32)
		if err != nil {
			return "", fmt.Errorf("OBF: value has %q at character %d, not base-36 digits", s[i:i+4], i)
		}
		if wide {
			out = append(out, byte(n>>8))
		} else {
			i1, i2 := int(n/256), int(n%256)
			out = append(out, byte((i1+i2-254)/2))
		}
		i += 4
	}
	return string(out), nil
}

// DecryptCRYPT decodes OpenIDM's CRYPT: form.
func DecryptCRYPT(s string) (string, error) {
	data, err := hex.DecodeString(strings.TrimPrefix(s, "CRYPT:"))
	if err != nil || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return "", errors.New("CRYPT: value is not whole AES blocks in hex")
	}
	block, _ := aes.NewCipher(openidmCryptKey)
	plain := make([]byte, len(data))
	for i := 0; i < len(data); i += aes.BlockSize {
		block.Decrypt(plain[i:], data[i:])
	}
	n := int(plain[len(plain)-1])
	if n < 1 || n > aes.BlockSize || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return "", errors.New("CRYPT: value does not decrypt with OpenIDM's built-in key: it was written with another key (another product or version)")
	}
	return string(plain[:len(plain)-n]), nil
}
