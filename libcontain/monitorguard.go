package libcontain

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// A monitored container must never run on with its limits unenforced (issue 16, F4: with its
// monitor SIGKILLed, a container with an enforced 1M disk limit wrote 5 MB and nothing
// happened). It fails closed, three ways:
//   - create starts a guard beside the monitor (`contain monitor --guard ID`, a session of its
//     own, so no one process-group kill takes both). Each watches the other's pidfd: when one dies
//     while the container runs, the other kills the container and records the limitation
//     "monitor";
//   - a monitor that stops on an error (it cannot measure) exits, and its guard does the same;
//   - every `state` (and so `events`, `list`, `run`'s report) checks the monitor too, for the case
//     where both were killed at once: the container is killed then, with the same limitation.
//
// Either way `state` carries io.contain.limitation=monitor and `events` emits the limitation.

// KindMonitor is the limitation recorded when a container's monitor died before it.
const KindMonitor = "monitor"

// Keys of state.Extra for the guard process.
const (
	extraGuardPid   = "guardPid"
	extraGuardStart = "guardStart"
)

// procRef is a process by pid and start time (clock ticks since boot, /proc/<pid>/stat field 22):
// the pair names one process for good, even after its pid is reused.
type procRef struct {
	pid   int
	start uint64
}

func refOf(st *state.State, pidKey, startKey string) procRef {
	pid, _ := strconv.Atoi(st.Extra[pidKey])
	start, _ := strconv.ParseUint(st.Extra[startKey], 10, 64)
	return procRef{pid: pid, start: start}
}

func (r procRef) set() bool { return r.pid > 0 }

// alive reports whether the process still runs (not a zombie) and is the one recorded.
func (r procRef) alive() bool {
	if r.pid <= 0 {
		return false
	}
	ps, err := proc.ReadStat(r.pid)
	return err == nil && !ps.Dead() && ps.StartTime == r.start
}

// pidfd opens a pidfd for the process if it is still the one recorded; ok is false when it is
// gone. The pidfd is opened before the start time is checked, so it cannot name a newer process.
func (r procRef) pidfd() (fd int, ok bool) {
	fd, err := unix.PidfdOpen(r.pid, 0)
	if err != nil {
		return -1, false
	}
	if !r.alive() {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// watchedRefs are the processes that keep a monitored container's limits enforced.
func watchedRefs(st *state.State) (monitor, guard procRef) {
	return refOf(st, extraMonitorPid, extraMonitorStart), refOf(st, extraGuardPid, extraGuardStart)
}

// failClosed kills a running container whose isolators are no longer enforced and records why.
// The record comes first, so whoever sees the container stopped finds the reason there.
func (c *Container) failClosed(st *state.State, why string) {
	if err := c.recordLimitation(KindMonitor, why+": the container's limits were no longer enforced, so it was killed"); err != nil {
		c.rt.Log.Error("record limitation", "err", err)
	}
	if len(st.CgroupPaths) > 0 {
		if m, err := cgroups.Load(st.CgroupPaths); err == nil {
			_ = m.Thaw() // a frozen task cannot die
			_ = m.KillAll(unix.SIGKILL)
		}
	}
	_ = signalInit(st, unix.SIGKILL)
}

// waitPidfds blocks until one of fds polls readable (its process exited) or ctx ends; it
// returns the index of the first readable one, -1 when ctx ended.
func waitPidfds(ctx context.Context, fds ...int) int {
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	for ctx.Err() == nil {
		n, err := unix.Poll(pfds, 200)
		if err != nil && err != unix.EINTR {
			return -1
		}
		for i := 0; n > 0 && i < len(pfds); i++ {
			if pfds[i].Revents != 0 {
				return i
			}
		}
	}
	return -1
}

// Guard is `contain monitor --guard ID`: it runs until the container or its monitor ends, and
// if the monitor ends first it kills the container (see the comment at the top of this file).
func (c *Container) Guard(ctx context.Context) error {
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return err
	}
	st, err := loadState(d)
	d.Close()
	if err != nil {
		return err
	}
	initRef := procRef{pid: st.Pid, start: st.InitStartTime}
	initfd, ok := initRef.pidfd()
	if !ok {
		return nil // the container is gone already
	}
	defer unix.Close(initfd)
	mon, _ := watchedRefs(st)
	monfd, ok := mon.pidfd()
	if !ok {
		c.failClosed(st, fmt.Sprintf("monitor (pid %d) was gone when its guard started", mon.pid))
		return nil
	}
	defer unix.Close(monfd)
	if waitPidfds(ctx, initfd, monfd) == 1 && initRef.alive() {
		c.failClosed(st, fmt.Sprintf("monitor (pid %d) died", mon.pid))
	}
	return nil
}

// watchGuard is the monitor's half: it calls lost when the guard dies while the container
// runs. It returns when ctx ends.
func (c *Container) watchGuard(ctx context.Context, st *state.State, lost func()) {
	_, guard := watchedRefs(st)
	if !guard.set() {
		return // created by a contain without guards: nothing to watch
	}
	initRef := procRef{pid: st.Pid, start: st.InitStartTime}
	gfd, ok := guard.pidfd()
	if !ok {
		if initRef.alive() {
			c.failClosed(st, fmt.Sprintf("monitor guard (pid %d) was gone when the monitor started", guard.pid))
			lost()
		}
		return
	}
	defer unix.Close(gfd)
	if waitPidfds(ctx, gfd) == 0 && initRef.alive() {
		c.failClosed(st, fmt.Sprintf("monitor guard (pid %d) died", guard.pid))
		lost()
	}
}

// checkMonitor is state's check: a container that should be monitored, runs, and has neither
// monitor nor guard alive is killed now. It reports whether it killed anything. The caller
// holds no lock on the container's dir (the limitation is recorded under an exclusive one).
func (c *Container) checkMonitor(st *state.State) bool {
	mon, guard := watchedRefs(st)
	if !mon.set() || mon.alive() || guard.alive() {
		// One of the pair still runs: it acts on the other's death itself, within a poll.
		return false
	}
	c.failClosed(st, fmt.Sprintf("monitor (pid %d) is gone", mon.pid))
	// Wait (bounded) for init to be gone, so the state that follows says stopped.
	if fd, ok := (procRef{pid: st.Pid, start: st.InitStartTime}).pidfd(); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		waitPidfds(ctx, fd)
		cancel()
		unix.Close(fd)
	}
	return true
}
