//go:build goexperiment.jsonv2 && !jsongen

package state

import (
	"testing"

	"github.com/contain-runtime/contain/spec/specjson"
	"github.com/contain-runtime/contain/spec/specjson/jsontest"
)

// decodeOnly binds a generated decoder to specjson.DecodeOnly.
func decodeOnly[T any](decode func(*specjson.Decoder, *T) error) func([]byte, *T) error {
	return func(data []byte, v *T) error { return specjson.DecodeOnly(data, v, decode) }
}

// TestStateCodecIsEncodingJSON: state.json, its Summary and creating.json are written and read
// as encoding/json does.
func TestStateCodecIsEncodingJSON(t *testing.T) {
	jsontest.CheckCodec(t, marshalState, decodeOnly(decodeState))
	jsontest.CheckCodec(t, func(s *Summary) ([]byte, error) { return specjson.Encode(s, encodeSummary) }, decodeOnly(decodeSummary))
	jsontest.CheckCodec(t, marshalRecord, decodeOnly(decodeCreateRecord))
}
