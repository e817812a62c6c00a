package fs2

import (
	"os"
	"sort"
	"strings"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// Stats reads cpu.stat, memory.*, pids.*, io.stat and hugetlb.*. Files of controllers that are
// not enabled for the cgroup are skipped.
func (m *Manager) Stats() (*stats.Stats, error) {
	st := &stats.Stats{}
	r := reader{}
	d := m.dir
	if kv := r.KeyValues(d, "cpu.stat"); kv != nil {
		st.CPU.Usage.Total = kv["usage_usec"] * 1000
		st.CPU.Usage.User = kv["user_usec"] * 1000
		st.CPU.Usage.Kernel = kv["system_usec"] * 1000
		st.CPU.Throttling = stats.Throttling{
			Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_usec"] * 1000,
		}
	}
	if cgfs.Exists(d, "memory.current") {
		ev := r.KeyValues(d, "memory.events")
		st.Memory.Usage = stats.MemoryEntry{
			Usage: r.Uint(d, "memory.current"), Max: r.Uint(d, "memory.peak"),
			Limit: r.Uint(d, "memory.max"), Failcnt: ev["max"],
		}
		swapEv := r.KeyValues(d, "memory.swap.events")
		st.Memory.Swap = stats.MemoryEntry{
			Usage: r.Uint(d, "memory.swap.current"), Max: r.Uint(d, "memory.swap.peak"),
			Limit: r.Uint(d, "memory.swap.max"), Failcnt: swapEv["fail"],
		}
		st.Memory.Raw = r.KeyValues(d, "memory.stat")
		st.Memory.Cache = st.Memory.Raw["file"]
		st.Memory.EventCount = stats.MemoryEvents{
			Low: ev["low"], High: ev["high"], Max: ev["max"], OOM: ev["oom"], OOMKill: ev["oom_kill"],
		}
	}
	if cgfs.Exists(d, "pids.current") {
		p, err := cgfs.ReadPids(d)
		r.Keep(err)
		st.Pids = p
	}
	if s, err := cgfs.Read(d, "io.stat"); r.Keep(err) {
		st.Blkio = ParseIOStat(s)
	}
	st.Hugetlb = r.hugetlb(d)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return st, nil
}

// OOMKillCount reads oom_kill from memory.events.
func (m *Manager) OOMKillCount() (uint64, error) {
	kv, err := cgfs.ReadKeyValues(m.dir, "memory.events")
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}

// ParseIOStat converts io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0")
// to runc's blkio entries (Read/Write bytes and operations per device).
func ParseIOStat(s string) stats.BlkioStats {
	var out stats.BlkioStats
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			continue
		}
		major, err1 := cgfs.ParseUint(maj)
		minor, err2 := cgfs.ParseUint(min)
		if err1 != nil || err2 != nil {
			continue
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := cgfs.ParseUint(v)
			if err != nil {
				continue
			}
			e := stats.BlkioEntry{Major: major, Minor: minor, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				out.IoServiceBytesRecursive = append(out.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				out.IoServiceBytesRecursive = append(out.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				out.IoServicedRecursive = append(out.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				out.IoServicedRecursive = append(out.IoServicedRecursive, e)
			}
		}
	}
	return out
}

// reader is cgfs.Reader with this driver's own formats.
type reader struct{ cgfs.Reader }

// hugetlb reads hugetlb.<size>.current/max/events for every page size the cgroup has.
func (r *reader) hugetlb(dir string) map[string]stats.HugetlbStats {
	entries, err := os.ReadDir(dir)
	if !r.Keep(err) {
		return nil
	}
	var sizes []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "hugetlb.") && strings.HasSuffix(n, ".current") && !strings.Contains(n, ".rsvd.") {
			sizes = append(sizes, strings.TrimSuffix(strings.TrimPrefix(n, "hugetlb."), ".current"))
		}
	}
	if len(sizes) == 0 {
		return nil
	}
	sort.Strings(sizes)
	out := make(map[string]stats.HugetlbStats, len(sizes))
	for _, s := range sizes {
		p := "hugetlb." + s
		out[s] = stats.HugetlbStats{
			Usage: r.Uint(dir, p+".current"), Failcnt: r.KeyValues(dir, p+".events")["max"],
		}
	}
	return out
}

// PidsStats reads the pids controller's files only (exec checks the limit before it starts).
func (m *Manager) PidsStats() (stats.PidsStats, error) {
	if !cgfs.Exists(m.dir, "pids.current") {
		return stats.PidsStats{}, nil
	}
	return cgfs.ReadPids(m.dir)
}
