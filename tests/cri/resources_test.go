//go:build linux

package cri

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// expectCgroup checks controller file of the container's cgroup, as the host sees it.
func expectCgroup(t *testing.T, c *container, controller, file, want string) {
	t.Helper()
	if got := cgroupFile(t, controller, c.cgroupsPath, file); got != want {
		t.Errorf("%s/%s = %q, want %q", controller, file, got, want)
	}
}

// Requests and limits as the kubelet turns them into LinuxContainerResources: the cgroup files
// on the host, the same values through the container's own /sys/fs/cgroup, the process in its
// groups, and oom_score_adj.
func TestResources(t *testing.T) {
	eachHandler(t, "resources: memory, CPU quota and shares, cpuset, oom_score_adj", func(t *testing.T, h handler) {
		p := newPod(t, h, "resources-"+h.name, podOptions{})
		cfg := containerConfig("limited", "exec sleep 3600")
		cfg.Linux.Resources = &runtime.LinuxContainerResources{
			MemoryLimitInBytes: 64 << 20, CpuPeriod: 100000, CpuQuota: 50000, CpuShares: 512,
			CpusetCpus: "0", OomScoreAdj: 500,
		}
		c := p.start(t, cfg)
		expectCgroup(t, c, "memory", "memory.limit_in_bytes", "67108864")
		expectCgroup(t, c, "cpu", "cpu.cfs_period_us", "100000")
		expectCgroup(t, c, "cpu", "cpu.cfs_quota_us", "50000")
		expectCgroup(t, c, "cpu", "cpu.shares", "512")
		expectCgroup(t, c, "cpuset", "cpuset.cpus", "0")
		pid := strconv.Itoa(c.pid(t))
		for _, controller := range []string{"memory", "cpu", "cpuset", "pids", "devices", "freezer"} {
			procs := strings.Fields(cgroupFile(t, controller, c.cgroupsPath, "cgroup.procs"))
			if len(procs) != 1 || procs[0] != pid {
				t.Errorf("%s cgroup holds %v, want the container's process %s", controller, procs, pid)
			}
		}
		if b, err := os.ReadFile("/proc/" + pid + "/oom_score_adj"); err != nil || strings.TrimSpace(string(b)) != "500" {
			t.Errorf("oom_score_adj of the container's process: %q (%v), want 500", b, err)
		}
		got := c.sh(t, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares; nproc")
		if want := "67108864\n50000\n512\n1"; got != want {
			t.Errorf("inside the container: limits %q, want %q", got, want)
		}
	})
}

// The pod's pids limit is the kubelet's: it sets pids.max on the pod cgroup it makes before
// RunPodSandbox, and every container's group under it must count against it.
func TestPodPidsLimit(t *testing.T) {
	const limit = 16
	eachHandler(t, "resources: pod pids limit", func(t *testing.T, h handler) {
		p := newPod(t, h, "pids-"+h.name, podOptions{beforeRun: func(t *testing.T, cg string) {
			makeCgroup(t, "pids", cg, map[string]string{"pids.max": strconv.Itoa(limit)})
		}})
		// busybox sh gives up at the first fork that fails; each success is logged first.
		st, out := p.run(t, containerConfig("forker", "i=0; while [ $i -lt 40 ]; do sleep 300 & i=$((i+1)); echo $i; done"))
		lines := strings.Fields(out)
		forked := 0
		if len(lines) > 0 {
			forked, _ = strconv.Atoi(lines[len(lines)-1])
		}
		// The pod's tasks are pause (one thread), the container's shell and its sleeps: nothing
		// else of the runtime's may take a slot.
		if forked != limit-2 || st.ExitCode == 0 {
			t.Errorf("the shell forked %d sleeps and exited %d, want %d (the pod's limit of %d, less pause and the shell) and a failure", forked, st.ExitCode, limit-2, limit)
		}
	})
}

// UpdateContainerResources on a running container (what in-place pod resize and the CPU
// manager do): new memory and CPU limits reach the cgroup, and the container keeps running.
func TestUpdateContainerResources(t *testing.T) {
	eachHandler(t, "resources: UpdateContainerResources", func(t *testing.T, h handler) {
		p := newPod(t, h, "update-"+h.name, podOptions{})
		cfg := containerConfig("resized", "exec sleep 3600")
		cfg.Linux.Resources = &runtime.LinuxContainerResources{MemoryLimitInBytes: 64 << 20, CpuPeriod: 100000, CpuQuota: 50000, CpuShares: 512}
		c := p.start(t, cfg)
		ctx, cancel := suite.ctx()
		defer cancel()
		_, err := suite.rt.UpdateContainerResources(ctx, &runtime.UpdateContainerResourcesRequest{ContainerId: c.id,
			Linux: &runtime.LinuxContainerResources{MemoryLimitInBytes: 128 << 20, CpuPeriod: 100000, CpuQuota: 20000, CpuShares: 256}})
		if err != nil {
			t.Fatalf("UpdateContainerResources: %v", err)
		}
		expectCgroup(t, c, "memory", "memory.limit_in_bytes", fmt.Sprint(128<<20))
		expectCgroup(t, c, "cpu", "cpu.cfs_quota_us", "20000")
		expectCgroup(t, c, "cpu", "cpu.shares", "256")
		if got := c.sh(t, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"); got != fmt.Sprint(128<<20) {
			t.Errorf("memory limit inside the container after the update: %s", got)
		}
		if st := c.status(t).Status; st.State != runtime.ContainerState_CONTAINER_RUNNING {
			t.Errorf("container is %v after the update", st.State)
		}
	})
}

// Devices in the container config (what device plugins hand the kubelet): the node's device
// appears at the container path with its numbers and is usable; the device cgroup still refuses
// devices that were not granted.
func TestDevices(t *testing.T) {
	eachHandler(t, "resources: devices (device plugin)", func(t *testing.T, h handler) {
		p := newPod(t, h, "devices-"+h.name, podOptions{})
		cfg := containerConfig("dev", "")
		cfg.Devices = []*runtime.Device{{ContainerPath: "/dev/granted", HostPath: "/dev/null", Permissions: "rw"}}
		script := `stat -c '%F %t:%T' /dev/granted
echo x >/dev/granted && echo "write ok"
mknod /tmp/mem-$$ c 1 1 && { if head -c 1 /tmp/mem-$$ >/dev/null 2>&1; then echo "/dev/mem readable"; else echo "/dev/mem refused"; fi; rm -f /tmp/mem-$$; }`
		initOut, execOut := probe(t, p, cfg, script)
		expectBoth(t, initOut, execOut, "character special file 1:3\nwrite ok\n/dev/mem refused\n")
	})
}
