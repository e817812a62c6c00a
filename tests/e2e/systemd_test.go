//go:build linux

package e2e

// Tests of the systemd cgroup driver (--systemd-cgroup). They need systemd as PID 1 and skip
// without it; `make test-systemd` runs them in the systemd VM (tests/vm/systemd), on cgroup v2
// and (VM_CGROUP=v1) on v1. Each checks what systemd reports of the container's unit
// (`systemctl show`, `systemctl status`) and what the kernel has in the unit's cgroup files, so a
// property mapped wrong fails even when the file written afterwards is right.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// needsSystemd skips unless systemd runs this host (sd_booted(3): /run/systemd/system exists).
func needsSystemd(t *testing.T) {
	t.Helper()
	needs.Root(t)
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() {
		t.Skip("needs systemd as init (/run/systemd/system); make test-systemd runs these in the systemd VM")
	}
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("needs systemctl")
	}
}

// sdContainer is a container whose cgroup is the systemd unit unit.
type sdContainer struct {
	*container
	unit string
}

// newSDContainer makes a bundle whose cgroupsPath is cgPath ("slice:prefix:name"; "" for the
// default), and registers the cleanup: delete --force, then a check that the unit is gone
// (stopping it if not, so one failure does not leak into the next test).
func newSDContainer(t *testing.T, r *runner, cgPath string, mutate func(*specs.Spec)) *sdContainer {
	t.Helper()
	id := bundle.UniqueName("sd-")
	unit := "contain-" + id + ".scope"
	if cgPath != "" {
		parts := strings.Split(cgPath, ":")
		unit = parts[1] + "-" + parts[2] + ".scope"
		if parts[2] == "" {
			unit = parts[1] + "-" + id + ".scope"
			cgPath += id
		}
	}
	dir := bundle.New(t, func(s *specs.Spec) {
		s.Linux.CgroupsPath = cgPath
		if mutate != nil {
			mutate(s)
		}
	})
	s, err := bundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &sdContainer{container: &container{id: id, bundle: dir, spec: s}, unit: unit}
	t.Cleanup(func() {
		if res := r.run("delete", "--force", c.id); res.code != 0 {
			t.Errorf("cleanup: %s", res)
		}
		if state := unitProp(t, unit, "LoadState"); state != "not-found" {
			t.Errorf("unit %s still loaded (%s) after delete", unit, state)
			_ = exec.Command("systemctl", "stop", unit).Run()
			_ = exec.Command("systemctl", "reset-failed", unit).Run()
		}
	})
	return c
}

// unitProps returns `systemctl show` of the unit for the named properties.
func unitProps(t *testing.T, unit string, names ...string) map[string]string {
	t.Helper()
	args := []string{"show", unit}
	for _, n := range names {
		args = append(args, "-p", n)
	}
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("systemctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			// A list property (DeviceAllow) comes as one line per entry.
			if m[k] != "" {
				v = m[k] + ", " + v
			}
			m[k] = v
		}
	}
	return m
}

func unitProp(t *testing.T, unit, name string) string {
	t.Helper()
	return unitProps(t, unit, name)[name]
}

// wantProps fails the test for each property whose value differs.
func wantProps(t *testing.T, unit string, want map[string]string) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	got := unitProps(t, unit, names...)
	for n, w := range want {
		if got[n] != w {
			t.Errorf("unit %s: %s=%q, want %q", unit, n, got[n], w)
		}
	}
}

// unitFile reads a cgroup file of the unit: v2 name first, else the v1 one in ctrl's hierarchy.
func unitFile(t *testing.T, unit, v2name, ctrl, v1name string) string {
	t.Helper()
	cg := unitProp(t, unit, "ControlGroup")
	if cg == "" {
		t.Fatalf("unit %s has no ControlGroup", unit)
	}
	p := filepath.Join("/sys/fs/cgroup", cg, v2name)
	if !unified() {
		p = filepath.Join("/sys/fs/cgroup", ctrl, cg, v1name)
	}
	return strings.TrimSpace(readFile(t, p))
}

// sdRun runs a runtime command with --systemd-cgroup.
func sdRun(r *runner, args ...string) result {
	r.t.Helper()
	return r.run(append([]string{"--systemd-cgroup"}, args...)...)
}

func sdMust(r *runner, args ...string) result {
	r.t.Helper()
	return r.must(append([]string{"--systemd-cgroup"}, args...)...)
}

// TestSystemdCgroupScope: a container is a transient scope in the slice its cgroupsPath names, with
// its init as the scope's process, Delegate=yes, and its limits both as unit properties and in
// the cgroup files; `update` changes both; pause and resume freeze the cgroup; delete stops the
// unit and its cgroup goes.
func TestSystemdCgroupScope(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(64 << 20), Reservation: int64p(16 << 20)}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(32)}
		s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: uint64p(512), Quota: int64p(50000), Period: uint64p(100000)}
	})
	sdMust(r, "create", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateCreated)

	want := map[string]string{
		"ActiveState": "active", "Slice": "machine.slice", "Delegate": "yes",
		"ControlGroup": "/machine.slice/" + c.unit, "TasksMax": "32",
		"CPUQuotaPerSecUSec": "500ms", "CPUQuotaPeriodUSec": "100ms",
	}
	if unified() {
		want["MemoryMax"], want["MemoryLow"], want["CPUWeight"] = "67108864", "16777216", "20"
	} else {
		want["MemoryLimit"], want["CPUShares"] = "67108864", "512"
	}
	wantProps(t, c.unit, want)

	// The init process is the scope's, and the kernel holds the limits.
	lines := readCgroupLines(t, strconv.Itoa(st.Pid))
	found := false
	for _, l := range lines {
		if strings.HasSuffix(l.path, "/machine.slice/"+c.unit) {
			found = true
		}
	}
	if !found {
		t.Errorf("init %d is not in %s: %+v", st.Pid, c.unit, lines)
	}
	for _, f := range []struct{ v2, ctrl, v1, want string }{
		{"memory.max", "memory", "memory.limit_in_bytes", "67108864"},
		{"pids.max", "pids", "pids.max", "32"},
	} {
		if got := unitFile(t, c.unit, f.v2, f.ctrl, f.v1); got != f.want {
			t.Errorf("%s = %q, want %q", f.v2, got, f.want)
		}
	}
	if unified() {
		if got := unitFile(t, c.unit, "cpu.max", "", ""); got != "50000 100000" {
			t.Errorf("cpu.max = %q", got)
		}
	}

	// systemctl status shows the scope running with its limits and the init process in it.
	out, _ := exec.Command("systemctl", "status", "--no-pager", "--lines=0", c.unit).CombinedOutput()
	status := string(out)
	for _, s := range []string{c.unit, "Active: active (running)", "limit: 32", strconv.Itoa(st.Pid)} {
		if !strings.Contains(status, s) {
			t.Errorf("systemctl status %s lacks %q:\n%s", c.unit, s, status)
		}
	}

	// update goes to the unit (and the files); no --systemd-cgroup: the state knows the driver.
	r.must("update", "--memory", strconv.Itoa(128<<20), "--pids-limit", "64", "--cpu-quota", "25000", c.id)
	want = map[string]string{"TasksMax": "64", "CPUQuotaPerSecUSec": "250ms"}
	if unified() {
		want["MemoryMax"] = "134217728"
	} else {
		want["MemoryLimit"] = "134217728"
	}
	wantProps(t, c.unit, want)
	if got := unitFile(t, c.unit, "pids.max", "pids", "pids.max"); got != "64" {
		t.Errorf("pids.max after update = %q", got)
	}

	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateRunning)
	r.must("pause", c.id)
	r.waitStatus(c.id, specs.ContainerState("paused"))
	if unified() {
		if got := unitFile(t, c.unit, "cgroup.freeze", "", ""); got != "1" {
			t.Errorf("cgroup.freeze while paused = %q", got)
		}
	} else if got := unitFile(t, c.unit, "", "freezer", "freezer.state"); got != "FROZEN" {
		t.Errorf("freezer.state while paused = %q", got)
	}
	r.must("resume", c.id)
	r.waitStatus(c.id, specs.StateRunning)

	cg := unitProp(t, c.unit, "ControlGroup")
	r.must("delete", "--force", c.id)
	if got := unitProp(t, c.unit, "LoadState"); got != "not-found" {
		t.Errorf("after delete: LoadState=%s, want not-found", got)
	}
	dir := filepath.Join("/sys/fs/cgroup", cg)
	if !unified() {
		dir = filepath.Join("/sys/fs/cgroup", "memory", cg)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s left after delete: %v", dir, err)
	}
}

// TestSystemdCgroupDefaultUnit: without a cgroupsPath the unit is contain-<id>.scope in system.slice
// (runc's default shape); exec'd processes join the same scope.
func TestSystemdCgroupDefaultUnit(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "", args("sleep", "600"))
	sdMust(r, "run", "--detach", "--bundle", c.bundle, c.id)
	r.waitStatus(c.id, specs.StateRunning)
	wantProps(t, c.unit, map[string]string{"Slice": "system.slice", "ControlGroup": "/system.slice/" + c.unit,
		"ActiveState": "active"})
	res := r.must("exec", c.id, "cat", "/proc/self/cgroup")
	if !strings.Contains(res.stdout, "/system.slice/"+c.unit) && !strings.Contains(res.stdout, ":/\n") {
		t.Errorf("exec'd process is not in the scope: %q", res.stdout)
	}
}

// TestSystemdCgroupNestedSlice: a slice "a-b-c.slice" that does not exist yet is made by systemd,
// level by level, and the container's scope goes in it.
func TestSystemdCgroupNestedSlice(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "containe2e-nested-deep.slice:e2e:", args("sleep", "600"))
	sdMust(r, "create", "--bundle", c.bundle, c.id)
	wantProps(t, c.unit, map[string]string{"Slice": "containe2e-nested-deep.slice",
		"ControlGroup": "/containe2e.slice/containe2e-nested.slice/containe2e-nested-deep.slice/" + c.unit})
	r.must("delete", "--force", c.id)
}

// TestSystemdCgroupMemoryOOM: at MemoryMax the kernel's OOM killer kills the process that keeps
// growing: run exits 137.
func TestSystemdCgroupMemoryOOM(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"tail", "/dev/zero"}
		memoryLimit(s)
	})
	if res := sdRun(r, "run", "--bundle", c.bundle, c.id); res.code != 128+9 {
		t.Fatalf("want exit 137 (SIGKILL by the OOM killer): %s", res)
	}
}

// TestSystemdCgroupPidsFork: at TasksMax the kernel refuses fork: pids.events counts it and the
// shell's forks beyond the limit fail. The forks come from an exec'd shell (busybox sh exits on
// a refused fork): init stays, and so does the scope, which systemd removes once empty.
func TestSystemdCgroupPidsFork(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(10)}
	})
	sdMust(r, "create", "--bundle", c.bundle, c.id)
	wantProps(t, c.unit, map[string]string{"TasksMax": "10"})
	r.must("start", c.id)
	res := r.run("exec", c.id, "sh", "-c", `i=0; while [ $i -lt 20 ]; do sleep 600 & i=$((i+1)); done; echo all forked`)
	if res.code == 0 || strings.Contains(res.stdout, "all forked") || !strings.Contains(res.stderr, "can't fork") {
		t.Errorf("want the forks beyond TasksMax refused: %s", res)
	}
	deadline := time.Now().Add(statusTimeout)
	for {
		ev := unitFile(t, c.unit, "pids.events", "pids", "pids.events")
		if strings.Contains(ev, "max ") && !strings.Contains(ev, "max 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fork refused within %v: pids.events %q", statusTimeout, ev)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := strconv.Atoi(unitFile(t, c.unit, "pids.current", "pids", "pids.current")); err != nil || n > 10 {
		t.Errorf("pids.current %d (%v), want <= 10", n, err)
	}
	r.must("delete", "--force", c.id)
}

// TestSystemdCgroupDevices: the device rules reach systemd as DevicePolicy=strict and a DeviceAllow
// list holding runc's defaults, and the container can still use /dev/null but not /dev/kmsg,
// which is in its /dev but not in its rules.
func TestSystemdCgroupDevices(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
		// A node in /dev the rules do not allow.
		s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11})
	})
	sdMust(r, "run", "--detach", "--bundle", c.bundle, c.id)
	r.waitStatus(c.id, specs.StateRunning)
	got := unitProps(t, c.unit, "DevicePolicy", "DeviceAllow")
	if got["DevicePolicy"] != "strict" {
		t.Errorf("DevicePolicy=%q, want strict", got["DevicePolicy"])
	}
	for _, w := range []string{"/dev/char/1:3 rwm", "char-136 rwm", "char-* m", "block-* m"} {
		if !strings.Contains(got["DeviceAllow"], w) {
			t.Errorf("DeviceAllow=%q lacks %q", got["DeviceAllow"], w)
		}
	}
	res := r.must("exec", c.id, "sh", "-c", "echo x >/dev/null && echo ok; head -c1 /dev/zero >/dev/null && echo zero")
	if !strings.Contains(res.stdout, "ok") || !strings.Contains(res.stdout, "zero") {
		t.Errorf("default devices not usable: %s", res)
	}
	res = r.run("exec", c.id, "dd", "if=/dev/kmsg", "of=/dev/null", "count=1")
	if res.code == 0 || !strings.Contains(res.stderr, "Operation not permitted") {
		t.Errorf("a device the rules do not allow was opened: %s", res)
	}
}

// TestSystemdCgroupAnnotation: org.systemd.property.* annotations become unit properties
// (runc's contract), with "Sec" names converted to "USec".
func TestSystemdCgroupAnnotation(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Annotations = map[string]string{"org.systemd.property.TimeoutStopSec": "17",
			"org.systemd.property.CollectMode": "'inactive-or-failed'"}
	})
	sdMust(r, "create", "--bundle", c.bundle, c.id)
	wantProps(t, c.unit, map[string]string{"TimeoutStopUSec": "17s", "CollectMode": "inactive-or-failed"})
}

// TestSystemdCgroupBadPath: a cgroupsPath that is not slice:prefix:name fails create with runc's
// message and leaves no state and no unit.
func TestSystemdCgroupBadPath(t *testing.T) {
	needsSystemd(t)
	r := newRunner(t)
	dir := bundle.New(t, func(s *specs.Spec) { s.Linux.CgroupsPath = "/machine/x" })
	id := bundle.UniqueName("sd-bad-")
	res := sdRun(r, "create", "--bundle", dir, id)
	if res.code == 0 || !strings.Contains(res.stderr, `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/machine/x" instead`) {
		t.Fatalf("want a clear refusal: %s", res)
	}
	if strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("want one line on stderr: %q", res.stderr)
	}
	if _, _, ok := r.state(id); ok {
		t.Errorf("state left for %s", id)
	}
}

// TestSystemdFlagWithoutSystemd (not a TestSystemdCgroup*: the systemd VM runs those and
// counts a skip as a failure): on a host without systemd, --systemd-cgroup fails create with
// one clear line and leaves no state, cgroup or process behind.
func TestSystemdFlagWithoutSystemd(t *testing.T) {
	needs.Root(t)
	if fi, err := os.Stat("/run/systemd/system"); err == nil && fi.IsDir() {
		t.Skip("systemd runs this host: TestSystemdCgroup* cover it")
	}
	if filepath.Base(binary) == "runc" {
		t.Skip("the message is contain's")
	}
	r := newRunner(t)
	id := bundle.UniqueName("sd-none-")
	dir := bundle.New(t, func(s *specs.Spec) { s.Linux.CgroupsPath = "machine.slice:e2e:" + id })
	res := sdRun(r, "create", "--bundle", dir, id)
	if res.code == 0 || !strings.Contains(res.stderr, "systemd is not running on this host") ||
		strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Fatalf("want one line saying systemd is not running: %s", res)
	}
	if _, _, ok := r.state(id); ok {
		t.Errorf("state left for %s", id)
	}
}

// TestSystemdCgroupHalfCreated: a create killed once the unit has started (in its createRuntime
// hook) leaves only its record; delete --force stops the unit the record names and removes
// the rest, so no scope of the container stays loaded and no process of it stays.
func TestSystemdCgroupHalfCreated(t *testing.T) {
	needsSystemd(t)
	containOnly(t, "the create record is contain's")
	r := newRunner(t)
	marker := filepath.Join(t.TempDir(), "hook-ran")
	c := newSDContainer(t, r, "machine.slice:e2e:", func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + marker + "; exec sleep 2"}}}}
	})
	killInHook(t, exec.Command(binary, "--root", r.root, "--work-dir", filepath.Join(filepath.Dir(r.root), "work"),
		"--systemd-cgroup", "create", "--bundle", c.bundle, c.id), marker)
	// Init may outlive the create (then the unit is active) or end with it (then systemd has
	// collected the empty scope): delete --force must leave neither.
	t.Logf("after the kill: %s is %s", c.unit, unitProp(t, c.unit, "ActiveState"))
	r.must("delete", "--force", c.id)
	if state := unitProp(t, c.unit, "LoadState"); state != "not-found" {
		t.Errorf("unit %s still loaded (%s) after delete --force of the half-created container", c.unit, state)
	}
	if _, err := os.Stat(filepath.Join(r.root, c.id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir of %s left (%v)", c.id, err)
	}
}
