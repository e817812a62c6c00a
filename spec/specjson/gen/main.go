// Command gen writes spec_gen.go: the runtime-spec's config and state codecs.
package main

import (
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/spec/specjson/jsongen"
)

func main() {
	jsongen.Main(jsongen.Config{
		Package:  "specjson",
		PkgPath:  "github.com/contain-runtime/contain/spec/specjson",
		Roots:    []reflect.Type{reflect.TypeFor[specs.Spec](), reflect.TypeFor[specs.State]()},
		Exported: true,
	})
}
