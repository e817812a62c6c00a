package gc

import (
	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/spec"
)

// StateContainers is the Containers of a runtime's state root.
func StateContainers(rt *libcontain.Runtime) Containers { return stateContainers{rt} }

type stateContainers struct{ rt *libcontain.Runtime }

func (s stateContainers) IDs() ([]string, error) { return s.rt.Store.List() }

func (s stateContainers) Sandboxes() ([]string, error) {
	infos, err := libcontain.List(s.rt, libcontain.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range infos {
		if sb := in.Annotations[spec.AnnotationSandbox]; sb != "" {
			out = append(out, sb)
		}
	}
	return out, nil
}
