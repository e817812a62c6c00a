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

// TestHooksOrderAndState: each hook phase runs once, in the spec's order, and gets the state of
// the container on stdin. createRuntime, poststart and poststop run in the runtime's namespaces;
// createContainer runs in the container's before pivot_root; startContainer runs in the
// container after pivot_root, so it writes through a bind mount of the log's dir at /tmp.
func TestHooksOrderAndState(t *testing.T) {
	r := newRunner(t)
	logDir := t.TempDir()
	hostLog := filepath.Join(logDir, "hooks.log")
	hook := func(phase, log string) []specs.Hook {
		return []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", hookScript, phase, log}}}
	}
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/tmp", Type: "bind", Source: logDir, Options: []string{"rbind", "rw"},
		})
		s.Hooks = &specs.Hooks{
			CreateRuntime:   hook("createRuntime", hostLog),
			CreateContainer: hook("createContainer", hostLog),
			StartContainer:  hook("startContainer", "/tmp/hooks.log"),
			Poststart:       hook("poststart", hostLog),
			Poststop:        hook("poststop", hostLog),
		}
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
