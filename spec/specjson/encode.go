//go:build goexperiment.jsonv2

package specjson

import (
	"bytes"
	"encoding/json"
	"encoding/json/jsontext"
	"slices"
	"unicode/utf8"
)

// Encoder writes Go values as JSON through generated code, byte for byte what json.Marshal
// writes for them (specjson_test.go checks).
type Encoder struct {
	buf bytes.Buffer
	enc *jsontext.Encoder
	err error // the first error; later writes do nothing
}

// Encode encodes *v with encode, a generated function, into what json.Marshal(v) returns. On an
// error (a type's own MarshalJSON failing) json.Marshal does it again, for its error text.
func Encode[T any](v *T, encode func(*Encoder, *T)) ([]byte, error) {
	e := &Encoder{}
	// json.Marshal's escaping: <, > and & as \u003c..., U+2028 and U+2029 escaped too. Names are
	// the generated code's and unique, so they are not tracked.
	e.enc = jsontext.NewEncoder(&e.buf, jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true), jsontext.AllowDuplicateNames(true))
	encode(e, v)
	if e.err != nil {
		return json.Marshal(v)
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}

func (e *Encoder) token(t jsontext.Token) {
	if e.err == nil {
		e.err = e.enc.WriteToken(t)
	}
}

// raw writes JSON made elsewhere (json.Marshal, a type's MarshalJSON), or keeps its error: Encode
// then leaves the whole value to json.Marshal.
func (e *Encoder) raw(b []byte, err error) {
	if e.err == nil {
		e.err = err
	}
	if e.err == nil {
		e.err = e.enc.WriteValue(b)
	}
}

// Begin starts an object.
func (e *Encoder) Begin() { e.token(jsontext.BeginObject) }

// End ends an object.
func (e *Encoder) End() { e.token(jsontext.EndObject) }

// Name writes an object member's name; its value is to follow.
func (e *Encoder) Name(n string) { e.token(jsontext.String(n)) }

func (e *Encoder) null() { e.token(jsontext.Null) }

// EncodeString writes a string. Invalid UTF-8 is left to json.Marshal, which writes \ufffd for
// it.
func EncodeString[T ~string](e *Encoder, p *T) {
	s := string(*p)
	if !utf8.ValidString(s) {
		e.raw(json.Marshal(s))
		return
	}
	e.token(jsontext.String(s))
}

// EncodeBool writes true or false.
func EncodeBool[T ~bool](e *Encoder, p *T) { e.token(jsontext.Bool(bool(*p))) }

// EncodeInt writes an integer.
func EncodeInt[T ~int | ~int8 | ~int16 | ~int32 | ~int64](e *Encoder, p *T) {
	e.token(jsontext.Int(int64(*p)))
}

// EncodeUint writes an unsigned integer.
func EncodeUint[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](e *Encoder, p *T) {
	e.token(jsontext.Uint(uint64(*p)))
}

// EncodePtr writes *p, or null for nil.
func EncodePtr[T any](e *Encoder, p **T, elem func(*Encoder, *T)) {
	if *p == nil {
		e.null()
		return
	}
	elem(e, *p)
}

// EncodeSlice writes an array, or null for a nil slice.
func EncodeSlice[T any](e *Encoder, p *[]T, elem func(*Encoder, *T)) {
	if *p == nil {
		e.null()
		return
	}
	EncodeArray(e, *p, elem)
}

// EncodeArray writes an array type's value (s, its slice).
func EncodeArray[T any](e *Encoder, s []T, elem func(*Encoder, *T)) {
	e.token(jsontext.BeginArray)
	for i := range s {
		elem(e, &s[i])
	}
	e.token(jsontext.EndArray)
}

// EncodeMap writes an object with the keys in order, or null for a nil map.
func EncodeMap[T any](e *Encoder, p *map[string]T, elem func(*Encoder, *T)) {
	if *p == nil {
		e.null()
		return
	}
	keys := make([]string, 0, len(*p))
	for k := range *p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.Begin()
	for _, k := range keys {
		EncodeString(e, &k)
		v := (*p)[k]
		elem(e, &v)
	}
	e.End()
}

// EncodeAny writes an interface's value with json.Marshal: the spec's only one is a Windows
// field.
func EncodeAny(e *Encoder, p *any) {
	e.raw(json.Marshal(*p))
}

// EncodeMarshaler writes what the type's own MarshalJSON returns.
func EncodeMarshaler[T any, PT interface {
	*T
	json.Marshaler
}](e *Encoder, p *T) {
	e.raw(PT(p).MarshalJSON())
}
