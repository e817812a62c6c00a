//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestParityTimerSlackIsTheCallers: the container's process, an exec'd process and the hooks of every
// phase start with the timer slack of the thread that ran the runtime, as under runc, which sets
// none: contain raises its own threads' slack (package timerslack) and must give it back. The
// runtime is run from a thread with an unusual slack, 61 µs, so that neither the kernel's
// default nor contain's own can pass for it.
func TestParityTimerSlackIsTheCallers(t *testing.T) {
	const want = "61000"
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 61_000, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(own), 0, 0, 0) }()

	r := newRunner(t)
	logDir := t.TempDir()
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "cat /proc/self/timerslack_ns > /tmp/process; exec sleep 60"}
		withPhaseHooks(s, logDir, `cat /proc/self/timerslack_ns > "$1/$0"`, logDir, "/tmp")
	})
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateRunning)
	if res := r.must("exec", c.id, "cat", "/proc/self/timerslack_ns"); strings.TrimSpace(res.stdout) != want {
		t.Errorf("exec'd process's timer slack %q, want %s", strings.TrimSpace(res.stdout), want)
	}
	r.must("kill", c.id, "KILL")
	r.waitStatus(c.id, specs.StateStopped)
	r.must("delete", c.id)

	for _, who := range []string{"process", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"} {
		b, err := os.ReadFile(filepath.Join(logDir, who))
		if err != nil {
			t.Errorf("%s: %v", who, err)
			continue
		}
		if got := strings.TrimSpace(string(b)); got != want {
			t.Errorf("%s's timer slack %s, want the caller's %s", who, got, want)
		}
	}
}
