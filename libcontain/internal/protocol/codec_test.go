//go:build goexperiment.jsonv2 && !jsongen

package protocol

import (
	"testing"

	"github.com/contain-runtime/contain/spec/specjson"
	"github.com/contain-runtime/contain/spec/specjson/jsontest"
)

// TestMessageCodecIsEncodingJSON: messages with every field set one way or another are written
// as json.Marshal writes them and read back as json.Unmarshal reads them.
func TestMessageCodecIsEncodingJSON(t *testing.T) {
	jsontest.CheckCodec(t, marshalMessage, func(data []byte, m *message) error {
		return specjson.DecodeOnly(data, m, decodeMessage)
	})
}
