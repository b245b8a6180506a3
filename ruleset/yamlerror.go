package ruleset

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/amupgrade/amupgrade/engine"
	"go.yaml.in/yaml/v3"
)

// yamlLine is made on first use: it is needed for broken files only, and
// every regular expression made at start-up delays every run.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// yamlError reports go-yaml's error for data, the bytes it read, at the
// line and column a reader looks for. go-yaml's messages say where only in
// part: some give the line where the construct holding the mistake begins
// rather than the mistake's, some give no line at all. Those are placed here:
// from the bytes for bad encodings, and otherwise by parsing the file's
// first lines to find the first line at which the same error appears.
func (l *loader) yamlError(err error, data []byte) {
	msg := err.Error()
	line, col, text := 0, 0, strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		text = m[2]
		switch {
		case strings.HasPrefix(text, "did not find expected ',' or"):
			// go-yaml gives the 0-based line of the bracket that is not
			// closed.
			line++
			text += ": the bracket opened on this line is not closed"
		case strings.Contains(text, "tab character"):
			line++
		case text == "did not find expected key" || text == "did not find expected '-' indicator":
			// go-yaml gives the 0-based line where the mapping or list
			// begins; the mistake is further down.
			what := "mapping"
			if strings.Contains(text, "'-'") {
				what = "list"
			}
			begins := line + 1
			if k := firstLineWith(data, msg, begins); k > 0 {
				line = k
				text += fmt.Sprintf(" (in the %s that begins on line %d): check the indentation of this line", what, begins)
			} else {
				line = begins
			}
		}
	} else {
		switch {
		case strings.Contains(text, "UTF-8") || text == "invalid Unicode character":
			line, col, text = badEncoding(data, text)
		case text == "control characters are not allowed":
			line, col, text = controlCharacter(data, text)
		default:
			if k := firstLineWith(data, msg, 1); k > 0 {
				line = k
				if name, ok := strings.CutPrefix(text, "unknown anchor '"); ok {
					name = strings.TrimSuffix(name, "' referenced")
					if c := aliasColumn(data, k, name); c > 0 {
						col = c
					}
					text += fmt.Sprintf(": no &%s before this *%s; define the anchor first", name, name)
				}
			}
		}
	}
	if col == 0 && line > 0 {
		col = firstColumn(data, line)
	}
	l.errs = append(l.errs, &engine.Error{Code: engine.CodeRule, Pos: engine.Pos{File: l.path, Line: line, Col: col}, Msg: "YAML syntax: " + text})
}

// lineStarts returns the offset where each line of data begins.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf returns line k (1-based) of data, without its end of line.
func lineOf(data []byte, k int) []byte {
	starts := lineStarts(data)
	if k < 1 || k > len(starts) {
		return nil
	}
	line := data[starts[k-1]:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return bytes.TrimSuffix(line, []byte("\r"))
}

// firstColumn returns the column of the first character of line k that is
// not a blank.
func firstColumn(data []byte, k int) int {
	line := lineOf(data, k)
	return utf8.RuneCount(line[:len(line)-len(bytes.TrimLeft(line, " \t"))]) + 1
}

// aliasColumn returns the column of the alias *name on line k, or 0.
func aliasColumn(data []byte, k int, name string) int {
	line := lineOf(data, k)
	for off := 0; ; {
		i := bytes.Index(line[off:], []byte("*"+name))
		if i < 0 {
			return 0
		}
		i += off
		end := i + 1 + len(name)
		if end == len(line) || strings.IndexByte(" \t,]}", line[end]) >= 0 {
			return utf8.RuneCount(line[:i]) + 1
		}
		off = i + 1
	}
}

// firstLineWith returns the first line k, from line from on, such that the
// first k lines of data fail to parse with the message msg; 0 when none
// does. A mistake stays in every longer part of the file, so it searches
// from line from with growing steps, then halves the interval: a few parses
// of the file's beginning, the longest ending near the mistake.
func firstLineWith(data []byte, msg string, from int) int {
	starts := lineStarts(data)
	n := len(starts)
	fails := func(k int) bool {
		end := len(data)
		if k < n {
			end = starts[k]
		}
		var doc yaml.Node
		err := yaml.Unmarshal(data[:end], &doc)
		return err != nil && err.Error() == msg
	}
	from = min(max(from, 1), n)
	lo, hi := from-1, 0
	for step := 1; hi == 0; step *= 2 {
		k := min(from-1+step, n)
		if fails(k) {
			hi = k
		} else if k == n {
			return 0
		} else {
			lo = k
		}
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// position returns the line and column of offset i of data.
func position(data []byte, i int) (line, col int) {
	line = 1 + bytes.Count(data[:i], []byte("\n"))
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	return line, utf8.RuneCount(data[start:i]) + 1
}

// badEncoding places go-yaml's "invalid leading UTF-8 octet" and the like at
// the first byte that is not UTF-8.
func badEncoding(data []byte, text string) (line, col int, msg string) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			line, col = position(data, i)
			return line, col, fmt.Sprintf("%s: byte 0x%02X is not UTF-8; save the file as UTF-8", text, data[i])
		}
		i += size
	}
	return 0, 0, text
}

// controlCharacter places go-yaml's "control characters are not allowed" at
// the first character YAML does not allow in a file.
func controlCharacter(data []byte, text string) (line, col int, msg string) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if !yamlPrintable(r) {
			line, col = position(data, i)
			return line, col, fmt.Sprintf("%s: %U here; remove it, or write it as \\u%04X inside double quotes", text, r, r)
		}
		i += size
	}
	return 0, 0, text
}

// yamlPrintable reports whether YAML allows r in a file (YAML 1.2, 5.1).
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
