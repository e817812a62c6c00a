package fs2

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
)

// DefaultPeriod is the CFS period cpu.max gets when the spec sets a quota but no period; it is
// the kernel's default too.
const DefaultPeriod = 100000

// Set applies r. Only fields that are set are written, so `update` with a partial resources
// object leaves the others alone. linux.resources.unified is applied last so that its raw
// values win over the converted ones, as in runc.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validUnified(r.Unified); err != nil {
		return err
	}
	var w writes
	if r.CPU != nil {
		if err := cpuWrites(&w, r.CPU); err != nil {
			return err
		}
	}
	if r.Memory != nil {
		if err := memoryWrites(&w, m.dir, r.Memory); err != nil {
			return err
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		w.add("pids.max", cgfs.PidsMax(*r.Pids.Limit))
	}
	if r.BlockIO != nil {
		ioWrites(&w, m.dir, r.BlockIO)
	}
	for _, l := range r.HugepageLimits {
		if err := cgfs.ValidPageSize(l.Pagesize); err != nil {
			return err
		}
		v := strconv.FormatUint(l.Limit, 10)
		w.add("hugetlb."+l.Pagesize+".max", v)
		// The spec asks for reservation limits where the kernel has them (5.7+).
		if rsvd := "hugetlb." + l.Pagesize + ".rsvd.max"; cgfs.Exists(m.dir, rsvd) {
			w.add(rsvd, v)
		}
	}
	for _, dev := range sortedRdma(r.Rdma) {
		w.add("rdma.max", dev)
	}
	keys := make([]string, 0, len(r.Unified))
	for k := range r.Unified {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.add(k, r.Unified[k])
	}
	for _, x := range w {
		if err := cgfs.Write(m.dir, x.file, x.value); err != nil {
			return err
		}
	}
	// Devices last, as on v1: a rejected limit leaves the old filter in place.
	if len(r.Devices) > 0 {
		if err := m.attachDevices(m.dir, r.Devices); err != nil {
			return err
		}
	}
	return nil
}

type writes []struct{ file, value string }

func (w *writes) add(file, value string) {
	*w = append(*w, struct{ file, value string }{file, value})
}

// validUnified checks linux.resources.unified keys. They are file names in the container's own
// cgroup: a "/" or ".." could reach a parent's files, and the cgroup.* membership files would
// let a spec move processes around instead of setting a limit.
func validUnified(u map[string]string) error {
	for k := range u {
		switch {
		case k == "" || strings.Contains(k, "/") || strings.Contains(k, ".."):
			return fmt.Errorf("linux.resources.unified key %q: not a file name in the container's cgroup", k)
		case !strings.Contains(k, "."):
			return fmt.Errorf("linux.resources.unified key %q: want <controller>.<file>", k)
		case k == "cgroup.procs" || k == "cgroup.threads" || k == "cgroup.kill":
			return fmt.Errorf("linux.resources.unified key %q: not a resource", k)
		}
	}
	return nil
}

// SharesToWeight converts v1 cpu.shares (2..262144, default 1024) to v2 cpu.weight (1..10000,
// default 100) linearly over the two ranges, the conversion runc and crun share, so a spec means
// the same on either host.
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

func cpuWrites(w *writes, c *specs.LinuxCPU) error {
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 || c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		return errors.New("realtime cpu limits need cgroup v1; cgroup v2 has no RT bandwidth control")
	}
	if c.Shares != nil && *c.Shares != 0 {
		w.add("cpu.weight", strconv.FormatUint(SharesToWeight(*c.Shares), 10))
	}
	quota := int64(0)
	if c.Quota != nil {
		quota = *c.Quota
	}
	period := uint64(0)
	if c.Period != nil {
		period = *c.Period
	}
	if quota != 0 || period != 0 {
		if period == 0 {
			period = DefaultPeriod
		}
		q := "max"
		if quota > 0 {
			q = strconv.FormatInt(quota, 10)
		}
		w.add("cpu.max", q+" "+strconv.FormatUint(period, 10))
	}
	if c.Burst != nil {
		w.add("cpu.max.burst", strconv.FormatUint(*c.Burst, 10))
	}
	if c.Idle != nil {
		w.add("cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	if c.Cpus != "" {
		w.add("cpuset.cpus", c.Cpus)
	}
	if c.Mems != "" {
		w.add("cpuset.mems", c.Mems)
	}
	return nil
}

// SwapMax converts the spec's swap (memory+swap, the v1 meaning) to v2 memory.swap.max (swap
// alone): swap - limit. -1 is unlimited ("max"); ok is false when swap is not set.
func SwapMax(limit, swap int64) (v string, ok bool, err error) {
	switch {
	case swap == 0:
		return "", false, nil
	case swap == -1:
		return "max", true, nil
	case swap < -1:
		return "", false, fmt.Errorf("memory+swap limit %d is invalid", swap)
	case limit <= 0:
		return "", false, fmt.Errorf("memory+swap limit %d needs a memory limit", swap)
	case swap < limit:
		return "", false, fmt.Errorf("memory+swap limit %d is below the memory limit %d", swap, limit)
	}
	return strconv.FormatInt(swap-limit, 10), true, nil
}

func memValue(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// memoryWrites converts memory limits. swappiness, disableOOMKiller and kernel limits have no
// v2 file and are ignored, as in runc.
func memoryWrites(w *writes, dir string, mem *specs.LinuxMemory) error {
	limit, swap := int64(0), int64(0)
	if mem.Limit != nil {
		limit = *mem.Limit
	}
	if mem.Swap != nil {
		swap = *mem.Swap
	}
	// Unlimited memory with swap left unset lifts the swap limit too, matching v1 where memsw
	// would otherwise keep capping the container.
	if limit == -1 && swap == 0 && cgfs.Exists(dir, "memory.swap.max") {
		swap = -1
	}
	sv, ok, err := SwapMax(limit, swap)
	if err != nil {
		return err
	}
	if ok {
		if !cgfs.Exists(dir, "memory.swap.max") {
			if sv != "0" && sv != "max" {
				return fmt.Errorf("memory+swap limit %d: memory.swap.max is missing (kernel swap accounting is off)", swap)
			}
		} else {
			w.add("memory.swap.max", sv)
		}
	}
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && limit > 0 {
		usage, err := cgfs.ReadUint(dir, "memory.current")
		if err != nil {
			return err
		}
		if usage >= uint64(limit) {
			return fmt.Errorf("memory limit %d is not above the current usage %d", limit, usage)
		}
	}
	if limit != 0 {
		w.add("memory.max", memValue(limit))
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		w.add("memory.low", memValue(*mem.Reservation))
	}
	return nil
}

// BlkioWeightToIOWeight converts a v1 blkio weight (10..1000) to v2 io.weight (1..10000).
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	v := min(max(uint64(w), 10), 1000)
	return 1 + (v-10)*9999/990
}

// ioWrites converts block I/O limits. BFQ's io.bfq.weight takes the v1 range unchanged; the
// generic io.weight takes the v2 range.
func ioWrites(w *writes, dir string, b *specs.LinuxBlockIO) {
	bfq := cgfs.Exists(dir, "io.bfq.weight")
	weight := func(dev string, v uint16) {
		if bfq {
			w.add("io.bfq.weight", strings.TrimSpace(dev+" "+strconv.Itoa(int(v))))
			return
		}
		w.add("io.weight", dev+" "+strconv.FormatUint(BlkioWeightToIOWeight(v), 10))
	}
	if b.Weight != nil && *b.Weight != 0 {
		dev := "default"
		if bfq {
			dev = ""
		}
		weight(dev, *b.Weight)
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			weight(fmt.Sprintf("%d:%d", wd.Major, wd.Minor), *wd.Weight)
		}
	}
	throttles := []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			rate := strconv.FormatUint(d.Rate, 10)
			if d.Rate == 0 {
				rate = "max"
			}
			w.add("io.max", fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, t.key, rate))
		}
	}
}

// sortedRdma renders rdma.max lines ("mlx4_0 hca_handle=2 hca_object=2000"), one per device.
func sortedRdma(r map[string]specs.LinuxRdma) []string {
	var out []string
	for dev, l := range r {
		line := dev
		if l.HcaHandles != nil {
			line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if line != dev {
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}
