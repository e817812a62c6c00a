package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// ListOptions says what List works out beyond what each row of a table needs.
type ListOptions struct {
	// OOMVerdict adds to a stopped container's annotations whether the OOM killer ended it, as
	// State does: a read of its cgroup each, which only a caller printing annotations needs.
	OOMVerdict bool
}

// List returns the state of every container under the root, sorted by id. Containers deleted
// while it runs, and dirs a create is still making, are left out.
func List(rt *Runtime, o ListOptions) ([]*Info, error) { return list(rt, o, newScanProbe) }

// list is List with what asks the kernel about one container (a seam for tests).
func list(rt *Runtime, o ListOptions, probe probeFunc) ([]*Info, error) {
	ids, err := rt.Store.List()
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*Info{}, nil
	}
	sc, err := rt.Store.OpenScan()
	if errors.Is(err, fs.ErrNotExist) {
		return []*Info{}, nil // removed since we read it
	}
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	l := &lister{rt: rt, sc: sc, o: o, probe: probe}
	infos := make([]*Info, len(ids))
	errs := make([]error, len(ids))
	// The work per container is a few syscalls and a JSON decode; a goroutine per CPU overlaps
	// them. Each writes only its own slots, so the order stays the ids'.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ids); i = int(next.Add(1) - 1) {
				infos[i], errs[i] = l.one(ids[i])
			}
		})
	}
	wg.Wait()
	out := infos[:0]
	for i, in := range infos {
		switch {
		case errors.Is(errs[i], ErrNotExist):
			// deleted while we listed, or a dir half-made by a create still running
		case errs[i] != nil:
			return nil, fmt.Errorf("container %s: %w", ids[i], errs[i])
		default:
			out = append(out, in)
		}
	}
	return out, nil
}

// probeFunc makes the statusProbe of container id, whose state st was read through sc.
type probeFunc func(sc *state.Scan, id string, st *state.State) statusProbe

// scanProbe is hostProbe without the dir's lock: paths are resolved below the scan's root fd.
type scanProbe struct {
	sc *state.Scan
	id string
	st *state.State
}

func newScanProbe(sc *state.Scan, id string, st *state.State) statusProbe {
	return scanProbe{sc: sc, id: id, st: st}
}

func (p scanProbe) ProcStat(pid int) (proc.Stat, error) { return proc.ReadStat(pid) }
func (p scanProbe) ExecFifo() error                     { return p.sc.ExecFifo(p.id) }
func (p scanProbe) Frozen() (bool, error)               { return hostProbe{st: p.st}.Frozen() }

// lister works out the rows of one List, several containers at a time.
type lister struct {
	rt    *Runtime
	sc    *state.Scan
	o     ListOptions
	probe probeFunc
}

// one is the Info of container id, read without its lock (see state.Scan for why a read is
// whole). What the lock gave — a state.json and a status that belong to one moment — comes from
// the order of the reads instead:
//
//   - Stopped is final: init's pid with its start time names one process, which never comes
//     back. But the state.json read may be older than that death: whoever kills a container for
//     a limitation records it first (recordLimitation, then the kill), into a new state.json. So
//     once init is seen gone, the file read must still be the current one, or it is read again.
//   - Created, running and paused are told apart by the exec fifo (gone once start opened it)
//     and the freezer, read while a pidfd pins init. Everything that takes a container out of
//     those states for good (kill, delete, a failed create's undo) kills init first, so if init
//     is still alive after the reads, they all saw the container alive: the status held at the
//     moment of its last read. If init died meanwhile, the next round finds it stopped. A
//     frozen cgroup is asked about under the lock (see live).
//
// A live container's monitor is checked as State checks it. The rounds are bounded only against
// a livelock with a loop that saves or recreates the container without end.
func (l *lister) one(id string) (*Info, error) {
	for range 8 {
		pk, err := l.sc.Peek(id)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist
		}
		var st *state.State
		if err == nil {
			// Most of state.json, and of the cost of decoding it, is what a stopped container's
			// row needs only for the OOM verdict: its cgroup paths.
			if l.o.OOMVerdict {
				st, err = pk.State()
			} else {
				st, err = pk.Summary()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
		if in, ok, err := l.live(id, pk, st); ok || err != nil {
			return in, err
		}
		// init is gone (or died while we looked at it).
		now, err := l.sc.StateFileID(id)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist // deleted since
		}
		if err == nil && now == pk.File {
			return infoWith(st, Stopped, l.o.OOMVerdict), nil
		}
	}
	return (&Container{rt: l.rt, ID: id}).State()
}

// live is the Info of id if its init (as brief, decoded from pk, names it) is alive from the
// first look to the last; ok is false when init is gone.
func (l *lister) live(id string, pk *state.Peeked, brief *state.State) (in *Info, ok bool, err error) {
	if brief.Pid <= 0 {
		return nil, false, nil
	}
	// Opened before the identity check, so it cannot name a newer process with the same pid.
	pidfd, err := proc.OpenPidfd(brief.Pid)
	if errors.Is(err, unix.ESRCH) {
		return nil, false, nil // no such process
	}
	if err != nil {
		// No pidfd to pin init with (out of fds; a kernel before 5.3): ask under the lock.
		in, err := (&Container{rt: l.rt, ID: id}).State()
		return in, true, err
	}
	defer unix.Close(pidfd)
	if initGone(l.probe(l.sc, id, brief), brief) {
		return nil, false, nil
	}
	// The freezer and the monitor check need the cgroup paths and the monitor's pid.
	st, err := pk.State()
	if err != nil {
		return nil, false, fmt.Errorf("load state: %w", err)
	}
	status := liveStatus(l.probe(l.sc, id, st))
	if status == Paused {
		// A frozen cgroup is not always a pause: kill --all and delete --force freeze the
		// cgroup for the moment they signal it (cgroups KillAll), under the container's
		// exclusive lock. Ask under the lock, which waits them out; few containers are paused.
		in, err := (&Container{rt: l.rt, ID: id}).State()
		return in, true, err
	}
	if exited(pidfd) {
		return nil, false, nil
	}
	if (&Container{rt: l.rt, ID: id}).checkMonitor(st) {
		// Killed for running unmonitored: report what is true now, as State does.
		in, err := (&Container{rt: l.rt, ID: id}).State()
		return in, true, err
	}
	return infoWith(st, status, false), true, nil
}

// exited reports whether the process of pidfd has ended (a pidfd polls readable then).
func exited(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err != nil || n > 0
	}
}
