//go:build goexperiment.jsonv2

package specjson

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/spec/specjson/jsontest"
)

// TestCodecIsEncodingJSON: specs and states with every field set one way or another are
// written as json.Marshal writes them and read back by the generated decoders alone (no
// fallback) as json.Unmarshal reads them.
func TestCodecIsEncodingJSON(t *testing.T) {
	jsontest.CheckCodec(t, MarshalSpec, func(data []byte, s *specs.Spec) error { return DecodeOnly(data, s, DecodeSpec) })
	jsontest.CheckCodec(t, MarshalState, func(data []byte, s *specs.State) error { return DecodeOnly(data, s, DecodeState) })
}

// TestEncodeAny: the spec's one interface (a Windows field) is written as json.Marshal writes
// it; the decoder leaves it to encoding/json (TestDecodeFallsBack).
func TestEncodeAny(t *testing.T) {
	for seed := uint64(0); seed < 100; seed++ {
		s := jsontest.Filled[specs.Spec](seed, true)
		got, err := MarshalSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := json.Marshal(s); !bytes.Equal(got, want) {
			t.Fatalf("seed %d: MarshalSpec differs from json.Marshal:\n%s\n%s", seed, got, want)
		}
	}
}

// decodesLikeUnmarshal checks that data decodes without the fallback, into what json.Unmarshal
// makes of it.
func decodesLikeUnmarshal[T any](t *testing.T, what string, data []byte, decode func(*Decoder, *T) error) {
	t.Helper()
	var got, want T
	if err := DecodeOnly(data, &got, decode); err != nil {
		t.Fatalf("%s: the generated decoder gave up (%v) on\n%s", what, err, data)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: decoded\n%+v\nwant\n%+v", what, got, want)
	}
}

// TestDecodeConfigs: the repository's sample configs, as clients write them (indented, fields
// in their own order), decode without the fallback.
func TestDecodeConfigs(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no configs in ../testdata")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var probe specs.Spec
		if json.Unmarshal(data, &probe) != nil {
			continue // a sample of bad input
		}
		decodesLikeUnmarshal(t, filepath.Base(f), data, DecodeSpec)
	}
}

// TestDecodeFallsBack: inputs the generated decoder leaves to encoding/json, and json's
// results for them.
func TestDecodeFallsBack(t *testing.T) {
	for _, in := range []string{
		`{"Hostname":"h"}`,                         // case-insensitive match
		`{"host_name":"h"}`,                        // not a field: skipped by both
		`{"HOSTNAME":"h","hostName":"i"}`,          // case-insensitive matches, the last wins
		`{"hostname":"a","hostname":"b"}`,          // duplicate name
		`{"hostname":"\xff"}`,                      // invalid UTF-8
		`{"process":{"user":{"uid":-1}}}`,          // does not fit
		`{"process":{"user":{"uid":1.5}}}`,         // not an integer
		`{"hostname":1}`,                           // wrong type
		`{"hostname":"h"} {}`,                      // two values
		`{"hostname":"h"`,                          // truncated
		`{"process":{"oomScoreAdj":1e3}}`,          // exponent
		`{"linux":{"resources":{"memory":null}}}`,  // null pointer
		`{"mounts":[]}`,                            // empty, not nil
		`{"process":null,"root":{"path":"r"}}`,     // null
		`{"windows":{"credentialSpec":{"a":[1]}}}`, // an interface
	} {
		var got, want specs.Spec
		gotErr := UnmarshalSpec([]byte(in), &got)
		wantErr := json.Unmarshal([]byte(in), &want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, json's %v", in, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded %+v, json %+v", in, got, want)
		}
	}
}

// FuzzDecode: for any input, UnmarshalSpec gives json.Unmarshal's value and error, and where the
// generated decoder succeeds alone, json.Unmarshal agrees.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for seed := uint64(0); seed < 20; seed++ {
		b, _ := json.Marshal(jsontest.Filled[specs.Spec](seed, false))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, got, want specs.Spec
		fastErr := DecodeOnly(data, &fast, DecodeSpec)
		gotErr := UnmarshalSpec(data, &got)
		wantErr := json.Unmarshal(data, &want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("error %v, json's %v", gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, json %+v", got, want)
		}
		if fastErr == nil && (wantErr != nil || !reflect.DeepEqual(fast, want)) {
			t.Fatalf("the generated decoder accepted what json did not read the same way: %v", wantErr)
		}
	})
}

// TestDecodeArray: arrays (package protocol's CPU sets) take what fits, as encoding/json does.
func TestDecodeArray(t *testing.T) {
	decode := func(d *Decoder, a *[2]uint64) error { return DecodeArray(d, a[:], DecodeUint) }
	for _, in := range []string{`[1,2,3]`, `[1]`, `[]`, `null`, `[1,"x"]`, `{}`} {
		var got, want [2]uint64
		gotErr := Decode([]byte(in), &got, decode)
		wantErr := json.Unmarshal([]byte(in), &want)
		if (gotErr == nil) != (wantErr == nil) || got != want {
			t.Errorf("%s: %v (%v), json %v (%v)", in, got, gotErr, want, wantErr)
		}
	}
}
