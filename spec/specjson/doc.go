// Package specjson decodes and encodes the runtime-spec's config (specs.Spec) and state
// (specs.State) with generated code (spec_gen.go, written by `go generate` from the types by
// jsongen) over encoding/json/jsontext's tokens, instead of encoding/json's reflection.
//
// Why: a short-lived process pays for reflection the first time it meets a type. Decoding a
// config.json took a fresh process 0.32-0.48 ms, where the same decode a second time took
// 0.02-0.03 ms and reading the file's tokens alone 0.03-0.09 ms; `contain run` pays it twice on
// its critical path (the runtime reads config.json, init reads the spec in its config), and
// encoding/json was the largest user-space cost of the runtime process in `perf record` (after
// the Go runtime's own start).
//
// The results are encoding/json's exactly: Decode leaves to json.Unmarshal every input it does
// not decode the way json.Unmarshal would (names that match a field only without regard to
// case, duplicate names, invalid UTF-8, numbers that do not fit, any error, whose text is then
// json.Unmarshal's), and Encode writes the bytes json.Marshal writes. specjson_test.go checks
// both over configs with every field set and by fuzzing (FuzzDecode).
//
// Other packages generate codecs for their own types with jsongen and the exported helpers:
// package protocol's init config (which embeds the spec and a state) and package state's
// state.json and creating.json.
package specjson

//go:generate go run ./gen spec_gen.go
