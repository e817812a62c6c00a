//go:build !goexperiment.jsonv2

package specjson

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Without GOEXPERIMENT=jsonv2 (which the Makefile sets) there is no jsontext: encoding/json
// does the work.

// UnmarshalSpec decodes a config.json into *s.
func UnmarshalSpec(data []byte, s *specs.Spec) error { return json.Unmarshal(data, s) }

// MarshalSpec encodes s.
func MarshalSpec(s *specs.Spec) ([]byte, error) { return json.Marshal(s) }

// UnmarshalState decodes a state.
func UnmarshalState(data []byte, s *specs.State) error { return json.Unmarshal(data, s) }

// MarshalState encodes s.
func MarshalState(s *specs.State) ([]byte, error) { return json.Marshal(s) }
