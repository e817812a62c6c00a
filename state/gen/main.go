// Command gen writes state_gen.go: the codecs of state.json and creating.json. It is built with
// tag jsongen, which leaves out the file it writes and what uses it.
package main

import (
	"reflect"

	"github.com/contain-runtime/contain/spec/specjson/jsongen"
	"github.com/contain-runtime/contain/state"
)

func main() {
	jsongen.Main(jsongen.Config{
		Package:  "state",
		PkgPath:  "github.com/contain-runtime/contain/state",
		BuildTag: "goexperiment.jsonv2 && !jsongen",
		Roots:    []reflect.Type{reflect.TypeFor[state.State](), reflect.TypeFor[state.Summary](), reflect.TypeFor[state.CreateRecord]()},
	})
}
