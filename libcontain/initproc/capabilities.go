package initproc

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// capabilitySets builds the five capability sets of the spec, to be applied by setupUser.
//
// The kernel raises an ambient capability only if it is both permitted and inheritable. `runc
// spec` lists ambient capabilities with no inheritable set, and runc runs that config: the
// ambient ones that cannot be raised are left out and returned, for a warning.
func capabilitySets(caps *specs.LinuxCapabilities) (c capability.Capabilities, ignoredAmbient []string, err error) {
	if caps == nil {
		caps = &specs.LinuxCapabilities{}
	}
	c, err = capability.NewPid2(0)
	if err != nil {
		return nil, nil, fmt.Errorf("read capabilities: %w", err)
	}
	if err := c.Load(); err != nil {
		return nil, nil, fmt.Errorf("read capabilities: %w", err)
	}
	sets := []struct {
		which capability.CapType
		names []string
	}{
		{capability.BOUNDING, caps.Bounding},
		{capability.EFFECTIVE, caps.Effective},
		{capability.PERMITTED, caps.Permitted},
		{capability.INHERITABLE, caps.Inheritable},
		{capability.AMBIENT, caps.Ambient},
	}
	c.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for _, set := range sets {
		list, err := capList(set.names)
		if err != nil {
			return nil, nil, err
		}
		c.Set(set.which, list...)
	}
	return c, dropUnraisableAmbient(c), nil
}

// dropUnraisableAmbient takes out of c's ambient set every capability that is not in both its
// permitted and inheritable sets, and returns their names.
func dropUnraisableAmbient(c capability.Capabilities) []string {
	var dropped []string
	for _, cp := range capability.ListKnown() {
		if c.Get(capability.AMBIENT, cp) && (!c.Get(capability.PERMITTED, cp) || !c.Get(capability.INHERITABLE, cp)) {
			c.Unset(capability.AMBIENT, cp)
			dropped = append(dropped, "CAP_"+strings.ToUpper(cp.String()))
		}
	}
	return dropped
}

func capList(names []string) ([]capability.Cap, error) {
	known := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		known["CAP_"+strings.ToUpper(c.String())] = c
	}
	last, _ := capability.LastCap()
	out := make([]capability.Cap, 0, len(names))
	for _, n := range names {
		c, ok := known[strings.ToUpper(n)]
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", n)
		}
		if c > last {
			continue // known to the library, not to this kernel: runc skips these too
		}
		out = append(out, c)
	}
	return out, nil
}
