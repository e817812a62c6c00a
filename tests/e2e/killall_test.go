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

// TestKillAllAfterInitExit: a container without a pid namespace of its own (a Kubernetes pod
// with shareProcessNamespace joins the sandbox's) keeps its init's children after init exits;
// `kill --all` must still reach them once the container is stopped. containerd's shim sends
// `kill --all ID 9` right when init exits for exactly this, and its delete then needs the
// cgroup empty. runc 1.5.3 does the same (CONTAIN_BINARY=/work/ref/runc passes).
func TestKillAllAfterInitExit(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		// The orphan's stdio is /dev/null: it must not hold the runner's pipes open.
		s.Process.Args = []string{"sh", "-c", "sleep 4321 </dev/null >/dev/null 2>&1 &"}
		s.Linux.Namespaces = withoutNamespace(s.Linux.Namespaces, specs.PIDNamespace)
	})
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateStopped)
	procs := func() []string {
		var all []string
		for _, d := range cgroupDirs(t, c.cgroupsPath()) {
			if b, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
				all = append(all, strings.Fields(string(b))...)
			}
		}
		return all
	}
	if len(procs()) == 0 {
		t.Fatal("no orphan in the stopped container's cgroup: the test proves nothing")
	}
	r.must("kill", "--all", c.id, "9")
	deadline := time.Now().Add(10 * time.Second)
	for len(procs()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("kill --all left processes in the stopped container's cgroup: %v", procs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.must("delete", c.id)
}
