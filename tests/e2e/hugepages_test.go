//go:build linux

package e2e

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestParityHugePagesPolicy: the runtime starts its child with transparent huge pages off (so a
// small memory limit fits it, TestMemoryLimitFourMiB), but the container's process gets the
// policy of the runtime's caller, as under runc: THP_enabled in /proc/self/status is 1 inside
// when it is 1 for the caller, and 0 when the caller turned them off (prctl PR_SET_THP_DISABLE,
// which fork and execve keep), for both create/start and exec.
func TestParityHugePagesPolicy(t *testing.T) {
	caller, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0)
	if err != nil {
		t.Skipf("prctl PR_GET_THP_DISABLE: %v (kernel without transparent huge pages)", err)
	}
	if caller != 0 {
		t.Skipf("this test process already has transparent huge pages off (PR_GET_THP_DISABLE %d)", caller)
	}
	for _, tc := range []struct {
		name     string
		disabled bool
		want     string
	}{{"caller has them on", false, "1"}, {"caller turned them off", true, "0"}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.disabled {
				if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
					t.Fatalf("prctl PR_SET_THP_DISABLE: %v", err)
				}
				t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_THP_DISABLE, 0, 0, 0, 0) })
			}
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", "grep THP_enabled /proc/self/status; exec sleep 60"}
			})
			r.must("run", "--detach", "--bundle", c.bundle, c.id)
			r.waitStatus(c.id, specs.StateRunning)
			out := r.must("exec", c.id, "grep", "THP_enabled", "/proc/1/status", "/proc/self/status").stdout
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				f := strings.Fields(l)
				if len(f) != 2 || f[1] != tc.want {
					t.Errorf("%q: want THP_enabled %s (the caller's policy)", l, tc.want)
				}
			}
			if n := strings.Count(out, "THP_enabled"); n != 2 {
				t.Errorf("exec printed %q: want the init's and the exec'd process's THP_enabled", out)
			}
		})
	}
}
