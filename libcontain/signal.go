package libcontain

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// Signal sends sig to the container's init, or with all to every process in its cgroup.
//
// As runc does:
//   - SIGKILL to a container without a pid namespace of its own goes to every process in its
//     cgroup: only the init of a private pid namespace takes the others with it when it dies
//     (pid_namespaces(7)), so killing init alone would leave the rest running;
//   - a paused container is thawed after a SIGKILL, which a frozen task acts on only once it
//     runs again;
//   - with all, a stopped container is signalled too: without a pid namespace of its own (a
//     Kubernetes pod sharing one) init's children outlive it in its cgroup, and containerd's
//     shim sends `kill --all ID 9` as soon as init exits to end them; one with nothing left to
//     signal is not an error.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	d, st, err := c.open(false)
	if err != nil {
		return err
	}
	defer d.Close()
	cfg, err := d.LoadConfig()
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if len(st.CgroupPaths) > 0 && (all || (sig == unix.SIGKILL && !privatePidNamespace(cfg))) {
		err := signalCgroup(st, sig)
		if all && errors.Is(err, ErrNotRunning) {
			return nil
		}
		return err
	}
	status := statusOf(d, st)
	if status == Stopped {
		return ErrNotRunning
	}
	if err := signalInit(st, sig); err != nil {
		return err
	}
	if sig == unix.SIGKILL && status == Paused {
		if m, err := loadCgroup(st); err == nil && m != nil {
			if err := m.Thaw(); err != nil {
				return fmt.Errorf("thaw after SIGKILL: %w", err)
			}
		}
	}
	return nil
}

// signalCgroup sends sig to every process in the container's cgroup (KillAll thaws a frozen
// one after a SIGKILL); ErrNotRunning when there is none.
func signalCgroup(st *state.State, sig unix.Signal) error {
	m, err := loadCgroup(st)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrNotRunning
	}
	pids, err := m.Pids()
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(pids) == 0) {
		return ErrNotRunning
	}
	if err != nil {
		return err
	}
	if err := m.KillAll(sig); err != nil {
		return fmt.Errorf("signal all processes: %w", err)
	}
	return nil
}

// privatePidNamespace: the config makes a new pid namespace (one joined by path may hold
// other containers' processes too, so it does not count).
func privatePidNamespace(s *specs.Spec) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}

// signalInit signals init through a pidfd, checked against the recorded start time after it is
// opened: the pidfd pins the process, so the signal cannot land on a recycled pid.
func signalInit(st *state.State, sig unix.Signal) error {
	pidfd, err := proc.OpenPidfd(st.Pid)
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
