//go:build linux

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hostPidNS runs the container in the host's pid namespace with init and one more process.
func hostPidNS(s *specs.Spec) {
	s.Process.Args = []string{"sh", "-c", "sleep 1000 & exec sleep 1001"}
	s.Linux.Namespaces = withoutNamespace(s.Linux.Namespaces, specs.PIDNamespace)
}

// containerPids is the runtime's `ps --format json`: every process in the container's cgroup.
func (r *runner) containerPids(id string) []int {
	r.t.Helper()
	res := r.must("ps", "--format", "json", id)
	var pids []int
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &pids); err != nil {
		r.t.Fatalf("decode ps output: %v\n%s", err, res)
	}
	return pids
}

// waitTwoPids waits until the container's cgroup holds init and its child.
func (r *runner) waitTwoPids(id string) []int {
	r.t.Helper()
	var pids []int
	if !poll(statusTimeout, func() bool { pids = r.containerPids(id); return len(pids) == 2 }) {
		r.t.Fatalf("container %s: processes %v, want init and its child", id, pids)
	}
	return pids
}

// allGone fails the test unless every pid exits within statusTimeout.
func allGone(t *testing.T, pids []int) {
	t.Helper()
	for _, p := range pids {
		if !poll(statusTimeout, func() bool { return processGone(p) }) {
			t.Errorf("pid %d still runs after kill KILL", p)
		}
	}
}

// TestParityCgroupKillPaused: KILL to a paused container stops it: the runtime thaws the cgroup
// after signalling, since a frozen task acts on SIGKILL only once it runs.
func TestParityCgroupKillPaused(t *testing.T) {
	for _, flags := range [][]string{nil, {"--all"}} {
		t.Run("kill "+strings.Join(flags, " "), func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(args("sleep", "60"))
			r.must("run", "-d", "--bundle", c.bundle, c.id)
			r.must("pause", c.id)
			r.waitStatus(c.id, specs.ContainerState("paused"))
			r.must(append(append([]string{"kill"}, flags...), c.id, "KILL")...)
			r.waitStatus(c.id, specs.StateStopped)
		})
	}
}

// TestParityCgroupKillHostPidNS: without a pid namespace of its own, init's death does not take
// the container's other processes with it, so KILL goes to every process in the cgroup: of a
// running container, a paused one, and one whose init is already gone.
func TestParityCgroupKillHostPidNS(t *testing.T) {
	t.Run("running", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(hostPidNS)
		r.must("run", "-d", "--bundle", c.bundle, c.id)
		pids := r.waitTwoPids(c.id)
		r.must("kill", c.id, "KILL")
		allGone(t, pids)
		r.waitStatus(c.id, specs.StateStopped)
		r.must("delete", c.id)
	})
	t.Run("paused", func(t *testing.T) {
		if isRunc() && hybrid() {
			t.Skip("runc 1.5.3 on a hybrid host kills through the unified hierarchy's cgroup.kill " +
				"and leaves the v1 freezer frozen: the processes never die (a contain difference)")
		}
		r := newRunner(t)
		c := r.newContainer(hostPidNS)
		r.must("run", "-d", "--bundle", c.bundle, c.id)
		pids := r.waitTwoPids(c.id)
		r.must("pause", c.id)
		r.waitStatus(c.id, specs.ContainerState("paused"))
		r.must("kill", c.id, "KILL")
		allGone(t, pids)
		r.waitStatus(c.id, specs.StateStopped)
	})
	t.Run("init gone", func(t *testing.T) {
		r := newRunner(t)
		c, left := r.hostPidNSInitGone()
		r.must("kill", c.id, "KILL")
		allGone(t, left)
		r.must("delete", c.id)
	})
}

// hostPidNSInitGone runs a host-pid-namespace container, kills its init from outside and
// returns it, stopped, with the pid of init's child, which lives on.
func (r *runner) hostPidNSInitGone() (*container, []int) {
	r.t.Helper()
	c := r.newContainer(hostPidNS)
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	pids := r.waitTwoPids(c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	if err := unix.Kill(st.Pid, unix.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	r.waitStatus(c.id, specs.StateStopped)
	var left []int
	for _, p := range pids {
		if p != st.Pid {
			left = append(left, p)
		}
	}
	if len(left) != 1 || processGone(left[0]) {
		r.t.Fatalf("want init's child alive after init died: pids %v, init %d", pids, st.Pid)
	}
	return c, left
}

// TestParityKillSignalZero: signal 0 checks that init is alive: success while it runs, runc's
// "container not running" once it stopped.
func TestParityKillSignalZero(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	r.must("kill", c.id, "0")
	st := r.waitStatus(c.id, specs.StateRunning)
	if err := unix.Kill(st.Pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.waitStatus(c.id, specs.StateStopped)
	res := r.run("kill", c.id, "0")
	if res.code == 0 || !strings.Contains(res.stderr, "container not running") {
		t.Fatalf(`want "container not running": %s`, res)
	}
}

// TestParityRunKeep: run --keep leaves the stopped container, cgroup and all, for delete.
func TestParityRunKeep(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("true"))
	r.must("run", "--keep", "--bundle", c.bundle, c.id)
	r.waitStatus(c.id, specs.StateStopped)
	dir, _ := controllerDir(t, "pids", c.cgroupsPath())
	if !fileExists(dir) {
		t.Errorf("cgroup %s gone after run --keep", dir)
	}
	r.must("delete", c.id)
	if fileExists(dir) {
		t.Errorf("cgroup %s left after delete", dir)
	}
}

// TestParityCgroupDeleteHostPidNS: without a pid namespace of its own, the container's other
// processes outlive init; delete of the stopped container (with and without --force) kills them
// and removes the cgroup.
func TestParityCgroupDeleteHostPidNS(t *testing.T) {
	for _, force := range []bool{false, true} {
		name := "delete"
		if force {
			name = "delete --force"
		}
		t.Run(name, func(t *testing.T) {
			r := newRunner(t)
			c, pids := r.hostPidNSInitGone()
			cmd := []string{"delete", c.id}
			if force {
				cmd = []string{"delete", "--force", c.id}
			}
			r.must(cmd...)
			allGone(t, pids)
			for _, d := range cgroupDirs(t, c.cgroupsPath()) {
				if fileExists(d) {
					t.Errorf("cgroup %s left after delete", d)
				}
			}
		})
	}
}
