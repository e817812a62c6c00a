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

// encodeMessage and decodeMessage are what jsongen would write for message, which it cannot
// see: the type is not exported.
func encodeMessage(e *specjson.Encoder, m *message) {
	e.Begin()
	e.Name("type")
	specjson.EncodeString(e, &m.Type)
	if m.Config != nil {
		e.Name("config")
		specjson.EncodePtr(e, &m.Config, encodeInitConfig)
	}
	if m.Error != nil {
		e.Name("error")
		specjson.EncodePtr(e, &m.Error, encodeInitError)
	}
	if m.Source != nil {
		e.Name("source")
		specjson.EncodePtr(e, &m.Source, encodeMountSource)
	}
	e.End()
}

func decodeMessage(d *specjson.Decoder, m *message) error {
	return d.Object(func(name string) error {
		switch name {
		case "type":
			return specjson.DecodeString(d, &m.Type)
		case "config":
			return specjson.DecodePtr(d, &m.Config, decodeInitConfig)
		case "error":
			return specjson.DecodePtr(d, &m.Error, decodeInitError)
		case "source":
			return specjson.DecodePtr(d, &m.Source, decodeMountSource)
		}
		return d.Unknown(name, "type", "config", "error", "source")
	})
}
