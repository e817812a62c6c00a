package jsontest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// CheckCodec checks a generated codec of T against encoding/json over 300 filled values: marshal
// writes json.Marshal's bytes (or fails where it fails), and decode, the generated decoder
// alone (specjson.DecodeOnly), reads back what json.Unmarshal reads, and refuses what it
// refuses (a type's own UnmarshalJSON may refuse what its MarshalJSON wrote of a filled value).
func CheckCodec[T any](t testing.TB, marshal func(*T) ([]byte, error), decode func([]byte, *T) error) {
	t.Helper()
	for seed := uint64(0); seed < 300; seed++ {
		v := Filled[T](seed, false)
		got, gotErr := marshal(v)
		want, wantErr := json.Marshal(v)
		if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("seed %d: encoded (%v)\n%s\njson.Marshal (%v)\n%s", seed, gotErr, got, wantErr, want)
		}
		if wantErr != nil {
			continue
		}
		var fast, ref T
		fastErr := decode(want, &fast)
		if err := json.Unmarshal(want, &ref); err != nil {
			if fastErr == nil {
				t.Fatalf("seed %d: decoded what json.Unmarshal refused (%v)", seed, err)
			}
			continue
		}
		if fastErr != nil {
			t.Fatalf("seed %d: the generated decoder gave up (%v) on\n%s", seed, fastErr, want)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("seed %d: decoded\n%+v\njson.Unmarshal\n%+v", seed, fast, ref)
		}
	}
}
