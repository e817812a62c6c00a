//go:build linux

package e2e

// One named test per escape class (issue 16): each sets up what an attacker inside the container
// would try and asserts that the kernel refuses it. The note on each says which defence it
// exercises; removing that defence makes the test fail.

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// withCaps gives the container's process exactly these capabilities (all sets but ambient).
func withCaps(caps ...string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
}

// TestEscapeDeviceAllowList: with CAP_MKNOD (containerd, podman and Docker grant it by default)
// and the engines' "deny all" device rule, the container can make any device node, but the
// device cgroup lets it open only runc's default list. The host console (c 5:1) was on contain's
// list and not on runc's: a node made for it opened the host's /dev/console. tun (c 10:200) is on
// runc's list. Each open runs in a subshell, which is not a session leader, so a tty that opens
// never becomes anyone's controlling terminal. Runs on v1 here and on v2 in the VM (make test-v2),
// where the same list becomes the eBPF device filter.
// Defence: devicerules.Defaults; adding c 5:1 back makes "console" open.
func TestEscapeDeviceAllowList(t *testing.T) {
	script := `try() { mknod /dev/probe-$1 c $2 $3 || { echo "$1: mknod failed"; return; }
	if err=$( (exec 3</dev/probe-$1) 2>&1 ); then echo "$1: open"; else echo "$1: $err"; fi; }
	try console 5 1; try tun 10 200; try null 1 3; try kmsg 1 11; try mem 1 1`
	out := runOutput(t, compose(args("sh", "-c", script), withCaps("CAP_MKNOD")))
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			lines[k] = v
		}
	}
	for _, tc := range []struct {
		dev     string
		allowed bool
	}{{"console", false}, {"kmsg", false}, {"mem", false}, {"null", true}, {"tun", true}} {
		got, ok := lines[tc.dev]
		switch {
		case !ok || got == "mknod failed":
			t.Errorf("%s: no verdict (%q) in output %q", tc.dev, got, out)
		case tc.allowed && strings.Contains(got, "not permitted"):
			t.Errorf("%s: open refused by the device cgroup (%q); runc's default list allows it", tc.dev, got)
		case !tc.allowed && !strings.Contains(got, "not permitted"):
			t.Errorf("%s: %q, want the open refused with EPERM by the device cgroup", tc.dev, got)
		}
	}
}
