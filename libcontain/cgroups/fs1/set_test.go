package fs1

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64p(v int64) *int64   { return &v }
func u64p(v uint64) *uint64 { return &v }
func u16p(v uint16) *uint16 { return &v }
func boolp(v bool) *bool    { return &v }

// v1Files are the interface files the fake hierarchy pre-creates, with initial contents.
var v1Files = map[string]map[string]string{
	"memory": {
		"memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712",
		"memory.soft_limit_in_bytes": "", "memory.swappiness": "60", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
		"memory.kmem.tcp.limit_in_bytes": "", "memory.use_hierarchy": "1", "memory.usage_in_bytes": "4096",
	},
	"cpu":     {"cpu.shares": "1024", "cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000", "cpu.rt_period_us": "", "cpu.rt_runtime_us": "", "cpu.idle": "", "cpu.cfs_burst_us": ""},
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": ""},
	"pids":    {"pids.max": "max"},
	"devices": {"devices.allow": "", "devices.deny": ""},
	"blkio":   {"blkio.weight": "", "blkio.throttle.read_bps_device": "", "blkio.throttle.write_iops_device": ""},
	"freezer": {"freezer.state": "THAWED"},
	"hugetlb": {"hugetlb.2MB.limit_in_bytes": ""},
}

// fakeManager builds <tmp>/<ctrl>/c1 for each controller with v1Files in it.
func fakeManager(t *testing.T) (*Manager, string) {
	t.Helper()
	root := t.TempDir()
	mounts, paths := map[string]string{}, map[string]string{}
	for ctrl, files := range v1Files {
		mnt := filepath.Join(root, ctrl)
		dir := filepath.Join(mnt, "c1")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, v := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mounts[ctrl], paths[ctrl] = mnt, dir
	}
	m, err := New(mounts, paths)
	if err != nil {
		t.Fatal(err)
	}
	return m, root
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSetFiles(t *testing.T) {
	tests := []struct {
		name string
		r    specs.LinuxResources
		want map[string]string // "<ctrl>/<file>" -> exact contents
	}{
		{"memory limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(64 << 20)}},
			map[string]string{"memory/memory.limit_in_bytes": "67108864", "memory/memory.memsw.limit_in_bytes": "9223372036854771712"}},
		{"memory and swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(64 << 20), Swap: i64p(128 << 20)}},
			map[string]string{"memory/memory.limit_in_bytes": "67108864", "memory/memory.memsw.limit_in_bytes": "134217728"}},
		{"memory unlimited lifts memsw", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(-1)}},
			map[string]string{"memory/memory.limit_in_bytes": "-1", "memory/memory.memsw.limit_in_bytes": "-1"}},
		{"memory misc", specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: i64p(1 << 20), Swappiness: u64p(0), DisableOOMKiller: boolp(true), KernelTCP: i64p(4096)}},
			map[string]string{"memory/memory.soft_limit_in_bytes": "1048576", "memory/memory.swappiness": "0", "memory/memory.oom_control": "1", "memory/memory.kmem.tcp.limit_in_bytes": "4096"}},
		{"cpu quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(50000)}},
			map[string]string{"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000"}},
		{"cpu quota period shares", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(20000), Period: u64p(40000), Shares: u64p(512)}},
			map[string]string{"cpu/cpu.cfs_quota_us": "20000", "cpu/cpu.cfs_period_us": "40000", "cpu/cpu.shares": "512"}},
		{"cpu unlimited quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(-1)}},
			map[string]string{"cpu/cpu.cfs_quota_us": "-1"}},
		{"cpu realtime idle burst", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: u64p(1000000), RealtimeRuntime: i64p(950000), Idle: i64p(1), Burst: u64p(1000)}},
			map[string]string{"cpu/cpu.rt_period_us": "1000000", "cpu/cpu.rt_runtime_us": "950000", "cpu/cpu.idle": "1", "cpu/cpu.cfs_burst_us": "1000"}},
		{"cpuset", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			map[string]string{"cpuset/cpuset.cpus": "0-1", "cpuset/cpuset.mems": "0"}},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(10)}}, map[string]string{"pids/pids.max": "10"}},
		{"pids zero means one", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(0)}}, map[string]string{"pids/pids.max": "1"}},
		{"pids negative", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(-1)}}, map[string]string{"pids/pids.max": "max"}},
		{"blkio", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16p(500),
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 100}},
		}}, map[string]string{"blkio/blkio.weight": "500", "blkio/blkio.throttle.read_bps_device": "8:0 1048576", "blkio/blkio.throttle.write_iops_device": "8:16 100"}},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}},
			map[string]string{"hugetlb/hugetlb.2MB.limit_in_bytes": "4194304"}},
		{"devices last rule", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			// Each rule is a separate write; the file holds the last one: the last default.
			map[string]string{"devices/devices.deny": "a *:* rwm", "devices/devices.allow": "c 10:200 rwm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := fakeManager(t)
			if err := m.Set(&tt.r); err != nil {
				t.Fatal(err)
			}
			for f, want := range tt.want {
				ctrl, file, _ := strings.Cut(f, "/")
				if got := readFile(t, filepath.Join(root, ctrl, "c1", file)); got != want {
					t.Errorf("%s = %q, want %q", f, got, want)
				}
			}
		})
	}
}

func TestDeviceRuleOrder(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64p(1), Minor: i64p(3), Access: "rwm"},
		{Allow: true, Type: "b", Major: i64p(-1), Minor: nil, Access: "r"},
		{Allow: false, Type: "c", Major: i64p(10), Minor: i64p(200), Access: "rwm"},
	}
	got, err := deviceWrites(rules)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"devices.deny", "a *:* rwm"},
		{"devices.allow", "c 1:3 rwm"},
		{"devices.allow", "b *:* r"},
		{"devices.deny", "c 10:200 rwm"},
		{"devices.allow", "c *:* m"}, // runc's defaults follow the spec's rules
	}
	if !reflect.DeepEqual(got[:len(want)], want) {
		t.Fatalf("writes %q\nwant   %q", got[:len(want)], want)
	}
	if n, _ := deviceWrites(nil); n != nil {
		t.Fatalf("no rules must write nothing, got %q", n)
	}
}

func TestSetMemoryOrder(t *testing.T) {
	// End state for raising, lowering and unlimited; the real-kernel test checks that the
	// order is accepted (the kernel enforces limit <= memsw on every write).
	tests := []struct {
		name              string
		cur               string
		limit, swap       int64
		wantLimit, wantSw string
		first             string
	}{
		{"raise", "67108864", 256 << 20, 512 << 20, "268435456", "536870912", memsw},
		{"lower", "268435456", 32 << 20, 64 << 20, "33554432", "67108864", memLimit},
		{"unlimited", "268435456", -1, -1, "-1", "-1", memsw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := fakeManager(t)
			dir := filepath.Join(root, "memory", "c1")
			os.WriteFile(filepath.Join(dir, memLimit), []byte(tt.cur), 0o644)
			w, err := memoryWrites(dir, &specs.LinuxMemory{Limit: &tt.limit, Swap: &tt.swap})
			if err != nil || len(w) != 2 || w[0][0] != tt.first {
				t.Fatalf("writes %q, %v; want %s first", w, err, tt.first)
			}
			if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &tt.limit, Swap: &tt.swap}}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(dir, memLimit)); got != tt.wantLimit {
				t.Errorf("limit = %q, want %q", got, tt.wantLimit)
			}
			if got := readFile(t, filepath.Join(dir, memsw)); got != tt.wantSw {
				t.Errorf("memsw = %q, want %q", got, tt.wantSw)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name    string
		r       specs.LinuxResources
		prep    func(root string)
		wantErr string
	}{
		{"swap below limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(100), Swap: i64p(50)}}, nil, "below the memory limit"},
		{"swap without accounting", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(100), Swap: i64p(200)}},
			func(root string) { os.Remove(filepath.Join(root, "memory/c1", memsw)) }, "swap accounting is off"},
		{"unified on v1", specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, nil, "cannot use unified on cgroup v1"},
		{"missing blkio file", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16p(100)}}, nil, "set blkio.leaf_weight to 100: no such file or directory"},
		{"bad page size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "../x", Limit: 1}}}, nil, "hugepage size"},
		{"bad device type", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, nil, "type"},
		{"swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64p(101)}}, nil, "above 100"},
		{"check before update", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(4096), CheckBeforeUpdate: boolp(true)}}, nil, "current usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := fakeManager(t)
			if tt.prep != nil {
				tt.prep(root)
			}
			err := m.Set(&tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set: %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
	// Missing controller: memory limits without a memory hierarchy.
	m, _ := fakeManager(t)
	delete(m.paths, "memory")
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(1)}}); err == nil {
		t.Fatal("want error for unmounted memory controller")
	}
	// errno survives wrapping.
	m, root := fakeManager(t)
	os.Remove(filepath.Join(root, "pids/c1/pids.max"))
	err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(1)}})
	if !errors.Is(err, unix.ENOENT) || err.Error() != "set pids.max to 1: no such file or directory" {
		t.Fatalf("err = %v", err)
	}
}

func TestFreezeFake(t *testing.T) {
	m, root := fakeManager(t)
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Fatalf("Frozen() = %v, %v", f, err)
	}
	if got := readFile(t, filepath.Join(root, "freezer/c1/freezer.state")); got != "FROZEN" {
		t.Fatalf("freezer.state = %q", got)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); f {
		t.Fatal("still frozen")
	}
}

func TestOOMKillCountFake(t *testing.T) {
	m, _ := fakeManager(t)
	if n, err := m.OOMKillCount(); err != nil || n != 3 {
		t.Fatalf("OOMKillCount() = %d, %v", n, err)
	}
}

func TestCreateDestroyOwnership(t *testing.T) {
	root := t.TempDir()
	mnt := filepath.Join(root, "memory")
	// "shared" exists before us: Create must not record it, Destroy must not remove it.
	if err := os.MkdirAll(filepath.Join(mnt, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	leaf := filepath.Join(mnt, "shared", "new", "leaf")
	m, err := New(map[string]string{"memory": mnt, "pids": filepath.Join(root, "pids")},
		map[string]string{"memory": leaf, "pids": filepath.Join(root, "pids", "leaf")})
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "pids"), 0o755)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(mnt, "shared", "new"), leaf, filepath.Join(root, "pids", "leaf")}
	if got := m.Created(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Created() = %v, want %v", got, want)
	}
	// Something the container made below its cgroup goes too.
	os.Mkdir(filepath.Join(leaf, "child"), 0o755)
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range want {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still exists", d)
		}
	}
	if _, err := os.Stat(filepath.Join(mnt, "shared")); err != nil {
		t.Fatalf("pre-existing dir removed: %v", err)
	}
	// Destroy again: missing dirs are fine.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestDestroyKeepsBusyParent(t *testing.T) {
	root := t.TempDir()
	mnt := filepath.Join(root, "pids")
	os.Mkdir(mnt, 0o755)
	m, _ := New(map[string]string{"pids": mnt}, map[string]string{"pids": filepath.Join(mnt, "p", "a")})
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	// Another container's cgroup under the parent we made.
	os.Mkdir(filepath.Join(mnt, "p", "b"), 0o755)
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "p", "b")); err != nil {
		t.Fatal("sibling removed")
	}
}

func TestLoadDestroysOnlyLeaves(t *testing.T) {
	root := t.TempDir()
	leaf := filepath.Join(root, "pids", "parent", "leaf")
	os.MkdirAll(leaf, 0o755)
	m := Load(map[string]string{"pids": leaf}, nil)
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leaf); !os.IsNotExist(err) {
		t.Fatal("leaf kept")
	}
	if _, err := os.Stat(filepath.Dir(leaf)); err != nil {
		t.Fatal("parent removed")
	}
}
