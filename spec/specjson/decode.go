//go:build goexperiment.jsonv2

package specjson

import (
	"bytes"
	"encoding/json"
	"encoding/json/jsontext"
	"errors"
	"io"
	"strconv"
	"strings"
	"unsafe"
)

// errFallback says the input is valid JSON this decoder does not decode exactly as
// encoding/json would (a name that matches a field only without regard to case, a duplicate
// name, invalid UTF-8, a number that does not fit) or is not valid at all: Decode then leaves
// the work to encoding/json, for its result and its error text.
var errFallback = errors.New("specjson: leave this input to encoding/json")

// Decoder reads one JSON value into Go values through generated code, token by token.
type Decoder struct {
	dec *jsontext.Decoder
}

// Decode decodes data into *v with decode, a generated function, exactly as json.Unmarshal
// would: what it does not do the same way, and every error, is done by json.Unmarshal instead.
// v is written only once decoding succeeded, or by json.Unmarshal.
func Decode[T any](data []byte, v *T, decode func(*Decoder, *T) error) error {
	var fresh T
	if DecodeOnly(data, &fresh, decode) == nil {
		*v = fresh
		return nil
	}
	return json.Unmarshal(data, v)
}

// DecodeOnly is Decode without the fallback: it fails on what it leaves to encoding/json. Tests
// use it to see that the generated code does the work.
func DecodeOnly[T any](data []byte, v *T, decode func(*Decoder, *T) error) error {
	// A *bytes.Buffer is parsed in place; any other reader is copied into a buffer of 64 KiB and more.
	d := &Decoder{dec: jsontext.NewDecoder(bytes.NewBuffer(data))}
	if err := decode(d, v); err != nil {
		return err
	}
	if _, err := d.dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errFallback // a second value or trailing garbage
	}
	return nil
}

// null consumes a null and says so.
func (d *Decoder) null() (bool, error) {
	if d.dec.PeekKind() != 'n' {
		return false, nil
	}
	_, err := d.dec.ReadToken()
	return true, err
}

// Object reads an object, calling field for each name with the decoder at its value, which
// field must consume. null leaves the value as it is (encoding/json's rule for structs).
func (d *Decoder) Object(field func(name string) error) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	return d.members('{', '}', func(int) error {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return err
		}
		return field(tok.String())
	})
}

// members reads an object or array (open, close), calling each for its members, numbered from
// 0, with the decoder at the member, which each must consume.
func (d *Decoder) members(open, close jsontext.Kind, each func(i int) error) error {
	if d.dec.PeekKind() != open {
		return errFallback
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for i := 0; d.dec.PeekKind() != close; i++ {
		if err := each(i); err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// Unknown skips the value of a name that is none of a struct's field names (known). A name
// equal to one of them without regard to case is one encoding/json matches to the field (its
// v1 rule: case-insensitive, '-' and '_' significant): that input is left to it, as is any name
// beyond ASCII (Unicode case folding: K, the Kelvin sign).
func (d *Decoder) Unknown(name string, known ...string) error {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return errFallback
		}
	}
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return errFallback
		}
	}
	return d.dec.SkipValue()
}

// scalar reads a string, boolean or number token whose kind is in kinds (jsontext's kind bytes:
// '"', 't', 'f', '0'); ok is false for null, which leaves the value (encoding/json's rule), and
// for an error.
func (d *Decoder) scalar(kinds string) (tok jsontext.Token, ok bool, err error) {
	if null, err := d.null(); null || err != nil {
		return tok, false, err
	}
	if k := d.dec.PeekKind(); k == 0 || !strings.ContainsRune(kinds, rune(k)) {
		return tok, false, errFallback
	}
	tok, err = d.dec.ReadToken()
	return tok, err == nil, err
}

// DecodeString reads a string.
func DecodeString[T ~string](d *Decoder, p *T) error {
	tok, ok, err := d.scalar(`"`)
	if ok {
		*p = T(tok.String())
	}
	return err
}

// DecodeBool reads true or false.
func DecodeBool[T ~bool](d *Decoder, p *T) error {
	tok, ok, err := d.scalar("tf")
	if ok {
		*p = T(tok.Bool())
	}
	return err
}

// number reads a number into *p with parse (strconv's rules, as encoding/json's): a literal
// parse refuses (a fraction, an exponent, out of T's range) is left to encoding/json.
func number[T any](d *Decoder, p *T, parse func(lit string, bits int) (T, error)) error {
	tok, ok, err := d.scalar("0")
	if !ok {
		return err
	}
	n, err := parse(tok.String(), int(unsafe.Sizeof(*p))*8) // a number token's String is its literal
	if err != nil {
		return errFallback
	}
	*p = n
	return nil
}

// DecodeInt reads an integer that fits T.
func DecodeInt[T ~int | ~int8 | ~int16 | ~int32 | ~int64](d *Decoder, p *T) error {
	return number(d, p, func(lit string, bits int) (T, error) {
		n, err := strconv.ParseInt(lit, 10, bits)
		return T(n), err
	})
}

// DecodeUint reads an unsigned integer that fits T.
func DecodeUint[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](d *Decoder, p *T) error {
	return number(d, p, func(lit string, bits int) (T, error) {
		n, err := strconv.ParseUint(lit, 10, bits)
		return T(n), err
	})
}

// DecodePtr reads a value into a new T; null makes the pointer nil.
func DecodePtr[T any](d *Decoder, p **T, elem func(*Decoder, *T) error) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	v := new(T)
	if err := elem(d, v); err != nil {
		return err
	}
	*p = v
	return nil
}

// DecodeSlice reads an array into a new slice (empty, not nil, for []); null makes it nil.
func DecodeSlice[T any](d *Decoder, p *[]T, elem func(*Decoder, *T) error) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	s := make([]T, 0)
	err := d.members('[', ']', func(int) error {
		var v T
		if err := elem(d, &v); err != nil {
			return err
		}
		s = append(s, v)
		return nil
	})
	if err != nil {
		return err
	}
	*p = s
	return nil
}

// DecodeArray reads an array into the elements of an array type's value (s, its slice):
// elements beyond its length are skipped, as encoding/json does, and those the input lacks stay
// zero (the value is a fresh one: see Decode). null leaves it.
func DecodeArray[T any](d *Decoder, s []T, elem func(*Decoder, *T) error) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	return d.members('[', ']', func(i int) error {
		if i >= len(s) {
			return d.dec.SkipValue()
		}
		return elem(d, &s[i])
	})
}

// DecodeMap reads an object into a new map; null makes it nil.
func DecodeMap[T any](d *Decoder, p *map[string]T, elem func(*Decoder, *T) error) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	m := make(map[string]T)
	err := d.Object(func(name string) error {
		var v T
		if err := elem(d, &v); err != nil {
			return err
		}
		m[name] = v
		return nil
	})
	if err != nil {
		return err
	}
	*p = m
	return nil
}

// DecodeAny leaves any value but null to encoding/json: the spec's only interface is a Windows
// field.
func DecodeAny(d *Decoder, p *any) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	return errFallback
}

// DecodeUnmarshaler hands the raw value to the type's own UnmarshalJSON.
func DecodeUnmarshaler[T any, PT interface {
	*T
	json.Unmarshaler
}](d *Decoder, p *T) error {
	if d.dec.PeekKind() == 'n' {
		return errFallback // encoding/json's null rules for Unmarshalers differ by kind
	}
	raw, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	return PT(p).UnmarshalJSON(raw)
}
