//go:build linux

package cri

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A pod with a shared pid namespace (shareProcessNamespace: true): the pause process is PID 1
// of every container, and each container sees the others' processes.
func TestSharedPIDNamespace(t *testing.T) {
	eachHandler(t, "pod: shared pid namespace", func(t *testing.T, h handler) {
		p := newPod(t, h, "sharedpid-"+h.name, podOptions{sharedPID: true})
		a := p.start(t, containerConfig("a", "exec sleep 3601"))
		b := p.start(t, containerConfig("b", "exec sleep 3602"))
		if got := b.sh(t, "tr '\\0' ' ' </proc/1/cmdline"); got != "/pause" {
			t.Errorf("PID 1 in container b runs %q, want the sandbox's /pause", got)
		}
		if got := b.sh(t, "ps -o args"); !strings.Contains(got, "sleep 3601") {
			t.Errorf("container b does not see container a's process:\n%s", got)
		}
		if na, nb := a.sh(t, "readlink /proc/self/ns/pid"), b.sh(t, "readlink /proc/self/ns/pid"); na != nb {
			t.Errorf("pid namespaces differ: a %s, b %s", na, nb)
		}
		if host, ctr := nsOf(t, "self", "pid"), a.sh(t, "readlink /proc/self/ns/pid"); host == ctr {
			t.Errorf("the pod shares the host's pid namespace %s", host)
		}
	})
}

// By default each container has a pid namespace of its own: its command is PID 1, and it sees
// neither the pause process nor its sibling.
func TestContainerPIDNamespace(t *testing.T) {
	eachHandler(t, "pod: pid namespace per container", func(t *testing.T, h handler) {
		p := newPod(t, h, "ownpid-"+h.name, podOptions{})
		a := p.start(t, containerConfig("a", "exec sleep 3601"))
		b := p.start(t, containerConfig("b", "exec sleep 3602"))
		if got := b.sh(t, "tr '\\0' ' ' </proc/1/cmdline"); got != "sleep 3602" {
			t.Errorf("PID 1 in container b runs %q, want its own command", got)
		}
		if got := b.sh(t, "ps -o args"); strings.Contains(got, "sleep 3601") || strings.Contains(got, "pause") {
			t.Errorf("container b sees other containers' processes:\n%s", got)
		}
		if na, nb := a.sh(t, "readlink /proc/self/ns/pid"), b.sh(t, "readlink /proc/self/ns/pid"); na == nb {
			t.Errorf("containers a and b share the pid namespace %s", na)
		}
	})
}

// A hostPID pod sees the node's processes: the host's pid namespace.
func TestHostPIDNamespace(t *testing.T) {
	eachHandler(t, "pod: host pid and ipc namespaces", func(t *testing.T, h handler) {
		p := newPod(t, h, "hostpid-"+h.name, podOptions{hostPID: true, hostIPC: true})
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		for _, ns := range []string{"pid", "ipc"} {
			if host, ctr := nsOf(t, "self", ns), c.sh(t, "readlink /proc/self/ns/"+ns); host != ctr {
				t.Errorf("%s namespace %s, want the host's %s", ns, ctr, host)
			}
		}
		self, _ := os.ReadFile("/proc/self/cmdline")
		want := strings.TrimSpace(strings.ReplaceAll(string(self), "\x00", " "))
		if got := c.sh(t, "tr '\\0' ' ' </proc/"+strconv.Itoa(os.Getpid())+"/cmdline"); got != want {
			t.Errorf("the container does not see the test's own process: %q, want %q", got, want)
		}
	})
}

// The containers of a pod share its IPC namespace and its /dev/shm.
func TestSharedIPCNamespace(t *testing.T) {
	eachHandler(t, "pod: shared ipc namespace and /dev/shm", func(t *testing.T, h handler) {
		p := newPod(t, h, "ipc-"+h.name, podOptions{})
		a := p.start(t, containerConfig("a", "echo from-a >/dev/shm/note; exec sleep 3600"))
		b := p.start(t, containerConfig("b", "exec sleep 3600"))
		waitFor(t, "container a's note in /dev/shm", func() bool { return b.sh(t, "cat /dev/shm/note 2>/dev/null || true") == "from-a" })
		if na, nb := a.sh(t, "readlink /proc/self/ns/ipc"), b.sh(t, "readlink /proc/self/ns/ipc"); na != nb || na == nsOf(t, "self", "ipc") {
			t.Errorf("ipc namespaces: a %s, b %s, host %s; want a = b, not the host's", na, nb, nsOf(t, "self", "ipc"))
		}
	})
}

// Pod sysctls (securityContext.sysctls) are set in the pod's namespaces: a net one in its
// network namespace, an ipc one in its IPC namespace; the host's values stay.
func TestPodSysctls(t *testing.T) {
	eachHandler(t, "pod: sysctls", func(t *testing.T, h handler) {
		hostPorts := readSysctl(t, "net/ipv4/ip_local_port_range")
		p := newPod(t, h, "sysctl-"+h.name, podOptions{sysctls: map[string]string{
			"net.ipv4.ip_local_port_range": "20000 30000",
			"kernel.shm_rmid_forced":       "1",
		}})
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		got := c.sh(t, "cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/kernel/shm_rmid_forced")
		if want := "20000\t30000\n1"; got != want {
			t.Errorf("sysctls in the container: %q, want %q", got, want)
		}
		if after := readSysctl(t, "net/ipv4/ip_local_port_range"); after != hostPorts {
			t.Errorf("the host's ip_local_port_range changed: %q -> %q", hostPorts, after)
		}
	})
}

func readSysctl(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// In a shared pid namespace a container's main process is not PID 1 of its namespace, so its
// children outlive it: when it exits (or is stopped), the runtime must kill what is left in the
// container's cgroup, or the cgroup can never be removed.
func TestSharedPIDOrphans(t *testing.T) {
	eachHandler(t, "pod: shared pid namespace, orphans killed", func(t *testing.T, h handler) {
		p := newPod(t, h, "orphans-"+h.name, podOptions{sharedPID: true})
		watcher := p.start(t, containerConfig("watcher", "exec sleep 3600"))
		exited := p.start(t, containerConfig("exits", "sleep 3701 & sleep 3702 & echo started"))
		stopped := p.start(t, containerConfig("stopped", "sleep 3703 & exec sleep 3704"))
		waitLog(t, exited, "started\n")
		if st := exited.waitExited(t, 30*time.Second); st.ExitCode != 0 {
			t.Errorf("container exits: exit code %d", st.ExitCode)
		}
		stopped.stop(t, 0)
		// The kubelet removes exited containers; their cgroups must go with them.
		ctx, cancel := suite.ctx()
		defer cancel()
		for _, c := range []*container{exited, stopped} {
			if _, err := suite.rt.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: c.id}); err != nil {
				t.Errorf("RemoveContainer %s: %v", c.name, err)
			}
			if dirs := cgroupDirs(c.cgroupsPath); len(dirs) > 0 {
				t.Errorf("container %s removed, its cgroups stay: %v", c.name, dirs)
			}
		}
		p.containers = p.containers[:1]
		waitFor(t, "the orphans to be gone", func() bool {
			ps := watcher.sh(t, "ps -o args")
			return !strings.Contains(ps, "sleep 370")
		})
	})
}
