package amjson

import (
	"fmt"
	"strings"
)

// Pointer is an RFC 6901 JSON Pointer split into its reference tokens,
// already unescaped. The empty Pointer is the whole document.
type Pointer []string

// ParsePointer reads a JSON Pointer such as "/data/ou/0". Errors say how to
// fix the text, because pointers are typed by hand in rule files.
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("invalid JSON pointer %q: it must be empty (the whole document) or start with '/'", s)
	}
	segs := strings.Split(s[1:], "/")
	for i, seg := range segs {
		if !strings.Contains(seg, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			if c != '~' {
				b.WriteByte(c)
				continue
			}
			if j+1 < len(seg) && seg[j+1] == '0' {
				b.WriteByte('~')
			} else if j+1 < len(seg) && seg[j+1] == '1' {
				b.WriteByte('/')
			} else {
				return nil, fmt.Errorf("invalid JSON pointer %q: '~' must be followed by '0' or '1'; write '~0' for a literal '~' and '~1' for a '/' inside a key", s)
			}
			j++
		}
		segs[i] = b.String()
	}
	return Pointer(segs), nil
}

// String returns the pointer text; ParsePointer(p.String()) gives p back.
func (p Pointer) String() string {
	var b strings.Builder
	for _, seg := range p {
		b.WriteByte('/')
		// '~' first, or the '~' of a freshly written "~1" would be escaped again.
		seg = strings.ReplaceAll(seg, "~", "~0")
		seg = strings.ReplaceAll(seg, "/", "~1")
		b.WriteString(seg)
	}
	return b.String()
}

// At returns the value p points to, or nil when there is none. Array
// indexes are plain decimals ("0", "12"); "-" (the slot past the end),
// leading zeros and out-of-range indexes point to nothing.
func (v *Value) At(p Pointer) *Value {
	for _, seg := range p {
		if v == nil {
			return nil
		}
		switch v.Kind {
		case Object:
			v = v.Get(seg)
		case Array:
			i, ok := pointerIndex(seg, len(v.Items))
			if !ok {
				return nil
			}
			v = v.Items[i]
		default:
			return nil
		}
	}
	return v
}

// pointerIndex parses seg as an index below n, by hand: strconv.Atoi would
// accept "+1" and "01", which RFC 6901 does not.
func pointerIndex(seg string, n int) (int, bool) {
	if seg == "" || (len(seg) > 1 && seg[0] == '0') {
		return 0, false
	}
	i := 0
	for j := 0; j < len(seg); j++ {
		c := seg[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
		if i >= n {
			return 0, false
		}
	}
	return i, true
}
