package spec

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// MemoryPolicy is linux.memoryPolicy as set_mempolicy(2) takes it: the mode with its flags
// or'ed in, and the node mask (nil: no nodes).
type MemoryPolicy struct {
	Mode  int          `json:"mode"`
	Nodes *unix.CPUSet `json:"nodes,omitempty"`
}

var memoryPolicyModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault:            unix.MPOL_DEFAULT,
	specs.MpolPreferred:          unix.MPOL_PREFERRED,
	specs.MpolBind:               unix.MPOL_BIND,
	specs.MpolInterleave:         unix.MPOL_INTERLEAVE,
	specs.MpolLocal:              unix.MPOL_LOCAL,
	specs.MpolPreferredMany:      unix.MPOL_PREFERRED_MANY,
	specs.MpolWeightedInterleave: unix.MPOL_WEIGHTED_INTERLEAVE,
}

var memoryPolicyFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFStaticNodes:   unix.MPOL_F_STATIC_NODES,
	specs.MpolFRelativeNodes: unix.MPOL_F_RELATIVE_NODES,
	specs.MpolFNumaBalancing: unix.MPOL_F_NUMA_BALANCING,
}

// ParseMemoryPolicy checks and converts linux.memoryPolicy with runc's rules and words: a known
// mode (an empty policy has none), known flags, a node list, and as many nodes as the mode takes
// (none for default and local, at least one for bind, interleave and preferred-many). nil is nil.
func ParseMemoryPolicy(p *specs.LinuxMemoryPolicy) (*MemoryPolicy, error) {
	if p == nil {
		return nil, nil
	}
	mode, ok := memoryPolicyModes[p.Mode]
	if !ok {
		return nil, fmt.Errorf("invalid memory policy mode %q", p.Mode)
	}
	nodes, err := ParseCPUList(p.Nodes)
	if err != nil {
		return nil, fmt.Errorf("invalid memory policy nodes %q: %w", p.Nodes, err)
	}
	for _, f := range p.Flags {
		flag, ok := memoryPolicyFlags[f]
		if !ok {
			return nil, fmt.Errorf("invalid memory policy flag %q", f)
		}
		mode |= flag
	}
	count := 0
	if nodes != nil {
		count = nodes.Count()
	}
	switch memoryPolicyModes[p.Mode] {
	case unix.MPOL_DEFAULT, unix.MPOL_LOCAL:
		if count != 0 {
			return nil, fmt.Errorf("memory policy mode requires 0 nodes but got %d", count)
		}
	case unix.MPOL_BIND, unix.MPOL_INTERLEAVE, unix.MPOL_PREFERRED_MANY, unix.MPOL_WEIGHTED_INTERLEAVE:
		if count == 0 {
			return nil, fmt.Errorf("memory policy mode requires at least one node but got 0")
		}
	}
	return &MemoryPolicy{Mode: mode, Nodes: nodes}, nil
}
