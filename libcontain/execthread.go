package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// Exec on a thread.
//
// The launcher's exec starts a child from the sealed binary, which joins the container before its
// Go runtime starts (package nsenter), then sets itself up as the process and execs it (package
// initproc). Most of that time is the child's second start of a Go program: about 5 ms of an
// 18 ms exec here, and another 1.7 ms for the child's exec and joins.
//
// Every step of that setup changes only the calling thread, which is what makes a second way
// possible: a runtime thread, locked to its goroutine and never handed back (the Go runtime ends
// it when the goroutine returns), moves into the container's v1 cgroups, unshares its fs_struct,
// joins the container's namespaces with setns(2) through a pidfd of init, sets no_new_privs, the
// scheduler and personality, cwd and umask, ids and capabilities (initproc.BecomeOnThread, the
// same code the child runs, passed in by main as ExecOpts.OnThread), and forks the process,
// which execs at once. A fork copies the thread's namespaces for children, credentials,
// fs_struct and affinity; on v2 the fork is a clone3 into the container's cgroup. Nothing of the
// runtime runs in the container but the Go runtime's few system calls between that fork and
// execve: the thread is in the container's namespaces, not in its pid namespace.
//
// What the child does and a thread cannot, or should not, decides which way a process goes
// (threadExecBlocker): a user or time namespace (the kernel lets only a single-threaded process
// join those), a terminal (the child opens the pty inside the container and sends its master
// back), a seccomp profile or jail (the filter would govern the runtime's own thread and the Go
// runtime's fork code between the load and execve, whose system calls a profile may refuse:
// Docker's refuses clone3, which the v2 placement needs), a paused container (the thread would
// freeze in its cgroup), rlimits that could starve the runtime (they are set on the runtime
// process before the fork, as the child sets its own before execve: process-wide limits cannot
// be set on a thread), cgroups a thread cannot enter before the fork, and a cgroup namespace on
// a cgroup2 mounted with nsdelegate (see nsDelegated).
//
// CVE-2019-5736: between the fork and execve the forked process shares the runtime's memory and
// its /proc/<pid>/exe is the runtime's binary, in the container's pid namespace. The runtime
// makes itself non-dumpable first, as nsenter makes the child, so a process in the container
// cannot open that link, ptrace it or read its memory without CAP_SYS_PTRACE on the host.

// safeRlimits are the limits the runtime can take on itself without harm for the rest of its
// life (waiting for the process, forwarding its signals): none limits its memory, stack, CPU
// time or file sizes; RLIMIT_NOFILE only with room above the fds it has (fdHeadroom).
var safeRlimits = map[int]bool{
	unix.RLIMIT_NOFILE: true, unix.RLIMIT_NPROC: true, unix.RLIMIT_CORE: true,
	unix.RLIMIT_NICE: true, unix.RLIMIT_RTPRIO: true, unix.RLIMIT_RTTIME: true,
	unix.RLIMIT_SIGPENDING: true, unix.RLIMIT_MSGQUEUE: true, unix.RLIMIT_MEMLOCK: true,
	unix.RLIMIT_LOCKS: true,
}

// ThreadSetup is initproc.BecomeOnThread, which libcontain does not import (the child side and
// the host side meet only in package protocol): the caller that links both passes it in
// ExecOpts.OnThread.
type ThreadSetup = func(s *specs.Spec, setup protocol.ProcessSetup, log *slog.Logger, forkIntoCgroup bool) (path string, env []string, err error)

// threadExec is an exec that a runtime thread can do; see the comment above.
type threadExec struct {
	become    ThreadSetup
	log       *slog.Logger
	spec      *specs.Spec // the container's, with the process to exec
	setup     protocol.ProcessSetup
	pidfd     *os.File // init's; closed by start
	nsFlags   uint32   // the namespaces of init that differ from ours
	cg        cgroups.Manager
	affinity  *spec.CPUAffinity
	preserved []*os.File
}

// fdHeadroom is how many fds the runtime may still open, above the highest it has, between
// taking the process's RLIMIT_NOFILE and the fork (the thread's reads, the fork's pipe).
const fdHeadroom = 64

// threadExecBlocker says why the process must go through the child; "" if a thread can start
// it. status is the container's; highFd gives the runtime's highest open fd, asked only for an
// RLIMIT_NOFILE.
func threadExecBlocker(s *specs.Spec, jail bool, status specs.ContainerState, nsFlags uint32, cg cgroups.Manager, highFd func() int) string {
	p := s.Process
	switch {
	case p.Terminal:
		return "terminal"
	case jail || s.Linux.Seccomp != nil:
		return "seccomp"
	case status == specs.ContainerState(Paused):
		return "paused"
	case nsFlags&(unix.CLONE_NEWUSER|unix.CLONE_NEWTIME) != 0:
		return "user or time namespace"
	}
	for _, rl := range p.Rlimits {
		r, ok := spec.Rlimit(rl.Type)
		if !ok || !safeRlimits[r] || r == unix.RLIMIT_NOFILE && rl.Soft < uint64(highFd()+fdHeadroom) {
			return "rlimit " + rl.Type
		}
	}
	if cg != nil {
		_, joiner := cg.(cgroups.ThreadJoiner)
		for ctrl := range cg.Paths() {
			if ctrl != "" && !joiner {
				return "cgroups"
			}
		}
		if _, unit := cg.(cgroups.Unit); unit {
			return "cgroups"
		}
		if dir, ok := cg.Paths()[""]; ok && nsFlags&unix.CLONE_NEWCGROUP != 0 && nsDelegated(dir) {
			return "cgroup namespace under nsdelegate"
		}
	}
	return ""
}

// nsDelegated reports whether the cgroup2 hierarchy holding dir is mounted with nsdelegate. The
// kernel then lets a fork into a cgroup (CLONE_INTO_CGROUP) only if the forking thread's cgroup
// namespace shows both the cgroup it leaves and the one it enters: a thread that has joined the
// container's cgroup namespace does not see the runtime's own cgroup (ENOENT). Unknown counts
// as delegated.
func nsDelegated(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return true
	}
	return nsDelegatedIn(b, dir)
}

// nsDelegatedIn is nsDelegated with the mountinfo given: the last cgroup2 mount that holds dir
// decides.
func nsDelegatedIn(mountinfo []byte, dir string) bool {
	mounts, err := cgroups.ParseCgroupMounts(mountinfo)
	if err != nil {
		return true
	}
	found, delegated := false, false
	for _, m := range mounts {
		if m.FSType == "cgroup2" && (dir == m.Mountpoint || strings.HasPrefix(dir, strings.TrimSuffix(m.Mountpoint, "/")+"/")) {
			found, delegated = true, slices.Contains(m.Options, "nsdelegate")
		}
	}
	return !found || delegated
}

// start starts the process as described above and returns it running.
func (t *threadExec) start() (*os.Process, error) {
	defer t.pidfd.Close()
	p := t.spec.Process
	// Process-wide, so set on the runtime itself before the fork, where the child sets its own
	// before execve: oom_score_adj and the rlimits.
	if p.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(fmt.Sprint(*p.OOMScoreAdj)), 0); err != nil {
			return nil, protocol.NewInitError("set oom_score_adj", err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl PR_SET_DUMPABLE", err)
	}
	// Before the thread drops its privileges: only root may raise a hard limit, and the
	// thread's credentials are then no longer those of its process.
	if err := applyRlimits(os.Getpid(), p.Rlimits); err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		ExtraFiles:  t.preserved,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	placer, cgfd, err := placeAtFork(t.cg, cmd.SysProcAttr)
	if err != nil {
		return nil, fmt.Errorf("join cgroup: %w", err)
	}
	if cgfd != nil {
		defer cgfd.Close()
	}
	// The launcher's affinity steps, done on the thread: the initial affinity before it joins
	// the cgroups (startWithAffinity), the final one once it is inside (finalAffinity).
	l := &launcher{log: t.log, affinity: t.affinity}
	enter := func() error {
		// From here the thread's cwd, root and umask are its own, so chdir and the joined
		// mount namespace's root do not reach the rest of the runtime.
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("join namespaces: %w", os.NewSyscallError("unshare CLONE_FS", err))
		}
		if t.nsFlags != 0 {
			if err := unix.Setns(int(t.pidfd.Fd()), int(t.nsFlags)); err != nil {
				return fmt.Errorf("join namespaces: %w", os.NewSyscallError("setns pidfd", err))
			}
		}
		t.log.Debug("exec: a runtime thread joined the container")
		if err := l.finalAffinity(0); err != nil {
			return err
		}
		path, env, err := t.become(t.spec, t.setup, t.log, cmd.SysProcAttr.UseCgroupFD)
		if err != nil {
			return err
		}
		// The process is forked from this thread, which ends after: it gets the caller's slack.
		if err := timerslack.Restore(timerslack.Caller()); err != nil {
			return err
		}
		cmd.Path, cmd.Args, cmd.Env = path, p.Args, env
		return nil
	}
	gone, err := l.startWithAffinity(cmd, placer, enter)
	if gone != nil {
		// Callers may kill or freeze the cgroup once we return.
		<-gone
	}
	if err != nil {
		var pe *fs.PathError
		if cmd.Path != "" && errors.As(err, &pe) {
			return nil, &execveError{fmt.Errorf("exec %s: %w", cmd.Path, pe.Err)}
		}
		return nil, err
	}
	t.log.Debug("exec: process started by a runtime thread", "pid", cmd.Process.Pid)
	return cmd.Process, nil
}

// execveError is the process's execve failing after its setup succeeded: the child way reports
// that on the process's stderr and exits protocol.ExecFailedStatus, which a foreground exec
// returns.
type execveError struct{ error }

func (e *execveError) Unwrap() error { return e.error }

// execOnThread starts the process on a runtime thread if it can (ok); otherwise the caller
// starts it through the child.
func (c *Container) execOnThread(become ThreadSetup, s *specs.Spec, jail bool, st *state.State, cg cgroups.Manager, setup protocol.ProcessSetup, affinity *spec.CPUAffinity, preserved []*os.File) (proc *os.Process, ok bool, err error) {
	if become == nil {
		return nil, false, nil
	}
	pidfd, flags, err := nsenter.OpenPid(st.Pid)
	if err != nil {
		return nil, false, nil // the child way reports it
	}
	if why := threadExecBlocker(s, jail, st.Status, flags, cg, highestFd); why != "" {
		pidfd.Close()
		c.rt.Log.Debug("exec: through a child", "because", why)
		return nil, false, nil
	}
	t := &threadExec{become: become, log: c.rt.Log, spec: s, setup: setup, pidfd: pidfd, nsFlags: flags, cg: cg, affinity: affinity, preserved: preserved}
	proc, err = t.start()
	return proc, true, err
}

// highestFd is the runtime's highest open fd number (for RLIMIT_NOFILE); unknown counts as high.
func highestFd() int {
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 1 << 20
	}
	high := 0
	for _, n := range names {
		if fd, err := strconv.Atoi(n.Name()); err == nil && fd > high {
			high = fd
		}
	}
	return high
}
