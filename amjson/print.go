package amjson

// PrintOptions selects between the two layouts found in AM trees.
type PrintOptions struct {
	// PrettyArrays puts each array element on its own line, as the vendor
	// upgrade tool does with --prettyArrays. Without it arrays are written
	// inline, as AM itself writes them.
	PrettyArrays bool
}

// AppendJSON appends v in the layout of Jackson's DefaultPrettyPrinter, the
// one AM and the vendor upgrade tool write, followed by one newline. Files
// written this way show no diff against the ones those tools write, so a
// reviewer sees only real changes. A nil *Value is written as null.
//
// Jackson indents by a nesting level that only objects raise (and arrays,
// with PrettyArrays): an object inside an inline array is indented one step
// deeper than the line holding the '[', not two.
func AppendJSON(dst []byte, v *Value, opts PrintOptions) []byte {
	dst = appendValueJSON(dst, v, 0, opts.PrettyArrays)
	return append(dst, '\n')
}

func appendValueJSON(dst []byte, v *Value, nest int, pretty bool) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return append(dst, v.Text...)
	case String:
		return appendJSONString(dst, v.Text)
	case Array:
		if pretty {
			if len(v.Items) == 0 {
				return appendEmptyPrettyArray(dst, nest)
			}
			dst = append(dst, '[')
			for i, it := range v.Items {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendNewlineIndent(dst, nest+1)
				dst = appendValueJSON(dst, it, nest+1, pretty)
			}
			dst = appendNewlineIndent(dst, nest)
			return append(dst, ']')
		}
		if len(v.Items) == 0 {
			return append(dst, "[ ]"...)
		}
		dst = append(dst, "[ "...)
		for i, it := range v.Items {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendValueJSON(dst, it, nest, pretty)
		}
		return append(dst, " ]"...)
	case Object:
		if len(v.Members) == 0 {
			return append(dst, "{ }"...)
		}
		dst = append(dst, '{')
		for i, m := range v.Members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendNewlineIndent(dst, nest+1)
			dst = appendJSONString(dst, m.Key)
			dst = append(dst, " : "...)
			dst = appendValueJSON(dst, m.Value, nest+1, pretty)
		}
		dst = appendNewlineIndent(dst, nest)
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// appendEmptyPrettyArray writes an empty array the way the vendor tool does
// with --prettyArrays: not "[ ]" but an opening line, a line holding only
// the element indentation, and the closing line.
func appendEmptyPrettyArray(dst []byte, nest int) []byte {
	dst = append(dst, '[')
	dst = appendNewlineIndent(dst, nest+1)
	dst = appendNewlineIndent(dst, nest)
	return append(dst, ']')
}

// newlineSpaces serves indentation as one slice copy for any depth a real
// file reaches.
const newlineSpaces = "\n                                                                                                                                "

func appendNewlineIndent(dst []byte, nest int) []byte {
	n := 1 + 2*nest
	if n <= len(newlineSpaces) {
		return append(dst, newlineSpaces[:n]...)
	}
	dst = append(dst, newlineSpaces...)
	for n -= len(newlineSpaces); n > 0; n-- {
		dst = append(dst, ' ')
	}
	return dst
}

// jsonEscape marks the bytes that appendJSONString cannot copy as they are:
// 1 for '"', '\\' and control characters, 2 for the start of a multi-byte
// UTF-8 sequence, which must be checked.
var jsonEscape = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	t['"'], t['\\'] = 1, 1
	for c := 0x80; c < 0x100; c++ {
		t[c] = 2
	}
	return t
}()

const jsonHexUpper = "0123456789ABCDEF"

// appendJSONString writes s quoted the way Jackson does: the short escapes
// for '"', '\\', \b \f \n \r \t, \u00XX with uppercase hex for the other
// control characters, and everything else as raw UTF-8 ('/', '<', '&' and
// non-ASCII are not escaped). Invalid UTF-8, which only a rule could have
// put there, becomes U+FFFD so the output is always valid JSON.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		e := jsonEscape[c]
		if e == 0 {
			i++
			continue
		}
		if e == 2 {
			if size := utf8Len(s, i); size > 0 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', jsonHexUpper[c>>4], jsonHexUpper[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// utf8Len returns the length of the valid UTF-8 sequence starting at s[i],
// or 0 if there is none (bad lead byte, truncated, overlong, surrogate or
// above U+10FFFF). It is utf8.DecodeRune for both strings and byte slices,
// without the conversion.
func utf8Len[T string | []byte](s T, i int) int {
	c := s[i]
	n := len(s) - i
	switch {
	case c < 0x80:
		return 1
	case c < 0xC2:
		return 0
	case c < 0xE0:
		if n < 2 || s[i+1]&0xC0 != 0x80 {
			return 0
		}
		return 2
	case c < 0xF0:
		if n < 3 || s[i+2]&0xC0 != 0x80 {
			return 0
		}
		lo, hi := byte(0x80), byte(0xBF)
		if c == 0xE0 {
			lo = 0xA0 // overlong
		} else if c == 0xED {
			hi = 0x9F // UTF-16 surrogates
		}
		if c1 := s[i+1]; c1 < lo || c1 > hi {
			return 0
		}
		return 3
	case c < 0xF5:
		if n < 4 || s[i+2]&0xC0 != 0x80 || s[i+3]&0xC0 != 0x80 {
			return 0
		}
		lo, hi := byte(0x80), byte(0xBF)
		if c == 0xF0 {
			lo = 0x90 // overlong
		} else if c == 0xF4 {
			hi = 0x8F // above U+10FFFF
		}
		if c1 := s[i+1]; c1 < lo || c1 > hi {
			return 0
		}
		return 4
	}
	return 0
}
