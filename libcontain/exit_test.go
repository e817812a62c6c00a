package libcontain

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 100: "100B", 1536: "1.5K", 64 << 20: "64M", 1 << 30: "1G"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDescribeResources(t *testing.T) {
	lim, q, p, pids := int64(64<<20), int64(50000), uint64(100000), int64(64)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &lim},
		CPU:    &specs.LinuxCPU{Quota: &q, Period: &p},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	if got, want := describeResources(r), "memory=64M cpu=50000/100000 pids=64"; got != want {
		t.Fatalf("describeResources = %q, want %q", got, want)
	}
	if got := describeResources(&specs.LinuxResources{}); got != "" {
		t.Fatalf("no limits described as %q", got)
	}
}
