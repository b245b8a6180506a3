package ldif

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Default limits. A configuration store's largest values are the service
// schemas (XML of a few hundred KB); the limits leave a wide margin and
// still stop a corrupt file (a missing newline, a runaway fold) early.
const (
	DefaultMaxLine  = 16 << 20 // bytes of one logical line, after unfolding
	DefaultMaxEntry = 64 << 20 // bytes of one entry's values
)

// Options bound what a Reader accepts. Zero fields take the defaults.
type Options struct {
	MaxLine  int
	MaxEntry int
}

// Entry is one LDIF content record.
type Entry struct {
	DN     DN
	DNText string // the DN as written (decoded, when given in base64)
	Line   int    // the line of "dn:"
	Attrs  []Attr // in the order written
}

// Attr is one attribute value of an entry.
type Attr struct {
	Name    string // the attribute type as written: objectclass, objectClass, sunKeyValue
	Options string // the options after the type, without the first ';' ("binary", "lang-en")
	Value   []byte
	Line    int // where the attribute line starts
}

// Is reports whether the attribute's type is name, ignoring case as LDAP does.
func (a *Attr) Is(name string) bool { return strings.EqualFold(a.Name, name) }

// Strings returns the values of the attribute type name, in order.
func (e *Entry) Strings(name string) []string {
	var out []string
	for i := range e.Attrs {
		if e.Attrs[i].Is(name) {
			out = append(out, string(e.Attrs[i].Value))
		}
	}
	return out
}

// Reader reads entries from LDIF input one at a time.
type Reader struct {
	file string
	br   *bufio.Reader
	opts Options

	line    int   // physical lines read so far
	fatal   error // a read error: nothing more can be read
	started bool  // a record or version line has been read
	resync  bool  // skip to the end of the broken entry before the next one

	// The logical line being read: its bytes and where its physical pieces
	// start, for error positions inside folded lines.
	buf  []byte
	segs []segment
	long []byte // a physical line longer than the bufio buffer

	names map[string]string // interned attribute names
}

type segment struct {
	off  int // in buf
	line int
	col  int // character column of buf[off] on that line (1, or 2 after a fold's space)
}

// NewReader returns a Reader of r; file names it in errors. Input that
// starts with the gzip magic bytes is decompressed. A nil opts takes the
// defaults.
func NewReader(r io.Reader, file string, opts *Options) (*Reader, error) {
	rd := &Reader{file: file, names: map[string]string{}}
	if opts != nil {
		rd.opts = *opts
	}
	if rd.opts.MaxLine <= 0 {
		rd.opts.MaxLine = DefaultMaxLine
	}
	if rd.opts.MaxEntry <= 0 {
		rd.opts.MaxEntry = DefaultMaxEntry
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{File: file, Msg: "the file starts like gzip but is not a readable gzip stream; decompress it with gunzip to see what is wrong", Err: err}
		}
		br = bufio.NewReaderSize(gz, 64<<10)
	}
	// A byte order mark is not LDIF, but editors add one.
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	rd.br = br
	return rd, nil
}

// Line returns the number of physical lines read so far.
func (r *Reader) Line() int { return r.line }

// errorf makes an error at a line and column.
func (r *Reader) errorf(line, col int, format string, args ...any) *Error {
	return &Error{File: r.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// pos maps an offset in the logical line buffer to its physical line and
// column.
func (r *Reader) pos(off int) (line, col int) {
	s := r.segs[0]
	for _, t := range r.segs[1:] {
		if t.off > off {
			break
		}
		s = t
	}
	return s.line, s.col + utf8.RuneCount(r.buf[s.off:min(off, len(r.buf))])
}

// physical reads one physical line without its line end. It returns io.EOF
// only when no byte is left. The slice is valid until the next read.
func (r *Reader) physical() ([]byte, error) {
	if r.fatal != nil {
		return nil, r.fatal
	}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.opts.MaxLine {
				r.fatal = r.errorf(r.line+1, 0, "a line longer than %d MiB: the file is not LDIF, or a line end is missing; a value this large needs a larger limit", r.opts.MaxLine>>20)
				return nil, r.fatal
			}
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if err != nil && err != io.EOF {
		fe := &Error{File: r.file, Line: r.line + 1, Msg: "reading the file failed", Err: err}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			fe.Msg = "the gzip stream is corrupt or cut short here; export the file again"
		}
		r.fatal = fe
		return nil, r.fatal
	}
	if len(b) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	r.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// peekFold reports whether the next physical line continues the current
// one (it starts with a space).
func (r *Reader) peekFold() bool {
	if r.fatal != nil {
		return false
	}
	c, err := r.br.Peek(1)
	return err == nil && c[0] == ' '
}

// logical reads the next logical line (a line and its continuation lines)
// into r.buf. It returns io.EOF when no line is left.
func (r *Reader) logical() error {
	b, err := r.physical()
	if err != nil {
		return err
	}
	r.buf = append(r.buf[:0], b...)
	r.segs = append(r.segs[:0], segment{off: 0, line: r.line, col: 1})
	for len(r.buf) > 0 && r.peekFold() { // a blank line ends an entry: it is never continued
		b, err := r.physical()
		if err != nil {
			return err
		}
		if len(r.buf)+len(b) > r.opts.MaxLine {
			return r.errorf(r.segs[0].line, 0, "a value longer than %d MiB after joining its folded lines; the file is not a configuration export, or the limit must be raised", r.opts.MaxLine>>20)
		}
		r.segs = append(r.segs, segment{off: len(r.buf), line: r.line, col: 2})
		r.buf = append(r.buf, b[1:]...)
	}
	return nil
}

// Next returns the next entry, or io.EOF after the last one. An *Error
// concerns one entry; calling Next again goes on with the next entry. A
// read error (a corrupt gzip stream) ends the input: Next returns it again.
func (r *Reader) Next() (*Entry, error) {
	if r.resync {
		r.resync = false
		if err := r.skipEntry(); err != nil {
			return nil, err
		}
	}
	e, err := r.next()
	if err != nil {
		var le *Error
		if errors.As(err, &le) && err != r.fatal {
			r.resync = true
		}
	}
	return e, err
}

// skipEntry skips lines up to the next blank line.
func (r *Reader) skipEntry() error {
	for {
		b, err := r.physical()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return nil
		}
	}
}

func (r *Reader) next() (*Entry, error) {
	// Skip blank lines and comments up to the first line of a record.
	for {
		if err := r.logical(); err != nil {
			return nil, err
		}
		switch {
		case len(r.buf) == 0:
			continue
		case r.buf[0] == '#':
			continue
		case r.buf[0] == ' ':
			return nil, r.errorf(r.line, 1, "a line starting with a space continues the line before it, but a blank line comes before it; remove the blank line or the leading space")
		}
		if !r.started && hasType(r.buf, "version") {
			r.started = true
			v := strings.TrimSpace(string(r.buf[len("version:"):]))
			if v != "1" {
				return nil, r.errorf(r.segs[0].line, len("version:")+2, "LDIF version %q: only version 1 exists", v)
			}
			continue
		}
		break
	}
	r.started = true
	if !hasType(r.buf, "dn") {
		name, _, _ := bytes.Cut(r.buf, []byte(":"))
		return nil, r.errorf(r.segs[0].line, 1, "an entry must start with a \"dn:\" line, but this one starts with %q; add the entry's dn: line, or a blank line if this line belongs to the entry above", clip(string(name), 40))
	}
	e := &Entry{Line: r.segs[0].line}
	dn, err := r.value(len("dn"))
	if err != nil {
		return nil, err
	}
	e.DNText = string(dn)
	if !utf8.Valid(dn) {
		return nil, r.errorf(e.Line, 5, "the DN is not valid UTF-8")
	}
	if e.DN, err = ParseDN(e.DNText); err != nil {
		var de *DNError
		errors.As(err, &de)
		col := 0
		if rest := r.buf[len("dn:"):]; len(rest) == 0 || rest[0] != ':' { // a plain DN: point at the character
			line, c := r.pos(len("dn:") + leadingSpaces(rest) + de.Offset)
			if line == e.Line {
				col = c
			}
		}
		return nil, r.errorf(e.Line, col, "the DN %q does not parse: %s", clip(e.DNText, 80), de.Msg)
	}

	type span struct{ start, end int }
	var arena []byte
	var spans []span
	size := 0
	for {
		err := r.logical()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(r.buf) == 0 {
			break
		}
		if r.buf[0] == '#' {
			continue
		}
		line := r.segs[0].line
		colon := bytes.IndexByte(r.buf, ':')
		if colon < 0 {
			return nil, r.errorf(line, 1, "%q is not an attribute line (type: value); a line continuing the one above must start with exactly one space, and entries are separated by one blank line", clip(string(r.buf), 40))
		}
		desc := r.buf[:colon]
		typ, opts, _ := bytes.Cut(desc, []byte(";"))
		if !validType(string(typ)) || !validOptions(opts) {
			return nil, r.errorf(line, 1, "%q is not an attribute type (letters, digits and '-', options after ';'); a line continuing the one above must start with exactly one space", clip(string(desc), 40))
		}
		if len(e.Attrs) == 0 && (bytes.EqualFold(typ, []byte("changetype")) || bytes.EqualFold(typ, []byte("control"))) {
			return nil, r.errorf(line, 1, "a change record (%s:) is not an export of entries; export the configuration store with export-ldif", typ)
		}
		if bytes.EqualFold(typ, []byte("dn")) {
			return nil, r.errorf(line, 1, "a second dn: line inside the entry of line %d; separate entries with a blank line", e.Line)
		}
		v, err := r.value(colon)
		if err != nil {
			return nil, err
		}
		size += len(v)
		if size > r.opts.MaxEntry {
			return nil, r.errorf(e.Line, 0, "the entry is larger than %d MiB; the file is not a configuration export, or the limit must be raised", r.opts.MaxEntry>>20)
		}
		spans = append(spans, span{len(arena), len(arena) + len(v)})
		arena = append(arena, v...)
		e.Attrs = append(e.Attrs, Attr{Name: r.intern(typ), Options: r.intern(opts), Line: line})
	}
	for i := range e.Attrs {
		e.Attrs[i].Value = arena[spans[i].start:spans[i].end:spans[i].end]
	}
	return e, nil
}

// value decodes the value of the logical line in r.buf whose type ends at
// colon. The result is valid until the next read.
func (r *Reader) value(colon int) ([]byte, error) {
	rest := r.buf[colon+1:]
	switch {
	case len(rest) > 0 && rest[0] == ':':
		start := colon + 2 + leadingSpaces(rest[1:])
		text := bytes.TrimRight(r.buf[start:], " ")
		out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(out, text)
		if err != nil {
			off := start
			var ce base64.CorruptInputError
			if errors.As(err, &ce) {
				off += int(ce)
			}
			line, col := r.pos(off)
			return nil, r.errorf(line, col, "the value after \"::\" is not valid base64; the file was damaged (check the line folding: continuation lines start with exactly one space), or the value was meant as text after a single ':'")
		}
		return out[:n], nil
	case len(rest) > 0 && rest[0] == '<':
		line, col := r.pos(colon + 1)
		return nil, r.errorf(line, col, "values given by URL (\":<\") are not read, so that a file cannot make the tool read other files; put the value itself into the LDIF (base64 after \"::\")")
	default:
		return rest[leadingSpaces(rest):], nil
	}
}

func (r *Reader) intern(b []byte) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.names) < 4096 {
		r.names[s] = s
	}
	return s
}

func leadingSpaces(b []byte) int {
	n := 0
	for n < len(b) && b[n] == ' ' {
		n++
	}
	return n
}

// hasType reports whether line starts with typ and a colon, ignoring case.
func hasType(line []byte, typ string) bool {
	return len(line) > len(typ) && line[len(typ)] == ':' && strings.EqualFold(string(line[:len(typ)]), typ)
}

func validOptions(opts []byte) bool {
	if opts == nil {
		return true
	}
	for _, o := range bytes.Split(opts, []byte(";")) {
		if len(o) == 0 {
			return false
		}
		for _, c := range o {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
