package migrate

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amupgrade/amupgrade/amjson"
	"github.com/amupgrade/amupgrade/ldif"
)

// keyValue is one attribute of a configuration: the sunKeyValue and
// sunxmlKeyValue values "name=value" of one name, split at the first '='.
// A value "name=" says the attribute is present with no value.
type keyValue struct {
	name   string
	values []string
	line   int
}

// keyValues gathers an entry's attributes in the order of their first value.
// Values without '=' are passed to skip (AM's reader skips them too).
func keyValues(e *ldif.Entry, skip func(a *ldif.Attr)) []*keyValue {
	var out []*keyValue
	idx := map[string]int{}
	for i := range e.Attrs {
		a := &e.Attrs[i]
		if !a.Is("sunKeyValue") && !a.Is("sunxmlKeyValue") {
			continue
		}
		name, value, ok := strings.Cut(string(a.Value), "=")
		if !ok {
			skip(a)
			continue
		}
		j, seen := idx[name]
		if !seen {
			j = len(out)
			idx[name] = j
			out = append(out, &keyValue{name: name, line: a.Line})
		}
		if value != "" {
			out[j].values = append(out[j].values, value)
		}
	}
	return out
}

func (a *AttrSchema) multi() bool { return a.Type == "list" || a.Type == "multiple_choice" }

func (a *AttrSchema) single() bool {
	switch a.Type {
	case "single", "single_choice", "validator", "signature":
		return true
	}
	return false
}

// valueProblem reports a value that the schema's syntax cannot hold; the
// value is then written as the string it is.
type valueProblem func(code, key, msg string)

// typed converts the values of one attribute by its schema, as AM's
// SmsJsonConverter does: single-valued types give one value (null when
// there is none), lists an array, maplists an object.
func typed(a *AttrSchema, values []string, bad valueProblem) *amjson.Value {
	switch {
	case a.single():
		if len(values) == 0 {
			return amjson.NewNull()
		}
		if len(values) > 1 {
			bad(NoticeManyValues, a.Name, fmt.Sprintf("%d values for the single-valued attribute %s; the first in the export is written", len(values), a.Name))
		}
		return scalar(a, values[0], bad)
	case a.multi() && (a.UIType == "maplist" || a.UIType == "globalmaplist"):
		obj := amjson.NewObject()
		for _, v := range values {
			k, val, ok := mapEntry(v)
			if !ok {
				bad(NoticeBadValue, a.Name, fmt.Sprintf("%s is a map, but the value %q is not [key]=value; it is left out", a.Name, clip(v, 60)))
				continue
			}
			obj.Set(k, scalar(a, val, bad))
		}
		sortMembers(obj)
		return obj
	case a.multi():
		items := make([]*amjson.Value, 0, len(values))
		for _, v := range values {
			items = append(items, scalar(a, v, bad))
		}
		return amjson.NewArray(items...)
	}
	// A type AM does not have: written by count, like an attribute with no
	// schema.
	bad(NoticeBadValue, a.Name+"/type", fmt.Sprintf("the schema gives %s the type %q, which AM does not have; written as a string or an array", a.Name, a.Type))
	return untyped(values)
}

// mapEntryRE is the form of a maplist value: [key]=value, spaces allowed
// around the key and before '='. The key holds no brackets.
var mapEntryRE = regexp.MustCompile(`^\s*\[\s*([^\[\]\s][^\[\]]*?)\s*\]\s*=(.*)$`)

func mapEntry(v string) (key, value string, ok bool) {
	m := mapEntryRE.FindStringSubmatch(v)
	if m == nil {
		return "", "", false
	}
	return m[1], strings.TrimSpace(m[2]), true
}

// scalar converts one value by the attribute's syntax.
func scalar(a *AttrSchema, v string, bad valueProblem) *amjson.Value {
	switch a.Syntax {
	case "boolean":
		switch strings.ToLower(v) {
		case "true":
			return amjson.NewBool(true)
		case "false":
			return amjson.NewBool(false)
		}
		// Boolean.parseBoolean reads anything else as false.
		bad(NoticeBadValue, a.Name+"/boolean", fmt.Sprintf("%s is a boolean, but holds %q; written as false, as AM reads it", a.Name, clip(v, 40)))
		return amjson.NewBool(false)
	case "number", "number_range", "numeric", "percent":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			bad(NoticeBadValue, a.Name+"/number", fmt.Sprintf("%s is an integer, but holds %q; written as a string (AM would refuse it)", a.Name, clip(v, 40)))
			return amjson.NewString(v)
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			bad(NoticeBadValue, a.Name+"/int32", fmt.Sprintf("%s is an integer, but %d is outside AM's 32-bit range; written as it is", a.Name, n))
		}
		return amjson.NewNumber(strconv.FormatInt(n, 10))
	case "decimal", "decimal_number", "decimal_range":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			bad(NoticeBadValue, a.Name+"/decimal", fmt.Sprintf("%s is a decimal number, but holds %q; written as a string (AM would refuse it)", a.Name, clip(v, 40)))
			return amjson.NewString(v)
		}
		return amjson.NewNumber(javaDouble(f))
	case "script":
		// AM's REST layer shows scripts in base64, but the FBC trees AM
		// writes (7.2 to 8.0) hold the stored text as it is.
		return amjson.NewString(v)
	case "json":
		j, err := amjson.Parse([]byte(v))
		if err != nil {
			bad(NoticeBadValue, a.Name+"/json", fmt.Sprintf("%s holds JSON, but its value does not parse (%v); written as a string", a.Name, err))
			return amjson.NewString(v)
		}
		return j
	}
	// Strings, and passwords: the stored (AM-encrypted) text is kept, as the
	// FBC trees of AM 7.5 keep it.
	return amjson.NewString(v)
}

// javaDouble writes f as Java's Double.toString does for everyday values:
// integral values keep ".0".
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if math.Abs(f) >= 1e7 || (f != 0 && math.Abs(f) < 1e-3) {
		s = strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
		if neg {
			exp = "-" + exp
		}
		return mant + "E" + exp
	}
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// untyped writes values that no schema types: null for none, a string for
// one, an array of strings for several.
func untyped(values []string) *amjson.Value {
	switch len(values) {
	case 0:
		return amjson.NewNull()
	case 1:
		return amjson.NewString(values[0])
	}
	items := make([]*amjson.Value, len(values))
	for i, v := range values {
		items[i] = amjson.NewString(v)
	}
	return amjson.NewArray(items...)
}

// sortMembers orders an object's keys, so that a file does not depend on
// the order in which the directory returned the values (AM's own is a hash
// order, different from run to run).
func sortMembers(v *amjson.Value) {
	m := v.Members
	// insertion sort: objects are small, and mostly sorted already
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && m[j].Key < m[j-1].Key; j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// validUTF8 replaces what is not UTF-8 (a directory string always is; a
// damaged export may not be).
func validUTF8(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, true
	}
	return strings.ToValidUTF8(s, "\uFFFD"), false
}
