package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/spec"
)

// ContainerStatistics is one entry of /monitor/statistics.json: Mesos' shape (an object per
// container with its statistics under "statistics"), keyed by container rather than executor.
type ContainerStatistics struct {
	ID     string `json:"container_id"`
	Status string `json:"status"`
	Pid    int    `json:"pid"`
	// Sandbox is the virtual path of the container's sandbox in /files, when it lies in the
	// served work dir.
	Sandbox    string     `json:"sandbox,omitempty"`
	Statistics Statistics `json:"statistics"`
}

// Statistics uses Mesos' ResourceStatistics names where one fits; the pids and OOM fields are
// contain's. Limits are left out when there is none.
type Statistics struct {
	Timestamp float64 `json:"timestamp"` // seconds since the epoch

	CPUsUserTimeSecs      float64  `json:"cpus_user_time_secs"`
	CPUsSystemTimeSecs    float64  `json:"cpus_system_time_secs"`
	CPUsLimit             *float64 `json:"cpus_limit,omitempty"` // CFS quota / period
	CPUsNrPeriods         uint64   `json:"cpus_nr_periods"`
	CPUsNrThrottled       uint64   `json:"cpus_nr_throttled"`
	CPUsThrottledTimeSecs float64  `json:"cpus_throttled_time_secs"`

	MemTotalBytes      uint64  `json:"mem_total_bytes"` // the cgroup's usage
	MemRSSBytes        uint64  `json:"mem_rss_bytes"`
	MemAnonBytes       uint64  `json:"mem_anon_bytes"`
	MemFileBytes       uint64  `json:"mem_file_bytes"`
	MemMappedFileBytes uint64  `json:"mem_mapped_file_bytes"`
	MemLimitBytes      *uint64 `json:"mem_limit_bytes,omitempty"`
	MemOOMKillCount    uint64  `json:"mem_oom_kill_count"`

	PidsCurrent uint64  `json:"pids_current"`
	PidsLimit   *uint64 `json:"pids_limit,omitempty"`

	// From the disk isolator's latest measurement, when the container has one.
	DiskUsedBytes  *uint64 `json:"disk_used_bytes,omitempty"`
	DiskLimitBytes *uint64 `json:"disk_limit_bytes,omitempty"`
}

// statistics is GET /monitor/statistics.json.
func (s *Server) statistics(w http.ResponseWriter, r *http.Request) {
	out := []ContainerStatistics{}
	if s.c.Statistics != nil {
		var err error
		if out, err = s.c.Statistics(r.Context()); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
	}
	writeJSON(w, out)
}

// RuntimeStatistics reads the statistics of the runtime's containers that are not stopped:
// their cgroup counters (libcontain's Container.Stats) and the disk isolator's report. workDir
// is the served one, for the sandboxes' virtual paths.
func RuntimeStatistics(rt *libcontain.Runtime, workDir string, now func() time.Time) func(context.Context) ([]ContainerStatistics, error) {
	return func(ctx context.Context) ([]ContainerStatistics, error) {
		infos, err := libcontain.List(rt, libcontain.ListOptions{})
		if err != nil {
			return nil, err
		}
		out := []ContainerStatistics{}
		for _, in := range infos {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if in.Status == specs.StateStopped {
				continue
			}
			c, err := libcontain.Load(rt, in.ID)
			if err != nil {
				continue // deleted since the listing
			}
			st, err := c.Stats()
			if errors.Is(err, libcontain.ErrNotRunning) || errors.Is(err, libcontain.ErrNotExist) {
				continue // stopped or deleted since the listing
			}
			if err != nil {
				return nil, err
			}
			var cpu *specs.LinuxCPU
			if cfg, err := c.Config(); err == nil && cfg.Linux != nil && cfg.Linux.Resources != nil {
				cpu = cfg.Linux.Resources.CPU
			}
			out = append(out, ContainerStatistics{
				ID: in.ID, Status: string(in.Status), Pid: in.Pid,
				Sandbox:    virtualSandbox(workDir, in.ID, in.Annotations[spec.AnnotationSandbox]),
				Statistics: statisticsOf(st, cpu, now()),
			})
		}
		return out, nil
	}
}

// statisticsOf maps libcontain's stats (runc's shape) to Mesos' names. memory.stat's keys differ
// between cgroup v1 (rss, cache, mapped_file; total_* counting child cgroups) and v2 (anon,
// file, file_mapped).
func statisticsOf(s *libcontain.Stats, cpu *specs.LinuxCPU, at time.Time) Statistics {
	raw := s.Memory.Raw
	pick := func(keys ...string) uint64 {
		for _, k := range keys {
			if v, ok := raw[k]; ok {
				return v
			}
		}
		return 0
	}
	out := Statistics{
		Timestamp:             float64(at.UnixNano()) / 1e9,
		CPUsUserTimeSecs:      float64(s.CPU.Usage.User) / 1e9,
		CPUsSystemTimeSecs:    float64(s.CPU.Usage.Kernel) / 1e9,
		CPUsNrPeriods:         s.CPU.Throttling.Periods,
		CPUsNrThrottled:       s.CPU.Throttling.ThrottledPeriods,
		CPUsThrottledTimeSecs: float64(s.CPU.Throttling.ThrottledTime) / 1e9,
		MemTotalBytes:         s.Memory.Usage.Usage,
		MemRSSBytes:           pick("total_rss", "rss", "anon"),
		MemAnonBytes:          pick("anon", "total_rss", "rss"),
		MemFileBytes:          pick("file", "total_cache", "cache"),
		MemMappedFileBytes:    pick("file_mapped", "total_mapped_file", "mapped_file"),
		MemLimitBytes:         limit(s.Memory.Usage.Limit),
		MemOOMKillCount:       s.Memory.EventCount.OOMKill,
		PidsCurrent:           s.Pids.Current,
		PidsLimit:             limit(s.Pids.Limit),
	}
	if cpu != nil && cpu.Quota != nil && *cpu.Quota > 0 && cpu.Period != nil && *cpu.Period > 0 {
		l := float64(*cpu.Quota) / float64(*cpu.Period)
		out.CPUsLimit = &l
	}
	if s.Disk != nil {
		used := s.Disk.Allocated
		out.DiskUsedBytes = &used
		if s.Disk.Limit > 0 {
			l := s.Disk.Limit
			out.DiskLimitBytes = &l
		}
	}
	return out
}

// limit is a cgroup limit, nil when unlimited: v1 reports "no limit" as a huge page-rounded
// number (PAGE_COUNTER_MAX pages), v2 as max (MaxUint64 here), and 0 means not read.
func limit(v uint64) *uint64 {
	if v == 0 || v >= math.MaxInt64/2 {
		return nil
	}
	return &v
}

// virtualSandbox is the /files path of a sandbox dir in workDir, or "" when it lies elsewhere
// (a container made with another --work-dir).
func virtualSandbox(workDir, id, dir string) string {
	if dir == "" {
		return ""
	}
	rel, err := filepath.Rel(filepath.Join(workDir, "containers", id, "runs"), dir)
	if err != nil || rel == "." || strings.Contains(rel, "/") || !filepath.IsLocal(rel) {
		return ""
	}
	return "/containers/" + id + "/runs/" + rel
}
