package ldif

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// AVA is one attribute type and value of an RDN, the value unescaped.
type AVA struct {
	Type, Value string
}

// RDN is one relative distinguished name: usually one AVA, several when the
// RDN is multi-valued (cn=a+sn=b).
type RDN []AVA

// DN is a distinguished name, its RDNs in the order written: the entry's own
// RDN first, the suffix last.
type DN []RDN

// DNError is a distinguished name that does not parse; Offset is the byte
// offset of the problem in the text.
type DNError struct {
	Offset int
	Msg    string
}

func (e *DNError) Error() string { return e.Msg }

// ParseDN reads a distinguished name in the string form of RFC 4514.
// Escapes (\, and \2C) are decoded; '=' inside a value needs no escape, so
// "ou=ou=am-config^^AgentLogging" is one RDN whose value holds '='. Spaces
// around ',', '+' and '=' are ignored, as directory servers do. The empty
// string is the empty DN.
func ParseDN(s string) (DN, error) {
	var dn DN
	if strings.TrimSpace(s) == "" {
		return dn, nil
	}
	var rdn RDN
	i := 0
	for {
		// attribute type
		for i < len(s) && s[i] == ' ' {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != '+' {
			i++
		}
		typ := strings.TrimRight(s[start:i], " ")
		if i >= len(s) || s[i] != '=' {
			return nil, &DNError{Offset: start, Msg: fmt.Sprintf("%q has no '=': each RDN is type=value", s[start:i])}
		}
		if !validType(typ) {
			return nil, &DNError{Offset: start, Msg: fmt.Sprintf("%q is not an attribute type (letters, digits and '-', or an OID)", typ)}
		}
		i++ // '='
		for i < len(s) && s[i] == ' ' {
			i++
		}
		val, next, err := dnValue(s, i)
		if err != nil {
			return nil, err
		}
		i = next
		rdn = append(rdn, AVA{Type: typ, Value: val})
		if i >= len(s) {
			dn = append(dn, rdn)
			return dn, nil
		}
		switch s[i] {
		case '+':
			i++
		case ',', ';':
			dn = append(dn, rdn)
			rdn = nil
			i++
		}
	}
}

// dnValue reads a value from s[i:] up to an unescaped ',', ';' or '+', and
// returns it unescaped, with the index of the separator (or len(s)).
func dnValue(s string, i int) (string, int, error) {
	if i < len(s) && s[i] == '"' { // the quoted form of RFC 1779 and 2253
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				if j+1 >= len(s) {
					return "", 0, &DNError{Offset: j, Msg: "a '\\' ends the DN: escape it as \\5C"}
				}
				j++
				b.WriteByte(s[j])
			case '"':
				j++
				for j < len(s) && s[j] == ' ' {
					j++
				}
				if j < len(s) && s[j] != ',' && s[j] != ';' && s[j] != '+' {
					return "", 0, &DNError{Offset: j, Msg: "text after a quoted value: put ',' between RDNs"}
				}
				return b.String(), j, nil
			default:
				b.WriteByte(s[j])
			}
		}
		return "", 0, &DNError{Offset: i, Msg: "a quoted value is not closed with '\"'"}
	}
	var b []byte
	plain := true // no escape seen: the value is a substring of s
	start, lastKept := i, i
	for i < len(s) {
		c := s[i]
		if c == ',' || c == ';' || c == '+' {
			break
		}
		if c == '\\' {
			if plain {
				b = append(b, s[start:i]...)
				plain = false
			}
			if i+1 >= len(s) {
				return "", 0, &DNError{Offset: i, Msg: "a '\\' ends the DN: escape it as \\5C"}
			}
			if h, ok := hexByte(s, i+1); ok {
				b = append(b, h)
				i += 3
			} else {
				b = append(b, s[i+1])
				i += 2
			}
			lastKept = len(b)
			continue
		}
		if !plain {
			b = append(b, c)
			if c != ' ' {
				lastKept = len(b)
			}
		} else if c != ' ' {
			lastKept = i + 1
		}
		i++
	}
	if plain {
		// Unescaped trailing spaces are not part of the value.
		return s[start:max(lastKept, start)], i, nil
	}
	v := b[:lastKept]
	if !utf8.Valid(v) {
		return "", 0, &DNError{Offset: start, Msg: "the escaped bytes of this value are not UTF-8"}
	}
	return string(v), i, nil
}

func hexByte(s string, i int) (byte, bool) {
	if i+1 >= len(s) {
		return 0, false
	}
	h, ok1 := unhex(s[i])
	l, ok2 := unhex(s[i+1])
	return h<<4 | l, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// validType reports whether s is an attribute type: a name (a letter, then
// letters, digits and '-') or a numeric OID.
func validType(s string) bool {
	if s == "" {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' {
		dot := true
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '.':
				if dot {
					return false
				}
				dot = true
			case c >= '0' && c <= '9':
				dot = false
			default:
				return false
			}
		}
		return !dot
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// String writes the DN in RFC 4514 form, escaping what must be escaped.
func (d DN) String() string {
	var b strings.Builder
	for i, rdn := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, ava := range rdn {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(ava.Type)
			b.WriteByte('=')
			escapeValue(&b, ava.Value)
		}
	}
	return b.String()
}

func escapeValue(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';':
			b.WriteByte('\\')
			b.WriteByte(c)
		case (c == ' ' || c == '#') && i == 0, c == ' ' && i == len(v)-1:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == 0:
			b.WriteString(`\00`)
		default:
			b.WriteByte(c)
		}
	}
}

// Norm is the DN in a form that compares equal for names a directory server
// holds as one: types and values lower-cased (the configuration store's
// naming attributes, ou and o, match ignoring case).
func (d DN) Norm() string {
	var b strings.Builder
	for i, rdn := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		rdn.norm(&b)
	}
	return b.String()
}

func (r RDN) norm(b *strings.Builder) {
	for j, ava := range r {
		if j > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strings.ToLower(ava.Type))
		b.WriteByte('=')
		escapeValue(b, strings.ToLower(ava.Value))
	}
}

// Is reports whether the RDN is the single AVA typ=value, ignoring case.
func (r RDN) Is(typ, value string) bool {
	return len(r) == 1 && strings.EqualFold(r[0].Type, typ) && strings.EqualFold(r[0].Value, value)
}

// Of returns the value of a single-AVA RDN of type typ, and whether it is one.
func (r RDN) Of(typ string) (string, bool) {
	if len(r) == 1 && strings.EqualFold(r[0].Type, typ) {
		return r[0].Value, true
	}
	return "", false
}

// Value is the value of the RDN's first AVA (multi-valued RDNs are rare in
// configuration stores).
func (r RDN) Value() string {
	if len(r) == 0 {
		return ""
	}
	return r[0].Value
}

// HasSuffix reports whether d ends with the RDNs of suffix, ignoring case.
func (d DN) HasSuffix(suffix DN) bool {
	if len(suffix) > len(d) {
		return false
	}
	off := len(d) - len(suffix)
	for i, rdn := range suffix {
		if !rdnEqual(d[off+i], rdn) {
			return false
		}
	}
	return true
}

func rdnEqual(a, b RDN) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i].Type, b[i].Type) || !strings.EqualFold(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}
