package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

func uniqueName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "contain-test-" + hex.EncodeToString(b)
}

// cleanupManager makes sure every dir m created is gone when the test ends, even on failure.
// Only dirs recorded by Create (so carrying the test's unique name) are ever removed.
func cleanupManager(t *testing.T, m Manager) {
	t.Cleanup(func() {
		_ = m.Thaw()
		_ = m.KillAll(unix.SIGKILL)
		_ = m.Destroy()
		created := m.(Created).Created()
		for i := len(created) - 1; i >= 0; i-- {
			if !strings.Contains(created[i], "contain-test-") {
				t.Errorf("refusing to remove %s: not a test cgroup", created[i])
				continue
			}
			if _, err := os.Stat(created[i]); err == nil {
				t.Errorf("Destroy left %s", created[i])
				_ = unix.Rmdir(created[i])
			}
		}
	})
}

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

func readCg(t *testing.T, m Manager, ctrl, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(m.Paths()[ctrl], file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestRealV1Lifecycle(t *testing.T) {
	needs.Root(t)
	needs.CgroupV1(t)
	name := uniqueName(t)
	m, err := New(Config{Path: name, ID: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	cleanupManager(t, m)
	// Relative path: below this process's own cgroup in each hierarchy.
	self, _ := os.ReadFile("/proc/self/cgroup")
	entries, _ := ParseProcCgroup(self)
	for _, e := range entries {
		if slices.Contains(e.Controllers, "memory") {
			want := filepath.Join(DefaultRoot, "memory", e.Path, name)
			if got := m.Paths()["memory"]; got != want {
				t.Fatalf("memory path %s, want %s", got, want)
			}
		}
	}
	// A hybrid host's unified hierarchy is joined as "", as runc does.
	var fs unix.Statfs_t
	hybrid := unix.Statfs(filepath.Join(DefaultRoot, "unified"), &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC
	if dir, ok := m.Paths()[""]; ok != hybrid || (hybrid && !strings.HasPrefix(dir, filepath.Join(DefaultRoot, "unified")+"/")) {
		t.Fatalf("unified path %q (present %v) on a host where hybrid is %v", dir, ok, hybrid)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	for ctrl, dir := range m.Paths() {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s: %v", ctrl, err)
		}
	}
	if readCg(t, m, "cpuset", "cpuset.cpus") == "" {
		t.Fatal("cpuset.cpus not inherited")
	}

	limit, swap := int64(64<<20), int64(128<<20)
	quota, period, shares, pids := int64(50000), uint64(100000), uint64(512), int64(10)
	err = m.Set(&specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &limit, Swap: &swap},
		CPU:     &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares},
		Pids:    &specs.LinuxPids{Limit: &pids},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.shares", "512"},
		{"pids", "pids.max", "10"},
	} {
		if got := readCg(t, m, c.ctrl, c.file); got != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}
	if _, ok := m.Paths()["memory"]; ok && fileExists(filepath.Join(m.Paths()["memory"], "memory.memsw.limit_in_bytes")) {
		if got := readCg(t, m, "memory", "memory.memsw.limit_in_bytes"); got != "134217728" {
			t.Errorf("memsw = %q", got)
		}
		// Raise then lower both: each succeeds only in the right write order.
		for _, l := range [][2]int64{{256 << 20, 512 << 20}, {32 << 20, 48 << 20}} {
			if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &l[0], Swap: &l[1]}}); err != nil {
				t.Fatalf("limit %d swap %d: %v", l[0], l[1], err)
			}
		}
	}
	if got := readCg(t, m, "devices", "devices.list"); !strings.Contains(got, "c 1:3 rwm") || strings.Contains(got, "a *:* rwm") {
		t.Errorf("devices.list = %q", got)
	}

	// A shell that, once in the cgroup, allocates 4 MB it keeps: v1 charges memory to the cgroup
	// a task is in when it allocates, so the allocation must happen after Join.
	cmd := exec.Command("sh", "-c", `read _; v=$(head -c 4000000 /dev/zero | tr '\0' a); echo ready; read _`)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	pid := cmd.Process.Pid
	if err := m.Join(pid); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := stdout.Read(buf); err != nil || strings.TrimSpace(string(buf[:n])) != "ready" {
		t.Fatalf("child: %q, %v", buf[:n], err)
	}
	got, err := m.Pids()
	if err != nil || !slices.Equal(got, []int{pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", got, err, pid)
	}
	// Without swap the kernel cannot reclaim the shell's anonymous memory: EBUSY, reported
	// with the file and value.
	one := int64(1)
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &one}})
	if noSwap() && (!errors.Is(err, unix.EBUSY) || err.Error() != "set memory.limit_in_bytes to 1: device or resource busy") {
		t.Errorf("limit 1 with 4 MB in use: %v", err)
	}

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Fatalf("Frozen() = %v, %v", f, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || f {
		t.Fatalf("after thaw Frozen() = %v, %v", f, err)
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 1 || st.Pids.Limit != 10 || st.Memory.Usage.Usage < 4000000 || st.Memory.Usage.Limit != 32<<20 || st.Memory.Raw == nil {
		t.Errorf("stats: pids %+v memory %+v", st.Pids, st.Memory.Usage)
	}
	if _, err := m.OOMKillCount(); err != nil {
		t.Fatal(err)
	}

	if err := m.KillAll(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ps, _ := cmd.Process.Wait()
	if ws, ok := ps.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v", ps)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.(Created).Created() {
		if fileExists(d) {
			t.Errorf("%s still exists", d)
		}
	}
}

// noSwap reports whether the machine has no swap, so anonymous memory cannot be reclaimed.
func noSwap() bool {
	b, err := os.ReadFile("/proc/swaps")
	return err == nil && strings.Count(strings.TrimSpace(string(b)), "\n") == 0
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestRealV1AbsolutePath(t *testing.T) {
	needs.Root(t)
	needs.CgroupV1(t)

	t.Run("creates and removes parent", func(t *testing.T) {
		name := uniqueName(t)
		m, err := New(Config{Path: "/" + name + "/leaf", ID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		cleanupManager(t, m)
		if got, want := m.Paths()["pids"], filepath.Join(DefaultRoot, "pids", name, "leaf"); got != want {
			t.Fatalf("pids path %s, want %s", got, want)
		}
		if err := m.Create(); err != nil {
			t.Fatal(err)
		}
		if n := len(m.(Created).Created()); n != 2*len(uniqueDirs(m.Paths())) {
			t.Fatalf("created %d dirs, want parent+leaf per hierarchy", n)
		}
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
		for _, dir := range m.Paths() {
			if fileExists(dir) || fileExists(filepath.Dir(dir)) {
				t.Errorf("%s or its parent still exists", dir)
			}
		}
	})

	t.Run("keeps a parent it did not create", func(t *testing.T) {
		name := uniqueName(t)
		m, err := New(Config{Path: "/" + name + "/leaf", ID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		// The test makes the parents itself, so they are not the manager's.
		var parents []string
		for _, dir := range uniqueDirs(m.Paths()) {
			p := filepath.Dir(dir)
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			parents = append(parents, p)
		}
		t.Cleanup(func() {
			for _, p := range parents {
				if err := unix.Rmdir(p); err != nil && !errors.Is(err, unix.ENOENT) {
					t.Errorf("remove test parent %s: %v", p, err)
				}
			}
		})
		cleanupManager(t, m)
		if p, ok := m.Paths()["cpuset"]; ok {
			// A cpuset parent we made by hand needs cpus/mems before a child can take tasks;
			// the manager must not write it (not its dir), so the test does.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				b, _ := os.ReadFile(filepath.Join(DefaultRoot, "cpuset", f))
				_ = os.WriteFile(filepath.Join(filepath.Dir(p), f), b, 0)
			}
		}
		if err := m.Create(); err != nil {
			t.Fatal(err)
		}
		if got := m.(Created).Created(); len(got) != len(parents) {
			t.Fatalf("Created() = %v: parents must not be recorded", got)
		}
		cmd := startSleep(t)
		if err := m.Join(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if err := m.KillAll(unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_, _ = cmd.Process.Wait()
		// Rebuilt from state.json as `delete` does: removes only the leaves.
		loaded, err := Load(m.Paths())
		if err != nil {
			t.Fatal(err)
		}
		if err := loaded.Destroy(); err != nil {
			t.Fatal(err)
		}
		for _, dir := range m.Paths() {
			if fileExists(dir) {
				t.Errorf("leaf %s still exists", dir)
			}
			if !fileExists(filepath.Dir(dir)) {
				t.Errorf("parent %s was removed", filepath.Dir(dir))
			}
		}
	})
}

func uniqueDirs(paths map[string]string) []string {
	var out []string
	for _, d := range paths {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}
