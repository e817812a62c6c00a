//go:build linux

package e2e

// cgroup v2-only tests: they skip on a v1/hybrid host (needs.CgroupV2) and run in the cgroup v2
// VM of `make test-v2` (tests/vm). Each checks what the kernel enforces or reports in the
// container's own cgroup dir, found from the container's /proc/<pid>/cgroup or the relative
// cgroupsPath below our own cgroup.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// v2Runner is newRunner for a v2-only test.
func v2Runner(t *testing.T) *runner {
	t.Helper()
	needs.CgroupV2(t)
	return newRunner(t)
}

// v2Dir is the container's cgroup dir for the relative cgroupsPath rel.
func v2Dir(t *testing.T, rel string) string {
	t.Helper()
	dir, v2 := controllerDir(t, "memory", rel)
	if !v2 {
		t.Fatalf("cgroup of %s is not a v2 dir", rel)
	}
	return dir
}

// v2OwnDir is the test's own v2 cgroup directory.
func v2OwnDir(t *testing.T) string {
	t.Helper()
	for _, l := range readCgroupLines(t, "self") {
		if len(l.controllers) == 0 {
			return filepath.Join("/sys/fs/cgroup", l.path)
		}
	}
	t.Fatal("no cgroup v2 line in /proc/self/cgroup")
	return ""
}

// v2File reads one interface file of a cgroup dir, trimmed.
func v2File(t *testing.T, dir, file string) string {
	t.Helper()
	return strings.TrimSpace(readFile(t, filepath.Join(dir, file)))
}

// v2Want fails the test unless dir/file reads want.
func v2Want(t *testing.T, dir, file, want string) {
	t.Helper()
	if got := v2File(t, dir, file); got != want {
		t.Errorf("%s: %q, want %q", file, got, want)
	}
}

// v2Poll waits (bounded) until cond holds; what names the condition in the failure.
func v2Poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * statusTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, 2*statusTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// v2Running creates and starts a container and returns its cgroup dir and init pid.
func v2Running(t *testing.T, r *runner, c *container) (dir string, pid int) {
	t.Helper()
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	return v2Dir(t, c.cgroupsPath()), st.Pid
}

func TestV2Memory(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "head -c 4000000 /dev/zero | tail -c 1 >/dev/null; sleep 60"}
		s.Linux.Resources.Memory = &specs.LinuxMemory{
			Limit: int64p(64 << 20), Swap: int64p(96 << 20), Reservation: int64p(16 << 20),
		}
		s.Linux.Resources.Unified = map[string]string{"memory.high": strconv.Itoa(48 << 20)}
	})
	dir, _ := v2Running(t, r, c)
	v2Want(t, dir, "memory.max", strconv.Itoa(64<<20))
	v2Want(t, dir, "memory.low", strconv.Itoa(16<<20))
	v2Want(t, dir, "memory.high", strconv.Itoa(48<<20))
	// The spec's swap is memory+swap (the v1 meaning); v2's memory.swap.max is swap alone.
	if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
		v2Want(t, dir, "memory.swap.max", strconv.Itoa(32<<20))
	} else {
		t.Logf("no memory.swap.max (swap accounting off): %v", err)
	}
	// memory.peak (5.19+) is what `events --stats` reports as the usage max.
	v2Poll(t, "memory.peak above 0", func() bool {
		n, _ := strconv.Atoi(v2File(t, dir, "memory.peak"))
		return n > 0
	})
	var ev struct {
		Data struct {
			Memory struct {
				Usage struct {
					Limit uint64 `json:"limit"`
					Max   uint64 `json:"max"`
				} `json:"usage"`
			} `json:"memory"`
		} `json:"data"`
	}
	res := r.must("events", "--stats", c.id)
	if err := json.Unmarshal([]byte(res.stdout), &ev); err != nil {
		t.Fatalf("decode events --stats: %v\n%s", err, res.stdout)
	}
	if ev.Data.Memory.Usage.Limit != 64<<20 || ev.Data.Memory.Usage.Max == 0 {
		t.Errorf("events --stats memory usage: limit %d max %d, want limit %d and a peak", ev.Data.Memory.Usage.Limit, ev.Data.Memory.Usage.Max, 64<<20)
	}
	r.must("delete", "--force", c.id)
}

// TestV2MemoryHighThrottles: above memory.high the kernel reclaims and counts "high" events, but
// does not OOM-kill (unlike memory.max).
func TestV2MemoryHighThrottles(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		// tail buffers ~24 MiB of /dev/zero (no newline), then exits via the size cap of head.
		s.Process.Args = []string{"sh", "-c", "head -c 25165824 /dev/zero | tail -c 25165824 | wc -c; sleep 60"}
		s.Linux.Resources.Unified = map[string]string{"memory.high": strconv.Itoa(8 << 20)}
	})
	dir, _ := v2Running(t, r, c)
	v2Poll(t, "memory.events high > 0", func() bool { return readKeyed(t, filepath.Join(dir, "memory.events"), "high") > 0 })
	if n := readKeyed(t, filepath.Join(dir, "memory.events"), "oom_kill"); n != 0 {
		t.Errorf("memory.events oom_kill %d: memory.high must not kill", n)
	}
	r.must("delete", "--force", c.id)
}

func TestV2CPU(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: uint64p(2048), Quota: int64p(50000), Cpus: "0", Mems: "0"}
	})
	dir, _ := v2Running(t, r, c)
	// Shares map linearly onto cpu.weight: 1 + (2048-2)*9999/262142 = 79 (runc's conversion).
	v2Want(t, dir, "cpu.weight", "79")
	// A quota without a period gets the default period.
	v2Want(t, dir, "cpu.max", "50000 100000")
	v2Want(t, dir, "cpuset.cpus", "0")
	v2Want(t, dir, "cpuset.mems", "0")
	v2Want(t, dir, "cpuset.cpus.effective", "0")
	r.must("delete", "--force", c.id)
}

// TestV2CPUQuotaThrottles: a spinner under cpu.max "20000 100000" is throttled (cpu.stat counts
// throttled periods).
func TestV2CPUQuotaThrottles(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "while :; do :; done"}
		s.Linux.Resources.CPU = &specs.LinuxCPU{Quota: int64p(20000), Period: uint64p(100000)}
	})
	dir, _ := v2Running(t, r, c)
	v2Poll(t, "cpu.stat nr_throttled > 0", func() bool { return readKeyed(t, filepath.Join(dir, "cpu.stat"), "nr_throttled") > 0 })
	r.must("delete", "--force", c.id)
}

// TestV2DeviceFilter: the eBPF filter enforces linux.resources.devices. The container gets a
// node for /dev/kmsg (char 1:11, not among the default allowed devices); with "deny all, allow
// /dev/null" opening it fails with EPERM while /dev/null works. A second container whose rules
// allow 1:11 for writing can open the same node: the EPERM came from the filter.
func TestV2DeviceFilter(t *testing.T) {
	// The second write, after a failed first one, prints the shell's error (the errno text).
	script := `echo hi >/dev/null && echo null-ok; if { echo contain-e2e >/dev/kmsg; } 2>/dev/null; then echo kmsg-ok; else { echo x >/dev/kmsg; } 2>&1; fi; true`
	kmsg := specs.LinuxDevice{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11}
	mode := os.FileMode(0o600)
	kmsg.FileMode = &mode
	deny := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: int64p(1), Minor: int64p(3), Access: "rwm"},
	}
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  []string
	}{
		{"denied", deny, []string{"null-ok", "Operation not permitted"}},
		{"allowed", append(deny[:2:2], specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: int64p(1), Minor: int64p(11), Access: "w"}), []string{"null-ok", "kmsg-ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needs.CgroupV2(t)
			out := runOutput(t, func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", script}
				s.Linux.Devices = []specs.LinuxDevice{kmsg}
				s.Linux.Resources.Devices = tc.rules
			})
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("container output %q does not contain %q", out, w)
				}
			}
		})
	}
}

// TestV2DeviceFilterUpdate: update -r replaces the filter of a running container (the new
// program is attached before the old one is detached).
func TestV2DeviceFilterUpdate(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11}}
	})
	_, pid := v2Running(t, r, c)
	// Opened from outside through the container's root: the filter applies to the opener's
	// cgroup, so enter the container's cgroup and mount namespace with exec.
	tryWrite := func() string {
		res := r.run("exec", c.id, "sh", "-c", "if { echo contain-e2e >/dev/kmsg; } 2>/dev/null; then echo kmsg-ok; else echo kmsg-denied; fi")
		return strings.TrimSpace(res.stdout)
	}
	if got := tryWrite(); got != "kmsg-denied" {
		t.Fatalf("before update (default deny all): %q, want kmsg-denied (pid %d)", got, pid)
	}
	rules := specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: int64p(1), Minor: int64p(11), Access: "w"},
	}}
	b, _ := json.Marshal(rules)
	file := filepath.Join(t.TempDir(), "resources.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r.must("update", "-r", file, c.id)
	if got := tryWrite(); got != "kmsg-ok" {
		t.Fatalf("after update allowing c 1:11 w: %q, want kmsg-ok", got)
	}
	r.must("delete", "--force", c.id)
}

// TestV2Freeze: pause and resume go through cgroup.freeze; cgroup.events reports the state and
// so does contain's status.
func TestV2Freeze(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(args("sleep", "60"))
	dir, _ := v2Running(t, r, c)
	r.must("pause", c.id)
	v2Want(t, dir, "cgroup.freeze", "1")
	if n := readKeyed(t, filepath.Join(dir, "cgroup.events"), "frozen"); n != 1 {
		t.Errorf("cgroup.events frozen %d after pause, want 1", n)
	}
	r.waitStatus(c.id, specs.ContainerState("paused"))
	r.must("resume", c.id)
	v2Want(t, dir, "cgroup.freeze", "0")
	if n := readKeyed(t, filepath.Join(dir, "cgroup.events"), "frozen"); n != 0 {
		t.Errorf("cgroup.events frozen %d after resume, want 0", n)
	}
	r.waitStatus(c.id, specs.StateRunning)
	r.must("delete", "--force", c.id)
}

// forkingContainer runs a shell in the host's pid namespace (so killing init does not take its
// children with it) that starts three background sleeps and then waits.
func forkingContainer(s *specs.Spec) {
	s.Process.Args = []string{"sh", "-c", "sleep 61 & sleep 62 & sleep 63 & wait"}
	s.Linux.Namespaces = withoutNamespace(s.Linux.Namespaces, specs.PIDNamespace)
}

func cgroupPids(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// TestV2KillAll: kill --all KILL empties the cgroup (cgroup.kill), children included.
func TestV2KillAll(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(forkingContainer)
	dir, _ := v2Running(t, r, c)
	v2Poll(t, "4 processes in the cgroup", func() bool { return len(cgroupPids(t, dir)) == 4 })
	pids := cgroupPids(t, dir)
	r.must("kill", "--all", c.id, "KILL")
	v2Poll(t, "cgroup empty after kill --all", func() bool { return len(cgroupPids(t, dir)) == 0 })
	// A task leaves cgroup.procs in do_exit, a moment before it is a zombie: poll for that.
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		v2Poll(t, "pid "+p+" dead after kill --all", func() bool { return processGone(pid) })
	}
	r.waitStatus(c.id, specs.StateStopped)
	r.must("delete", c.id)
}

// TestV2DeleteForceKillsAll: delete --force of a running container kills every process of its
// cgroup and removes the dir.
func TestV2DeleteForceKillsAll(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(forkingContainer)
	dir, _ := v2Running(t, r, c)
	v2Poll(t, "4 processes in the cgroup", func() bool { return len(cgroupPids(t, dir)) == 4 })
	pids := cgroupPids(t, dir)
	r.must("delete", "--force", c.id)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s still there after delete --force: %v", dir, err)
	}
	for _, p := range pids {
		if stat, err := os.ReadFile("/proc/" + p + "/stat"); err == nil && !strings.Contains(string(stat), ") Z") {
			t.Errorf("pid %s alive after delete --force", p)
		}
	}
}

// TestV2InitStartsInCgroup: right after create, init (blocked on the exec fifo, before the user
// process) is in the container's cgroup. On v2 contain clones init straight into it
// (CLONE_INTO_CGROUP, no cgroup.procs write), which this checks from the outside as far as it
// can: init is there at the first moment create lets us look.
func TestV2InitStartsInCgroup(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(args("true"))
	r.must("create", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateCreated)
	dir := v2Dir(t, c.cgroupsPath())
	pidDir, v2 := pidControllerDir(t, st.Pid, "memory")
	if !v2 || pidDir != dir {
		t.Errorf("init (pid %d) is in %s, want %s", st.Pid, pidDir, dir)
	}
	if !containsField(readFile(t, filepath.Join(dir, "cgroup.procs")), strconv.Itoa(st.Pid)) {
		t.Errorf("init pid %d not in %s/cgroup.procs", st.Pid, dir)
	}
	r.must("delete", "--force", c.id)
}

// TestV2Update: update changes the limits of a running container in place.
func TestV2Update(t *testing.T) {
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(64 << 20)}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(100)}
	})
	dir, _ := v2Running(t, r, c)
	v2Want(t, dir, "memory.max", strconv.Itoa(64<<20))
	r.must("update", "--memory", strconv.Itoa(128<<20), "--pids-limit", "20", "--cpu-quota", "30000", "--cpu-period", "200000", "--cpu-share", "512", c.id)
	v2Want(t, dir, "memory.max", strconv.Itoa(128<<20))
	v2Want(t, dir, "pids.max", "20")
	v2Want(t, dir, "cpu.max", "30000 200000")
	v2Want(t, dir, "cpu.weight", strconv.Itoa(int(1+(512-2)*9999/262142)))
	r.must("update", "--pids-limit", "-1", c.id)
	v2Want(t, dir, "pids.max", "max")
	r.must("delete", "--force", c.id)
}

// TestV2NestedPath: a nested relative cgroupsPath a/b/c is made level by level; the levels we
// made delegate the controllers down, so the leaf gets its limits; delete removes all of them.
func TestV2NestedPath(t *testing.T) {
	r := v2Runner(t)
	top := bundle.UniqueName("contain-test-")
	rel := top + "/b/c"
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.CgroupsPath = rel
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(64 << 20)}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(50)}
	})
	topDir := v2Dir(t, top)
	t.Cleanup(func() {
		// After delete --force (registered earlier, so it ran first): nothing may be left.
		for _, d := range []string{filepath.Join(topDir, "b"), topDir} {
			if err := unix.Rmdir(d); err == nil {
				t.Errorf("intermediate cgroup %s left behind", d)
			}
		}
	})
	dir, pid := v2Running(t, r, c)
	if want := filepath.Join(topDir, "b", "c"); dir != want {
		t.Fatalf("leaf %s, want %s", dir, want)
	}
	if got, _ := pidControllerDir(t, pid, "memory"); got != dir {
		t.Errorf("init in %s, want %s", got, dir)
	}
	v2Want(t, dir, "memory.max", strconv.Itoa(64<<20))
	v2Want(t, dir, "pids.max", "50")
	for _, d := range []string{topDir, filepath.Join(topDir, "b")} {
		sc := " " + v2File(t, d, "cgroup.subtree_control") + " "
		if !strings.Contains(sc, " memory ") || !strings.Contains(sc, " pids ") {
			t.Errorf("%s/cgroup.subtree_control %q lacks memory or pids", d, strings.TrimSpace(sc))
		}
	}
	v2Want(t, dir, "cgroup.subtree_control", "")
	r.must("delete", "--force", c.id)
	for _, d := range []string{dir, filepath.Join(topDir, "b"), topDir} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed by delete: %v", d, err)
		}
	}
}

// TestV2RuntimeInNonRootCgroup: the runtime itself runs in a leaf cgroup below one we made
// (as under systemd, where it sits in a service or session scope). v2 forbids controllers in a
// cgroup's subtree_control while it holds processes, so contain must write subtree_control only
// in cgroups it created. An absolute cgroupsPath below a delegating parent gets its limits; so
// does a relative one, which goes beside the runtime's own cgroup, below its parent (runc's
// rule); a relative one leading into the runtime's own cgroup is refused.
func TestV2RuntimeInNonRootCgroup(t *testing.T) {
	r := v2Runner(t)
	ownDir := v2OwnDir(t)
	base := bundle.UniqueName("contain-test-")
	baseDir := filepath.Join(ownDir, base)
	if err := os.Mkdir(baseDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range []string{filepath.Join(baseDir, "runtime"), baseDir} {
			if err := unix.Rmdir(d); err != nil && !errors.Is(err, unix.ENOENT) {
				t.Errorf("remove %s: %v", d, err)
			}
		}
	})
	if ctrls := " " + v2File(t, baseDir, "cgroup.controllers") + " "; !strings.Contains(ctrls, " memory ") || !strings.Contains(ctrls, " pids ") {
		t.Skipf("needs memory and pids delegated to our cgroup %s (have %q)", ownDir, strings.TrimSpace(ctrls))
	}
	if err := os.WriteFile(filepath.Join(baseDir, "cgroup.subtree_control"), []byte("+memory +pids"), 0o644); err != nil {
		t.Fatalf("delegate memory and pids to %s: %v", baseDir, err)
	}
	runtimeDir := filepath.Join(baseDir, "runtime")
	if err := os.Mkdir(runtimeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cgfd, err := os.Open(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	defer cgfd.Close()
	// inCgroup runs the runtime with CLONE_INTO_CGROUP into baseDir/runtime.
	inCgroup := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"--root", r.root}, args...)...)
		cmd.SysProcAttr = &unix.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cgfd.Fd())}
		// A file, not a pipe: a created container's init inherits it and lives on.
		f, err := os.CreateTemp(r.tmp, "out-")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
		err = cmd.Run()
		out := readFile(t, f.Name())
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("`contain %s` (in %s) exited %d: %s", strings.Join(args, " "), runtimeDir, code, out)
		return string(out), code
	}
	ownRel := strings.TrimPrefix(ownDir, "/sys/fs/cgroup")

	t.Run("absolute path gets limits", func(t *testing.T) {
		abs := filepath.Join("/", ownRel, base, "abs")
		// Not newContainer: its leftover check knows only relative paths; this one checks its
		// absolute dir itself.
		c := &container{id: bundle.UniqueName("e2e-"), bundle: bundle.New(t, func(s *specs.Spec) {
			s.Process.Args = []string{"sleep", "60"}
			s.Linux.CgroupsPath = abs
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(64 << 20)}
			s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(50)}
		})}
		t.Cleanup(func() {
			if res := r.run("delete", "--force", c.id); res.code != 0 {
				t.Errorf("cleanup: %s", res)
			}
		})
		if out, code := inCgroup("create", "--bundle", c.bundle, c.id); code != 0 {
			t.Fatalf("create from a non-root cgroup: exit %d: %s", code, out)
		}
		dir := filepath.Join("/sys/fs/cgroup", abs)
		v2Want(t, dir, "memory.max", strconv.Itoa(64<<20))
		v2Want(t, dir, "pids.max", "50")
		st := r.waitStatus(c.id, specs.StateCreated)
		if got, _ := pidControllerDir(t, st.Pid, "memory"); got != dir {
			t.Errorf("init in %s, want %s", got, dir)
		}
		r.must("delete", "--force", c.id)
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", dir, err)
		}
	})
	t.Run("relative path beside the runtime's cgroup", func(t *testing.T) {
		c := r.newContainer(func(s *specs.Spec) {
			s.Process.Args = []string{"sleep", "60"}
			s.Linux.CgroupsPath = "" // the id, below the parent of the runtime's own cgroup
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(64 << 20)}
		})
		t.Cleanup(func() { r.run("delete", "--force", c.id) })
		if out, code := inCgroup("create", "--bundle", c.bundle, c.id); code != 0 {
			t.Fatalf("create with a memory limit from a non-root cgroup: exit %d: %s", code, out)
		}
		dir := filepath.Join(baseDir, c.id)
		v2Want(t, dir, "memory.max", strconv.Itoa(64<<20))
		v2Want(t, runtimeDir, "cgroup.subtree_control", "")
		r.must("delete", "--force", c.id)
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", dir, err)
		}
	})
	t.Run("relative path into the runtime's own cgroup is refused", func(t *testing.T) {
		c := r.newContainer(func(s *specs.Spec) {
			s.Process.Args = []string{"true"}
			s.Linux.CgroupsPath = "runtime/x"
		})
		out, code := inCgroup("create", "--bundle", c.bundle, c.id)
		if code == 0 || !strings.Contains(out, "own cgroup") {
			t.Errorf("create into the runtime's own cgroup: exit %d, want a refusal naming it: %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(runtimeDir, "x")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("refused create left %s: %v", filepath.Join(runtimeDir, "x"), err)
		}
	})
}

// quickRun starts `contain run --rootfs` in quick mode in the background and returns a function
// that waits for its exit code.
func quickRun(t *testing.T, r *runner, name string, flags ...string) (wait func() int) {
	t.Helper()
	rootfs := bundle.Rootfs(t)
	argv := append([]string{"--root", r.root, "--work-dir", filepath.Join(r.tmp, "work"), "run", "--rootfs", rootfs, "--name", name, "-q"}, flags...)
	cmd := exec.Command(binary, argv...)
	out := filepath.Join(r.tmp, name+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		done <- code
	}()
	t.Cleanup(func() {
		if res := r.run("delete", "--force", name); res.code != 0 && !strings.Contains(res.stderr, "does not exist") {
			t.Errorf("cleanup: %s", res)
		}
		select {
		case <-done:
		case <-time.After(commandTimeout):
			t.Errorf("quick-mode run %s did not exit", name)
		}
	})
	wait = func() int {
		select {
		case code := <-done:
			done <- code
			t.Logf("quick run %s: exit %d, output %q", name, code, readFile(t, out))
			return code
		case <-time.After(commandTimeout):
			t.Fatalf("quick-mode run %s did not exit within %v", name, commandTimeout)
			return -1
		}
	}
	return wait
}

func TestV2QuickMode(t *testing.T) {
	needs.CgroupV2(t)
	t.Run("memory 64M OOM", func(t *testing.T) {
		r := v2Runner(t)
		wait := quickRun(t, r, bundle.UniqueName("q-"), "--memory", "64M", "--", "tail", "/dev/zero")
		if code := wait(); code != 128+9 {
			t.Fatalf("exit %d, want 137 (OOM kill)", code)
		}
	})
	t.Run("pids and cpu", func(t *testing.T) {
		r := v2Runner(t)
		name := bundle.UniqueName("q-")
		wait := quickRun(t, r, name, "--pids", "64", "--cpu", "50000", "--", "sleep", "60")
		st := r.waitStatus(name, specs.StateRunning)
		dir, _ := pidControllerDir(t, st.Pid, "pids")
		v2Want(t, dir, "pids.max", "64")
		v2Want(t, dir, "cpu.max", "50000 100000")
		r.must("kill", name, "KILL")
		if code := wait(); code != 128+9 {
			t.Errorf("exit %d after kill, want 137", code)
		}
	})
	t.Run("pids 64 refuses forks", func(t *testing.T) {
		r := v2Runner(t)
		// A shell, not a Go program: the Go runtime's threads count against pids.max too.
		wait := quickRun(t, r, bundle.UniqueName("q-"), "--pids", "64", "--", "sh", "-c",
			`i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; echo all-forked`)
		if code := wait(); code == 0 {
			t.Errorf("100 forks under --pids 64 succeeded (exit 0)")
		}
	})
}

// TestV2IO needs a block device (the VM attaches a small virtio disk, /dev/vda): io.weight and
// io.max are written for it, and a read of it is accounted in the container's io.stat.
func TestV2IO(t *testing.T) {
	needs.CgroupV2(t)
	dev, majMin := v2BlockDevice(t)
	major, minor := int64(majMin[0]), int64(majMin[1])
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "dd if=/dev/disk0 of=/dev/null bs=64k count=32 2>&1; sleep 60"}
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/disk0", Type: "b", Major: major, Minor: minor}}
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices,
			specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: &major, Minor: &minor, Access: "r"})
		w := uint16(500)
		s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{
			Weight: &w,
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: major, Minor: minor}, Rate: 8 << 20},
			},
		}
	})
	dir, _ := v2Running(t, r, c)
	want := fmt.Sprintf("%d:%d rbps=%d wbps=max riops=max wiops=max", major, minor, 8<<20)
	if got := v2File(t, dir, "io.max"); !strings.Contains(got, want) {
		t.Errorf("io.max %q, want %q (%s)", got, want, dev)
	}
	if _, err := os.Stat(filepath.Join(dir, "io.weight")); err == nil {
		// 500 in the v1 range 10..1000 maps to 1 + 490*9999/990 = 4950.
		v2Want(t, dir, "io.weight", "default 4950")
	} else if _, err := os.Stat(filepath.Join(dir, "io.bfq.weight")); err == nil {
		v2Want(t, dir, "io.bfq.weight", "default 500")
	} else {
		t.Errorf("neither io.weight nor io.bfq.weight in %s", dir)
	}
	key := fmt.Sprintf("%d:%d", major, minor)
	v2Poll(t, "io.stat rbytes for "+key, func() bool {
		for _, line := range strings.Split(v2File(t, dir, "io.stat"), "\n") {
			if strings.HasPrefix(line, key+" ") && !strings.Contains(line, "rbytes=0 ") {
				return true
			}
		}
		return false
	})
	r.must("delete", "--force", c.id)
}

// v2BlockDevice returns a whole-disk block device of this machine (virtio first) and its numbers.
func v2BlockDevice(t *testing.T) (string, [2]int) {
	t.Helper()
	entries, _ := os.ReadDir("/sys/block")
	for _, prefix := range []string{"vd", "sd", "nvme"} {
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), prefix) {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/sys/block", e.Name(), "dev"))
			if err != nil {
				continue
			}
			var mm [2]int
			if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &mm[0], &mm[1]); err == nil {
				return e.Name(), mm
			}
		}
	}
	t.Skip("needs a block device (vd*, sd*, nvme*) for io.max/io.weight")
	return "", [2]int{}
}

// TestV2Hugetlb: hugetlb limits are written for each page size (and the reservation limit where
// the kernel has it). Allocating huge pages needs a program that mmaps MAP_HUGETLB, which the
// busybox rootfs lacks, so enforcement is the kernel's part and not tested here.
func TestV2Hugetlb(t *testing.T) {
	needs.CgroupV2(t)
	r := v2Runner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}
	})
	if _, err := os.Stat("/sys/kernel/mm/hugepages/hugepages-2048kB"); err != nil {
		t.Skipf("needs 2MB huge pages: %v", err)
	}
	// The container's cgroup goes below the base of relative paths (our cgroup's parent): it
	// has hugetlb only if that delegates it.
	base := v2Dir(t, ".")
	if !strings.Contains(" "+v2File(t, base, "cgroup.subtree_control")+" ", " hugetlb ") {
		t.Skipf("needs the hugetlb controller delegated by %s", base)
	}
	dir, _ := v2Running(t, r, c)
	v2Want(t, dir, "hugetlb.2MB.max", strconv.Itoa(4<<20))
	if _, err := os.Stat(filepath.Join(dir, "hugetlb.2MB.rsvd.max")); err == nil {
		v2Want(t, dir, "hugetlb.2MB.rsvd.max", strconv.Itoa(4<<20))
	}
	r.must("delete", "--force", c.id)
}
