//go:build !goexperiment.jsonv2 || jsongen

package protocol

import "encoding/json"

// Without GOEXPERIMENT=jsonv2 (which the Makefile sets) encoding/json codes the messages; and
// while jsongen writes config_gen.go (tag jsongen), which it needs the package without.

func marshalMessage(m *message) ([]byte, error) { return json.Marshal(m) }

func unmarshalMessage(data []byte, m *message) error { return json.Unmarshal(data, m) }
