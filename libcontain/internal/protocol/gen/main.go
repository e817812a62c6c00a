// Command gen writes config_gen.go: the codecs of init's config and of the messages' payloads.
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
		Roots: []reflect.Type{
			reflect.TypeFor[protocol.InitConfig](), reflect.TypeFor[protocol.InitError](), reflect.TypeFor[protocol.MountSource](),
		},
		Extern: map[reflect.Type]string{
			reflect.TypeFor[specs.Spec]():  "specjson.Spec",
			reflect.TypeFor[specs.State](): "specjson.State",
		},
	})
}
