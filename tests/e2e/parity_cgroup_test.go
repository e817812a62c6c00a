//go:build linux

package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
)

// The TestParity* tests pin behaviour of runc 1.5.3, the reference: `make test-parity` runs them
// against build/ref/runc too, so each must pass with both runtimes. TestParityCgroup* also run
// in the cgroup v2 VM (tests/vm/v2-run-tests).

// isRunc: the runtime under test is the reference runc.
func isRunc() bool { return filepath.Base(binary) == "runc" }

// hybrid: cgroup v1 with the unified (v2) hierarchy mounted at /sys/fs/cgroup/unified.
func hybrid() bool {
	var st unix.Statfs_t
	return !unified() && unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// cgroupValue reads a file of the container's cgroup (the controller's dir on v1).
func cgroupValue(t *testing.T, c *container, ctrl, v1File, v2File string) string {
	t.Helper()
	dir, v2 := controllerDir(t, ctrl, c.cgroupsPath())
	file := v1File
	if v2 {
		file = v2File
	}
	return strings.TrimSpace(readFile(t, filepath.Join(dir, file)))
}

// writeResources writes an update's -r file.
func writeResources(t *testing.T, json string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "resources.json")
	if err := os.WriteFile(p, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestParityCgroupPidsZeroMeansOne: linux.resources.pids.limit 0 is a limit of one process
// (runtime-spec 1.2), not "unlimited".
func TestParityCgroupPidsZeroMeansOne(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(0)}
	})
	r.must("create", "--bundle", c.bundle, c.id)
	if got := cgroupValue(t, c, "pids", "pids.max", "pids.max"); got != "1" {
		t.Fatalf("pids.max %q, want 1", got)
	}
}

// TestParityCgroupRefusesBusyCgroup: a second container whose cgroupsPath is that of a running
// one is refused at create, and the first keeps running.
func TestParityCgroupRefusesBusyCgroup(t *testing.T) {
	r := newRunner(t)
	first := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", first.bundle, first.id)
	// Not newContainer: its cleanup would take the shared cgroup for the second's leftover.
	second := &container{id: bundle.UniqueName("e2e-"), bundle: bundle.New(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.CgroupsPath = first.cgroupsPath()
	})}
	t.Cleanup(func() { r.run("delete", "--force", second.id) })
	for _, cmd := range [][]string{{"run", "-d"}, {"create"}} {
		res := r.run(append(cmd, "--bundle", second.bundle, second.id)...)
		if res.code == 0 || !strings.Contains(res.stderr, "container's cgroup is not empty") {
			t.Errorf("want a refusal naming the non-empty cgroup: %s", res)
		}
		if _, res, ok := r.state(second.id); ok {
			t.Errorf("refused container exists: %s", res)
		}
	}
	r.waitStatus(first.id, specs.StateRunning)
}

// TestParityCgroupRefusesFrozenCgroup: create in a cgroup that is already frozen fails at once
// (init would be frozen as soon as it joined, and create would wait for it forever).
func TestParityCgroupRefusesFrozenCgroup(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("true"))
	dir, v2 := controllerDir(t, "freezer", c.cgroupsPath())
	file, frozen, thawed := "freezer.state", "FROZEN", "THAWED"
	if v2 {
		file, frozen, thawed = "cgroup.freeze", "1", "0"
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Runs before the container's cleanup: a runtime that hung has its init frozen in here.
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(dir, file), []byte(thawed), 0)
		_ = unix.Rmdir(dir)
	})
	if err := os.WriteFile(filepath.Join(dir, file), []byte(frozen), 0); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"run", "-d"}, {"create"}} {
		res := r.run(append(cmd, "--bundle", c.bundle, c.id)...)
		if res.code == 0 || !strings.Contains(res.stderr, "container's cgroup unexpectedly frozen") {
			t.Errorf("want a refusal naming the frozen cgroup: %s", res)
		}
		if _, res, ok := r.state(c.id); ok {
			t.Errorf("refused container exists: %s", res)
		}
	}
}

// TestParityCgroupUnifiedOnV1: linux.resources.unified needs cgroup v2; on v1 the create fails
// with runc's "invalid configuration" and leaves nothing.
func TestParityCgroupUnifiedOnV1(t *testing.T) {
	if unified() {
		t.Skip("needs cgroup v1: this host runs the unified hierarchy")
	}
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Linux.Resources.Unified = map[string]string{"pids.max": "10"}
	})
	pidsBefore := livePids(t)
	res := r.run("run", "--bundle", c.bundle, c.id)
	oneLineError(t, res, "invalid configuration: cannot use unified on cgroup v1")
	leftovers{id: c.id, bundle: c.bundle, rootfs: c.spec.Root.Path, cgroupsPath: c.cgroupsPath(), pidsBefore: pidsBefore}.check(t, r)
}

// runForUpdate runs a detached container with pids.max 20 to update.
func runForUpdate(t *testing.T) (*runner, *container) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(20)}
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	return r, c
}

// TestParityCgroupUpdatePids: update takes its flags after the container id too; pids through
// the flag (-1 unlimited, 0 means 1) and through -r, whose presence makes update ignore the
// flags (runc's rule).
func TestParityCgroupUpdatePids(t *testing.T) {
	r, c := runForUpdate(t)
	pids := func(want string) {
		t.Helper()
		if got := cgroupValue(t, c, "pids", "pids.max", "pids.max"); got != want {
			t.Errorf("pids.max %q, want %q", got, want)
		}
	}
	pids("20")
	r.must("update", c.id, "--pids-limit", "12345")
	pids("12345")
	r.must("update", "--pids-limit", "-1", c.id)
	pids("max")
	r.must("update", "--pids-limit", "0", c.id)
	pids("1")
	r.must("update", "-r", writeResources(t, `{"pids": {"limit": 30}}`), c.id)
	pids("30")
	r.must("update", "-r", writeResources(t, `{"pids": {"limit": 31}}`), "--pids-limit", "5", c.id)
	pids("31")
}

// TestParityCgroupUpdateCPUIdle: cpu.idle through -r and --cpu-idle; the kernel's refusal of
// anything but 0 and 1 fails the update; another update keeps it.
func TestParityCgroupUpdateCPUIdle(t *testing.T) {
	r, c := runForUpdate(t)
	dir, _ := controllerDir(t, "cpu", c.cgroupsPath())
	if !fileExists(filepath.Join(dir, "cpu.idle")) {
		t.Skip("needs cpu.idle (kernel 5.15+)")
	}
	idle := func(want string) {
		t.Helper()
		if got := cgroupValue(t, c, "cpu", "cpu.idle", "cpu.idle"); got != want {
			t.Errorf("cpu.idle %q, want %q", got, want)
		}
	}
	r.must("update", "-r", writeResources(t, `{"cpu": {"idle": 1}}`), c.id)
	idle("1")
	r.must("update", "--cpu-idle", "0", c.id)
	idle("0")
	r.must("update", c.id, "--cpu-idle", "1")
	idle("1")
	if res := r.run("update", "--cpu-idle", "2", c.id); res.code == 0 {
		t.Errorf("cpu.idle 2 accepted: %s", res)
	}
	idle("1")
	r.must("update", "--cpu-period", "10000", c.id)
	idle("1")
}

// TestParityCgroupUpdateBurst: --cpu-burst with a period; an unrelated update keeps it.
func TestParityCgroupUpdateBurst(t *testing.T) {
	r, c := runForUpdate(t)
	dir, v2 := controllerDir(t, "cpu", c.cgroupsPath())
	v1File, v2File := "cpu.cfs_burst_us", "cpu.max.burst"
	if f := map[bool]string{false: v1File, true: v2File}[v2]; !fileExists(filepath.Join(dir, f)) {
		t.Skip("needs CFS burst (kernel 5.14+)")
	}
	burst := func(want string) {
		t.Helper()
		if got := cgroupValue(t, c, "cpu", v1File, v2File); got != want {
			t.Errorf("burst %q, want %q", got, want)
		}
	}
	r.must("update", "--cpu-period", "900000", "--cpu-burst", "500000", c.id)
	burst("500000")
	r.must("update", "--memory", "100M", c.id)
	burst("500000")
	r.must("update", "--cpu-period", "900000", "--cpu-burst", "0", c.id)
	burst("0")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestParityCgroupUpdateRealtime: the RT period and runtime of cgroup v1 through -r and flags,
// including a period shorter than the runtime in force (runc issue 4094: the runtime must be
// written first).
func TestParityCgroupUpdateRealtime(t *testing.T) {
	if unified() {
		t.Skip("needs cgroup v1: cgroup v2 has no RT bandwidth files")
	}
	r := newRunner(t)
	pod := podCgroup(t, "cpu")
	rootDir, _ := controllerDir(t, "cpu", "")
	if !fileExists(filepath.Join(rootDir, "cpu.rt_runtime_us")) {
		t.Skip("needs RT group scheduling (CONFIG_RT_GROUP_SCHED)")
	}
	// A new cpu cgroup gets no RT runtime: give the pod 70% of its (default 1 s) period, enough
	// for the container's 2/3 and below what the root has (95%), with room for other groups.
	// A group removed a moment ago (the last run's) keeps its RT share until the kernel frees
	// it, so the write is retried for a while.
	var err error
	poll(statusTimeout, func() bool {
		err = os.WriteFile(filepath.Join(pod.dir, "cpu.rt_runtime_us"), []byte("700000"), 0)
		return err == nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.CgroupsPath = pod.name + "/" + s.Linux.CgroupsPath
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	rt := func(period, runtime string) {
		t.Helper()
		gotP := cgroupValue(t, c, "cpu", "cpu.rt_period_us", "")
		gotR := cgroupValue(t, c, "cpu", "cpu.rt_runtime_us", "")
		if gotP != period || gotR != runtime {
			t.Errorf("rt period/runtime %s/%s, want %s/%s", gotP, gotR, period, runtime)
		}
	}
	r.must("update", "-r", writeResources(t, `{"cpu": {"realtimePeriod": 800001, "realtimeRuntime": 500001}}`), c.id)
	rt("800001", "500001")
	r.must("update", c.id, "--cpu-rt-period", "900001", "--cpu-rt-runtime", "600001")
	rt("900001", "600001")
	r.must("update", c.id, "--cpu-rt-period", "10000", "--cpu-rt-runtime", "3000")
	rt("10000", "3000")
}

// pod is a parent cgroup a test makes itself, below its own cgroup, in one v1 hierarchy.
type pod struct{ name, dir string }

// podCgroup makes an empty cgroup in the ctrl hierarchy (as a pod manager does with mkdir) and
// removes it when the test ends, after its containers are deleted, with the pod's dirs the
// runtime made in the other hierarchies (runc leaves those).
func podCgroup(t *testing.T, ctrl string) pod {
	t.Helper()
	name := bundle.UniqueName("pod-")
	dir, v2 := controllerDir(t, ctrl, name)
	if v2 {
		t.Skip("needs cgroup v1")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range cgroupDirs(t, name) {
			if err := unix.Rmdir(d); err != nil && !errors.Is(err, unix.ENOENT) {
				t.Errorf("remove pod cgroup %s: %v", d, err)
			}
		}
	})
	return pod{name: name, dir: dir}
}

// TestParityCgroupCpusetPod: a container below a v1 pod cgroup made by mkdir alone, whose
// cpuset is empty, runs: the runtime fills the empty cpuset from its parent first (the kernel
// refuses to attach a task to an empty cpuset).
func TestParityCgroupCpusetPod(t *testing.T) {
	if unified() {
		t.Skip("needs cgroup v1: v2 cpusets inherit their parent's")
	}
	r := newRunner(t)
	pod := podCgroup(t, "cpuset")
	if got := strings.TrimSpace(readFile(t, filepath.Join(pod.dir, "cpuset.cpus"))); got != "" {
		t.Skipf("a new cpuset has cpus %q here (cgroup.clone_children is set)", got)
	}
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.CgroupsPath = pod.name + "/" + s.Linux.CgroupsPath
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	rootDir, _ := controllerDir(t, "cpuset", "")
	want := strings.TrimSpace(readFile(t, filepath.Join(rootDir, "cpuset.cpus")))
	if got := cgroupValue(t, c, "cpuset", "cpuset.cpus", ""); got != want {
		t.Errorf("container cpuset.cpus %q, want its parents' %q", got, want)
	}
	r.must("update", "--cpuset-cpus", "0", c.id)
	if got := cgroupValue(t, c, "cpuset", "cpuset.cpus", ""); got != "0" {
		t.Errorf("cpuset.cpus after update %q, want 0", got)
	}
}

// TestParityCgroupDeviceAccessLetters: a device rule's access is read as a set of r, w and m;
// other letters are ignored (runc's own tests use "rwa"), at create and at update.
func TestParityCgroupDeviceAccessLetters(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "head -c 1 /dev/kmsg >/dev/null 2>&1 && echo readable; sleep 60"}
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices,
			specs.LinuxDeviceCgroup{Allow: false, Type: "c", Major: int64p(1), Minor: int64p(11), Access: "rwa"})
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11}}
		s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_SYSLOG")
		s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_SYSLOG")
		s.Process.Capabilities.Permitted = append(s.Process.Capabilities.Permitted, "CAP_SYSLOG")
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	r.must("update", "--pids-limit", "30", c.id)
	if res := r.run("exec", c.id, "head", "-c", "1", "/dev/kmsg"); res.code == 0 {
		t.Errorf("/dev/kmsg readable under a deny rule with access rwa: %s", res)
	}
	if res := r.must("exec", c.id, "sh", "-c", "echo ok >/dev/null && echo ok"); strings.TrimSpace(res.stdout) != "ok" {
		t.Errorf("/dev/null not writable: %s", res)
	}
}

// TestParityCgroupEventsOOM: `events` reports {"type":"oom","id":ID} when the kernel OOM-kills
// a process of the container, here one started by exec, while init lives on.
func TestParityCgroupEventsOOM(t *testing.T) {
	w := newWDRunner(t)
	c := w.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		memoryLimit(s)
	})
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	ch := w.events(c.id)
	// A shell variable that grows until the 32 MiB limit.
	w.must("exec", "-d", c.id, "sh", "-c", "x=$(dd if=/dev/urandom ibs=5120k)")
	e, _ := waitEvent(t, ch, "oom", 30*time.Second*time.Duration(slowFactor()))
	if e.ID != c.id || len(e.Data) != 0 {
		t.Errorf("oom event %+v, want id %s and no data", e, c.id)
	}
	w.waitStatus(c.id, specs.StateRunning)
}

// TestParityCgroupEventsOOMKillerDisabled: with the OOM killer disabled (cgroup v1's
// memory.oom_control) an OOM kills nothing, the process waits; `events` still reports it, as
// runc does through the kernel's OOM notification.
func TestParityCgroupEventsOOMKillerDisabled(t *testing.T) {
	if unified() {
		t.Skip("needs cgroup v1: cgroup v2 cannot disable the OOM killer")
	}
	w := newWDRunner(t)
	c := w.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		memoryLimit(s)
		s.Linux.Resources.Memory.DisableOOMKiller = boolp(true)
	})
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	ch := w.events(c.id)
	w.must("exec", "-d", c.id, "sh", "-c", "x=$(dd if=/dev/urandom ibs=5120k)")
	waitEvent(t, ch, "oom", 30*time.Second*time.Duration(slowFactor()))
	if n := readKeyed(t, filepath.Join(mustDir(t, "memory", c.cgroupsPath()), "memory.oom_control"), "oom_kill"); n != 0 {
		t.Errorf("oom_kill %d with the OOM killer disabled", n)
	}
}

func boolp(b bool) *bool { return &b }

func mustDir(t *testing.T, ctrl, rel string) string {
	t.Helper()
	dir, _ := controllerDir(t, ctrl, rel)
	return dir
}

// TestParityCgroupV1Mount: on cgroup v1 a "ro" cgroup mount is a writable tmpfs holding a
// read-only bind of the container's cgroup per hierarchy, as runc 1.5 lays it out; a hybrid
// host's unified hierarchy is not among them.
func TestParityCgroupV1Mount(t *testing.T) {
	if unified() {
		t.Skip("needs cgroup v1")
	}
	out := runOutput(t, args("grep", " /sys/fs/cgroup", "/proc/mounts"))
	binds := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		switch {
		case f[1] == "/sys/fs/cgroup":
			if f[2] != "tmpfs" || !strings.HasPrefix(f[3], "rw,") {
				t.Errorf("/sys/fs/cgroup: %q, want a writable tmpfs", l)
			}
		case f[1] == "/sys/fs/cgroup/unified":
			t.Errorf("the unified hierarchy is shown: %q", l)
		default:
			binds++
			if !strings.HasPrefix(f[3], "ro,") {
				t.Errorf("%s: %q, want read-only", f[1], l)
			}
		}
	}
	if binds == 0 {
		t.Errorf("no cgroup hierarchy under /sys/fs/cgroup:\n%s", out)
	}
}

// TestParityCgroupHybridUnified: on a hybrid host (cgroup v1 with the v2 hierarchy mounted at
// /sys/fs/cgroup/unified) the container joins the unified hierarchy too, so /proc/PID/cgroup
// shows its path on the "0::" line; so does an exec'd process.
func TestParityCgroupHybridUnified(t *testing.T) {
	if !hybrid() {
		t.Skip("needs a hybrid cgroup host (/sys/fs/cgroup/unified)")
	}
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	want := "/" + c.cgroupsPath()
	unifiedPath := func(pid string) string {
		for _, l := range readCgroupLines(t, pid) {
			if len(l.controllers) == 0 {
				return l.path
			}
		}
		return ""
	}
	if got := unifiedPath(strconv.Itoa(st.Pid)); !strings.HasSuffix(got, want) {
		t.Errorf("init's 0:: cgroup %q, want one ending in %s", got, want)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.must("exec", "-d", "--pid-file", pidFile, c.id, "sleep", "30")
	if got := unifiedPath(strings.TrimSpace(readFile(t, pidFile))); !strings.HasSuffix(got, want) {
		t.Errorf("exec'd process's 0:: cgroup %q, want one ending in %s", got, want)
	}
}

// TestParityCgroupCreatedInit: a created container's init is in the container's cgroup in every
// hierarchy before start: /proc/PID/cgroup names the container's path on every line, and the
// container dir's cgroup.procs lists it in each. (contain starts init before making the v1
// dirs and init's thread joins them itself: this is what that must keep.)
func TestParityCgroupCreatedInit(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("true"))
	r.must("create", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateCreated)
	pid := strconv.Itoa(st.Pid)
	want := "/" + c.cgroupsPath()
	for _, l := range readCgroupLines(t, pid) {
		if !strings.HasSuffix(l.path, want) {
			t.Errorf("created init's cgroup %q (%v), want one ending in %s", l.path, l.controllers, want)
		}
	}
	dirs := cgroupDirs(t, c.cgroupsPath())
	if len(dirs) == 0 {
		t.Fatal("no cgroup hierarchy found")
	}
	for _, dir := range dirs {
		if procs := strings.Fields(readFile(t, filepath.Join(dir, "cgroup.procs"))); !slices.Contains(procs, pid) {
			t.Errorf("%s/cgroup.procs = %v, want init's pid %s in it", dir, procs, pid)
		}
	}
	r.must("start", c.id)
}
