//go:build linux

package e2e

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// capSets reads the Cap* lines of /proc/self/status as the container's process printed them.
func capSets(t *testing.T, out string) map[string]string {
	t.Helper()
	sets := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(k, "Cap") {
			sets[k] = strings.TrimSpace(v)
		}
	}
	if len(sets) != 5 {
		t.Fatalf("want the five Cap lines of /proc/self/status, got %q", out)
	}
	return sets
}

func checkCapSets(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}

// TestCapabilitiesAmbient: a non-root process keeps exactly its ambient capabilities across
// execve; an ambient capability that is not also inheritable cannot be raised (the kernel's
// rule) and is left out, as runc does, instead of failing the container.
func TestCapabilitiesAmbient(t *testing.T) {
	out := runOutput(t, func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 1000, GID: 1000}
		s.Process.Args = []string{"grep", "^Cap", "/proc/self/status"}
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Permitted:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Effective:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"},
		}
	})
	// CAP_KILL is bit 5, CAP_NET_BIND_SERVICE bit 10.
	checkCapSets(t, capSets(t, out), map[string]string{
		"CapBnd": "0000000000000420",
		"CapInh": "0000000000000400",
		"CapAmb": "0000000000000400",
		"CapPrm": "0000000000000400",
		"CapEff": "0000000000000400",
	})
}

// TestCapabilitiesRuncSpec: `runc spec` asks for ambient capabilities with no inheritable set;
// the container runs with the bounding, permitted and effective sets it lists.
func TestCapabilitiesRuncSpec(t *testing.T) {
	three := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	out := runOutput(t, func(s *specs.Spec) {
		s.Process.Args = []string{"grep", "^Cap", "/proc/self/status"}
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding: three, Permitted: three, Effective: three, Ambient: three,
		}
	})
	// CAP_AUDIT_WRITE is bit 29.
	checkCapSets(t, capSets(t, out), map[string]string{
		"CapBnd": "0000000020000420",
		"CapInh": "0000000000000000",
		"CapAmb": "0000000000000000",
		"CapPrm": "0000000020000420",
		"CapEff": "0000000020000420",
	})
}
