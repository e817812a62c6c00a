package libcontain

import (
	"errors"
	"io/fs"
	"os"

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

// statusProbe is what status derivation asks the kernel about one container.
type statusProbe interface {
	// ProcStat is /proc/<pid>/stat of the container's init.
	ProcStat(pid int) (proc.Stat, error)
	// ExecFifo is the Lstat of exec.fifo, which exists from create until start opens it.
	ExecFifo() error
	// Frozen reports whether the container's cgroup is frozen.
	Frozen() (bool, error)
}

// deriveStatus works the status out from what the kernel says now:
//   - the init pid must exist, not be a zombie, and have the start time recorded at create —
//     otherwise the pid was reused by an unrelated process and the container is stopped;
//   - exec.fifo exists from create until start opens it: created (also when Lstat fails
//     otherwise);
//   - a frozen cgroup: paused; else running.
func deriveStatus(p statusProbe, st *state.State) Status {
	if initGone(p, st) {
		return Stopped
	}
	return liveStatus(p)
}

// liveStatus is the status of a container whose init was just seen alive (see deriveStatus).
func liveStatus(p statusProbe) Status {
	if err := p.ExecFifo(); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return Created
	}
	if frozen, err := p.Frozen(); err == nil && frozen {
		return Paused
	}
	return Running
}

// initGone reports whether the container's init has ended for good: its pid is gone, a zombie,
// or another process's (a start time other than the one recorded at create). A container whose
// init is gone is stopped from then on, whatever else happens to it.
func initGone(p statusProbe, st *state.State) bool {
	if st.Pid <= 0 {
		return true
	}
	ps, err := p.ProcStat(st.Pid)
	return err != nil || ps.Dead() || ps.StartTime != st.InitStartTime
}

// hostProbe asks /proc, the state dir and the cgroup.
type hostProbe struct {
	dir *state.Dir
	st  *state.State
}

func newStatusProbe(d *state.Dir, st *state.State) statusProbe {
	return hostProbe{dir: d, st: st}
}

func (h hostProbe) ProcStat(pid int) (proc.Stat, error) { return proc.ReadStat(pid) }

func (h hostProbe) ExecFifo() error {
	_, err := os.Lstat(h.dir.FifoPath())
	return err
}

func (h hostProbe) Frozen() (bool, error) {
	m, err := loadCgroup(h.st)
	if err != nil || m == nil {
		return false, err
	}
	return m.Frozen()
}

// statusOf derives the status of the container whose locked dir is d.
func statusOf(d *state.Dir, st *state.State) Status { return deriveStatus(newStatusProbe(d, st), st) }
