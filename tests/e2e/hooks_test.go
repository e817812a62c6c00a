//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hookScript reads the OCI state from stdin and appends "phase:status:id" to the log named by $1
// ($0 is the phase). sed, not jq: the startContainer hook runs inside the busybox container.
const hookScript = `state=$(cat)
status=$(echo "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
id=$(echo "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
echo "$0:$status:$id" >> "$1"`

// withPhaseHooks gives s a hook of every phase, each `sh -c script PHASE ARG`, and binds dir at
// the container's /tmp: ARG is arg, but for startContainer, which runs inside the container
// after pivot_root, inside (a path below /tmp).
func withPhaseHooks(s *specs.Spec, dir, script, arg, inside string) {
	hook := func(phase, arg string) []specs.Hook {
		return []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", script, phase, arg}}}
	}
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: "/tmp", Type: "bind", Source: dir, Options: []string{"rbind", "rw"},
	})
	s.Hooks = &specs.Hooks{
		CreateRuntime:   hook("createRuntime", arg),
		CreateContainer: hook("createContainer", arg),
		StartContainer:  hook("startContainer", inside),
		Poststart:       hook("poststart", arg),
		Poststop:        hook("poststop", arg),
	}
}

// TestHooksOrderAndState: each hook phase runs once, in the spec's order, and gets the state of
// the container on stdin. createRuntime, poststart and poststop run in the runtime's namespaces;
// createContainer runs in the container's before pivot_root; startContainer runs in the
// container after pivot_root, so it writes through a bind mount of the log's dir at /tmp.
func TestHooksOrderAndState(t *testing.T) {
	r := newRunner(t)
	logDir := t.TempDir()
	hostLog := filepath.Join(logDir, "hooks.log")
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		withPhaseHooks(s, logDir, hookScript, hostLog, "/tmp/hooks.log")
	})
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateStopped)
	r.must("delete", c.id)

	got, err := os.ReadFile(hostLog)
	if err != nil {
		t.Fatalf("no hook ran: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	want := []string{
		"createRuntime:creating:" + c.id,
		"createContainer:creating:" + c.id,
		"startContainer:created:" + c.id,
		"poststart:running:" + c.id,
		"poststop:stopped:" + c.id,
	}
	t.Run("every phase once, creating first, stopped last", func(t *testing.T) {
		if len(lines) != len(want) {
			t.Fatalf("hook log has %d lines, want %d:\n%s", len(lines), len(want), got)
		}
		for _, i := range []int{0, 1, 4} {
			if lines[i] != want[i] {
				t.Errorf("hook log line %d %q, want %q", i+1, lines[i], want[i])
			}
		}
		for _, phase := range []string{"startContainer:", "poststart:"} {
			if n := strings.Count(string(got), phase); n != 1 {
				t.Errorf("%s ran %d times, want once", strings.TrimSuffix(phase, ":"), n)
			}
		}
	})
	t.Run("startContainer before poststart, poststart sees running", func(t *testing.T) {
		// runc 1.1 runs poststart as soon as it has unblocked init, racing init's
		// startContainer hooks and before the execve, so it reports "created". The spec has
		// startContainer run before the user process and poststart after it started.
		containOnly(t, "runc runs poststart concurrently with startContainer, in state created")
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("hook log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestPoststartAfterExec: poststart hooks start only once the container's process has exec'd
// (spec: "after the user-specified process is executed"). The poststart hook reads the cmdline
// of the pid in its state: the user's program, never the runtime's init. A startContainer hook
// that sleeps holds init between its release by `start` and its execve, so a runtime that ran
// poststart on the release (not on the execve) fails this every time, not by chance as the
// validation suite's poststart program does (see tests/validation/known-race.txt).
func TestPoststartAfterExec(t *testing.T) {
	r := newRunner(t)
	containOnly(t, "runc (1.5.3 too) runs poststart once it has released init, during init's startContainer hooks, before the execve")
	seen := filepath.Join(t.TempDir(), "poststart-saw")
	// Runs on the host: the pid in the state is in the host's pid namespace.
	const readCmdline = `pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'); tr '\0' ' ' </proc/$pid/cmdline >"$0"`
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "7777"}
		s.Hooks = &specs.Hooks{
			StartContainer: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "1"}}},
			Poststart:      []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", readCmdline, seen}}},
		}
	})
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	// start returns only after the poststart hooks: the file is there, complete.
	got, err := os.ReadFile(seen)
	if err != nil {
		t.Fatalf("the poststart hook left no record: %v", err)
	}
	if want := "sleep 7777 "; string(got) != want {
		t.Fatalf("poststart saw the container process run %q, want %q: it ran before the execve", got, want)
	}
	r.must("kill", c.id, "KILL")
	r.waitStatus(c.id, specs.StateStopped)
	r.must("delete", c.id)
}
