// Package stats holds the resource usage a cgroup driver reports. The JSON shape is the one
// `runc events --stats` prints (runc's types/events.go), so `contain events` can marshal it
// directly and clients that parse runc's output (containerd's go-runc) read ours unchanged.
package stats

// Stats is one sample of a container's cgroup counters.
type Stats struct {
	CPU     CPUStats                `json:"cpu"`
	Memory  MemoryStats             `json:"memory"`
	Pids    PidsStats               `json:"pids"`
	Blkio   BlkioStats              `json:"blkio"`
	Hugetlb map[string]HugetlbStats `json:"hugetlb"`
}

// CPUUsage is cumulative CPU time in nanoseconds.
type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

// Throttling counts CFS bandwidth enforcement periods; ThrottledTime is in nanoseconds.
type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

// CPUStats is CPU usage and throttling.
type CPUStats struct {
	Usage      CPUUsage   `json:"usage,omitempty"`
	Throttling Throttling `json:"throttling,omitempty"`
}

// MemoryEntry is one memory counter family: current usage, peak (Max), limit hits and the limit.
// runc names the peak "max" in its events JSON; a Limit of math.MaxUint64 means unlimited.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// MemoryEvents counts memory.events (v2) entries; on v1 only OOMKill (memory.oom_control) and
// OOM (under_oom transitions are not counted by v1, so it stays 0) are known.
type MemoryEvents struct {
	Low     uint64 `json:"low"`
	High    uint64 `json:"high"`
	Max     uint64 `json:"max"`
	OOM     uint64 `json:"oom"`
	OOMKill uint64 `json:"oom_kill"`
}

// MemoryStats is memory usage. Swap is memory+swap on v1 (memory.memsw.*) and swap alone on v2,
// as the kernel reports them. Raw is memory.stat as is.
type MemoryStats struct {
	Cache      uint64            `json:"cache,omitempty"`
	Usage      MemoryEntry       `json:"usage,omitempty"`
	Swap       MemoryEntry       `json:"swap,omitempty"`
	Kernel     MemoryEntry       `json:"kernel,omitempty"`
	KernelTCP  MemoryEntry       `json:"kernelTCP,omitempty"`
	Raw        map[string]uint64 `json:"raw,omitempty"`
	EventCount MemoryEvents      `json:"event_count"`
}

// PidsStats is the number of tasks and the pids limit (math.MaxUint64 when unlimited).
type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
	// Peak (pids.peak) and LimitHits (pids.events "max": forks refused at the limit) are
	// contain's additions, read when the kernel has them.
	Peak      uint64 `json:"peak,omitempty"`
	LimitHits uint64 `json:"limitHits,omitempty"`
}

// BlkioEntry is one per-device counter.
type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

// BlkioStats holds the recursive I/O counters (v1 blkio.throttle.*, v2 io.stat).
type BlkioStats struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
}

// HugetlbStats is usage of one huge page size, keyed by size ("2MB") in Stats.Hugetlb.
type HugetlbStats struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}
