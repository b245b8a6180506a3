package amjson

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest. AM files nest a
// dozen levels at most; the limit turns a hostile or corrupt file into an
// error instead of a stack overflow.
const MaxDepth = 512

// SyntaxError reports malformed JSON. Line and Column are 1-based and the
// column counts characters, not bytes, so it matches what an editor shows.
type SyntaxError struct {
	Offset       int // byte offset into the input
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Parse reads one JSON document under strict RFC 8259: no comments,
// trailing commas, NaN, single quotes, leading zeros, raw control
// characters, lone surrogates, invalid UTF-8 or duplicate keys. AM reads
// such files leniently or not at all, so the upgrade refuses them with a
// message that says how to fix the file. A leading UTF-8 byte order mark is
// skipped, as Jackson does.
//
// Numbers keep their token text, and object members their order. The
// tree's strings share one copy of data, so the caller may reuse data.
func Parse(data []byte) (*Value, error) {
	s := getJSONScanner(data)
	defer putJSONScanner(s)
	s.src = string(data)
	if err := s.begin(); err != nil {
		return nil, err
	}
	v, err := s.parseValue(0, 0, -1)
	if err != nil {
		return nil, err
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// Reformat appends src written as AppendJSON(dst, Parse(src), opts) would
// write it, and fails with the same errors as Parse, but without building a
// tree: most files of an upgrade are touched by no rule and only need to be
// checked and written back in the house layout. On error it returns dst
// unchanged.
func Reformat(dst, src []byte, opts PrintOptions) ([]byte, error) {
	s := getJSONScanner(src)
	defer putJSONScanner(s)
	s.out = dst
	s.pretty = opts.PrettyArrays
	if err := s.begin(); err != nil {
		return dst, err
	}
	if err := s.printValue(0, 0, 0, -1); err != nil {
		return dst, err
	}
	if err := s.end(); err != nil {
		return dst, err
	}
	return append(s.out, '\n'), nil
}

// jsonScanner holds the state of one Parse or Reformat call. Both share the
// lexing and every error message, so the two paths cannot disagree about
// what is valid.
type jsonScanner struct {
	data []byte
	pos  int
	bom  int // length of a leading byte order mark, which has no column

	keys []jsonKey // keys of every open object, innermost last
	buf  []byte    // decoded text of the current escaped string
	buf2 []byte    // decoded text of an earlier key, to confirm a duplicate

	// Parse only.
	src     string   // data as a string, so strings and numbers can share it
	items   []*Value // elements of the open arrays, innermost last
	members []Member // members of the open objects, innermost last
	// Nodes, members and elements are carved out of slabs: a tree costs a
	// few allocations instead of several per value, which is most of the
	// cost of parsing.
	valueSlab  []Value
	memberSlab []Member
	itemSlab   []*Value

	// Reformat only.
	out    []byte
	pretty bool
}

var jsonScanners = sync.Pool{New: func() any { return new(jsonScanner) }}

func getJSONScanner(data []byte) *jsonScanner {
	s := jsonScanners.Get().(*jsonScanner)
	s.data = data
	return s
}

// putJSONScanner keeps the scratch stacks for the next call but drops
// every reference into the caller's data or tree.
func putJSONScanner(s *jsonScanner) {
	clear(s.items[:cap(s.items)])
	clear(s.members[:cap(s.members)])
	*s = jsonScanner{
		keys:    s.keys[:0],
		buf:     s.buf[:0],
		buf2:    s.buf2[:0],
		items:   s.items[:0],
		members: s.members[:0],
	}
	if cap(s.buf) > 1<<20 || cap(s.buf2) > 1<<20 || cap(s.keys) > 1<<14 || cap(s.items) > 1<<14 || cap(s.members) > 1<<14 {
		return // an outsized input: let the GC have the buffers
	}
	jsonScanners.Put(s)
}

func (s *jsonScanner) begin() error {
	d := s.data
	if bytes.HasPrefix(d, []byte("\xEF\xBB\xBF")) {
		s.pos, s.bom = 3, 3
	} else if bytes.HasPrefix(d, []byte("\xFF\xFE")) || bytes.HasPrefix(d, []byte("\xFE\xFF")) {
		return s.errAt(0, "file is UTF-16 encoded: save it as UTF-8")
	}
	s.skipWS()
	return nil
}

func (s *jsonScanner) end() error {
	s.skipWS()
	if s.pos < len(s.data) {
		return s.unexpected(s.pos, " after the end of the JSON value: a file holds one value; remove what follows it")
	}
	return nil
}

// ---- Parse ----

// Slab sizes follow the input still to read (plus, for members and
// elements, those of the open containers, which are carved when they
// close), at the density of real AM files: a value per 38 bytes, a member
// per 53, an array element per 150. Erring low costs another slab; erring
// high wastes the tail of the last.
const (
	bytesPerValue  = 40
	bytesPerMember = 60
	bytesPerItem   = 160
	maxSlab        = 4096
)

func (s *jsonScanner) newValue(k Kind) *Value {
	if len(s.valueSlab) == 0 {
		s.valueSlab = make([]Value, min((len(s.data)-s.pos)/bytesPerValue+4, maxSlab))
	}
	v := &s.valueSlab[0]
	s.valueSlab = s.valueSlab[1:]
	v.Kind = k
	return v
}

// carveSlab returns a copy of src in memory taken from *slab. The copy's
// capacity is its length, so appending to it never writes into the slab.
func carveSlab[T any](slab *[]T, src []T, size int) []T {
	n := len(src)
	if n > len(*slab) {
		size = min(size, maxSlab)
		if n > size/2 {
			return slices.Clone(src) // too big to share a slab
		}
		*slab = make([]T, size)
	}
	out := (*slab)[:n:n]
	*slab = (*slab)[n:]
	copy(out, src)
	return out
}

// parseValue reads the value at s.pos. closer is the bracket that closes
// the enclosing container (0 at the top) and comma the offset of the comma
// before the value (-1 if none); both only serve error messages.
func (s *jsonScanner) parseValue(depth int, closer byte, comma int) (*Value, error) {
	if s.pos >= len(s.data) {
		return nil, s.valueErr(closer, comma)
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		start, end, esc, err := s.scanString()
		if err != nil {
			return nil, err
		}
		v := s.newValue(String)
		v.Text = s.text(start, end, esc)
		return v, nil
	case c == '{':
		return s.parseObject(depth)
	case c == '[':
		return s.parseArray(depth)
	case c == '-' || isJSONDigit(c):
		start, err := s.scanNumber()
		if err != nil {
			return nil, err
		}
		v := s.newValue(Number)
		v.Text = s.src[start:s.pos]
		return v, nil
	case isJSONLetter(c):
		k, b, err := s.scanWord()
		if err != nil {
			return nil, err
		}
		v := s.newValue(k)
		v.Bool = b
		return v, nil
	}
	return nil, s.valueErr(closer, comma)
}

func (s *jsonScanner) parseObject(depth int) (*Value, error) {
	open := s.pos
	if depth >= MaxDepth {
		return nil, s.depthErr()
	}
	s.pos++
	s.skipWS()
	v := s.newValue(Object)
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return v, nil
	}
	keys := jsonKeyFrame{base: len(s.keys)}
	base := len(s.members)
	comma := -1
	for {
		key, err := s.scanKey(&keys, comma)
		if err != nil {
			return nil, err
		}
		name := s.src[key.off+1 : key.end]
		if key.esc {
			name = string(s.buf)
		}
		val, err := s.parseValue(depth+1, '}', -1)
		if err != nil {
			return nil, err
		}
		s.members = append(s.members, Member{Key: name, Value: val})
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			comma = s.pos
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			break
		}
		return nil, s.afterValueErr(open, '}')
	}
	v.Members = carveSlab(&s.memberSlab, s.members[base:], (len(s.data)-s.pos)/bytesPerMember+len(s.members)+4)
	clear(s.members[base:])
	s.members = s.members[:base]
	s.keys = s.keys[:keys.base]
	return v, nil
}

func (s *jsonScanner) parseArray(depth int) (*Value, error) {
	open := s.pos
	if depth >= MaxDepth {
		return nil, s.depthErr()
	}
	s.pos++
	s.skipWS()
	v := s.newValue(Array)
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return v, nil
	}
	base := len(s.items)
	comma := -1
	for {
		it, err := s.parseValue(depth+1, ']', comma)
		if err != nil {
			return nil, err
		}
		s.items = append(s.items, it)
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			comma = s.pos
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			break
		}
		return nil, s.afterValueErr(open, ']')
	}
	v.Items = carveSlab(&s.itemSlab, s.items[base:], (len(s.data)-s.pos)/bytesPerItem+len(s.items)+2)
	clear(s.items[base:])
	s.items = s.items[:base]
	return v, nil
}

// text returns the decoded string between data[start:end]. Strings without
// escapes, nearly all of them in AM files, share the memory of s.src.
func (s *jsonScanner) text(start, end int, esc bool) string {
	if !esc {
		return s.src[start:end]
	}
	s.buf = decodeJSONString(s.buf[:0], s.data[start:end])
	return string(s.buf)
}

// ---- Reformat ----

// printValue is parseValue writing to s.out instead of building a tree.
// nest is the indentation level, which only objects raise (and arrays with
// PrettyArrays), while depth counts every container for MaxDepth.
func (s *jsonScanner) printValue(depth, nest int, closer byte, comma int) error {
	if s.pos >= len(s.data) {
		return s.valueErr(closer, comma)
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		start, end, esc, err := s.scanString()
		if err != nil {
			return err
		}
		s.printString(start, end, esc)
		return nil
	case c == '{':
		return s.printObject(depth, nest)
	case c == '[':
		return s.printArray(depth, nest)
	case c == '-' || isJSONDigit(c):
		start, err := s.scanNumber()
		if err != nil {
			return err
		}
		s.out = append(s.out, s.data[start:s.pos]...)
		return nil
	case isJSONLetter(c):
		k, b, err := s.scanWord()
		if err != nil {
			return err
		}
		switch {
		case k == Null:
			s.out = append(s.out, "null"...)
		case b:
			s.out = append(s.out, "true"...)
		default:
			s.out = append(s.out, "false"...)
		}
		return nil
	}
	return s.valueErr(closer, comma)
}

// printString writes the string whose content is data[start:end]. Without
// escapes the source bytes are already what appendJSONString would write:
// scanString has rejected control characters and invalid UTF-8.
func (s *jsonScanner) printString(start, end int, esc bool) {
	if !esc {
		s.out = append(s.out, s.data[start-1:end+1]...)
		return
	}
	s.buf = decodeJSONString(s.buf[:0], s.data[start:end])
	s.out = appendJSONString(s.out, s.buf)
}

func (s *jsonScanner) printObject(depth, nest int) error {
	open := s.pos
	if depth >= MaxDepth {
		return s.depthErr()
	}
	s.pos++
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.out = append(s.out, "{ }"...)
		return nil
	}
	s.out = append(s.out, '{')
	keys := jsonKeyFrame{base: len(s.keys)}
	comma := -1
	for {
		key, err := s.scanKey(&keys, comma)
		if err != nil {
			return err
		}
		s.out = appendNewlineIndent(s.out, nest+1)
		if key.esc {
			s.out = appendJSONString(s.out, s.buf)
		} else {
			s.out = append(s.out, s.data[key.off:key.end+1]...)
		}
		s.out = append(s.out, " : "...)
		if err := s.printValue(depth+1, nest+1, '}', -1); err != nil {
			return err
		}
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.out = append(s.out, ',')
			comma = s.pos
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			break
		}
		return s.afterValueErr(open, '}')
	}
	s.keys = s.keys[:keys.base]
	s.out = appendNewlineIndent(s.out, nest)
	s.out = append(s.out, '}')
	return nil
}

func (s *jsonScanner) printArray(depth, nest int) error {
	open := s.pos
	if depth >= MaxDepth {
		return s.depthErr()
	}
	s.pos++
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		if s.pretty {
			s.out = appendEmptyPrettyArray(s.out, nest)
		} else {
			s.out = append(s.out, "[ ]"...)
		}
		return nil
	}
	inner := nest
	if s.pretty {
		inner++
		s.out = append(s.out, '[')
		s.out = appendNewlineIndent(s.out, inner)
	} else {
		s.out = append(s.out, "[ "...)
	}
	comma := -1
	for {
		if err := s.printValue(depth+1, inner, ']', comma); err != nil {
			return err
		}
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			if s.pretty {
				s.out = append(s.out, ',')
				s.out = appendNewlineIndent(s.out, inner)
			} else {
				s.out = append(s.out, ", "...)
			}
			comma = s.pos
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			break
		}
		return s.afterValueErr(open, ']')
	}
	if s.pretty {
		s.out = appendNewlineIndent(s.out, nest)
		s.out = append(s.out, ']')
	} else {
		s.out = append(s.out, " ]"...)
	}
	return nil
}

// ---- Keys ----

// jsonKey is a key of an open object: where it stands and a hash of its
// decoded text.
type jsonKey struct {
	hash     uint64
	off, end int // the opening and closing quote
	esc      bool
}

// jsonKeyFrame is the set of keys of one open object: s.keys[base:], plus an
// index once the object is too big for a linear scan.
type jsonKeyFrame struct {
	base  int
	index map[uint64]int
}

// jsonKeyIndexAt is the member count from which duplicate checks use a map.
// AM objects rarely reach it, so they cost no allocation.
const jsonKeyIndexAt = 32

var jsonKeySeed = maphash.MakeSeed()

// scanKey reads an object key and the ':' after it, and checks the key is
// not a duplicate. When it has escapes, its decoded text is left in s.buf.
func (s *jsonScanner) scanKey(f *jsonKeyFrame, comma int) (jsonKey, error) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return jsonKey{}, s.keyErr(comma)
	}
	off := s.pos
	start, end, esc, err := s.scanString()
	if err != nil {
		return jsonKey{}, err
	}
	key := s.data[start:end]
	if esc {
		s.buf = decodeJSONString(s.buf[:0], key)
		key = s.buf
	}
	e := jsonKey{hash: maphash.Bytes(jsonKeySeed, key), off: off, end: end, esc: esc}
	if first := s.findKey(f, e.hash, key); first >= 0 {
		line, col := s.position(first)
		return jsonKey{}, s.errAt(off, "duplicate key %s (first at line %d, column %d): remove one of them", strconv.Quote(string(key)), line, col)
	}
	if f.index != nil {
		if _, ok := f.index[e.hash]; !ok {
			f.index[e.hash] = len(s.keys) - f.base
		}
	}
	s.keys = append(s.keys, e)

	s.skipWS()
	if s.pos >= len(s.data) {
		return jsonKey{}, s.eofErr('}')
	}
	if s.data[s.pos] != ':' {
		return jsonKey{}, s.unexpected(s.pos, fmt.Sprintf(" after key %s: expected ':'", strconv.Quote(string(key))))
	}
	s.pos++
	s.skipWS()
	return e, nil
}

// findKey returns the offset of an earlier key of the object equal to key,
// or -1.
func (s *jsonScanner) findKey(f *jsonKeyFrame, hash uint64, key []byte) int {
	open := s.keys[f.base:]
	if f.index == nil && len(open) >= jsonKeyIndexAt {
		f.index = make(map[uint64]int, 2*len(open))
		for i := len(open) - 1; i >= 0; i-- {
			f.index[open[i].hash] = i
		}
	}
	if f.index != nil {
		i, ok := f.index[hash]
		if !ok {
			return -1
		}
		if s.sameKey(open[i], key) {
			return open[i].off
		}
		// Two keys share a 64-bit hash: check them all rather than trust it.
	}
	for _, e := range open {
		if e.hash == hash && s.sameKey(e, key) {
			return e.off
		}
	}
	return -1
}

func (s *jsonScanner) sameKey(e jsonKey, key []byte) bool {
	raw := s.data[e.off+1 : e.end]
	if !e.esc {
		return bytes.Equal(raw, key)
	}
	s.buf2 = decodeJSONString(s.buf2[:0], raw)
	return bytes.Equal(s.buf2, key)
}

// ---- Lexing ----

func (s *jsonScanner) skipWS() {
	d, i := s.data, s.pos
	for i < len(d) {
		switch d[i] {
		case ' ', '\n', '\t', '\r':
			i++
			continue
		}
		break
	}
	s.pos = i
}

// jsonStrPlain marks the bytes a string can hold as they are; the others need
// a closer look: '"', '\\', control characters and non-ASCII.
var jsonStrPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// scanString checks the string whose opening quote is at s.pos and moves
// past it. The content is data[start:end]; esc tells whether it holds
// escapes and so must be decoded.
func (s *jsonScanner) scanString() (start, end int, esc bool, err error) {
	d := s.data
	start = s.pos + 1
	i := start
	for {
		for i < len(d) && jsonStrPlain[d[i]] {
			i++
		}
		if i >= len(d) {
			return 0, 0, false, s.errAt(len(d), "unexpected end of file in a string: the file is truncated or a closing '\"' is missing")
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return start, i, esc, nil
		case c == '\\':
			esc = true
			n, err := s.checkEscape(i)
			if err != nil {
				return 0, 0, false, err
			}
			i += n
		case c < 0x20:
			return 0, 0, false, s.controlErr(i)
		default:
			n := utf8Len(d, i)
			if n == 0 {
				return 0, 0, false, s.errAt(i, "invalid UTF-8 byte 0x%02x in string: the file must be UTF-8 encoded; convert it to UTF-8", c)
			}
			i += n
		}
	}
}

// checkEscape checks the escape whose backslash is at i and returns its
// length.
func (s *jsonScanner) checkEscape(i int) (int, error) {
	d := s.data
	if i+1 >= len(d) {
		return 0, s.errAt(len(d), "unexpected end of file in a string: the file is truncated or a closing '\"' is missing")
	}
	switch c := d[i+1]; c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		r, ok := jsonHex4(d, i+2)
		if !ok {
			if i+6 > len(d) && jsonAllHex(d[i+2:]) {
				return 0, s.errAt(len(d), "unexpected end of file in a string: the file is truncated or a closing '\"' is missing")
			}
			// The characters after \u are the string's own: not quoted.
			return 0, s.errAt(i, "invalid escape '\\u' in string: \\u must be followed by four hex digits")
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00:
			if i+7 < len(d) && d[i+6] == '\\' && d[i+7] == 'u' {
				if r2, ok := jsonHex4(d, i+8); ok && 0xDC00 <= r2 && r2 <= 0xDFFF {
					return 12, nil
				}
			}
			return 0, s.surrogateErr(i)
		case utf16.IsSurrogate(r):
			return 0, s.surrogateErr(i)
		}
		return 6, nil
	default:
		if c < 0x80 && strconv.IsPrint(rune(c)) {
			return 0, s.errAt(i, "invalid escape '\\%c' in string; write '\\\\' for a backslash", c)
		}
		if c >= 0x80 {
			if utf8Len(d, i+1) == 0 {
				return 0, s.errAt(i+1, "invalid UTF-8 byte 0x%02x in string: the file must be UTF-8 encoded; convert it to UTF-8", c)
			}
			r, _ := utf8.DecodeRune(d[i+1:])
			if unicode.IsPrint(r) {
				return 0, s.errAt(i, "invalid escape '\\%c' in string; write '\\\\' for a backslash", r)
			}
			return 0, s.errAt(i, "invalid escape in string: '\\' followed by U+%04X; write '\\\\' for a backslash", r)
		}
		return 0, s.errAt(i, "invalid escape in string: '\\' followed by U+%04X; write '\\\\' for a backslash", c)
	}
}

func (s *jsonScanner) surrogateErr(i int) error {
	return s.errAt(i, "invalid escape '%s' in string: a lone UTF-16 surrogate is not a character; pair it with a low surrogate \\uDC00-\\uDFFF, or write the character itself", s.data[i:i+6])
}

func (s *jsonScanner) controlErr(i int) error {
	switch c := s.data[i]; c {
	case '\n':
		return s.errAt(i, "line break in string: a string cannot span lines; write it as \\n, or add the missing closing '\"'")
	case '\r':
		return s.errAt(i, "carriage return in string: write it as \\r")
	case '\t':
		return s.errAt(i, "tab character in string: write it as \\t")
	default:
		return s.errAt(i, "control character U+%04X in string: write it as \\u%04X", c, c)
	}
}

func jsonHex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func jsonAllHex(d []byte) bool {
	for _, c := range d {
		if !isJSONDigit(c) && !('a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

// decodeJSONString appends the text of the checked string content raw.
func decodeJSONString(dst, raw []byte) []byte {
	for {
		j := bytes.IndexByte(raw, '\\')
		if j < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:j]...)
		raw = raw[j:]
		switch c := raw[1]; c {
		case 'u':
			r, _ := jsonHex4(raw, 2)
			raw = raw[6:]
			if utf16.IsSurrogate(r) {
				r2, _ := jsonHex4(raw, 2)
				r = utf16.DecodeRune(r, r2)
				raw = raw[6:]
			}
			dst = utf8.AppendRune(dst, r)
			continue
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		raw = raw[2:]
	}
}

// scanNumber checks the number at s.pos against the RFC 8259 grammar and
// moves past it, returning where it started.
func (s *jsonScanner) scanNumber() (int, error) {
	d := s.data
	start := s.pos
	i := start
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d) || !isJSONDigit(d[i]):
		return 0, s.numberErr(start, "a digit must follow '-'")
	case d[i] == '0':
		i++
		if i < len(d) && isJSONDigit(d[i]) {
			return 0, s.numberErr(start, "leading zeros are not allowed; remove them, or quote the value if it is text")
		}
	default:
		for i < len(d) && isJSONDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isJSONDigit(d[i]) {
			return 0, s.numberErr(start, "a digit must follow the decimal point")
		}
		for i < len(d) && isJSONDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && d[i]|0x20 == 'e' {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isJSONDigit(d[i]) {
			return 0, s.numberErr(start, "the exponent needs at least one digit")
		}
		for i < len(d) && isJSONDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && isJSONNumberByte(d[i]) {
		return 0, s.numberErr(start, "")
	}
	s.pos = i
	return start, nil
}

// numberErr reports a bad number starting at start, judged on the whole
// token: "0x1F" is a hexadecimal number, not "0" followed by an unexpected
// 'x'. The token is not quoted: it may be a secret (a PIN, a key) written
// without its quotes, and messages never echo a value; the position points
// at it.
func (s *jsonScanner) numberErr(start int, why string) error {
	tok := s.token(start, isJSONNumberByte)
	switch lower := strings.ToLower(tok); {
	case lower == "-infinity" || lower == "-inf" || lower == "-nan":
		return s.errAt(start, "invalid number %s: JSON has no NaN or infinity; use null or a string", strconv.Quote(tok))
	case strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "-0x"):
		why = "JSON has no hexadecimal numbers; write it in decimal"
	case strings.HasPrefix(lower, "-inf") || strings.HasPrefix(lower, "-nan"):
		why = "JSON has no NaN or infinity; use null or a string"
	case why == "":
		why = "not a JSON number; quote it if it is text"
	}
	return s.errAt(start, "invalid number: %s", why)
}

// scanWord reads true, false or null at s.pos.
func (s *jsonScanner) scanWord() (Kind, bool, error) {
	d := s.data
	start := s.pos
	i := start
	for i < len(d) && isJSONWordByte(d[i]) {
		i++
	}
	switch string(d[start:i]) {
	case "true":
		s.pos = i
		return Bool, true, nil
	case "false":
		s.pos = i
		return Bool, false, nil
	case "null":
		s.pos = i
		return Null, false, nil
	}
	// Only the spellings of a literal in other languages are quoted: any
	// other word may be a secret written without its quotes, and messages
	// never echo a value; the position points at it.
	word := s.token(start, isJSONWordByte)
	var why string
	switch lower := strings.ToLower(word); lower {
	case "nan", "infinity", "inf":
		why = "JSON has no NaN or infinity; use null or a string"
	case "true", "false", "null":
		why = "JSON literals are lowercase; write " + lower
	case "none", "nil", "undefined":
		why = "write null"
	default:
		return Null, false, s.errAt(start, "invalid value: expected true, false, null, a number, or text in double quotes")
	}
	return Null, false, s.errAt(start, "invalid value %s: %s", strconv.Quote(word), why)
}

// token returns the run of bytes from start that in reports as part of a
// token, cut short so a message stays readable.
func (s *jsonScanner) token(start int, in func(byte) bool) string {
	i := start
	for i < len(s.data) && i-start < 40 && in(s.data[i]) {
		i++
	}
	if i < len(s.data) && in(s.data[i]) {
		return string(s.data[start:i]) + "..."
	}
	return string(s.data[start:i])
}

func isJSONDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isJSONLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isJSONWordByte(c byte) bool { return isJSONLetter(c) || isJSONDigit(c) || c == '_' }

func isJSONNumberByte(c byte) bool { return isJSONWordByte(c) || c == '.' || c == '+' || c == '-' }

// ---- Errors ----

func (s *jsonScanner) errAt(off int, format string, args ...any) error {
	line, col := s.position(off)
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// position turns a byte offset into the line and column an editor shows.
// It runs only on error, so it may rescan the input.
func (s *jsonScanner) position(off int) (line, col int) {
	d := s.data[:off]
	line = 1 + bytes.Count(d, []byte{'\n'})
	ls := bytes.LastIndexByte(d, '\n') + 1
	if ls < s.bom {
		ls = min(s.bom, off)
	}
	return line, utf8.RuneCount(d[ls:]) + 1
}

func (s *jsonScanner) depthErr() error {
	return s.errAt(s.pos, "nesting deeper than %d levels: AM configuration nests a dozen levels at most, so the file is damaged or not configuration; restore it from a backup", MaxDepth)
}

func (s *jsonScanner) eofErr(closer byte) error {
	return s.errAt(len(s.data), "unexpected end of file: the file is truncated or a '%c' is missing", closer)
}

// unexpected reports the character at off, followed by tail. Comments,
// single quotes and invalid UTF-8 get their own explanation, whatever was
// expected there.
func (s *jsonScanner) unexpected(off int, tail string) error {
	c := s.data[off]
	switch {
	case c == '/':
		return s.errAt(off, "unexpected '/': JSON does not allow comments; remove the comment")
	case c == '\'':
		return s.errAt(off, "unexpected \"'\": JSON strings must be in double quotes")
	case c >= 0x80 && utf8Len(s.data, off) == 0:
		return s.errAt(off, "invalid UTF-8 byte 0x%02x: the file must be UTF-8 encoded; convert it to UTF-8", c)
	}
	r, _ := utf8.DecodeRune(s.data[off:])
	return s.errAt(off, "unexpected %s%s", strconv.QuoteRune(r), tail)
}

// valueErr reports that s.pos holds no value.
func (s *jsonScanner) valueErr(closer byte, comma int) error {
	off := s.pos
	if off >= len(s.data) {
		if closer == 0 {
			return s.errAt(off, "file is empty: a configuration file holds one JSON object; restore it from a backup or the AM export, or delete it")
		}
		return s.eofErr(closer)
	}
	switch c := s.data[off]; {
	case (c == '}' || c == ']') && comma >= 0:
		return s.trailingCommaErr(comma, c)
	case c == '.':
		return s.errAt(off, "unexpected '.': a number must start with a digit; write 0.5, not .5")
	case c == '+':
		return s.errAt(off, "unexpected '+': a JSON number cannot start with '+'; remove it")
	}
	return s.unexpected(off, ": expected a value (object, array, string, number, true, false or null)")
}

func (s *jsonScanner) trailingCommaErr(comma int, closer byte) error {
	return s.errAt(comma, "unexpected ',' before '%c': JSON does not allow a trailing comma; remove it", closer)
}

// keyErr reports that s.pos holds no key; comma is the offset of the comma
// before it, or -1 right after '{'.
func (s *jsonScanner) keyErr(comma int) error {
	off := s.pos
	if off >= len(s.data) {
		return s.eofErr('}')
	}
	switch c := s.data[off]; {
	case c == '}' && comma >= 0:
		return s.trailingCommaErr(comma, '}')
	case isJSONWordByte(c):
		return s.errAt(off, "unexpected %s: object keys must be in double quotes", strconv.QuoteRune(rune(c)))
	case comma < 0:
		return s.unexpected(off, ": expected a key in double quotes or '}'")
	}
	return s.unexpected(off, ": expected a key in double quotes")
}

// afterValueErr reports what stands where a ',' or the closer of the
// container opened at open was expected.
func (s *jsonScanner) afterValueErr(open int, closer byte) error {
	off := s.pos
	if off >= len(s.data) {
		return s.eofErr(closer)
	}
	what := "an object member"
	if closer == ']' {
		what = "an array element"
	}
	c := s.data[off]
	switch {
	case c == '}' || c == ']':
		line, col := s.position(open)
		return s.errAt(off, "unexpected '%c' after %s: expected ',' or '%c' to close the '%c' at line %d, column %d", c, what, closer, s.data[open], line, col)
	case s.data[off-1] == '"' && isJSONWordByte(c):
		return s.errAt(off, "unexpected %s right after a string: a '\"' inside the string is probably not escaped; write it as \\\"", strconv.QuoteRune(rune(c)))
	case c == '"' || c == '{' || c == '[' || c == '-' || isJSONWordByte(c):
		return s.errAt(off, "unexpected %s after %s: a ',' is probably missing", strconv.QuoteRune(rune(c)), what)
	}
	return s.unexpected(off, fmt.Sprintf(" after %s: expected ',' or '%c'", what, closer))
}
