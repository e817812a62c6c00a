// Package initproc is what runs inside the container before execve: the hidden `contain init`
// command, started by the runtime (package libcontain) through its launcher, either as a new
// container's init or as a process exec'd into a running container. It talks to the runtime only
// through package protocol and imports nothing of the runtime's host side. One part of it also
// runs in the runtime's own process: BecomeOnThread, the exec'd process's setup done by a runtime
// thread that has joined the container (libcontain's execthread.go), which main passes to
// libcontain so that neither side imports the other.
package initproc

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
)

// Init is `contain init`. The caller must have locked the main goroutine to its OS thread before
// the Go runtime started others (main's init function), because namespace joins, capabilities and
// no_new_privs are per thread and must be on the thread that finally calls execve.
// Init returns only on failure.
func Init() error {
	// A session and process group of its own, as runc's init has: clients signal the
	// container's process group (conmon's --timeout kills -pgid), and it must not be theirs or
	// the runtime caller's. EPERM: already a group leader, when started as one.
	if _, err := unix.Setsid(); err != nil && err != unix.EPERM {
		fmt.Fprintln(os.Stderr, "contain: init: setsid:", err)
		return err
	}
	base, err := protocol.FdBase()
	if err != nil {
		fmt.Fprintln(os.Stderr, "contain: init:", err)
		return err
	}
	// Nothing init runs (hooks) may inherit our protocol fds.
	for _, fd := range []int{protocol.SyncFd, protocol.LogFd} {
		unix.CloseOnExec(base + fd)
	}
	c := protocol.NewChild(os.NewFile(uintptr(base+protocol.SyncFd), "sync"))
	logw := os.NewFile(uintptr(base+protocol.LogFd), "log")
	cfg, err := c.RecvConfig()
	if err != nil {
		c.Fail("receive config", err)
		return err
	}
	if err := joinCgroups(cfg.JoinCgroups); err != nil {
		c.Fail("join cgroup", err)
		return err
	}
	fifo := fifoFile(base, cfg.Exec)
	log := protocol.NewChildLogger(logw, cfg.Debug)
	in := &initProc{c: c, cfg: cfg, log: log, logw: logw, fifo: fifo, fdBase: base}
	run := in.create
	if cfg.Exec {
		run = in.exec
	}
	op, err := run()
	if err != nil {
		if in.detached {
			// The runtime has returned: the container's stderr is the only one left to tell.
			fmt.Fprintf(os.Stderr, "contain: %s: %v\n", op, err)
		} else {
			c.Fail(op, err)
			// The parent reports the error it receives on the socket as the command's final
			// error; logging it here as well would print it twice.
			log.Debug(op+": "+err.Error(), "op", op)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil // unreachable: run ends in execve
}

type initProc struct {
	c    *protocol.Child
	cfg  *protocol.InitConfig
	log  *slog.Logger
	logw *os.File
	fifo *os.File
	// fdBase is the first fd that is not the container's: 3 plus the preserved fds.
	fdBase int
	// detached: the sync socket is closed, the runtime has returned.
	detached bool
	// env is the process's environment, built by becomeProcess.
	env []string
}

// finishSetup is the common end of create's and exec's setup: oom_score_adj and no_new_privs,
// the `ready` rendezvous (the parent applies rlimits and, for create, saves the state), then
// becomeProcess; last it closes the socket, which tells the parent setup succeeded. From then on
// there is nobody to report to but the container's stderr.
func (in *initProc) finishSetup() (path, op string, err error) {
	p := in.cfg.Spec.Process
	if p.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(fmt.Sprint(*p.OOMScoreAdj)), 0); err != nil {
			return "", "set oom_score_adj", err
		}
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return "", "set no_new_privs", os.NewSyscallError("prctl", err)
		}
	}
	if op, err := applySetup(in.cfg.Setup); err != nil {
		return "", op, err
	}
	in.log.Debug("setup done, waiting for the runtime (ready)")
	if err := in.c.Ready(); err != nil {
		return "", "wait for the runtime", err
	}
	if path, op, err = in.becomeProcess(); err != nil {
		return "", op, err
	}
	in.c.Close()
	in.logw.Close()
	in.detached = true
	return path, "", nil
}

// progress reports a step the user sees in quick mode; the parent prints it.
func (in *initProc) progress(msg string) {
	if in.cfg.Progress {
		protocol.Progress(in.log, msg)
	}
}

// fifoFile is create's exec.fifo handle, the third protocol fd. exec passes no fifo: that fd
// number is then whatever the process opened first (the Go runtime opens files before main), and
// marking it close-on-exec or wrapping it in an *os.File, whose finalizer closes it, would take
// it from its owner.
func fifoFile(base int, exec bool) *os.File {
	if exec {
		return nil
	}
	unix.CloseOnExec(base + protocol.FifoFd)
	return os.NewFile(uintptr(base+protocol.FifoFd), "exec.fifo")
}

// joinCgroups moves init's thread into the container's v1 cgroups, which the runtime made while
// init started. Only this thread moves, and only it must: it is the one that sets the container
// up and becomes its process (execve ends the Go runtime's other threads, which stay where init
// was started), and a thread that moves itself takes no RCU grace period, unlike a move of
// the whole process (see cgroups.LateJoiner).
func joinCgroups(dirs []string) error {
	for _, dir := range dirs {
		fd, err := unix.Open(dir+"/tasks", unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			_, err = unix.Write(fd, []byte("0"))
			unix.Close(fd)
		}
		if err != nil {
			return fmt.Errorf("join cgroup %s: %w", dir, os.NewSyscallError("write tasks", err))
		}
	}
	return nil
}
