//go:build jsongen

// Command gen writes config_gen.go: the codecs of the messages and of init's config in them.
// It is built with tag jsongen, which leaves out the file it writes and what uses it.
package main

import (
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/spec/specjson/jsongen"
)

func main() {
	jsongen.Main(jsongen.Config{
		Package:  "protocol",
		PkgPath:  "github.com/contain-runtime/contain/libcontain/internal/protocol",
		BuildTag: "goexperiment.jsonv2 && !jsongen",
		Roots:    []reflect.Type{protocol.MessageType}, // and the config, error and mount source in it
		Extern: map[reflect.Type]string{
			reflect.TypeFor[specs.Spec]():  "specjson.Spec",
			reflect.TypeFor[specs.State](): "specjson.State",
		},
	})
}
