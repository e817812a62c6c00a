//go:build goexperiment.jsonv2 && !jsongen

package protocol

import "github.com/contain-runtime/contain/spec/specjson"

// A message is JSON, coded by generated code (config_gen.go, from `go generate`; see package
// specjson): init's cold start would otherwise spend most of a millisecond building
// encoding/json's tables for the spec's types. The bytes and results are encoding/json's.

//go:generate go run -tags jsongen ./gen config_gen.go

func marshalMessage(m *message) ([]byte, error) { return specjson.Encode(m, encodeMessage) }

func unmarshalMessage(data []byte, m *message) error {
	return specjson.Decode(data, m, decodeMessage)
}
