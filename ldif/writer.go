package ldif

import (
	"bufio"
	"encoding/base64"
	"io"
)

// Width is the column at which a Writer folds lines, as export-ldif does.
const Width = 76

// Writer writes LDIF entries.
type Writer struct {
	w     *bufio.Writer
	first bool
	line  []byte
}

// NewWriter returns a Writer to w. Call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), first: true}
}

// Version writes the "version: 1" header; call it before the first entry.
func (w *Writer) Version() error {
	w.first = false
	_, err := w.w.WriteString("version: 1\n")
	return err
}

// Comment writes a comment line (before an entry, or between entries).
func (w *Writer) Comment(text string) error {
	w.blank()
	w.fold(append(append(w.line[:0], "# "...), text...))
	return nil
}

// blank writes the blank line that separates records.
func (w *Writer) blank() {
	if !w.first {
		w.w.WriteByte('\n')
	}
	w.first = true
}

// WriteEntry writes one entry: its DN (e.DNText if set, else e.DN), then
// each attribute, in base64 when the value cannot be written as it is.
func (w *Writer) WriteEntry(e *Entry) error {
	if !w.first {
		w.w.WriteByte('\n')
	}
	w.first = false
	dn := e.DNText
	if dn == "" {
		dn = e.DN.String()
	}
	w.attr("dn", "", []byte(dn))
	for i := range e.Attrs {
		a := &e.Attrs[i]
		w.attr(a.Name, a.Options, a.Value)
	}
	return nil
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

func (w *Writer) attr(name, opts string, v []byte) {
	l := append(w.line[:0], name...)
	if opts != "" {
		l = append(l, ';')
		l = append(l, opts...)
	}
	if Safe(v) {
		l = append(l, ':')
		if len(v) > 0 {
			l = append(l, ' ')
			l = append(l, v...)
		}
	} else {
		l = append(l, ":: "...)
		l = base64.StdEncoding.AppendEncode(l, v)
	}
	w.line = l
	w.fold(l)
}

// fold writes l, then a newline, folding it at Width columns: continuation
// lines start with one space. It cuts only between UTF-8 characters.
func (w *Writer) fold(l []byte) {
	width := Width
	for len(l) > width {
		cut := width
		for cut > 1 && l[cut]&0xC0 == 0x80 { // inside a UTF-8 sequence
			cut--
		}
		w.w.Write(l[:cut])
		w.w.WriteString("\n ")
		l = l[cut:]
		width = Width - 1
	}
	w.w.Write(l)
	w.w.WriteByte('\n')
}

// Safe reports whether v can be written after a single colon (RFC 2849
// SAFE-STRING): ASCII without NUL, CR or LF, not starting with a space, ':'
// or '<', and not ending with a space.
func Safe(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	if v[len(v)-1] == ' ' {
		return false
	}
	for _, c := range v {
		if c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}
