package gen

import (
	"bytes"
	"fmt"
	"strings"
)

// ValueFunc decides the new raw content of one JSON string value. path holds
// the object keys from the document root down to the value, with "[]" for
// each array level; raw is the string's content as written in the file (no
// quotes, escapes left as they are). It returns the new raw content and
// whether the value changes. The new content is written between quotes as
// it is, so it must already be valid JSON string content.
type ValueFunc func(path []string, raw string) (string, bool)

type frame struct {
	object    bool
	expectKey bool // object only: the next string is a key
	key       string
}

// RewriteStrings copies a JSON document byte for byte and passes every string
// value (never an object key) to fn, replacing the ones fn changes. All
// whitespace, key order, number spelling and escapes outside the changed
// values are kept exactly. It returns the new document and how many values
// changed. It checks the nesting of the document but is not a full
// validator; callers that need that run json.Valid on the result.
func RewriteStrings(src []byte, fn ValueFunc) ([]byte, int, error) {
	var (
		out     bytes.Buffer
		stack   []frame
		path    []string
		changed int
		last    int // src[last:i] not yet copied to out
	)
	out.Grow(len(src) + 64)
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '{':
			stack = append(stack, frame{object: true, expectKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1].object != (c == '}') {
				return nil, 0, fmt.Errorf("offset %d: unexpected %q", i, c)
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		case ':':
			if n := len(stack); n == 0 || !stack[n-1].object {
				return nil, 0, fmt.Errorf("offset %d: unexpected ':'", i)
			}
			stack[len(stack)-1].expectKey = false
		case '"':
			end, err := stringEnd(src, i)
			if err != nil {
				return nil, 0, err
			}
			raw := string(src[i+1 : end])
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				stack[n-1].key = raw
			} else {
				path = path[:0]
				for _, f := range stack {
					if f.object {
						path = append(path, f.key)
					} else {
						path = append(path, "[]")
					}
				}
				if repl, ok := fn(path, raw); ok && repl != raw {
					out.Write(src[last : i+1])
					out.WriteString(repl)
					last = end
					changed++
				}
			}
			i = end
		}
	}
	if len(stack) != 0 {
		return nil, 0, fmt.Errorf("unexpected end of document: %d open containers", len(stack))
	}
	out.Write(src[last:])
	return out.Bytes(), changed, nil
}

// stringEnd returns the index of the closing quote of the string starting at
// src[start] == '"'.
func stringEnd(src []byte, start int) (int, error) {
	for j := start + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j, nil
		}
	}
	return 0, fmt.Errorf("offset %d: unterminated string", start)
}

// RealmRenamer rewrites the realm-specific values of one realm's files when
// the realm is copied under a new name: Old and New are realm names without
// the leading slash ("alpha", "alpha7"), EntityIDOld/EntityIDNew the realm
// entity's ids.
type RealmRenamer struct {
	Old, New                 string
	EntityIDOld, EntityIDNew string
}

// FolderValue is the ValueFunc for files in services/realm/root-OLD/.
func (r RealmRenamer) FolderValue(path []string, raw string) (string, bool) {
	return r.common(raw)
}

// EntityValue is the ValueFunc for services/global/realms/root-OLD.json: on
// top of the folder rules it renames metadata.entityId, data._id and
// data.name.
func (r RealmRenamer) EntityValue(path []string, raw string) (string, bool) {
	if len(path) == 2 {
		switch {
		case path[0] == "metadata" && path[1] == "entityId" && raw == r.EntityIDOld:
			return r.EntityIDNew, true
		case path[0] == "data" && path[1] == "_id" && raw == "root-"+r.Old:
			return "root-" + r.New, true
		case path[0] == "data" && path[1] == "name" && raw == r.Old:
			return r.New, true
		}
	}
	return r.common(raw)
}

// common holds the rules that apply to any string value:
//   - a realm path: "/alpha" or "/alpha/sub" (metadata.realm, and realm
//     references in data);
//   - an LDAP DN with the RDN "o=alpha" (metadata.uid, DNs in data);
//   - a "realm=alpha" or "realm=/alpha" URL query parameter (data URLs such
//     as SetSuccessUrlNode's successUrl).
func (r RealmRenamer) common(raw string) (string, bool) {
	s, changed := raw, false
	oldPath, newPath := "/"+r.Old, "/"+r.New
	if s == oldPath || strings.HasPrefix(s, oldPath+"/") {
		s, changed = newPath+s[len(oldPath):], true
	}
	if t, ok := r.renameDN(s); ok {
		s, changed = t, true
	}
	if t, ok := r.renameQuery(s); ok {
		s, changed = t, true
	}
	return s, changed
}

// renameDN replaces the RDN "o=OLD" of a comma-separated DN.
func (r RealmRenamer) renameDN(s string) (string, bool) {
	rdn := "o=" + r.Old
	if !strings.Contains(s, rdn) {
		return s, false
	}
	parts := strings.Split(s, ",")
	changed := false
	for i, p := range parts {
		if p == rdn {
			parts[i] = "o=" + r.New
			changed = true
		}
	}
	if !changed {
		return s, false
	}
	return strings.Join(parts, ","), true
}

// renameQuery replaces realm=OLD and realm=/OLD query parameter values.
func (r RealmRenamer) renameQuery(s string) (string, bool) {
	const key = "realm="
	var b strings.Builder
	changed := false
	rest := s
	for {
		k := strings.Index(rest, key)
		if k < 0 {
			break
		}
		// the parameter must start the string or follow '?', '&' or '#'
		if k > 0 && !strings.ContainsRune("?&#", rune(rest[k-1])) {
			b.WriteString(rest[:k+len(key)])
			rest = rest[k+len(key):]
			continue
		}
		b.WriteString(rest[:k+len(key)])
		rest = rest[k+len(key):]
		v := rest
		if e := strings.IndexAny(v, "&#"); e >= 0 {
			v = v[:e]
		}
		switch v {
		case r.Old:
			b.WriteString(r.New)
			rest = rest[len(v):]
			changed = true
		case "/" + r.Old:
			b.WriteString("/" + r.New)
			rest = rest[len(v):]
			changed = true
		}
	}
	if !changed {
		return s, false
	}
	b.WriteString(rest)
	return b.String(), true
}
