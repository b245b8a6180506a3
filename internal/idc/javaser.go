package idc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A JCEKS secret key entry is a Java-serialised object (a SealedObject
// holding the encrypted key), and the sealed content is itself a serialised
// key object. This is a reader for the object-stream grammar of the Java
// Object Serialization Specification, chapter 6, enough to walk any stream
// and to pick out the fields of plain serialisable classes. It builds
// values only: no class is looked up and nothing is executed. It is bounded
// in depth, in the number of values and by the input's length, so a hostile
// stream costs at most a few times its own size.

// Stream constants (java.io.ObjectStreamConstants).
const (
	jMagic          = 0xACED
	jVersion        = 5
	tcNull          = 0x70
	tcReference     = 0x71
	tcClassDesc     = 0x72
	tcObject        = 0x73
	tcString        = 0x74
	tcArray         = 0x75
	tcClass         = 0x76
	tcBlockData     = 0x77
	tcEndBlockData  = 0x78
	tcReset         = 0x79
	tcBlockDataLong = 0x7A
	tcException     = 0x7B
	tcLongString    = 0x7C
	tcProxyClass    = 0x7D
	tcEnum          = 0x7E
	baseHandle      = 0x7E0000

	scWriteMethod    = 0x01
	scSerializable   = 0x02
	scExternalizable = 0x04
	scBlockData      = 0x08

	jMaxDepth  = 64
	jMaxValues = 100000
)

// jClass is a class descriptor.
type jClass struct {
	name   string
	flags  byte
	fields []jField
	super  *jClass
}

type jField struct {
	code  byte // B C D F I J S Z, or L / [ for references
	name  string
	class string // for L and [: the field's type signature
}

// jObject is an instance: its fields by name, from every serialisable
// class of its hierarchy (a subclass's field shadows a superclass's).
type jObject struct {
	class  *jClass
	fields map[string]any
}

// jEnum is an enum constant.
type jEnum struct {
	class *jClass
	name  string
}

// jDecoder decodes one object stream. Values are nil, bool, int64, float64,
// string, []byte (a byte[]), []any (other arrays), *jObject, *jEnum and
// *jClass.
type jDecoder struct {
	r       reader
	handles []any
	values  int
}

// decodeSerialized decodes the stream header and the first object of data,
// and returns it and the number of bytes it took.
func decodeSerialized(data []byte) (any, int, error) {
	d := &jDecoder{r: reader{b: data}}
	if m := d.r.u16(); d.r.err == nil && m != jMagic {
		return nil, 0, &FormatError{0, fmt.Sprintf("not a Java object stream (it starts with %04x, not aced)", m)}
	}
	if v := d.r.u16(); d.r.err == nil && v != jVersion {
		return nil, 0, &FormatError{2, fmt.Sprintf("Java object stream version %d (only 5 exists)", v)}
	}
	v, err := d.content(0)
	if err == nil {
		err = d.r.err
	}
	if err != nil {
		return nil, 0, err
	}
	return v, d.r.off, nil
}

// skipSerialized is the length of the serialised object data starts with.
func skipSerialized(data []byte) (int, error) {
	_, n, err := decodeSerialized(data)
	return n, err
}

var errEndBlock = errors.New("end of block data")

// errorf is a FormatError at the decoder's offset in the stream.
func (d *jDecoder) errorf(format string, args ...any) error {
	return &FormatError{d.r.off, fmt.Sprintf(format, args...)}
}

func (d *jDecoder) newHandle(v any) int {
	d.handles = append(d.handles, v)
	return len(d.handles) - 1
}

// content reads one element of the stream: an object, or block data (which
// is skipped). It returns errEndBlock at TC_ENDBLOCKDATA.
func (d *jDecoder) content(depth int) (any, error) {
	if depth > jMaxDepth {
		return nil, d.errorf("objects nested more than %d deep", jMaxDepth)
	}
	if d.values++; d.values > jMaxValues {
		return nil, d.errorf("more than %d values", jMaxValues)
	}
	tc := d.r.take(1, "a type code")
	if d.r.err != nil {
		return nil, d.r.err
	}
	switch tc[0] {
	case tcNull:
		return nil, nil
	case tcReference:
		h := int(d.r.u32()) - baseHandle
		if d.r.err != nil {
			return nil, d.r.err
		}
		if h < 0 || h >= len(d.handles) {
			return nil, d.errorf("a reference to handle %d, of %d defined", h, len(d.handles))
		}
		return d.handles[h], nil
	case tcClassDesc, tcProxyClass:
		d.r.off--
		return d.classDesc(depth + 1)
	case tcObject:
		return d.object(depth + 1)
	case tcString:
		return d.str(int(d.r.u16()))
	case tcLongString:
		n := d.r.i64()
		if n < 0 || n > math.MaxInt32 {
			return nil, d.errorf("a string of %d bytes", n)
		}
		return d.str(int(n))
	case tcArray:
		return d.array(depth + 1)
	case tcClass:
		c, err := d.classDesc(depth + 1)
		if err != nil {
			return nil, err
		}
		d.newHandle(c)
		return c, nil
	case tcEnum:
		c, err := d.classDesc(depth + 1)
		if err != nil {
			return nil, err
		}
		e := &jEnum{class: c}
		d.newHandle(e)
		name, err := d.content(depth + 1)
		if err != nil {
			return nil, err
		}
		s, ok := name.(string)
		if !ok {
			return nil, d.errorf("an enum constant whose name is not a string")
		}
		e.name = s
		return e, nil
	case tcBlockData:
		n := d.r.take(1, "a block length")
		if n != nil {
			d.r.take(int(n[0]), "block data")
		}
		return nil, d.r.err
	case tcBlockDataLong:
		n := d.r.u32()
		if n > math.MaxInt32 {
			return nil, d.errorf("block data of %d bytes", n)
		}
		d.r.take(int(n), "block data")
		return nil, d.r.err
	case tcEndBlockData:
		return nil, errEndBlock
	case tcReset:
		d.handles = d.handles[:0]
		return d.content(depth)
	case tcException:
		return nil, d.errorf("the stream holds an exception written while serialising")
	}
	return nil, &FormatError{d.r.off - 1, fmt.Sprintf("unknown type code %#02x", tc[0])}
}

func (d *jDecoder) str(n int) (any, error) {
	at := d.r.off
	p := d.r.take(n, "a string")
	if d.r.err != nil {
		return nil, d.r.err
	}
	s, err := decodeModifiedUTF8(p)
	if err != nil {
		return nil, &FormatError{at, err.Error()}
	}
	d.newHandle(s)
	return s, nil
}

// classDesc reads a class descriptor (new, proxy, null or a reference).
func (d *jDecoder) classDesc(depth int) (*jClass, error) {
	if depth > jMaxDepth {
		return nil, d.errorf("class descriptors nested more than %d deep", jMaxDepth)
	}
	tc := d.r.take(1, "a class descriptor")
	if d.r.err != nil {
		return nil, d.r.err
	}
	switch tc[0] {
	case tcNull:
		return nil, nil
	case tcReference:
		d.r.off--
		v, err := d.content(depth)
		if err != nil {
			return nil, err
		}
		c, ok := v.(*jClass)
		if !ok {
			return nil, d.errorf("a class descriptor refers to a value that is not one")
		}
		return c, nil
	case tcClassDesc:
		c := &jClass{name: d.r.utf()}
		d.r.i64() // serialVersionUID
		if d.r.err != nil {
			return nil, d.r.err
		}
		d.newHandle(c)
		flags := d.r.take(1, "class flags")
		if flags != nil {
			c.flags = flags[0]
		}
		n := int(d.r.u16())
		for i := 0; i < n && d.r.err == nil; i++ {
			code := d.r.take(1, "a field type")
			if code == nil {
				break
			}
			f := jField{code: code[0]}
			f.name = d.r.utf()
			switch f.code {
			case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
			case 'L', '[':
				v, err := d.content(depth + 1)
				if err != nil {
					return nil, err
				}
				s, ok := v.(string)
				if !ok {
					return nil, d.errorf("field %q of %s: its type is not a string", f.name, c.name)
				}
				f.class = s
			default:
				return nil, d.errorf("field %q of %s: unknown type code %q", f.name, c.name, f.code)
			}
			c.fields = append(c.fields, f)
		}
		if d.r.err != nil {
			return nil, d.r.err
		}
		if err := d.annotation(depth); err != nil {
			return nil, err
		}
		super, err := d.classDesc(depth + 1)
		if err != nil {
			return nil, err
		}
		c.super = super
		return c, nil
	case tcProxyClass:
		c := &jClass{name: "(proxy)", flags: scSerializable}
		d.newHandle(c)
		n := d.r.u32()
		if n > 65535 {
			return nil, d.errorf("a proxy with %d interfaces", n)
		}
		for i := uint32(0); i < n && d.r.err == nil; i++ {
			d.r.utf()
		}
		if d.r.err != nil {
			return nil, d.r.err
		}
		if err := d.annotation(depth); err != nil {
			return nil, err
		}
		super, err := d.classDesc(depth + 1)
		if err != nil {
			return nil, err
		}
		c.super = super
		return c, nil
	}
	return nil, d.errorf("type code %#02x where a class descriptor belongs", tc[0])
}

// annotation skips contents up to TC_ENDBLOCKDATA.
func (d *jDecoder) annotation(depth int) error {
	for {
		_, err := d.content(depth + 1)
		if err == errEndBlock {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (d *jDecoder) object(depth int) (any, error) {
	c, err := d.classDesc(depth)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, d.errorf("an object without a class")
	}
	o := &jObject{class: c, fields: map[string]any{}}
	d.newHandle(o)
	// Class data goes from the topmost serialisable superclass down.
	var chain []*jClass
	for k := c; k != nil; k = k.super {
		if len(chain) > jMaxDepth {
			return nil, d.errorf("a class hierarchy more than %d deep", jMaxDepth)
		}
		chain = append(chain, k)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		k := chain[i]
		switch {
		case k.flags&scExternalizable != 0:
			if k.flags&scBlockData == 0 {
				return nil, d.errorf("%s is externalised without block data (protocol 1), which cannot be skipped", k.name)
			}
			if err := d.annotation(depth); err != nil {
				return nil, err
			}
		case k.flags&scSerializable != 0:
			for _, f := range k.fields {
				v, err := d.fieldValue(f, depth)
				if err != nil {
					return nil, err
				}
				o.fields[f.name] = v
			}
			if k.flags&scWriteMethod != 0 {
				if err := d.annotation(depth); err != nil {
					return nil, err
				}
			}
		}
	}
	return o, nil
}

func (d *jDecoder) fieldValue(f jField, depth int) (any, error) {
	switch f.code {
	case 'B':
		p := d.r.take(1, "a byte")
		if p == nil {
			return nil, d.r.err
		}
		return int64(int8(p[0])), nil
	case 'Z':
		p := d.r.take(1, "a boolean")
		if p == nil {
			return nil, d.r.err
		}
		return p[0] != 0, nil
	case 'C', 'S':
		return int64(int16(d.r.u16())), d.r.err
	case 'I':
		return int64(int32(d.r.u32())), d.r.err
	case 'J':
		return d.r.i64(), d.r.err
	case 'F':
		return float64(math.Float32frombits(d.r.u32())), d.r.err
	case 'D':
		return math.Float64frombits(uint64(d.r.i64())), d.r.err
	}
	v, err := d.content(depth + 1)
	if err == errEndBlock {
		return nil, d.errorf("end of block data where field %q belongs", f.name)
	}
	return v, err
}

// elementSize is the size of a primitive array element, 0 for references.
func elementSize(code byte) int {
	switch code {
	case 'B', 'Z':
		return 1
	case 'C', 'S':
		return 2
	case 'I', 'F':
		return 4
	case 'J', 'D':
		return 8
	}
	return 0
}

func (d *jDecoder) array(depth int) (any, error) {
	c, err := d.classDesc(depth)
	if err != nil {
		return nil, err
	}
	if c == nil || len(c.name) < 2 || c.name[0] != '[' {
		return nil, d.errorf("an array whose class is not an array type")
	}
	h := d.newHandle(nil)
	n := d.r.u32()
	if d.r.err != nil {
		return nil, d.r.err
	}
	code := c.name[1]
	size := elementSize(code)
	// Each element takes at least one byte, so the length is bounded by
	// what is left of the input before anything is allocated.
	if n > math.MaxInt32 || int(n) > len(d.r.b)-d.r.off {
		return nil, d.errorf("an array of %d elements in %d bytes", n, len(d.r.b)-d.r.off)
	}
	if code == 'B' {
		p := d.r.take(int(n), "a byte array")
		if d.r.err != nil {
			return nil, d.r.err
		}
		b := append([]byte(nil), p...)
		d.handles[h] = b
		return b, nil
	}
	if size > 0 {
		if int(n)*size > len(d.r.b)-d.r.off {
			return nil, d.errorf("an array of %d elements of %d bytes in %d bytes", n, size, len(d.r.b)-d.r.off)
		}
		out := make([]any, n)
		for i := range out {
			p := d.r.take(size, "an array element")
			switch size {
			case 1:
				out[i] = int64(int8(p[0]))
			case 2:
				out[i] = int64(int16(binary.BigEndian.Uint16(p)))
			case 4:
				out[i] = int64(int32(binary.BigEndian.Uint32(p)))
			case 8:
				out[i] = int64(binary.BigEndian.Uint64(p))
			}
		}
		d.handles[h] = out
		return out, nil
	}
	if code != 'L' && code != '[' {
		return nil, d.errorf("array type %q", c.name)
	}
	out := make([]any, 0, min(int(n), 1024))
	for i := uint32(0); i < n; i++ {
		v, err := d.content(depth + 1)
		if err == errEndBlock {
			return nil, d.errorf("end of block data inside an array")
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	d.handles[h] = out
	return out, nil
}
