package migrate

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The service schemas are the big values of an export: a full one holds
// some 170 of them, 8 MB of XML, of which only the elements that name
// schemas and attributes matter. encoding/xml decodes them at 5 to 20 MB/s;
// this scanner reads start and end tags and their attributes, skips text,
// comments, processing instructions, CDATA and the DOCTYPE, and checks
// that tags nest, several times faster. The tests compare it with
// encoding/xml.

type xmlFrame struct {
	name string
	node *Schema // the schema node the element opens, if any
	svc  *Service
}

type xmlError struct {
	line int
	msg  string
}

func (e *xmlError) Error() string {
	return fmt.Sprintf("XML syntax error on line %d: %s", e.line, e.msg)
}

// scanServiceSchema reads the XML of a sunServiceSchema value.
func scanServiceSchema(data []byte) ([]*Service, error) {
	var (
		out   []*Service
		stack []xmlFrame
		root  bool
		i     int
	)
	fail := func(format string, args ...any) ([]*Service, error) {
		return nil, &xmlError{line: 1 + bytes.Count(data[:min(i, len(data))], []byte("\n")), msg: fmt.Sprintf(format, args...)}
	}
	skipTo := func(end string) bool {
		j := bytes.Index(data[i:], []byte(end))
		if j < 0 {
			return false
		}
		i += j + len(end)
		return true
	}
	for {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			if len(stack) > 0 {
				i = len(data)
				return fail("element <%s> not closed", stack[len(stack)-1].name)
			}
			break
		}
		i += j
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			if !skipTo("?>") {
				return fail("unterminated processing instruction")
			}
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			if !skipTo("-->") {
				return fail("unterminated comment")
			}
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if len(stack) == 0 {
				return fail("CDATA outside the root element")
			}
			if !skipTo("]]>") {
				return fail("unterminated CDATA section")
			}
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			// <!DOCTYPE …>, with an internal subset in brackets and quoted
			// strings that may hold '>'.
			depth, quote := 0, byte(0)
			k := 2
			for ; k < len(rest); k++ {
				c := rest[k]
				switch {
				case quote != 0:
					if c == quote {
						quote = 0
					}
				case c == '"' || c == '\'':
					quote = c
				case c == '[':
					depth++
				case c == ']':
					depth--
				case c == '>' && depth <= 0:
					goto done
				}
			}
			return fail("unterminated <! declaration")
		done:
			i += k + 1
			continue
		case bytes.HasPrefix(rest, []byte("</")):
			i += 2
			name := xmlName(data, &i)
			for i < len(data) && isXMLSpace(data[i]) {
				i++
			}
			if i >= len(data) || data[i] != '>' {
				return fail("end tag </%s> not closed with '>'", name)
			}
			i++
			if len(stack) == 0 || stack[len(stack)-1].name != name {
				if len(stack) == 0 {
					return fail("unexpected end tag </%s>", name)
				}
				return fail("element <%s> closed by </%s>", stack[len(stack)-1].name, name)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		// A start tag.
		i++
		name := xmlName(data, &i)
		if name == "" {
			return fail("'<' not followed by a name")
		}
		if len(stack) == 0 {
			if root {
				return fail("a second root element <%s>", name)
			}
			root = true
		}
		attrs := map[string]string{}
		selfClosing := false
		for {
			for i < len(data) && isXMLSpace(data[i]) {
				i++
			}
			if i >= len(data) {
				return fail("start tag <%s> not closed", name)
			}
			if data[i] == '>' {
				i++
				break
			}
			if data[i] == '/' {
				if i+1 < len(data) && data[i+1] == '>' {
					i += 2
					selfClosing = true
					break
				}
				return fail("'/' in start tag <%s>", name)
			}
			an := xmlName(data, &i)
			if an == "" {
				return fail("bad attribute in <%s>", name)
			}
			for i < len(data) && isXMLSpace(data[i]) {
				i++
			}
			if i >= len(data) || data[i] != '=' {
				return fail("attribute %s of <%s> has no value", an, name)
			}
			i++
			for i < len(data) && isXMLSpace(data[i]) {
				i++
			}
			if i >= len(data) || (data[i] != '"' && data[i] != '\'') {
				return fail("attribute %s of <%s>: value not in quotes", an, name)
			}
			q := data[i]
			end := bytes.IndexByte(data[i+1:], q)
			if end < 0 {
				return fail("attribute %s of <%s>: value not closed", an, name)
			}
			raw := data[i+1 : i+1+end]
			i += end + 2
			v, err := xmlUnescape(raw)
			if err != nil {
				return fail("attribute %s of <%s>: %v", an, name, err)
			}
			if _, dup := attrs[an]; dup {
				return fail("attribute %s given twice in <%s>", an, name)
			}
			attrs[an] = v
		}
		f := xmlFrame{name: name}
		var parent *xmlFrame
		if len(stack) > 0 {
			parent = &stack[len(stack)-1]
			f.svc = parent.svc
		}
		switch {
		case name == "Service" && len(stack) == 1:
			s := &Service{Name: attrs["name"], Version: attrs["version"], Kinds: map[string]*Schema{}}
			out = append(out, s)
			f.svc = s
		case parent != nil && parent.name == "Schema" && f.svc != nil && isKind(name):
			n := newSchema(f.svc.Name)
			if _, seen := f.svc.Kinds[name]; !seen { // encoding/xml keeps the first
				f.svc.Kinds[name] = n
			}
			f.node = n
		case name == "SubSchema" && parent != nil && parent.node != nil:
			n := newSchema(attrs["name"])
			parent.node.Subs[n.Name] = n
			f.node = n
		case name == "AttributeSchema" && parent != nil && parent.node != nil:
			a := &AttrSchema{Name: attrs["name"], Type: strings.ToLower(attrs["type"]), Syntax: strings.ToLower(attrs["syntax"]),
				UIType: strings.ToLower(attrs["uitype"]), ResourceName: attrs["resourceName"], ListOrder: attrs["listOrder"]}
			parent.node.Attrs[a.Name] = a
			parent.node.lower[strings.ToLower(a.Name)] = a
		}
		if !selfClosing {
			stack = append(stack, f)
		}
	}
	if !root {
		return fail("no root element")
	}
	return out, nil
}

func newSchema(name string) *Schema {
	return &Schema{Name: name, Attrs: map[string]*AttrSchema{}, Subs: map[string]*Schema{}, lower: map[string]*AttrSchema{}}
}

func isKind(name string) bool {
	for _, k := range schemaKinds {
		if k == name {
			return true
		}
	}
	return false
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// xmlName reads a name at data[*i]: everything up to a space, '=', '/' or
// '>' (the schemas use plain ASCII names).
func xmlName(data []byte, i *int) string {
	start := *i
	for *i < len(data) {
		c := data[*i]
		if isXMLSpace(c) || c == '=' || c == '/' || c == '>' || c == '<' || c == '"' || c == '\'' {
			break
		}
		*i++
	}
	return string(data[start:*i])
}

// xmlUnescape decodes the five entities of XML and character references.
func xmlUnescape(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '&') < 0 {
		if !utf8.Valid(raw) {
			return "", fmt.Errorf("invalid UTF-8")
		}
		return string(raw), nil
	}
	var b strings.Builder
	for len(raw) > 0 {
		j := bytes.IndexByte(raw, '&')
		if j < 0 {
			b.Write(raw)
			break
		}
		b.Write(raw[:j])
		raw = raw[j:]
		end := bytes.IndexByte(raw, ';')
		if end < 0 {
			return "", fmt.Errorf("'&' without ';'")
		}
		ent := string(raw[1:end])
		raw = raw[end+1:]
		switch ent {
		case "amp":
			b.WriteByte('&')
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ent, "#x"):
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			case strings.HasPrefix(ent, "#"):
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			default:
				if r, ok := xml.HTMLEntity[ent]; ok {
					b.WriteString(r)
					continue
				}
				return "", fmt.Errorf("unknown entity &%s;", ent)
			}
			if err != nil || !utf8.ValidRune(rune(n)) || n == 0 {
				return "", fmt.Errorf("bad character reference &%s;", ent)
			}
			b.WriteRune(rune(n))
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("invalid UTF-8")
	}
	return b.String(), nil
}
