package initproc

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capabilitySets builds the five capability sets of the spec, to be applied by setupUser, and
// the warnings runc gives for what it leaves out:
//   - names the kernel or the library does not know are ignored, with one warning naming them
//     all (runc's "ignoring unknown or unavailable capabilities: [...]");
//   - the kernel raises an ambient capability only if it is both permitted and inheritable
//     (`runc spec` lists ambient ones with no inheritable set, and runc runs that config): the
//     others are left out, each with runc's "can't raise ambient capability CAP_X: ...".
func capabilitySets(caps *specs.LinuxCapabilities) (c capability.Capabilities, warnings []string, err error) {
	if caps == nil {
		caps = &specs.LinuxCapabilities{}
	}
	// Not loaded: every set is cleared and filled below. Load would also read
	// /proc/self/status, which a runtime thread in the container's mount namespace (exec on a
	// thread) cannot see: it is not in the container's pid namespace.
	c, err = capability.NewPid2(0)
	if err != nil {
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
	unknown := map[string]bool{}
	for _, set := range sets {
		c.Set(set.which, capList(set.names, unknown)...)
	}
	if len(unknown) > 0 {
		warnings = append(warnings, fmt.Sprintf("ignoring unknown or unavailable capabilities: %v", slices.Sorted(maps.Keys(unknown))))
	}
	for _, name := range dropUnraisableAmbient(c) {
		warnings = append(warnings, fmt.Sprintf("can't raise ambient capability %s: %v", name, unix.EPERM))
	}
	return c, warnings, nil
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

// capList converts names to capabilities; a name the library or this kernel does not know is
// added to unknown instead.
func capList(names []string, unknown map[string]bool) []capability.Cap {
	known := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		known["CAP_"+strings.ToUpper(c.String())] = c
	}
	last, _ := capability.LastCap()
	out := make([]capability.Cap, 0, len(names))
	for _, n := range names {
		c, ok := known[n] // exact names, as runc matches them: "cap_kill" is unknown
		if !ok || c > last {
			unknown[n] = true
			continue
		}
		out = append(out, c)
	}
	return out
}
