package libcontain

import (
	"fmt"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update applies new resource limits to a created, running or paused container, and records them
// in the saved config so a later read (state, a second update) sees what is in force.
//
// Device rules are rewritten only when they change: engines send the container's whole
// resources, devices included, with every update, and rewriting them on cgroup v1 (deny all, then
// allow) opens a window in which the container's own devices are refused. runc never rewrites
// them in update; contain applies a real change (on v2 the new filter is attached before the old
// one goes). As runc's update, a CFS quota or period given alone keeps the other at the value in
// force (cgroup v2 writes both in one file).
func (c *Container) Update(r *specs.LinuxResources) error {
	d, st, err := c.open(true)
	if err != nil {
		return err
	}
	defer d.Close()
	if statusOf(d, st) == Stopped {
		return ErrNotRunning
	}
	cfg, err := d.LoadConfig()
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if cfg.Linux == nil {
		cfg.Linux = &specs.Linux{}
	}
	upd := *r
	if old := cfg.Linux.Resources; old != nil && reflect.DeepEqual(upd.Devices, old.Devices) {
		upd.Devices = nil
	}
	keepCPUPair(&upd, cfg.Linux.Resources)
	if c.rt.Rootless {
		upd = *withoutDevices(&upd)
	}
	m, err := loadCgroup(st)
	if err != nil {
		return fmt.Errorf("load cgroup: %w", err)
	}
	if m == nil {
		return errNoCgroup
	}
	if err := m.Set(&upd); err != nil {
		return fmt.Errorf("update resources: %w", err)
	}
	cfg.Linux.Resources = mergeResources(cfg.Linux.Resources, &upd)
	return d.SaveConfig(cfg)
}

// keepCPUPair fills in the quota or the period in force when the update sets only the other.
func keepCPUPair(upd, old *specs.LinuxResources) {
	if upd.CPU == nil || old == nil || old.CPU == nil {
		return
	}
	setQuota := upd.CPU.Quota != nil && *upd.CPU.Quota != 0
	setPeriod := upd.CPU.Period != nil && *upd.CPU.Period != 0
	if setQuota == setPeriod {
		return
	}
	cpu := *upd.CPU
	if setQuota && old.CPU.Period != nil {
		cpu.Period = old.CPU.Period
	}
	if setPeriod && old.CPU.Quota != nil {
		cpu.Quota = old.CPU.Quota
	}
	upd.CPU = &cpu
}

// mergeResources overlays the fields update set on the ones in force.
func mergeResources(old, upd *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		return upd
	}
	out := *old
	if upd.Memory != nil {
		m := specs.LinuxMemory{}
		if out.Memory != nil {
			m = *out.Memory
		}
		if upd.Memory.Limit != nil {
			m.Limit = upd.Memory.Limit
		}
		if upd.Memory.Reservation != nil {
			m.Reservation = upd.Memory.Reservation
		}
		if upd.Memory.Swap != nil {
			m.Swap = upd.Memory.Swap
		}
		out.Memory = &m
	}
	if upd.CPU != nil {
		cpu := specs.LinuxCPU{}
		if out.CPU != nil {
			cpu = *out.CPU
		}
		if upd.CPU.Shares != nil {
			cpu.Shares = upd.CPU.Shares
		}
		if upd.CPU.Quota != nil {
			cpu.Quota = upd.CPU.Quota
		}
		if upd.CPU.Period != nil {
			cpu.Period = upd.CPU.Period
		}
		if upd.CPU.Cpus != "" {
			cpu.Cpus = upd.CPU.Cpus
		}
		if upd.CPU.Mems != "" {
			cpu.Mems = upd.CPU.Mems
		}
		for _, f := range []struct{ dst, src **uint64 }{
			{&cpu.Burst, &upd.CPU.Burst}, {&cpu.RealtimePeriod, &upd.CPU.RealtimePeriod},
		} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
		for _, f := range []struct{ dst, src **int64 }{
			{&cpu.RealtimeRuntime, &upd.CPU.RealtimeRuntime}, {&cpu.Idle, &upd.CPU.Idle},
		} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
		out.CPU = &cpu
	}
	if upd.Pids != nil {
		out.Pids = upd.Pids
	}
	if upd.BlockIO != nil {
		out.BlockIO = upd.BlockIO
	}
	if upd.Unified != nil {
		out.Unified = upd.Unified
	}
	if upd.Devices != nil {
		out.Devices = upd.Devices
	}
	return &out
}
