//go:build goexperiment.jsonv2 && !jsongen

package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/contain-runtime/contain/spec/specjson"
	"github.com/contain-runtime/contain/spec/specjson/jsontest"
)

// TestMessageCodecIsEncodingJSON: messages with every field set one way or another are written
// as json.Marshal writes them and read back (by the generated decoder alone) as json.Unmarshal
// reads them.
func TestMessageCodecIsEncodingJSON(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		m := jsontest.Filled[message](seed, false)
		m.fd = -1
		got, gotErr := marshalMessage(m)
		want, wantErr := json.Marshal(m)
		if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("seed %d: encoded (%v)\n%s\njson.Marshal (%v)\n%s", seed, gotErr, got, wantErr, want)
		}
		if wantErr != nil {
			continue // a filter whose own MarshalJSON refuses it: both said so
		}
		var fast, ref message
		fastErr := specjson.DecodeOnly(want, &fast, decodeMessage)
		if err := json.Unmarshal(want, &ref); err != nil {
			// A filter's own UnmarshalJSON refuses what its MarshalJSON wrote of a filled-in
			// filter (an empty program): the generated decoder must refuse it too.
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
