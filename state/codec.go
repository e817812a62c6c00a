//go:build goexperiment.jsonv2 && !jsongen

package state

import "github.com/contain-runtime/contain/spec/specjson"

// state.json and creating.json are coded by generated code (state_gen.go, from `go generate`;
// see package specjson), as encoding/json would: each command reads or writes them once, cold.

//go:generate go run -tags jsongen ./gen state_gen.go

func marshalState(st *State) ([]byte, error) { return specjson.Encode(st, encodeState) }

func unmarshalState(data []byte, st *State) error { return specjson.Decode(data, st, decodeState) }

func unmarshalSummary(data []byte, s *Summary) error {
	return specjson.Decode(data, s, decodeSummary)
}

func marshalRecord(r *CreateRecord) ([]byte, error) {
	return specjson.Encode(r, encodeCreateRecord)
}

func unmarshalRecord(data []byte, r *CreateRecord) error {
	return specjson.Decode(data, r, decodeCreateRecord)
}
