package fs2

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64p(v int64) *int64   { return &v }
func u64p(v uint64) *uint64 { return &v }
func u16p(v uint16) *uint16 { return &v }

var v2Files = map[string]string{
	"cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "populated 1\nfrozen 0\n",
	"cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0",
	"cpuset.cpus": "", "cpuset.mems": "",
	"memory.max": "max", "memory.low": "0", "memory.high": "max", "memory.swap.max": "max", "memory.current": "4096",
	"memory.events": "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n",
	"pids.max":      "max", "io.weight": "default 100", "io.max": "", "hugetlb.2MB.max": "max", "rdma.max": "",
}

func fakeDir(t *testing.T) (*Manager, string) {
	t.Helper()
	mount := t.TempDir()
	dir := filepath.Join(mount, "c1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range v2Files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := New(mount, dir)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func TestSetFiles(t *testing.T) {
	tests := []struct {
		name string
		r    specs.LinuxResources
		want map[string]string
	}{
		{"quota default period", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(50000)}}, map[string]string{"cpu.max": "50000 100000"}},
		{"quota and period", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(20000), Period: u64p(40000)}}, map[string]string{"cpu.max": "20000 40000"}},
		{"unlimited quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64p(-1)}}, map[string]string{"cpu.max": "max 100000"}},
		{"period only", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64p(50000)}}, map[string]string{"cpu.max": "max 50000"}},
		{"shares 1024", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64p(1024)}}, map[string]string{"cpu.weight": "39"}},
		{"shares 2", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64p(2)}}, map[string]string{"cpu.weight": "1"}},
		{"shares max", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64p(262144)}}, map[string]string{"cpu.weight": "10000"}},
		{"cpuset burst idle", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1", Mems: "0", Burst: u64p(500), Idle: i64p(1)}},
			map[string]string{"cpuset.cpus": "1", "cpuset.mems": "0", "cpu.max.burst": "500", "cpu.idle": "1"}},
		{"memory 64M", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(64 << 20)}}, map[string]string{"memory.max": "67108864", "memory.swap.max": "max"}},
		{"memory and swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(64 << 20), Swap: i64p(96 << 20)}},
			map[string]string{"memory.max": "67108864", "memory.swap.max": "33554432"}},
		{"no swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(64 << 20), Swap: i64p(64 << 20)}},
			map[string]string{"memory.max": "67108864", "memory.swap.max": "0"}},
		{"unlimited memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(-1)}}, map[string]string{"memory.max": "max", "memory.swap.max": "max"}},
		{"reservation", specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: i64p(1 << 20)}}, map[string]string{"memory.low": "1048576"}},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(10)}}, map[string]string{"pids.max": "10"}},
		{"pids unlimited", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(-1)}}, map[string]string{"pids.max": "max"}},
		{"pids zero means one", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64p(0)}}, map[string]string{"pids.max": "1"}},
		{"io", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16p(1000),
			ThrottleWriteBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1024}}}},
			map[string]string{"io.weight": "default 10000", "io.max": "8:0 wbps=1024"}},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}, map[string]string{"hugetlb.2MB.max": "2097152"}},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: func() *uint32 { v := uint32(2); return &v }()}}},
			map[string]string{"rdma.max": "mlx4_0 hca_handle=2"}},
		{"unified wins", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(1 << 20)}, Unified: map[string]string{"memory.max": "2097152", "memory.high": "1000000"}},
			map[string]string{"memory.max": "2097152", "memory.high": "1000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, dir := fakeDir(t)
			if err := m.Set(&tt.r); err != nil {
				t.Fatal(err)
			}
			for f, want := range tt.want {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != want {
					t.Errorf("%s = %q, want %q", f, b, want)
				}
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name    string
		r       specs.LinuxResources
		wantErr string
	}{
		{"unified slash", specs.LinuxResources{Unified: map[string]string{"../cgroup.procs": "1"}}, "not a file name"},
		{"unified dotdot", specs.LinuxResources{Unified: map[string]string{"memory..max": "1"}}, "not a file name"},
		{"unified procs", specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}, "not a resource"},
		{"unified no dot", specs.LinuxResources{Unified: map[string]string{"memory": "1"}}, "controller"},
		{"unified missing file", specs.LinuxResources{Unified: map[string]string{"memory.nope": "1"}}, "set memory.nope to 1: no such file or directory"},
		{"swap below limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64p(100), Swap: i64p(50)}}, "below the memory limit"},
		{"swap without limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64p(50)}}, "needs a memory limit"},
		{"realtime", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64p(1)}}, "realtime"},
		{"page size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB/../x"}}}, "hugepage size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeDir(t)
			if err := m.Set(&tt.r); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set: %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSetAttachesDeviceRules(t *testing.T) {
	m, dir := fakeDir(t)
	var gotDir string
	var got []specs.LinuxDeviceCgroup
	m.attachDevices = func(d string, r []specs.LinuxDeviceCgroup) error { gotDir, got = d, r; return nil }
	rules := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if gotDir != dir || len(got) != 1 {
		t.Fatalf("attachDevices(%q, %v), want %q and the spec's rule", gotDir, got, dir)
	}
	if m.DeviceRulesUnsupported() {
		t.Fatal("device rules are enforced on v2")
	}
}

func TestSwapMax(t *testing.T) {
	for _, tt := range []struct {
		limit, swap int64
		want        string
		ok, err     bool
	}{
		{100, 0, "", false, false}, {100, -1, "max", true, false}, {100, 300, "200", true, false},
		{100, 100, "0", true, false}, {0, 5, "", false, true}, {-1, 5, "", false, true}, {100, -2, "", false, true},
	} {
		got, ok, err := SwapMax(tt.limit, tt.swap)
		if got != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("SwapMax(%d, %d) = %q, %v, %v", tt.limit, tt.swap, got, ok, err)
		}
	}
}

func TestFreezeAndEvents(t *testing.T) {
	m, dir := fakeDir(t)
	// A fake kernel: flip cgroup.events when cgroup.freeze is written. Settle polls, so do it
	// from a goroutine watching the file. The test waits for it to end: a write racing
	// t.TempDir's cleanup made RemoveAll fail with "directory not empty".
	stop, done := make(chan struct{}), make(chan struct{})
	defer func() {
		close(stop)
		<-done
	}()
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, _ := os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
			os.WriteFile(filepath.Join(dir, "cgroup.events"), []byte("populated 1\nfrozen "+strings.TrimSpace(string(b))+"\n"), 0o644)
		}
	}()
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Fatalf("Frozen() = %v, %v", f, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); f {
		t.Fatal("still frozen")
	}
	if n, err := m.OOMKillCount(); err != nil || n != 1 {
		t.Fatalf("OOMKillCount() = %d, %v", n, err)
	}
}

func TestStats(t *testing.T) {
	m, dir := fakeDir(t)
	files := map[string]string{
		"cpu.stat":     "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\n",
		"memory.peak":  "8192",
		"memory.stat":  "anon 100\nfile 200\n",
		"pids.current": "3",
		"io.stat":      "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n",
	}
	for f, v := range files {
		os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.CPU.Usage.Total != 10000 || st.CPU.Usage.User != 6000 || st.CPU.Throttling.ThrottledTime != 7000 {
		t.Errorf("cpu %+v", st.CPU)
	}
	if st.Memory.Usage.Usage != 4096 || st.Memory.Usage.Max != 8192 || st.Memory.Usage.Limit != ^uint64(0) || st.Memory.Cache != 200 || st.Memory.EventCount.OOMKill != 1 {
		t.Errorf("memory %+v", st.Memory)
	}
	if st.Pids.Current != 3 {
		t.Errorf("pids %+v", st.Pids)
	}
	if len(st.Blkio.IoServiceBytesRecursive) != 2 || st.Blkio.IoServicedRecursive[1].Value != 4 {
		t.Errorf("blkio %+v", st.Blkio)
	}
}

func TestCreateDestroy(t *testing.T) {
	mount := t.TempDir()
	// The parent exists (not ours); we make "mid" and "leaf". mid is ours, so its
	// subtree_control gets its controllers; a fake kernel file stands in for cgroup.controllers.
	m, err := New(mount, filepath.Join(mount, "mid", "leaf"))
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(mount, "mid"), 0o755)
	os.WriteFile(filepath.Join(mount, "mid", "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644)
	os.WriteFile(filepath.Join(mount, "mid", "cgroup.subtree_control"), nil, 0o644)
	if err := enableControllers(filepath.Join(mount, "mid")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(mount, "mid", "cgroup.subtree_control")); string(b) != "+cpu +memory +pids" {
		t.Fatalf("subtree_control = %q", b)
	}
	// Create with mid pre-existing: only leaf is ours; the parent is not written.
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if got := m.Created(); !reflect.DeepEqual(got, []string{filepath.Join(mount, "mid", "leaf")}) {
		t.Fatalf("Created() = %v", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mount, "mid", "leaf")); !os.IsNotExist(err) {
		t.Fatal("leaf kept")
	}
	if _, err := os.Stat(filepath.Join(mount, "mid")); err != nil {
		t.Fatal("pre-existing parent removed")
	}
	if _, err := New(mount, mount); err == nil {
		t.Fatal("the mount itself is not a container cgroup")
	}
}

func TestParseIOStat(t *testing.T) {
	got := ParseIOStat("8:0 rbytes=10 wbytes=20 rios=1 wios=2\nbad\n254:1 rbytes=x\n")
	if len(got.IoServiceBytesRecursive) != 2 || got.IoServiceBytesRecursive[0].Op != "Read" || got.IoServiceBytesRecursive[1].Value != 20 {
		t.Fatalf("%+v", got)
	}
}

func FuzzParseIOStat(f *testing.F) {
	f.Add("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n")
	f.Fuzz(func(t *testing.T, s string) { ParseIOStat(s) })
}
