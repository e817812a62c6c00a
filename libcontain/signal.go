package libcontain

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// Signal sends sig to the container's init, or with all to every process in its cgroup.
//
// With all, a stopped container is signalled too, as runc does: without a pid namespace of its
// own (a Kubernetes pod sharing one) init's children outlive it in its cgroup, and containerd's
// shim sends `kill --all ID 9` as soon as init exits to end them; were they left, delete could
// never remove the cgroup.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	d, st, err := c.open(false)
	if err != nil {
		return err
	}
	defer d.Close()
	if all && len(st.CgroupPaths) > 0 {
		m, err := cgroups.Load(st.CgroupPaths)
		if err != nil {
			return err
		}
		if err := m.KillAll(sig); err != nil {
			return fmt.Errorf("signal all processes: %w", err)
		}
		return nil
	}
	if statusOf(d, st) == Stopped {
		return ErrNotRunning
	}
	return signalInit(st, sig)
}

// signalInit signals init through a pidfd, checked against the recorded start time after it is
// opened: the pidfd pins the process, so the signal cannot land on a recycled pid.
func signalInit(st *state.State, sig unix.Signal) error {
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return os.NewSyscallError("pidfd_open", err)
	}
	defer unix.Close(pidfd)
	ps, err := proc.ReadStat(st.Pid)
	if err != nil || ps.StartTime != st.InitStartTime || ps.Dead() {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return fmt.Errorf("signal init: %w", os.NewSyscallError("pidfd_send_signal", err))
	}
	return nil
}
