//go:build goexperiment.jsonv2 && !jsongen

package state

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/contain-runtime/contain/spec/specjson"
	"github.com/contain-runtime/contain/spec/specjson/jsontest"
)

// codecIsEncodingJSON checks the generated codec of T against encoding/json over values with
// every field set: the same bytes out, and the same value back without the fallback.
func codecIsEncodingJSON[T any](t *testing.T, marshal func(*T) ([]byte, error), decode func(*specjson.Decoder, *T) error) {
	t.Helper()
	for seed := uint64(0); seed < 300; seed++ {
		v := jsontest.Filled[T](seed, false)
		got, err := marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: encoded\n%s\njson.Marshal\n%s", seed, got, want)
		}
		var fast, ref T
		if err := specjson.DecodeOnly(want, &fast, decode); err != nil {
			t.Fatalf("seed %d: the generated decoder gave up (%v) on\n%s", seed, err, want)
		}
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("seed %d: decoded\n%+v\njson.Unmarshal\n%+v", seed, fast, ref)
		}
	}
}

func TestStateCodecIsEncodingJSON(t *testing.T) {
	codecIsEncodingJSON(t, marshalState, decodeState)
	codecIsEncodingJSON(t, func(s *Summary) ([]byte, error) { return specjson.Encode(s, encodeSummary) }, decodeSummary)
	codecIsEncodingJSON(t, marshalRecord, decodeCreateRecord)
}
