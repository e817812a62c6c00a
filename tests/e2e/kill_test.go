//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestKillDeliversTheSignal: `kill ID SIG` reaches the container's process with SIG, which its
// handler records. The process is a pid namespace's init, so a signal it has no handler for is
// dropped: the test sends the signal only once the handler is in place (a marker file says so).
// The validation suite's killsig program sends it right after start and so races the shell
// setting its trap (see tests/validation/known-race.txt); this is the deterministic version.
func TestKillDeliversTheSignal(t *testing.T) {
	for _, sig := range []string{"TERM", "USR1", "USR2"} {
		t.Run(sig, func(t *testing.T) {
			r := newRunner(t)
			out := t.TempDir()
			c := r.newContainer(func(s *specs.Spec) {
				script := "trap 'echo " + sig + " >/out/got; exit 0' " + sig +
					"; touch /out/ready; while :; do sleep 100 & wait $!; done"
				s.Process.Args = []string{"sh", "-c", script}
				s.Mounts = append(s.Mounts, specs.Mount{
					Destination: "/out", Type: "bind", Source: out, Options: []string{"rbind", "rw"},
				})
			})
			r.must("create", "--bundle", c.bundle, c.id)
			r.must("start", c.id)
			deadline := time.Now().Add(statusTimeout)
			for {
				if _, err := os.Stat(filepath.Join(out, "ready")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the container's shell did not set its %s handler within %v", sig, statusTimeout)
				}
				time.Sleep(20 * time.Millisecond)
			}
			r.must("kill", c.id, sig)
			r.waitStatus(c.id, specs.StateStopped)
			got, err := os.ReadFile(filepath.Join(out, "got"))
			if err != nil || strings.TrimSpace(string(got)) != sig {
				t.Fatalf("the container's handler recorded %q (%v), want %s", got, err, sig)
			}
			r.must("delete", c.id)
		})
	}
}
