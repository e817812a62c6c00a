package systemd

import (
	"fmt"
	"strings"
	"testing"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

// render shows each property as "Name signature value": the D-Bus type is part of the contract
// (systemd refuses a MemoryMax that is not "t").
func render(props []sdbus.Property) []string {
	out := make([]string, len(props))
	for i, p := range props {
		out[i] = fmt.Sprintf("%s %s %v", p.Name, p.Value.Signature(), p.Value.Value())
	}
	return out
}

func TestProperties(t *testing.T) {
	max := "18446744073709551615"
	tests := []struct {
		name    string
		r       *specs.LinuxResources
		v2      bool
		version int
		want    []string
	}{
		{name: "nil", r: nil, v2: true, want: []string{}},
		{name: "v2 memory", v2: true, version: 252, r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: i64(64 << 20), Reservation: i64(32 << 20), Swap: i64(96 << 20)}},
			want: []string{"MemoryMax t 67108864", "MemoryLow t 33554432", "MemorySwapMax t 33554432"}},
		{name: "v2 memory unlimited", v2: true, version: 252, r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: i64(-1), Swap: i64(-1)}},
			want: []string{"MemoryMax t " + max, "MemorySwapMax t " + max}},
		{name: "v1 memory", version: 252, r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: i64(64 << 20), Reservation: i64(1 << 20), Swap: i64(128 << 20)}},
			want: []string{"MemoryLimit t 67108864"}},
		{name: "v2 cpu", v2: true, version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-1,3", Mems: "0"}},
			want: []string{"CPUWeight t 39", "CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t 500000",
				"AllowedCPUs ay [11]", "AllowedMemoryNodes ay [1]"}},
		// A quota that is not a whole percent of a CPU rounds up to the next 10 ms per second.
		{name: "quota rounding", v2: true, version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Quota: i64(33333), Period: u64(100000)}},
			want: []string{"CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t 340000"}},
		{name: "quota default period", v2: true, version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000)}},
			want: []string{"CPUQuotaPerSecUSec t 200000"}},
		{name: "unlimited quota", v2: true, version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}},
			want: []string{"CPUQuotaPerSecUSec t " + max}},
		// Old systemd refuses unknown properties: those are left to the files.
		{name: "old systemd", v2: true, version: 241, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Quota: i64(50000), Period: u64(50000), Cpus: "0"}},
			want: []string{"CPUQuotaPerSecUSec t 1000000"}},
		{name: "cpu idle", v2: true, version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Idle: i64(1), Shares: u64(512)}},
			want: []string{"CPUWeight t 0"}},
		{name: "v1 cpu", version: 252, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Quota: i64(100000)}},
			want: []string{"CPUShares t 512", "CPUQuotaPerSecUSec t 1000000"}},
		{name: "pids", v2: true, r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(20)}},
			want: []string{"TasksMax t 20"}},
		{name: "pids unlimited", v2: true, r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			want: []string{"TasksMax t " + max}},
		{name: "v2 io", v2: true, r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight:                  u16(500),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(10)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 253, Minor: 1}, Rate: 0}},
		}},
			want: []string{"IOWeight t 4950", "IODeviceWeight a(st) [{/dev/block/8:0 1}]",
				"IOReadBandwidthMax a(st) [{/dev/block/8:0 1048576}]", "IOWriteIOPSMax a(st) [{/dev/block/253:1 " + max + "}]"}},
		{name: "v1 io", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight:                 u16(500),
			ThrottleReadIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 10}},
			ThrottleWriteBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 10}},
		}},
			want: []string{"BlockIOWeight t 500", "BlockIOWriteBandwidth a(st) [{/dev/block/8:0 10}]"}},
		{name: "unified", v2: true, version: 252, r: &specs.LinuxResources{Unified: map[string]string{
			"memory.high": "1000000", "pids.max": "max", "cpu.max": "25000 50000", "cpu.weight": "7",
			"cpuset.cpus": "1", "io.max": "8:0 rbps=1", "memory.oom.group": "1"}},
			want: []string{"CPUQuotaPeriodUSec t 50000", "CPUQuotaPerSecUSec t 500000", "CPUWeight t 7",
				"AllowedCPUs ay [2]", "MemoryHigh t 1000000", "TasksMax t " + max}},
		{name: "devices", v2: true, version: 252, r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: i64(10), Minor: i64(229), Access: "rw"}}},
			want: []string{"DevicePolicy s strict", "DeviceAllow a(ss) []",
				"DeviceAllow a(ss) [{/dev/char/10:229 rw} {char-* m} {block-* m} {/dev/char/1:3 rwm} {/dev/char/1:8 rwm} " +
					"{/dev/char/1:7 rwm} {/dev/char/5:0 rwm} {/dev/char/1:5 rwm} {/dev/char/1:9 rwm} " +
					"{char-136 rwm} {/dev/char/5:2 rwm} {/dev/char/10:200 rwm}]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, err := Properties(tt.r, tt.v2, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			got := render(props)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestPropertiesErrors(t *testing.T) {
	tests := []struct {
		name string
		r    *specs.LinuxResources
		v2   bool
		err  string
	}{
		{"swap below limit", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(50)}}, true, "below the memory limit"},
		{"unified on v1", &specs.LinuxResources{Unified: map[string]string{"pids.max": "1"}}, false, "needs cgroup v2"},
		{"bad unified", &specs.LinuxResources{Unified: map[string]string{"memory.max": "lots"}}, true, `unified memory.max="lots"`},
		{"bad cpu.max", &specs.LinuxResources{Unified: map[string]string{"cpu.max": "1 2 3"}}, true, "want QUOTA [PERIOD]"},
		{"bad cpus", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}}, true, `AllowedCPUs "3-1": bad range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Properties(tt.r, tt.v2, 252)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestListToMask(t *testing.T) {
	for in, want := range map[string]string{"0": "[1]", "0-7": "[255]", "8": "[0 1]", "1,3,9-10": "[10 6]", " 2 ": "[4]"} {
		got, err := ListToMask(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("ListToMask(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a", "1-", "-1", "2-1", "1,,2", "99999"} {
		if got, err := ListToMask(bad); err == nil {
			t.Errorf("ListToMask(%q) = %v, want an error", bad, got)
		}
	}
}

func FuzzListToMask(f *testing.F) {
	f.Add("0-3,8")
	f.Fuzz(func(t *testing.T, s string) {
		mask, err := ListToMask(s)
		if err == nil && len(mask) > 8192 {
			t.Fatalf("mask of %d bytes", len(mask))
		}
	})
}
