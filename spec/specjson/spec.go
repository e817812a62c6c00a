//go:build goexperiment.jsonv2

package specjson

import specs "github.com/opencontainers/runtime-spec/specs-go"

// UnmarshalSpec decodes a config.json into *s as json.Unmarshal would.
func UnmarshalSpec(data []byte, s *specs.Spec) error { return Decode(data, s, DecodeSpec) }

// MarshalSpec encodes s as json.Marshal would.
func MarshalSpec(s *specs.Spec) ([]byte, error) { return Encode(s, EncodeSpec) }

// UnmarshalState decodes a state as json.Unmarshal would.
func UnmarshalState(data []byte, s *specs.State) error { return Decode(data, s, DecodeState) }

// MarshalState encodes s as json.Marshal would.
func MarshalState(s *specs.State) ([]byte, error) { return Encode(s, EncodeState) }
