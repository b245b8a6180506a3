package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/amjson"
)

// Mask is what a masked value prints as.
const Mask = `"` + maskText + `"`

// Masker hides secret values in what amupgrade prints: logs, diffs,
// reports and messages. What is secret is decided by the list in
// secrets.go (docs/report.md, "What is masked"): by the attribute's name,
// for values of every type, and by the value's shape. Names are never
// masked, and placeholders (&{…}) stay readable. The zero value masks;
// Show turns masking off (--show-secrets).
type Masker struct{ Show bool }

// Value prints a value found at ptr (a JSON Pointer), masked: the whole of
// it when an attribute on the way to it is secret, and its secret parts
// otherwise.
func (m Masker) Value(ptr string, v *amjson.Value) string {
	if v == nil {
		return ""
	}
	if !m.Show {
		v = maskValue(v, pointerSecret(ptr))
	}
	return strings.TrimSpace(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{})))
}

// Property prints the value of a server property (a key=value entry),
// masked when the key is secret or the value has a secret's shape.
func (m Masker) Property(key, val string) string {
	if m.Show {
		return val
	}
	s, _ := maskString(val, IsSecretName(key))
	return s
}

// pointerSecret reports whether an attribute on the way down a JSON
// Pointer is secret.
func pointerSecret(ptr string) bool {
	if ptr == "" {
		return false
	}
	for _, seg := range strings.Split(ptr[1:], "/") {
		if strings.Contains(seg, "~") {
			seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		}
		if IsSecretName(seg) {
			return true
		}
	}
	return false
}

// File masks the text of a file: a JSON document value by value, leaving
// every other byte as it is; any other text (or JSON that does not parse)
// by Text. The result has the same lines as data.
func (m Masker) File(data []byte) []byte {
	if m.Show {
		return data
	}
	if looksJSON(data) {
		if out, ok := maskJSON(data); ok {
			return out
		}
	}
	return []byte(m.Text(string(data)))
}

var utf8BOM = []byte("\xef\xbb\xbf")

func looksJSON(data []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// Diff is the unified diff of two versions of a file, masked. Its hunks are
// those of the real texts and its lines those of the masked ones, so a
// secret that changed shows as a changed line whose value is masked on both
// sides.
func (m Masker) Diff(oldName string, old []byte, newName string, new []byte) string {
	d := unifiedDiff(oldName, old, newName, new)
	if m.Show || len(d) == 0 || len(old)+len(new) > maxDiffBytes {
		// Beyond maxDiffBytes the diff is a note that quotes nothing of the files: nothing to
		// mask, and no reason to parse them.
		return string(d)
	}
	mo, mn := m.File(old), m.File(new)
	if out, ok := relineDiff(d, old, mo, new, mn); ok {
		return out
	}
	// Masking kept the lines, so this is not reached; were it, the diff of
	// the masked texts hides a change to a secret alone, and no secret.
	return string(unifiedDiff(oldName, mo, newName, mn))
}

// relineDiff rewrites the lines of a unified diff of old and new with the
// same lines of their masked texts mo and mn.
func relineDiff(d, old, mo, new, mn []byte) (string, bool) {
	ol, ml := bytes.Split(old, []byte("\n")), bytes.Split(mo, []byte("\n"))
	nl, nml := bytes.Split(new, []byte("\n")), bytes.Split(mn, []byte("\n"))
	if len(ol) != len(ml) || len(nl) != len(nml) {
		return "", false
	}
	var out strings.Builder
	out.Grow(len(d))
	oi, ni := 0, 0
	line := func(prefix byte, src, masked [][]byte, i int, rest []byte) bool {
		if i >= len(src) || !bytes.Equal(src[i], rest) {
			return false
		}
		out.WriteByte(prefix)
		out.Write(masked[i])
		out.WriteByte('\n')
		return true
	}
	for n, l := range bytes.SplitAfter(d, []byte("\n")) {
		body := bytes.TrimSuffix(l, []byte("\n"))
		switch {
		case len(body) == 0:
			continue
		case n < 3: // diff, ---, +++: the file names
			out.Write(l)
		case body[0] == '@':
			var a, b, c, e int
			if _, err := fmt.Sscanf(string(body), "@@ -%d,%d +%d,%d @@", &a, &b, &c, &e); err != nil {
				return "", false
			}
			oi, ni = a, c
			if b > 0 {
				oi--
			}
			if e > 0 {
				ni--
			}
			out.Write(l)
		case body[0] == ' ':
			if !line(' ', ol, ml, oi, body[1:]) {
				return "", false
			}
			oi++
			ni++
		case body[0] == '-':
			if !line('-', ol, ml, oi, body[1:]) {
				return "", false
			}
			oi++
		case body[0] == '+':
			if !line('+', nl, nml, ni, body[1:]) {
				return "", false
			}
			ni++
		case body[0] == '\\': // no newline at end of file
			out.Write(l)
		default:
			return "", false
		}
	}
	return out.String(), true
}

// maskJSON masks the secret values of a JSON text and leaves every other
// byte as it is, so the lines stay those of data. ok is false when data is
// not JSON.
func maskJSON(data []byte) (out []byte, ok bool) {
	// A frame is an open object or array: whether a secret attribute
	// holds it, and for an object whether a key comes next and whether
	// the last key read is secret.
	type frame struct {
		obj, secret, wantKey, keySecret bool
	}
	var stack []frame
	last := 0
	replace := func(start, end int, text string) {
		if out == nil {
			out = make([]byte, 0, len(data))
		}
		out = append(out, data[last:start]...)
		out = append(out, text...)
		last = end
	}
	// valueSecret reports whether the value starting now is held by a
	// secret attribute.
	valueSecret := func() bool {
		if len(stack) == 0 {
			return false
		}
		f := &stack[len(stack)-1]
		return f.secret || f.obj && f.keySecret
	}
	i := 0
	if bytes.HasPrefix(data, utf8BOM) {
		i = len(utf8BOM)
	}
	for i < len(data) {
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r', ':':
			i++
		case '{', '[':
			stack = append(stack, frame{obj: c == '{', secret: valueSecret(), wantKey: c == '{'})
			i++
		case '}', ']':
			if len(stack) == 0 {
				return nil, false
			}
			stack = stack[:len(stack)-1]
			i++
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].obj {
				stack[len(stack)-1].wantKey = true
			}
			i++
		case '"':
			end, esc := jsonStringEnd(data, i)
			if end < 0 {
				return nil, false
			}
			text := string(data[i+1 : end-1])
			if esc {
				if err := json.Unmarshal(data[i:end], &text); err != nil {
					return nil, false
				}
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				stack[n-1].keySecret, stack[n-1].wantKey = IsSecretName(text), false
			} else if m, changed := maskString(text, valueSecret()); changed {
				replace(i, end, quoteJSON(m))
			}
			i = end
		default:
			j := i
			for j < len(data) && (nameByte(data[j]) || data[j] == '+') {
				j++
			}
			if j == i {
				return nil, false
			}
			if (c == '-' || '0' <= c && c <= '9') && valueSecret() {
				replace(i, j, Mask)
			}
			i = j
		}
	}
	if len(stack) != 0 {
		return nil, false
	}
	if out == nil {
		return data, true
	}
	return append(out, data[last:]...), true
}

// jsonStringEnd returns the offset after the string token that starts at
// data[i] (a '"'), and whether it has escapes; -1 when it is not closed on
// its line.
func jsonStringEnd(data []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '"':
			return j + 1, esc
		case '\\':
			esc = true
			j++
		case '\n':
			return -1, false
		}
	}
	return -1, false
}

// quoteJSON writes s as a JSON string, as AM writes it (no HTML escaping).
func quoteJSON(s string) string {
	return strings.TrimSuffix(string(amjson.AppendJSON(nil, amjson.NewString(s), amjson.PrintOptions{})), "\n")
}

// Text masks secrets in free text: a message, a line of a properties or
// XML file, a fragment of JSON. Line by line, it masks
//   - JSON members ("name" : value) whose name is secret, and JSON strings
//     that are secret by shape, key=value entries, placeholders;
//   - name=value, name="value" and name='value' where the name is secret
//     (properties, XML attributes); an unquoted value ends at a space, a
//     quote or one of <>,;&)]} ;
//   - <name>value</name> elements whose name is secret, over several lines
//     too;
//   - the defaults of placeholders &{name|default} whose property is secret;
//   - values of a secret's shape anywhere, and PEM private key blocks.
//
// It keeps the lines of s: nothing it masks spans a line break.
func (m Masker) Text(s string) string {
	if m.Show || s == "" {
		return s
	}
	var b strings.Builder
	var inElem string // a secret XML element left open on an earlier line
	inPEM := false
	for l := range strings.Lines(s) {
		body := strings.TrimRight(l, "\r\n")
		eol := l[len(body):]
		switch {
		case inPEM:
			if strings.Contains(body, "-----END ") {
				inPEM = false
			}
			body = maskText
		case inElem != "":
			end := strings.Index(body, "</"+inElem+">")
			head := body
			if end >= 0 {
				head, inElem = body[:end], ""
			}
			if t := strings.TrimSpace(head); t != "" {
				if mt, changed := maskString(t, true); changed {
					head = strings.Replace(head, t, mt, 1)
				}
			}
			if end >= 0 {
				body = head + maskLine(body[end:])
			} else {
				body = head
			}
		default:
			body, inElem, inPEM = maskLineOpen(body)
		}
		b.WriteString(body)
		b.WriteString(eol)
	}
	return b.String()
}

// maskLineOpen masks one line, and says whether it leaves a secret XML
// element or a PEM private key open for the next lines.
func maskLineOpen(line string) (string, string, bool) {
	if loc := textPatterns().pemBegin.FindStringIndex(line); loc != nil {
		rest := line[loc[0]:]
		if end := strings.Index(rest, "-----END "); end >= 0 {
			tail := rest[end+len("-----END "):]
			if k := strings.Index(tail, "-----"); k >= 0 {
				after := tail[k+len("-----"):]
				return maskLine(line[:loc[0]]) + maskText + maskLine(after), "", false
			}
		}
		return maskLine(line[:loc[0]]) + maskText, "", true
	}
	masked := maskLine(line)
	// An element opened on this line and closed on a later one.
	open := textPatterns().openElem.FindAllStringSubmatchIndex(masked, -1)
	for k := len(open) - 1; k >= 0; k-- {
		loc := open[k]
		name := masked[loc[2]:loc[3]]
		if !IsSecretName(name) || strings.Contains(masked[loc[1]:], "</"+name+">") {
			continue
		}
		rest := masked[loc[1]:]
		if t := strings.TrimSpace(rest); t != "" {
			if mt, changed := maskString(t, true); changed {
				rest = strings.Replace(rest, t, mt, 1)
			}
		}
		return masked[:loc[1]] + rest, name, false
	}
	return masked, "", false
}

type patterns struct {
	jsonToken, assign, elem, openElem, placeholderDefault, shape, pemBegin *regexp.Regexp
}

var textPatterns = sync.OnceValue(func() *patterns {
	const name = `[A-Za-z0-9_.\-]+`
	return &patterns{
		// A JSON string, and the value after it when it is a key.
		jsonToken: regexp.MustCompile(`"((?:[^"\\\n]|\\.)*)"(?:(\s*:\s*)("(?:[^"\\\n]|\\.)*"|-?[0-9][0-9.eE+\-]*))?`),
		assign:    regexp.MustCompile(`(` + name + `)(\s*=\s*)("[^"\n]*"|'[^'\n]*'|[^\s"'<>,;&)\]}]+)`),
		elem:      regexp.MustCompile(`<(` + name + `)>([^<\n]*)</(` + name + `)>`),
		openElem:  regexp.MustCompile(`<(` + name + `)>`),
		// A placeholder's default that is not itself a placeholder.
		placeholderDefault: regexp.MustCompile(`&\{(` + name + `)\|([^&{}\s"]+)\}`),
		shape:              regexp.MustCompile(`(^|[^0-9A-Za-z+/])(AQIC[0-9A-Za-z+/*._=\-]{12,}|AAAAA[0-9A-Za-z+/]{16,}={0,2}|(?i:\{(?:SSHA(?:256|384|512)?|SHA(?:-?(?:1|256|384|512))?|SMD5|MD5|CRYPT|BCRYPT|PBKDF2[-A-Z0-9]*|SCRYPT|ARGON2[A-Z0-9]*|CLEAR|AES|3DES|BLOWFISH|RC4)\})[^\s"',<]+)`),
		pemBegin:           regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	}
})

// maskLine masks one line of free text (see Text).
func maskLine(line string) string {
	p := textPatterns()
	line = p.jsonToken.ReplaceAllStringFunc(line, func(tok string) string {
		sub := p.jsonToken.FindStringSubmatch(tok)
		if sub[2] == "" { // a string alone
			s, ok := unquote(tok)
			if !ok {
				return tok
			}
			if m, changed := maskString(s, false); changed {
				return quoteJSON(m)
			}
			return tok
		}
		key, ok := unquote(`"` + sub[1] + `"`)
		if !ok {
			return tok
		}
		secret := IsSecretName(key)
		val := sub[3]
		if val[0] != '"' {
			if secret {
				return `"` + sub[1] + `"` + sub[2] + Mask
			}
			return tok
		}
		s, ok := unquote(val)
		if !ok {
			return tok
		}
		if m, changed := maskString(s, secret); changed {
			return `"` + sub[1] + `"` + sub[2] + quoteJSON(m)
		}
		return tok
	})
	line = p.assign.ReplaceAllStringFunc(line, func(a string) string {
		sub := p.assign.FindStringSubmatch(a)
		if !IsSecretName(sub[1]) {
			return a
		}
		val, q := sub[3], ""
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') {
			val, q = val[1:len(val)-1], val[:1]
		}
		if m, changed := maskString(val, true); changed {
			return sub[1] + sub[2] + q + m + q
		}
		return a
	})
	line = p.elem.ReplaceAllStringFunc(line, func(e string) string {
		sub := p.elem.FindStringSubmatch(e)
		if sub[1] != sub[3] || !IsSecretName(sub[1]) {
			return e
		}
		t := strings.TrimSpace(sub[2])
		if m, changed := maskString(t, true); changed && t != "" {
			return "<" + sub[1] + ">" + strings.Replace(sub[2], t, m, 1) + "</" + sub[3] + ">"
		}
		return e
	})
	line = p.placeholderDefault.ReplaceAllStringFunc(line, func(ph string) string {
		if m, changed := maskString(ph, false); changed {
			return m
		}
		return ph
	})
	return p.shape.ReplaceAllString(line, "${1}"+maskText)
}

func unquote(tok string) (string, bool) {
	var s string
	if err := json.Unmarshal([]byte(tok), &s); err != nil {
		return "", false
	}
	return s, true
}
