package fs1

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
	"github.com/contain-runtime/contain/libcontain/cgroups/devicerules"
)

// Set applies r. Only fields that are set are written, so `update` with a partial resources
// object leaves the others alone. A limit for a controller that is not mounted is an error for
// memory, cpu, cpuset, pids and devices (every v1 host mounts them, so its absence means the
// limit would silently not apply); hugetlb and net_cls/net_prio are often not mounted and are
// skipped like runc does.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if len(r.Unified) > 0 {
		return cgfs.ErrV1Unified
	}
	steps := []struct {
		ctrl string
		want bool
		set  func(dir string) error
	}{
		{"devices", len(r.Devices) > 0, func(d string) error { return setDevices(d, r.Devices) }},
		{"memory", r.Memory != nil, func(d string) error { return setMemory(d, r.Memory) }},
		{"cpu", r.CPU != nil && cpuSet(r.CPU), func(d string) error { return setCPU(d, r.CPU) }},
		{"cpuset", r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != ""), func(d string) error { return setCpuset(d, r.CPU) }},
		{"pids", r.Pids != nil && r.Pids.Limit != nil, func(d string) error { return setPids(d, r.Pids) }},
		{"blkio", r.BlockIO != nil, func(d string) error { return setBlkio(d, r.BlockIO) }},
	}
	for _, s := range steps {
		if !s.want {
			continue
		}
		dir, ok := m.paths[s.ctrl]
		if !ok {
			return fmt.Errorf("%s limits are set but the %s controller is not mounted", s.ctrl, s.ctrl)
		}
		if err := s.set(dir); err != nil {
			return err
		}
	}
	if dir, ok := m.paths["hugetlb"]; ok {
		if err := setHugetlb(dir, r.HugepageLimits); err != nil {
			return err
		}
	}
	if r.Network != nil {
		if err := m.setNetwork(r.Network); err != nil {
			return err
		}
	}
	return nil
}

func i64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func fmtI(v int64) string { return strconv.FormatInt(v, 10) }

func fmtU(v uint64) string { return strconv.FormatUint(v, 10) }

// setDevices writes the spec's rules in the spec's order, then runc's defaults (see
// devicerules.Defaults). Each rule is its own write: the kernel parses one rule per write.
func setDevices(dir string, rules []specs.LinuxDeviceCgroup) error {
	writes, err := deviceWrites(rules)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if err := cgfs.Write(dir, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// deviceWrites renders rules to ordered (file, line) writes.
func deviceWrites(rules []specs.LinuxDeviceCgroup) ([][2]string, error) {
	var out [][2]string
	for _, rule := range devicerules.WithDefaults(rules) {
		file, line, err := devicerules.V1(rule)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{file, line})
	}
	return out, nil
}

const (
	memLimit = "memory.limit_in_bytes"
	memsw    = "memory.memsw.limit_in_bytes"
)

// setMemory applies memory limits. The kernel insists memory.limit_in_bytes <=
// memory.memsw.limit_in_bytes at every moment, so when both change the write order depends on
// the direction: raising writes memsw first, lowering writes the limit first.
func setMemory(dir string, mem *specs.LinuxMemory) error {
	writes, err := memoryWrites(dir, mem)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if err := cgfs.Write(dir, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// memoryWrites returns the ordered writes for mem; it reads the current limit to pick the order.
func memoryWrites(dir string, mem *specs.LinuxMemory) ([][2]string, error) {
	limit, swap := i64(mem.Limit), i64(mem.Swap)
	hasMemsw := cgfs.Exists(dir, memsw)
	// "Unlimited memory" must lift memsw too, or the kernel keeps the old memsw as the cap.
	if limit == -1 && swap == 0 && hasMemsw {
		swap = -1
	}
	if limit > 0 && swap > 0 && swap < limit {
		return nil, fmt.Errorf("memory+swap limit %d is below the memory limit %d", swap, limit)
	}
	if swap != 0 && !hasMemsw {
		// Without swap accounting (swapaccount=0) there is nothing to write. Asking for no
		// extra swap (swap == limit) or unlimited swap is satisfied anyway; a real swap
		// limit cannot be.
		if swap != -1 && swap != limit {
			return nil, fmt.Errorf("memory+swap limit %d: %s is missing (kernel swap accounting is off)", swap, memsw)
		}
		swap = 0
	}
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && limit > 0 {
		usage, err := cgfs.ReadUint(dir, "memory.usage_in_bytes")
		if err != nil {
			return nil, err
		}
		if usage >= uint64(limit) {
			return nil, fmt.Errorf("memory limit %d is not above the current usage %d", limit, usage)
		}
	}
	swapFirst := false
	if limit != 0 && swap != 0 {
		cur, err := cgfs.ReadUint(dir, memLimit)
		if err != nil {
			return nil, err
		}
		swapFirst = swap == -1 || cur < uint64(swap)
	}
	var writes [][2]string
	if swapFirst {
		writes = append(writes, [2]string{memsw, fmtI(swap)}, [2]string{memLimit, fmtI(limit)})
	} else {
		if limit != 0 {
			writes = append(writes, [2]string{memLimit, fmtI(limit)})
		}
		if swap != 0 {
			writes = append(writes, [2]string{memsw, fmtI(swap)})
		}
	}
	if mem.Reservation != nil {
		writes = append(writes, [2]string{"memory.soft_limit_in_bytes", fmtI(*mem.Reservation)})
	}
	if mem.KernelTCP != nil {
		writes = append(writes, [2]string{"memory.kmem.tcp.limit_in_bytes", fmtI(*mem.KernelTCP)})
	}
	if mem.Swappiness != nil {
		if *mem.Swappiness > 100 {
			return nil, fmt.Errorf("memory swappiness %d is above 100", *mem.Swappiness)
		}
		writes = append(writes, [2]string{"memory.swappiness", fmtU(*mem.Swappiness)})
	}
	if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
		writes = append(writes, [2]string{"memory.oom_control", "1"})
	}
	if mem.UseHierarchy != nil {
		v := "0"
		if *mem.UseHierarchy {
			v = "1"
		}
		writes = append(writes, [2]string{"memory.use_hierarchy", v})
	}
	// mem.Kernel (kmem.limit_in_bytes) is deliberately ignored: the kernel dropped kmem limits
	// in 5.4 and writes fail on current kernels; the spec marks the field deprecated.
	return writes, nil
}

func cpuSet(c *specs.LinuxCPU) bool {
	return (c.Shares != nil && *c.Shares != 0) || i64(c.Quota) != 0 || (c.Period != nil && *c.Period != 0) ||
		c.Burst != nil || c.RealtimePeriod != nil || c.RealtimeRuntime != nil || c.Idle != nil
}

// setCPU applies CFS shares and bandwidth, burst, idle and RT time.
//
// The kernel checks each bandwidth file against the others and the parent's limits as it is
// written, so a valid new set can be refused halfway from the old one (a shorter period under
// the old quota, a bigger burst under the old quota, a shorter RT period under the old RT
// runtime). As runc does, a write refused with EINVAL is retried after its partner was written.
func setCPU(dir string, c *specs.LinuxCPU) error {
	if c.Shares != nil && *c.Shares != 0 {
		if err := cgfs.Write(dir, "cpu.shares", fmtU(*c.Shares)); err != nil {
			return err
		}
	}
	quota := i64(c.Quota)
	var retry []string // files to write again once the quota is in
	if c.Period != nil && *c.Period != 0 {
		if err := retryAfter(dir, "cpu.cfs_period_us", fmtU(*c.Period), quota != 0, &retry); err != nil {
			return err
		}
	}
	if c.Burst != nil {
		err := retryAfter(dir, "cpu.cfs_burst_us", fmtU(*c.Burst), quota != 0, &retry)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // kernels before 5.14 have no burst
			return err
		}
	}
	if quota != 0 {
		if err := cgfs.Write(dir, "cpu.cfs_quota_us", fmtI(quota)); err != nil {
			return err
		}
		if err := writeAgain(dir, retry); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		if err := cgfs.Write(dir, "cpu.idle", fmtI(*c.Idle)); err != nil {
			return err
		}
	}
	return setRealtime(dir, c)
}

// setRealtime writes the RT period and runtime; a period the kernel refuses under the old
// runtime is written again after the new runtime.
func setRealtime(dir string, c *specs.LinuxCPU) error {
	runtime := i64(c.RealtimeRuntime)
	var retry []string
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		if err := retryAfter(dir, "cpu.rt_period_us", fmtU(*c.RealtimePeriod), runtime != 0, &retry); err != nil {
			return err
		}
	}
	if runtime != 0 {
		if err := cgfs.Write(dir, "cpu.rt_runtime_us", fmtI(runtime)); err != nil {
			return err
		}
		return writeAgain(dir, retry)
	}
	return nil
}

// retryAfter writes file; if the kernel refuses it with EINVAL and a partner write follows
// (partner), the write is queued in retry instead of failing.
func retryAfter(dir, file, value string, partner bool, retry *[]string) error {
	err := cgfs.Write(dir, file, value)
	if err != nil && partner && errors.Is(err, unix.EINVAL) {
		*retry = append(*retry, file, value)
		return nil
	}
	return err
}

func writeAgain(dir string, retry []string) error {
	for i := 0; i+1 < len(retry); i += 2 {
		if err := cgfs.Write(dir, retry[i], retry[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func setCpuset(dir string, c *specs.LinuxCPU) error {
	if c.Cpus != "" {
		if err := cgfs.Write(dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if err := cgfs.Write(dir, "cpuset.mems", c.Mems); err != nil {
			return err
		}
	}
	return nil
}

// setPids writes pids.max (see cgfs.PidsMax).
func setPids(dir string, p *specs.LinuxPids) error {
	return cgfs.Write(dir, "pids.max", cgfs.PidsMax(*p.Limit))
}

func devNum(d specs.LinuxBlockIODevice) string {
	return fmt.Sprintf("%d:%d", d.Major, d.Minor)
}

// setBlkio applies weights and throttles. CFQ's blkio.weight is gone on kernels with only
// blk-mq schedulers; BFQ exposes blkio.bfq.weight instead. A missing file is an error only for a
// value that was asked for.
func setBlkio(dir string, b *specs.LinuxBlockIO) error {
	weightFile, weightDevFile := "blkio.weight", "blkio.weight_device"
	if !cgfs.Exists(dir, weightFile) && cgfs.Exists(dir, "blkio.bfq.weight") {
		weightFile, weightDevFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := cgfs.Write(dir, weightFile, strconv.Itoa(int(*b.Weight))); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := cgfs.Write(dir, "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight))); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			if err := cgfs.Write(dir, weightDevFile, fmt.Sprintf("%s %d", devNum(wd.LinuxBlockIODevice), *wd.Weight)); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			if err := cgfs.Write(dir, "blkio.leaf_weight_device", fmt.Sprintf("%s %d", devNum(wd.LinuxBlockIODevice), *wd.LeafWeight)); err != nil {
				return err
			}
		}
	}
	throttles := []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			if err := cgfs.Write(dir, t.file, fmt.Sprintf("%s %d", devNum(d.LinuxBlockIODevice), d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHugetlb writes each page size's limit, and the reservation limit where the kernel has it
// (5.7+), since the spec says limits apply to reservations when supported.
func setHugetlb(dir string, limits []specs.LinuxHugepageLimit) error {
	for _, l := range limits {
		if err := cgfs.ValidPageSize(l.Pagesize); err != nil {
			return err
		}
		if err := cgfs.Write(dir, "hugetlb."+l.Pagesize+".limit_in_bytes", fmtU(l.Limit)); err != nil {
			return err
		}
		rsvd := "hugetlb." + l.Pagesize + ".rsvd.limit_in_bytes"
		if cgfs.Exists(dir, rsvd) {
			if err := cgfs.Write(dir, rsvd, fmtU(l.Limit)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) setNetwork(n *specs.LinuxNetwork) error {
	if dir, ok := m.paths["net_cls"]; ok && n.ClassID != nil {
		if err := cgfs.Write(dir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10)); err != nil {
			return err
		}
	}
	if dir, ok := m.paths["net_prio"]; ok {
		for _, p := range n.Priorities {
			if err := cgfs.Write(dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
				return err
			}
		}
	}
	return nil
}
