package libcontain

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestLimitsIgnored(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		l    *specs.Linux
		want string
	}{
		{nil, ""},
		{&specs.Linux{}, ""},
		{&specs.Linux{Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}}, ""},
		{&specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i(1)}, Pids: &specs.LinuxPids{Limit: i(3)}}},
			"; its memory, pids limits are not applied"},
	} {
		if got := limitsIgnored(tt.l); got != tt.want {
			t.Errorf("limitsIgnored(%+v) = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestWithoutDevices(t *testing.T) {
	r := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}, Pids: &specs.LinuxPids{}}
	got := withoutDevices(r)
	if got.Devices != nil || got.Pids != r.Pids || len(r.Devices) != 1 {
		t.Errorf("withoutDevices: %+v (the caller's copy must keep its rules: %+v)", got, r)
	}
	if withoutDevices(nil) != nil {
		t.Error("nil in, nil out")
	}
}
