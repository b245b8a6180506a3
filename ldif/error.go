package ldif

import "fmt"

// Error is a problem in LDIF input: where it is and what to do.
type Error struct {
	File string
	// Line and Col are 1-based; Col counts characters of the physical line
	// (0 when the error concerns the whole line or file).
	Line, Col int
	Msg       string
	Err       error // an underlying I/O or gzip error
}

func (e *Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d", pos, e.Line)
		if e.Col > 0 {
			pos = fmt.Sprintf("%s:%d", pos, e.Col)
		}
	}
	s := e.Msg
	if e.Err != nil {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	if pos == "" {
		return s
	}
	return pos + ": " + s
}

func (e *Error) Unwrap() error { return e.Err }
