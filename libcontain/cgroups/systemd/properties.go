package systemd

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups/fs2"
)

// infinity is systemd's "no limit" for the uint64 limit properties (CGROUP_LIMIT_MAX,
// USEC_INFINITY).
const infinity = uint64(math.MaxUint64)

// Versions of systemd that first took a property; older ones refuse the whole call with
// "Cannot set property", so such properties are left to the cgroup files.
const (
	versionQuotaPeriod = 242 // CPUQuotaPeriodUSec
	versionCpuset      = 244 // AllowedCPUs, AllowedMemoryNodes
	versionDeviceMajor = 240 // DeviceAllow "char-<major>"
	versionCPUIdle     = 252 // CPUWeight=0 means cpu.idle
)

func prop(name string, v any) sdbus.Property {
	return sdbus.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// Properties maps the resources systemd can express to unit properties for SetUnitProperties:
// v2 selects the unified names (MemoryMax, CPUWeight, IOWeight...), otherwise the v1 ones
// (MemoryLimit, CPUShares, BlockIOWeight...); version is systemd's, for properties that came
// late. Only what r sets is mapped, so an `update` that names one limit leaves the others alone.
// Values match what the fs writers put in the files, so a daemon-reload (systemd re-applying its
// view) changes nothing, except where systemd rounds (CPU quota, see cpuQuota).
func Properties(r *specs.LinuxResources, v2 bool, version int) ([]sdbus.Property, error) {
	if r == nil {
		return nil, nil
	}
	var props []sdbus.Property
	if len(r.Devices) > 0 {
		props = append(props, deviceProperties(r.Devices, v2, version)...)
	}
	if r.Memory != nil {
		p, err := memoryProperties(r.Memory, v2)
		if err != nil {
			return nil, err
		}
		props = append(props, p...)
	}
	if r.CPU != nil {
		props = append(props, cpuProperties(r.CPU, v2, version)...)
		p, err := cpusetProperties(r.CPU.Cpus, r.CPU.Mems, version)
		if err != nil {
			return nil, err
		}
		props = append(props, p...)
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		v := infinity
		if *r.Pids.Limit > 0 {
			v = uint64(*r.Pids.Limit)
		}
		props = append(props, prop("TasksMax", v))
	}
	if r.BlockIO != nil {
		props = append(props, ioProperties(r.BlockIO, v2)...)
	}
	if len(r.Unified) > 0 {
		if !v2 {
			return nil, errors.New("linux.resources.unified needs cgroup v2")
		}
		p, err := unifiedProperties(r.Unified, version)
		if err != nil {
			return nil, err
		}
		props = append(props, p...)
	}
	return props, nil
}

// limit converts a spec memory value: negative is unlimited.
func limit(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

func memoryProperties(m *specs.LinuxMemory, v2 bool) ([]sdbus.Property, error) {
	var props []sdbus.Property
	lim := int64(0)
	if m.Limit != nil {
		lim = *m.Limit
	}
	if !v2 {
		if lim != 0 {
			props = append(props, prop("MemoryLimit", limit(lim)))
		}
		return props, nil
	}
	if lim != 0 {
		props = append(props, prop("MemoryMax", limit(lim)))
	}
	if m.Reservation != nil && *m.Reservation != 0 {
		props = append(props, prop("MemoryLow", limit(*m.Reservation)))
	}
	if m.Swap != nil {
		v, ok, err := fs2.SwapMax(lim, *m.Swap)
		if err != nil {
			return nil, err
		}
		if ok {
			swap := infinity
			if v != "max" {
				if swap, err = strconv.ParseUint(v, 10, 64); err != nil {
					return nil, err
				}
			}
			props = append(props, prop("MemorySwapMax", swap))
		}
	}
	return props, nil
}

func cpuProperties(c *specs.LinuxCPU, v2 bool, version int) []sdbus.Property {
	var props []sdbus.Property
	idle := v2 && c.Idle != nil && *c.Idle == 1 && version >= versionCPUIdle
	switch {
	case idle:
		// systemd sets cpu.idle for CPUWeight=0 (and only that way); weight then has no meaning.
		props = append(props, prop("CPUWeight", uint64(0)))
	case c.Shares != nil && *c.Shares != 0 && v2:
		props = append(props, prop("CPUWeight", fs2.SharesToWeight(*c.Shares)))
	case c.Shares != nil && *c.Shares != 0:
		props = append(props, prop("CPUShares", *c.Shares))
	}
	quota, period := int64(0), uint64(0)
	if c.Quota != nil {
		quota = *c.Quota
	}
	if c.Period != nil {
		period = *c.Period
	}
	return append(props, cpuQuota(quota, period, version)...)
}

// cpuQuota maps a CFS quota and period. systemd keeps the quota per second of CPU time and, on
// writing cpu.max, turns it into a whole percentage of a CPU: round up to the next 10 ms per
// second, as runc does, so a quota is never cut below what the spec asked (the exact value is
// written to the file afterwards; only a daemon-reload would apply the rounded one).
func cpuQuota(quota int64, period uint64, version int) []sdbus.Property {
	var props []sdbus.Property
	if period != 0 && version >= versionQuotaPeriod {
		props = append(props, prop("CPUQuotaPeriodUSec", period))
	}
	if quota == 0 && period == 0 {
		return props
	}
	perSec := infinity
	if quota > 0 {
		if period == 0 {
			period = fs2.DefaultPeriod
		}
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	return append(props, prop("CPUQuotaPerSecUSec", perSec))
}

func cpusetProperties(cpus, mems string, version int) ([]sdbus.Property, error) {
	if (cpus == "" && mems == "") || version < versionCpuset {
		return nil, nil
	}
	var props []sdbus.Property
	for _, x := range []struct{ name, list string }{{"AllowedCPUs", cpus}, {"AllowedMemoryNodes", mems}} {
		if x.list == "" {
			continue
		}
		mask, err := ListToMask(x.list)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", x.name, x.list, err)
		}
		props = append(props, prop(x.name, mask))
	}
	return props, nil
}

// ListToMask converts a kernel list ("0-3,8") to systemd's CPU set bytes: bit i of byte j is
// CPU (or node) 8j+i.
func ListToMask(list string) ([]byte, error) {
	var mask []byte
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad element %q", part)
		}
		last := first
		if isRange {
			if last, err = strconv.ParseUint(hi, 10, 16); err != nil || last < first {
				return nil, fmt.Errorf("bad range %q", part)
			}
		}
		for n := first; n <= last; n++ {
			for uint64(len(mask)) <= n/8 {
				mask = append(mask, 0)
			}
			mask[n/8] |= 1 << (n % 8)
		}
	}
	return mask, nil
}

// deviceRate is one entry of the a(st) IO properties: a device path and a value.
type deviceRate struct {
	Path  string
	Value uint64
}

func blockPath(major, minor int64) string { return fmt.Sprintf("/dev/block/%d:%d", major, minor) }

// ioProperties maps block I/O weights and throttles. systemd names devices by path; udev's
// /dev/block/MAJ:MIN links name every block device.
func ioProperties(b *specs.LinuxBlockIO, v2 bool) []sdbus.Property {
	var props []sdbus.Property
	convert := func(w uint16) uint64 {
		if v2 {
			return fs2.BlkioWeightToIOWeight(w)
		}
		return uint64(w)
	}
	names := map[string]string{"weight": "BlockIOWeight", "device": "BlockIODeviceWeight",
		"rbps": "BlockIOReadBandwidth", "wbps": "BlockIOWriteBandwidth"}
	if v2 {
		names = map[string]string{"weight": "IOWeight", "device": "IODeviceWeight",
			"rbps": "IOReadBandwidthMax", "wbps": "IOWriteBandwidthMax",
			"riops": "IOReadIOPSMax", "wiops": "IOWriteIOPSMax"}
	}
	if b.Weight != nil && *b.Weight != 0 {
		props = append(props, prop(names["weight"], convert(*b.Weight)))
	}
	var weights []deviceRate
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil && *wd.Weight != 0 {
			weights = append(weights, deviceRate{blockPath(wd.Major, wd.Minor), convert(*wd.Weight)})
		}
	}
	if len(weights) > 0 {
		props = append(props, prop(names["device"], weights))
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice}, {"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice}, {"wiops", b.ThrottleWriteIOPSDevice},
	} {
		name, ok := names[t.key]
		if !ok || len(t.devs) == 0 {
			continue // v1 systemd has no IOPS limits: the blkio files get them
		}
		var rates []deviceRate
		for _, d := range t.devs {
			v := d.Rate
			if v == 0 {
				v = infinity
			}
			rates = append(rates, deviceRate{blockPath(d.Major, d.Minor), v})
		}
		props = append(props, prop(name, rates))
	}
	return props
}

// unifiedProperties maps the linux.resources.unified keys systemd has a property for; the
// others are only written to their files.
func unifiedProperties(u map[string]string, version int) ([]sdbus.Property, error) {
	var props []sdbus.Property
	for _, k := range slices.Sorted(maps.Keys(u)) {
		v := strings.TrimSpace(u[k])
		bad := func(err error) error { return fmt.Errorf("unified %s=%q: %w", k, v, err) }
		number := func() (uint64, error) {
			if v == "max" {
				return infinity, nil
			}
			return strconv.ParseUint(v, 10, 64)
		}
		switch k {
		case "memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max", "pids.max":
			n, err := number()
			if err != nil {
				return nil, bad(err)
			}
			name := map[string]string{"memory.max": "MemoryMax", "memory.high": "MemoryHigh",
				"memory.low": "MemoryLow", "memory.min": "MemoryMin", "memory.swap.max": "MemorySwapMax",
				"pids.max": "TasksMax"}[k]
			props = append(props, prop(name, n))
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, bad(err)
			}
			props = append(props, prop("CPUWeight", n))
		case "cpu.max":
			f := strings.Fields(v)
			if len(f) < 1 || len(f) > 2 {
				return nil, bad(errors.New("want QUOTA [PERIOD]"))
			}
			quota, period := int64(0), uint64(fs2.DefaultPeriod)
			var err error
			if f[0] != "max" {
				if quota, err = strconv.ParseInt(f[0], 10, 64); err != nil {
					return nil, bad(err)
				}
			}
			if len(f) == 2 {
				if period, err = strconv.ParseUint(f[1], 10, 64); err != nil {
					return nil, bad(err)
				}
			}
			props = append(props, cpuQuota(quota, period, version)...)
		case "cpuset.cpus", "cpuset.mems":
			cpus, mems := v, ""
			if k == "cpuset.mems" {
				cpus, mems = "", v
			}
			p, err := cpusetProperties(cpus, mems, version)
			if err != nil {
				return nil, bad(err)
			}
			props = append(props, p...)
		}
	}
	return props, nil
}
