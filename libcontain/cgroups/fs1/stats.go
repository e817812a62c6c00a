package fs1

import (
	"errors"
	"strings"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// userHZ is the unit of cpuacct.stat: USER_HZ ticks, 100 on every Linux ABI.
const userHZ = 100

// Stats reads the counters of every mounted controller. Files a kernel may lack (memsw without
// swap accounting, cpuacct.usage_percpu_sys before 4.x) are skipped.
func (m *Manager) Stats() (*stats.Stats, error) {
	st := &stats.Stats{}
	r := reader{}
	if dir, ok := m.paths["cpuacct"]; ok {
		st.CPU.Usage.Total = r.Uint(dir, "cpuacct.usage")
		st.CPU.Usage.Percpu = r.uints(dir, "cpuacct.usage_percpu")
		st.CPU.Usage.PercpuKernel = r.uints(dir, "cpuacct.usage_percpu_sys")
		st.CPU.Usage.PercpuUser = r.uints(dir, "cpuacct.usage_percpu_user")
		kv := r.KeyValues(dir, "cpuacct.stat")
		st.CPU.Usage.User = kv["user"] * (1e9 / userHZ)
		st.CPU.Usage.Kernel = kv["system"] * (1e9 / userHZ)
	}
	if dir, ok := m.paths["cpu"]; ok {
		kv := r.KeyValues(dir, "cpu.stat")
		st.CPU.Throttling = stats.Throttling{
			Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_time"],
		}
	}
	if dir, ok := m.paths["memory"]; ok {
		entry := func(prefix string) stats.MemoryEntry {
			return stats.MemoryEntry{
				Usage:   r.Uint(dir, prefix+"usage_in_bytes"),
				Max:     r.Uint(dir, prefix+"max_usage_in_bytes"),
				Failcnt: r.Uint(dir, prefix+"failcnt"),
				Limit:   r.Uint(dir, prefix+"limit_in_bytes"),
			}
		}
		st.Memory.Usage = entry("memory.")
		st.Memory.Swap = entry("memory.memsw.")
		st.Memory.Kernel = entry("memory.kmem.")
		st.Memory.KernelTCP = entry("memory.kmem.tcp.")
		st.Memory.Raw = r.KeyValues(dir, "memory.stat")
		st.Memory.Cache = st.Memory.Raw["cache"]
		st.Memory.EventCount.OOMKill = r.KeyValues(dir, "memory.oom_control")["oom_kill"]
	}
	if dir, ok := m.paths["pids"]; ok {
		p, err := cgfs.ReadPids(dir)
		r.Keep(err)
		st.Pids = p
	}
	if dir, ok := m.paths["blkio"]; ok {
		st.Blkio.IoServiceBytesRecursive = r.blkio(dir, "blkio.throttle.io_service_bytes_recursive")
		st.Blkio.IoServicedRecursive = r.blkio(dir, "blkio.throttle.io_serviced_recursive")
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return st, nil
}

// OOMKillCount reads oom_kill from memory.oom_control (kernel 4.13+).
func (m *Manager) OOMKillCount() (uint64, error) {
	dir, ok := m.paths["memory"]
	if !ok {
		return 0, errors.New("memory controller is not mounted")
	}
	kv, err := cgfs.ReadKeyValues(dir, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}

// reader is cgfs.Reader with this driver's own formats.
type reader struct{ cgfs.Reader }

func (r *reader) uints(dir, file string) []uint64 {
	s, err := cgfs.Read(dir, file)
	if !r.Keep(err) {
		return nil
	}
	v, err := cgfs.ParseUints(s)
	if !r.Keep(err) {
		return nil
	}
	return v
}

// blkio parses "major:minor Op value" lines; the trailing "Total N" line is skipped.
func (r *reader) blkio(dir, file string) []stats.BlkioEntry {
	s, err := cgfs.Read(dir, file)
	if !r.Keep(err) {
		return nil
	}
	var out []stats.BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			continue
		}
		e := stats.BlkioEntry{Op: f[1]}
		var err error
		if e.Major, err = cgfs.ParseUint(maj); err != nil {
			continue
		}
		if e.Minor, err = cgfs.ParseUint(min); err != nil {
			continue
		}
		if e.Value, err = cgfs.ParseUint(f[2]); err != nil {
			continue
		}
		out = append(out, e)
	}
	return out
}

// PidsStats reads the pids hierarchy's files only (exec checks the limit before it starts).
func (m *Manager) PidsStats() (stats.PidsStats, error) {
	dir, ok := m.paths["pids"]
	if !ok {
		return stats.PidsStats{}, nil
	}
	return cgfs.ReadPids(dir)
}
