package initproc

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
)

// BecomeOnThread is exec's setup done by a runtime thread instead of a child: the caller has
// locked the thread, unshared its fs_struct, moved it into the container's cgroups and joined it
// to the container's namespaces, and will fork the process from it and then let the thread end.
// Everything changed here belongs to the thread alone, and a fork copies it: no_new_privs, the
// scheduler and personality, cwd and umask, ids and capabilities; but for the signals the
// runtime's caller had it ignore, which it handles from then on (see below). It returns the
// executable's path and the environment, in the order and with the errors the child's setup
// has (finishSetup, becomeProcess). Seccomp is not part of it: a filter would govern the runtime's own thread and
// its fork code (the caller sends a process with a profile through the child instead).
//
// forkIntoCgroup is for a fork that places the process in a cgroup2 cgroup (CLONE_INTO_CGROUP):
// the kernel checks the forking thread's right to write the cgroup's cgroup.procs, which only
// root has, so the thread keeps 0 as its saved uid and ends with file system uid 0. Neither
// reaches the process: execve sets both to the effective uid, and the thread's capabilities are
// already the process's (setfsuid(0) gives back only those of them that concern files).
func BecomeOnThread(s *specs.Spec, setup protocol.ProcessSetup, log *slog.Logger, forkIntoCgroup bool) (path string, env []string, err error) {
	if s.Linux != nil && s.Linux.Seccomp != nil {
		return "", nil, errors.New("exec on a runtime thread: the process has a seccomp profile")
	}
	if s.Process.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return "", nil, protocol.NewInitError("set no_new_privs", os.NewSyscallError("prctl", err))
		}
	}
	if op, err := applySetup(setup); err != nil {
		return "", nil, protocol.NewInitError(op, err)
	}
	// The runtime handles what its caller had it ignore (a runtime started under nohup): the Go
	// runtime resets the signals it handles in a forked child, and so the process starts with
	// default dispositions, as the child way's resetSignals gives it. Process-wide: the runtime
	// keeps handling them, into a channel nobody reads.
	if ign := ignoredSignals(); len(ign) > 0 {
		sigs := make([]os.Signal, len(ign))
		for i, sig := range ign {
			sigs[i] = sig
		}
		signal.Notify(make(chan os.Signal, 1), sigs...)
	}
	savedRoot := forkIntoCgroup && s.Process.User.UID != 0
	path, env, op, err := becomeUser(s, log, func() error { return nil }, savedRoot)
	if err != nil {
		return "", nil, protocol.NewInitError(op, err)
	}
	if savedRoot {
		// setfsuid reports the previous value, never an error.
		_, _, _ = unix.RawSyscall(unix.SYS_SETFSUID, 0, 0, 0)
	}
	return path, env, nil
}
