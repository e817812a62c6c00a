package libcontain

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/spec"
)

// Exit is how a foreground container ended, read before its cgroup is removed.
type Exit struct {
	Code   int    // exit status, or 128+N when killed by signal N
	Status string // "exit status 0", "signal: killed"
	Reason string // "OOM-killed", "pids limit", or ""
	Usage  *Usage // nil when the cgroup could not be read
}

// Usage is what the container consumed over its life.
type Usage struct {
	PeakMemory    uint64        // bytes
	CPUTime       time.Duration // user + system
	PeakPids      uint64
	OOMKills      uint64
	PidsLimitHits uint64 // forks refused at pids.max
}

// exitInfo reads how the container ended from its state and cgroup, before delete removes them.
// The full usage report (dozens of cgroup files) is read only when asked for: a plain `run`
// needs only the reason, and `run` is the hot path.
func (c *Container) exitInfo(ps *os.ProcessState, code int, withUsage bool) Exit {
	e := Exit{Code: code, Status: ps.String()}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Status = "signal: " + ws.Signal().String()
	}
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return e
	}
	defer d.Close()
	st, err := d.Load()
	if err != nil {
		return e
	}
	if k := st.Annotations[spec.AnnotationLimitation]; k != "" {
		e.Reason = k + " limit: " + st.Annotations[spec.AnnotationLimitationMessage]
	}
	m, err := loadCgroup(st)
	if err != nil || m == nil {
		return e
	}
	u := &Usage{}
	u.OOMKills, _ = m.OOMKillCount()
	if withUsage {
		if stats, err := m.Stats(); err == nil {
			u.PeakMemory, u.CPUTime = stats.Memory.Usage.Max, time.Duration(stats.CPU.Usage.Total)
			u.PeakPids, u.PidsLimitHits = stats.Pids.Peak, stats.Pids.LimitHits
			e.Usage = u
		}
	}
	switch {
	case e.Reason != "":
	case u.OOMKills > 0:
		e.Reason = "OOM-killed"
	case u.PidsLimitHits > 0:
		e.Reason = "pids limit"
	}
	return e
}

// describeResources says in a few words which limits a spec sets: "memory=64M cpu=0.50 pids=64".
func describeResources(r *specs.LinuxResources) string {
	var parts []string
	if r.Memory != nil && r.Memory.Limit != nil && *r.Memory.Limit > 0 {
		parts = append(parts, "memory="+HumanBytes(uint64(*r.Memory.Limit)))
	}
	if r.CPU != nil && r.CPU.Quota != nil && *r.CPU.Quota > 0 {
		period := uint64(100000)
		if r.CPU.Period != nil && *r.CPU.Period > 0 {
			period = *r.CPU.Period
		}
		parts = append(parts, fmt.Sprintf("cpu=%d/%d", *r.CPU.Quota, period))
	}
	if r.Pids != nil && r.Pids.Limit != nil && *r.Pids.Limit > 0 {
		parts = append(parts, fmt.Sprintf("pids=%d", *r.Pids.Limit))
	}
	return strings.Join(parts, " ")
}

// HumanBytes prints a byte count in the binary units --memory takes: 64M, 1G, 1.5K, 100B.
func HumanBytes(n uint64) string {
	units := []string{"B", "K", "M", "G", "T"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == float64(uint64(v)) {
		return fmt.Sprintf("%d%s", uint64(v), units[i])
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}
