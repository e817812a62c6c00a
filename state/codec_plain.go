//go:build !goexperiment.jsonv2 || jsongen

package state

import "encoding/json"

// Without GOEXPERIMENT=jsonv2 (which the Makefile sets) encoding/json codes the files; and while
// jsongen writes state_gen.go (tag jsongen), which it needs the package without.

func marshalState(st *State) ([]byte, error) { return json.Marshal(st) }

func unmarshalState(data []byte, st *State) error { return json.Unmarshal(data, st) }

func unmarshalSummary(data []byte, s *Summary) error { return json.Unmarshal(data, s) }

func marshalRecord(r *CreateRecord) ([]byte, error) { return json.Marshal(r) }

func unmarshalRecord(data []byte, r *CreateRecord) error { return json.Unmarshal(data, r) }
