//go:build linux

package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestLifecycle walks create → state(created) → start → state(running) → kill → state(stopped)
// → delete, and checks that delete removes the state dir and every cgroup dir of the container.
func TestLifecycle(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))

	r.must("create", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateCreated)
	if st.ID != c.id || st.Pid <= 0 {
		t.Fatalf("created state: id %q pid %d; want id %q and a pid", st.ID, st.Pid, c.id)
	}
	if st.Bundle != c.bundle {
		t.Errorf("state bundle %q, want %q", st.Bundle, c.bundle)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(st.Pid)); err != nil {
		t.Fatalf("created container's pid %d is not alive: %v", st.Pid, err)
	}
	if _, err := os.Stat(filepath.Join(r.root, c.id)); err != nil {
		t.Fatalf("no state dir for %s under --root: %v", c.id, err)
	}
	// The created container already sits in its cgroup, so limits hold before the user process runs.
	memDir, _ := controllerDir(t, "memory", c.cgroupsPath())
	if procs := readFile(t, filepath.Join(memDir, "cgroup.procs")); !containsField(procs, strconv.Itoa(st.Pid)) {
		t.Errorf("created container's pid %d not in %s/cgroup.procs (%q)", st.Pid, memDir, procs)
	}

	r.must("start", c.id)
	st = r.waitStatus(c.id, specs.StateRunning)
	pid := st.Pid

	r.must("kill", c.id, "KILL")
	r.waitStatus(c.id, specs.StateStopped)
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		// A zombie reaped late still has a /proc entry; its state says so.
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); !strings.Contains(string(stat), ") Z") {
			t.Errorf("pid %d still alive after kill and status stopped", pid)
		}
	}

	r.must("delete", c.id)
	if _, err := os.Stat(filepath.Join(r.root, c.id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir %s not removed by delete: %v", filepath.Join(r.root, c.id), err)
	}
	for _, d := range cgroupDirs(t, c.cgroupsPath()) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup dir %s not removed by delete: %v", d, err)
		}
	}
	if _, res, ok := r.state(c.id); ok {
		t.Errorf("state after delete succeeded: %s", res)
	}
}

// TestRunExitStatus checks that run exits with the container's status, and 128+N when the
// process is killed by signal N.
func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		hostNS bool
		want   int
	}{
		{"exit 0", []string{"true"}, false, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, false, 3},
		// The kernel ignores SIGKILL that a pid namespace's init sends itself, so this case
		// shares the host's pid namespace to let the shell kill itself.
		{"killed by SIGKILL", []string{"sh", "-c", "kill -9 $$"}, true, 128 + 9},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -15 $$"}, true, 128 + 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = tc.args
				if tc.hostNS {
					s.Linux.Namespaces = withoutNamespace(s.Linux.Namespaces, specs.PIDNamespace)
				}
			})
			res := r.run("run", "--bundle", c.bundle, c.id)
			if res.code != tc.want {
				t.Fatalf("want exit %d: %s", tc.want, res)
			}
		})
	}
}

func withoutNamespace(nss []specs.LinuxNamespace, drop specs.LinuxNamespaceType) []specs.LinuxNamespace {
	var out []specs.LinuxNamespace
	for _, ns := range nss {
		if ns.Type != drop {
			out = append(out, ns)
		}
	}
	return out
}

func containsField(s, f string) bool {
	for _, x := range strings.Fields(s) {
		if x == f {
			return true
		}
	}
	return false
}
