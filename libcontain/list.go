package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

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
func List(rt *Runtime, o ListOptions) ([]*Info, error) { return list(rt, o, hostProbe{}) }

// list is List with what tells a live init from a dead one (only its ProcStat is asked).
func list(rt *Runtime, o ListOptions, procs statusProbe) ([]*Info, error) {
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
	infos := make([]*Info, len(ids))
	errs := make([]error, len(ids))
	// The work per container is a few syscalls and a JSON decode; a goroutine per CPU overlaps
	// them. Each writes only its own slots, so the order stays the ids'.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ids); i = int(next.Add(1) - 1) {
				infos[i], errs[i] = listOne(rt, sc, procs, ids[i], o)
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

// listOne is the Info of one container. A stopped one (most of a long list) is read without
// its lock; one whose init lives goes through State, under the lock, because created, running
// and paused are told apart by the exec fifo and the freezer, which start, pause and delete
// change while init lives, and because State checks the monitor of a live container.
//
// Stopped is final: init's pid with its start time names one process, which never comes back.
// But the state.json read may be older than that death: whoever kills a container for a
// limitation records it first (recordLimitation, then the kill), into a new state.json. So once
// init is seen gone, the file read must still be the current one, or it is read again.
func listOne(rt *Runtime, sc *state.Scan, procs statusProbe, id string, o ListOptions) (*Info, error) {
	for range 8 { // each round means a save raced us; the bound only stops a livelock
		// The OOM verdict needs the cgroup paths; nothing else here does.
		st, read, err := sc.Peek(id, o.OOMVerdict)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist
		}
		if err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
		if !initGone(procs, st) {
			break
		}
		now, err := sc.StateFileID(id)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist // deleted since
		}
		if err == nil && now == read {
			return infoWith(st, Stopped, o.OOMVerdict), nil
		}
	}
	return (&Container{rt: rt, ID: id}).State()
}
