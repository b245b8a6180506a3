package amjson

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kind is the JSON type of a Value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "invalid"
}

// Value is one node of a JSON document. Objects keep their members in
// source order, because configuration lives in Git and a reordered file is
// review noise. Numbers keep their source text, so 953.171875 or
// 12345678901234567890 are written back exactly as read.
type Value struct {
	Kind Kind
	// Bool holds the value of a Bool.
	Bool bool
	// Text holds the decoded text of a String, or the exact token of a Number.
	Text string
	// Items holds the elements of an Array.
	Items []*Value
	// Members holds the members of an Object, in order.
	Members []Member
}

// Member is one key of an Object.
type Member struct {
	Key   string
	Value *Value
}

// NewString returns a String value.
func NewString(s string) *Value { return &Value{Kind: String, Text: s} }

// NewNumber returns a Number value with the given token text.
func NewNumber(text string) *Value { return &Value{Kind: Number, Text: text} }

// NewBool returns a Bool value.
func NewBool(b bool) *Value { return &Value{Kind: Bool, Bool: b} }

// NewNull returns a Null value.
func NewNull() *Value { return &Value{Kind: Null} }

// NewObject returns an empty Object.
func NewObject() *Value { return &Value{Kind: Object} }

// NewArray returns an Array holding items.
func NewArray(items ...*Value) *Value { return &Value{Kind: Array, Items: items} }

// Get returns the value of the member key, or nil when v is not an Object
// or has no such member.
func (v *Value) Get(key string) *Value {
	if i, ok := v.Lookup(key); ok {
		return v.Members[i].Value
	}
	return nil
}

// Lookup returns the index of the member key in v.Members. Objects in AM
// files are small (a few dozen members at most), so a linear scan beats
// keeping an index up to date through every edit.
func (v *Value) Lookup(key string) (int, bool) {
	if v == nil || v.Kind != Object {
		return -1, false
	}
	for i := range v.Members {
		if v.Members[i].Key == key {
			return i, true
		}
	}
	return -1, false
}

// Set replaces the value of the member key where it stands, or appends the
// member at the end, which is where the vendor tool puts new keys: a diff
// against its output then shows no reordering. A nil val is stored as null.
// Set does nothing when v is not an Object.
func (v *Value) Set(key string, val *Value) {
	if v == nil || v.Kind != Object {
		return
	}
	if val == nil {
		val = NewNull()
	}
	if i, ok := v.Lookup(key); ok {
		v.Members[i].Value = val
		return
	}
	v.Members = append(v.Members, Member{Key: key, Value: val})
}

// Delete removes the member key, keeping the order of the others, and
// reports whether it was there.
func (v *Value) Delete(key string) bool {
	i, ok := v.Lookup(key)
	if !ok {
		return false
	}
	// slices.Delete also clears the freed slot, so the removed value can
	// be collected.
	v.Members = slices.Delete(v.Members, i, i+1)
	return true
}

// Clone returns a deep copy of v, so a rule can edit it without touching
// the tree it came from.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := &Value{Kind: v.Kind, Bool: v.Bool, Text: v.Text}
	if v.Items != nil {
		c.Items = make([]*Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = it.Clone()
		}
	}
	if v.Members != nil {
		c.Members = make([]Member, len(v.Members))
		for i, m := range v.Members {
			c.Members[i] = Member{Key: m.Key, Value: m.Value.Clone()}
		}
	}
	return c
}

// Equal reports whether a and b hold the same JSON data. Member order is
// ignored because AM and Amster reorder keys freely; array order is not,
// because AM keeps lists ordered. Numbers are compared by value, so 1.0
// equals 1 and 1e2 equals 100. A nil *Value counts as null, as the printer
// writes it.
func Equal(a, b *Value) bool {
	ka, kb := kindOfValue(a), kindOfValue(b)
	if ka != kb {
		return false
	}
	switch ka {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case String:
		return a.Text == b.Text
	case Number:
		return a.Text == b.Text || sameJSONNumber(a.Text, b.Text)
	case Array:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !Equal(a.Items[i], b.Items[i]) {
				return false
			}
		}
		return true
	case Object:
		if len(a.Members) != len(b.Members) {
			return false
		}
		if len(a.Members) > 16 {
			return equalJSONMembersIndexed(a.Members, b.Members)
		}
		for _, m := range a.Members {
			j, ok := b.Lookup(m.Key)
			if !ok || !Equal(m.Value, b.Members[j].Value) {
				return false
			}
		}
		return true
	}
	return false
}

// equalJSONMembersIndexed is Equal for large objects, where repeated linear
// lookups would be quadratic.
func equalJSONMembersIndexed(a, b []Member) bool {
	idx := make(map[string]*Value, len(b))
	for _, m := range b {
		if _, dup := idx[m.Key]; !dup {
			idx[m.Key] = m.Value
		}
	}
	for _, m := range a {
		w, ok := idx[m.Key]
		if !ok || !Equal(m.Value, w) {
			return false
		}
	}
	return true
}

func kindOfValue(v *Value) Kind {
	if v == nil {
		return Null
	}
	return v.Kind
}

// jsonNumberPrec is far beyond float64 so that numbers that differ only past
// the 17th digit, such as long identifiers, still compare unequal.
const jsonNumberPrec = 256

func sameJSONNumber(x, y string) bool {
	fx, _, errx := new(big.Float).SetPrec(jsonNumberPrec).Parse(x, 10)
	fy, _, erry := new(big.Float).SetPrec(jsonNumberPrec).Parse(y, 10)
	if errx != nil || erry != nil {
		return false
	}
	return fx.Cmp(fy) == 0
}

// Interface returns v as plain Go data: nil, bool, string, int64 for
// integer tokens that fit, float64 for other numbers, []any and
// map[string]any. It is for expressions and templates, which need Go
// values; the tree itself keeps the exact number text.
func (v *Value) Interface() any {
	switch kindOfValue(v) {
	case Bool:
		return v.Bool
	case String:
		return v.Text
	case Number:
		if !strings.ContainsAny(v.Text, ".eE") {
			if n, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
				return n
			}
		}
		// Out of range gives ±Inf, the closest float64 there is.
		f, _ := strconv.ParseFloat(v.Text, 64)
		return f
	case Array:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = it.Interface()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Members))
		for _, m := range v.Members {
			out[m.Key] = m.Value.Interface()
		}
		return out
	}
	return nil
}

// FromInterface builds a Value from plain Go data, the inverse of
// Interface. Map keys are sorted so that the same data always gives the
// same file. A *Value is cloned, so the result never shares nodes with
// the caller's tree.
func FromInterface(x any) (*Value, error) {
	switch x := x.(type) {
	case nil:
		return NewNull(), nil
	case *Value:
		if x == nil {
			return NewNull(), nil
		}
		return x.Clone(), nil
	case bool:
		return NewBool(x), nil
	case string:
		return NewString(x), nil
	case int:
		return NewNumber(strconv.FormatInt(int64(x), 10)), nil
	case int8:
		return NewNumber(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return NewNumber(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return NewNumber(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return NewNumber(strconv.FormatInt(x, 10)), nil
	case uint:
		return NewNumber(strconv.FormatUint(uint64(x), 10)), nil
	case uint8:
		return NewNumber(strconv.FormatUint(uint64(x), 10)), nil
	case uint16:
		return NewNumber(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return NewNumber(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return NewNumber(strconv.FormatUint(x, 10)), nil
	case uintptr:
		return NewNumber(strconv.FormatUint(uint64(x), 10)), nil
	case float32:
		return jsonNumberFromFloat(float64(x), 32)
	case float64:
		return jsonNumberFromFloat(x, 64)
	case []string:
		arr := &Value{Kind: Array, Items: make([]*Value, len(x))}
		for i, s := range x {
			arr.Items[i] = NewString(s)
		}
		return arr, nil
	case []any:
		arr := &Value{Kind: Array, Items: make([]*Value, len(x))}
		for i, e := range x {
			it, err := FromInterface(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			arr.Items[i] = it
		}
		return arr, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := &Value{Kind: Object, Members: make([]Member, len(keys))}
		for i, k := range keys {
			it, err := FromInterface(x[k])
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			obj.Members[i] = Member{Key: k, Value: it}
		}
		return obj, nil
	}
	return nil, fmt.Errorf("cannot convert a value of Go type %T to JSON", x)
}

// jsonNumberFromFloat writes f the way a person would: integral values without
// a fraction ("3", not "3.0" or "3e+00"), the shortest text that reads back
// as the same float, and an exponent only for very large or small values.
func jsonNumberFromFloat(f float64, bits int) (*Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("cannot convert float%d %v to JSON: JSON has no NaN or infinity; use null or a string", bits, f)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	return NewNumber(strconv.FormatFloat(f, format, -1, bits)), nil
}
