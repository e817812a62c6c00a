package namespaces

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// IsNew reports whether the list asks for a new namespace of type t (an entry without a path).
func IsNew(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range ns {
		if n.Type == t && n.Path == "" {
			return true
		}
	}
	return false
}

// Lists reports whether the list has an entry of type t, new or joined.
func Lists(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range ns {
		if n.Type == t {
			return true
		}
	}
	return false
}

// Plan is how a new container's init gets its namespaces.
type Plan struct {
	// CloneFlags are created by clone(2) when init starts (nothing is joined).
	CloneFlags uintptr
	// Join are joined before init's Go runtime starts (package nsenter), and Unshare then
	// created inside them (so a joined user namespace owns them).
	Join    []specs.LinuxNamespace
	Unshare []specs.LinuxNamespaceType
}

// PlanInit decides how init gets the namespaces of the list, which Validate has accepted.
//
// A new cgroup namespace is in neither: it is rooted at the cgroup its creator is in, so init
// makes it itself once the parent has put it in the container's cgroups. Made at clone, it would
// be rooted at the runtime's cgroup, and the container would see its own as /../<name>.
//
// Nor is a new time namespace: its clocks' offsets can be set only before any process is in it,
// and clone would put init in at once; init unshares it (only its children and its execve enter
// it) and writes the offsets first.
func PlanInit(ns []specs.LinuxNamespace) (Plan, error) {
	joins := Joins(ns)
	if len(joins) == 0 {
		return Plan{CloneFlags: CloneFlags(ns) &^ (unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME)}, nil
	}
	p := Plan{Join: joins}
	for _, t := range NewTypes(ns) {
		if t == specs.UserNamespace || t == specs.TimeNamespace {
			return Plan{}, fmt.Errorf("creating a new %s namespace while joining existing ones is not supported", t)
		}
		if t != specs.CgroupNamespace {
			p.Unshare = append(p.Unshare, t)
		}
	}
	return p, nil
}
