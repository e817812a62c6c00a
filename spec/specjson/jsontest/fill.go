// Package jsontest fills values of any type for tests of generated JSON codecs (see package
// specjson): every field set, the choices drawn from a seed.
package jsontest

import (
	"math"
	"math/rand/v2"
	"reflect"
	"time"
)

// filler sets every field of a value, the choices drawn from a seeded source: nil, empty and
// full pointers, slices and maps, and strings and numbers encoding/json treats specially.
// Interfaces (the spec's one Windows field) are set only with setAny: the decoder leaves them to
// encoding/json.
type filler struct {
	r      *rand.Rand
	setAny bool
}

var fillStrings = []string{"", "a", "/bin/sh", "<a&b>", "line\nbreak\t\"q\"\\", "\u2028\u2029", "é ü 中", "\x00\x01\x1f\x7f", "\xff\xfebad", "CAP_SYS_ADMIN"}

func (f filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(f.r.IntN(1<<31)), int64(f.r.IntN(1e9))).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		if f.r.IntN(4) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		switch n := f.r.IntN(5); n {
		case 0:
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := 0; i < n-1; i++ {
				f.fill(v.Index(i))
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		switch n := f.r.IntN(4); n {
		case 0:
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for i := 0; i < n; i++ {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				f.fill(k)
				f.fill(e)
				v.SetMapIndex(k, e)
			}
		}
	case reflect.String:
		v.SetString(fillStrings[f.r.IntN(len(fillStrings))])
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := v.Type().Bits()
		switch f.r.IntN(4) {
		case 0:
		case 1:
			v.SetInt(-1 << (bits - 1))
		case 2:
			v.SetInt(1<<(bits-1) - 1)
		default:
			v.SetInt(int64(f.r.IntN(100000)) - 50000)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch f.r.IntN(3) {
		case 0:
		case 1:
			v.SetUint(math.MaxUint64 >> (64 - v.Type().Bits()))
		default:
			v.SetUint(uint64(f.r.IntN(100000)))
		}
	case reflect.Interface:
		if f.setAny && f.r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(map[string]any{"credential": []any{1.5, "x", nil}}))
		}
	default:
		panic("filler: " + v.Type().String())
	}
}

// Filled returns a T with every field set from seed.
func Filled[T any](seed uint64, setAny bool) *T {
	v := new(T)
	filler{rand.New(rand.NewPCG(seed, 7)), setAny}.fill(reflect.ValueOf(v).Elem())
	return v
}
