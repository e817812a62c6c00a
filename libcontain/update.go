package libcontain

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups"
)

// Update applies new resource limits to a created, running or paused container, and records them
// in the saved config so a later read (state, a second update) sees what is in force.
func (c *Container) Update(r *specs.LinuxResources) error {
	d, st, err := c.open(true)
	if err != nil {
		return err
	}
	defer d.Close()
	if statusOf(d, st) == Stopped {
		return ErrNotRunning
	}
	m, err := cgroups.Load(st.CgroupPaths)
	if err != nil {
		return fmt.Errorf("load cgroup: %w", err)
	}
	if err := m.Set(r); err != nil {
		return fmt.Errorf("update resources: %w", err)
	}
	cfg, err := d.LoadConfig()
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if cfg.Linux == nil {
		cfg.Linux = &specs.Linux{}
	}
	cfg.Linux.Resources = mergeResources(cfg.Linux.Resources, r)
	return d.SaveConfig(cfg)
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
	return &out
}
