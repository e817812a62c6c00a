package libcontain

import (
	"errors"
	"io/fs"
	"os"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// Status is derived, never trusted from disk.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

// deriveStatus works the status out from what the kernel says now:
//   - the init pid must exist, not be a zombie, and have the start time recorded at create —
//     otherwise the pid was reused by an unrelated process and the container is stopped;
//   - exec.fifo exists from create until start opens it: created;
//   - a frozen cgroup: paused; else running.
func deriveStatus(dir *state.Dir, st *state.State) Status {
	if st.Pid <= 0 {
		return Stopped
	}
	ps, err := proc.ReadStat(st.Pid)
	if err != nil || ps.Dead() || ps.StartTime != st.InitStartTime {
		return Stopped
	}
	if _, err := os.Lstat(dir.FifoPath()); err == nil {
		return Created
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Created
	}
	if len(st.CgroupPaths) > 0 {
		if m, err := cgroups.Load(st.CgroupPaths); err == nil {
			if frozen, err := m.Frozen(); err == nil && frozen {
				return Paused
			}
		}
	}
	return Running
}
