//go:build linux

package cri

import (
	"strconv"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerStatus after the container's command exits: the exit code, the reason the kubelet
// shows (Error, Completed), and timestamps in order that span the command's run.
func TestExitStatus(t *testing.T) {
	eachHandler(t, "status: exit codes and timestamps", func(t *testing.T, h handler) {
		p := newPod(t, h, "exit-"+h.name, podOptions{})
		before := time.Now()
		st, _ := p.run(t, containerConfig("fails", "sleep 0.3; exit 3"))
		if st.ExitCode != 3 || st.Reason != "Error" {
			t.Errorf("exit code %d reason %q, want 3 Error", st.ExitCode, st.Reason)
		}
		created, started, finished := time.Unix(0, st.CreatedAt), time.Unix(0, st.StartedAt), time.Unix(0, st.FinishedAt)
		if created.Before(before.Add(-time.Second)) || started.Before(created) || finished.Before(started) || finished.After(time.Now()) {
			t.Errorf("timestamps out of order: created %v started %v finished %v (test began %v)", created, started, finished, before)
		}
		if ran := finished.Sub(started); ran < 300*time.Millisecond || ran > 20*time.Second {
			t.Errorf("finished - started = %v for a 0.3 s command", ran)
		}
		st, _ = p.run(t, containerConfig("succeeds", "true"))
		if st.ExitCode != 0 || st.Reason != "Completed" {
			t.Errorf("exit code %d reason %q, want 0 Completed", st.ExitCode, st.Reason)
		}
	})
}

// A container over its memory limit is killed by the kernel's OOM killer, and the kubelet sees
// reason OOMKilled (from the shim's OOM event on the container's memory cgroup) and exit 137.
func TestOOMKilled(t *testing.T) {
	eachHandler(t, "status: OOMKilled", func(t *testing.T, h handler) {
		p := newPod(t, h, "oom-"+h.name, podOptions{})
		cfg := containerConfig("hog", "x=a; while :; do x=$x$x; done")
		cfg.Linux.Resources = &runtime.LinuxContainerResources{MemoryLimitInBytes: 32 << 20}
		c := p.start(t, cfg)
		st := c.waitExited(t, 60*time.Second)
		if st.Reason != "OOMKilled" || st.ExitCode != 137 {
			t.Errorf("reason %q exit code %d, want OOMKilled 137", st.Reason, st.ExitCode)
		}
	})
}

// The container's stdout and stderr reach the log path in the CRI format: each line tagged with
// its stream, full lines F, a line over containerd's maximum (16 KiB) split into P parts, a last
// line without a newline P; timestamps within the container's run.
func TestLogs(t *testing.T) {
	eachHandler(t, "logs: CRI format at the log path", func(t *testing.T, h handler) {
		p := newPod(t, h, "logs-"+h.name, podOptions{})
		c := p.start(t, containerConfig("logger",
			"echo out-1; echo err-1 >&2; echo out-2; head -c 20000 /dev/zero | tr '\\0' x; echo; printf partial"))
		st := c.waitExited(t, 30*time.Second)
		log := c.logs(t)
		long := strings.Repeat("x", 20000)
		if got, want := log.stdout(), "out-1\nout-2\n"+long+"\npartial"; got != want {
			t.Errorf("stdout in the log:\n%.200q\nwant\n%.200q", got, want)
		}
		if got := log.stderr(); got != "err-1\n" {
			t.Errorf("stderr in the log: %q, want %q", got, "err-1\n")
		}
		partials := 0
		for _, l := range log {
			if l.tag == "P" {
				partials++
			}
			if l.time.Before(time.Unix(0, st.StartedAt).Add(-time.Second)) || l.time.After(time.Unix(0, st.FinishedAt).Add(time.Second)) {
				t.Errorf("log line at %v outside the container's run (%v to %v)", l.time, time.Unix(0, st.StartedAt), time.Unix(0, st.FinishedAt))
			}
		}
		if partials != 2 {
			t.Errorf("%d partial (P) lines, want 2 (the long line's first part, the last line)", partials)
		}
	})
}

// ContainerStats and ListContainerStats report the container's CPU and memory from its cgroups,
// and its writable layer.
func TestStats(t *testing.T) {
	eachHandler(t, "stats: ContainerStats, ListContainerStats", func(t *testing.T, h handler) {
		p := newPod(t, h, "stats-"+h.name, podOptions{})
		c := p.start(t, containerConfig("busy",
			"dd if=/dev/zero of=/tmp/fill bs=1M count=16 2>/dev/null; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo ready; exec sleep 3600"))
		waitLog(t, c, "ready\n")
		ctx, cancel := suite.ctx()
		defer cancel()
		resp, err := suite.rt.ContainerStats(ctx, &runtime.ContainerStatsRequest{ContainerId: c.id})
		if err != nil {
			t.Fatalf("ContainerStats: %v", err)
		}
		s := resp.Stats
		if s.GetAttributes().GetId() != c.id || s.GetAttributes().GetMetadata().GetName() != "busy" {
			t.Errorf("stats attributes %v", s.GetAttributes())
		}
		hostCPU, _ := strconv.ParseUint(cgroupFile(t, "cpuacct", c.cgroupsPath, "cpuacct.usage"), 10, 64)
		if cpu := s.GetCpu().GetUsageCoreNanoSeconds().GetValue(); cpu == 0 || cpu > hostCPU {
			t.Errorf("CPU usage %d ns, want > 0 and at most the cgroup's %d", cpu, hostCPU)
		}
		if mem := s.GetMemory().GetUsageBytes().GetValue(); mem < 16<<20 {
			t.Errorf("memory usage %d bytes, want at least the 16 MiB written to /tmp", mem)
		}
		if ws := s.GetMemory().GetWorkingSetBytes().GetValue(); ws == 0 {
			t.Error("memory working set is 0")
		}
		// containerd recomputes the writable layer's usage every stats_collect_period (1 s).
		for deadline := time.Now().Add(10 * time.Second); ; {
			used := s.GetWritableLayer().GetUsedBytes().GetValue()
			if used >= 16<<20 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("writable layer uses %d bytes, want at least 16 MiB", used)
				break
			}
			time.Sleep(200 * time.Millisecond)
			again, err := suite.rt.ContainerStats(ctx, &runtime.ContainerStatsRequest{ContainerId: c.id})
			if err != nil {
				t.Fatalf("ContainerStats: %v", err)
			}
			s = again.Stats
		}
		list, err := suite.rt.ListContainerStats(ctx, &runtime.ListContainerStatsRequest{
			Filter: &runtime.ContainerStatsFilter{PodSandboxId: p.id}})
		if err != nil {
			t.Fatalf("ListContainerStats: %v", err)
		}
		if len(list.Stats) != 1 || list.Stats[0].GetAttributes().GetId() != c.id ||
			list.Stats[0].GetMemory().GetWorkingSetBytes().GetValue() == 0 {
			t.Errorf("ListContainerStats for the pod: %v", list.Stats)
		}
	})
}

// waitLog polls the container's stdout until it ends with want.
func waitLog(t *testing.T, c *container, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.HasSuffix(c.logs(t).stdout(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q; log:\n%s", c.name, want, c.logs(t).text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
