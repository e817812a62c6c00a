package libcontain

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/spec"
)

// launcher starts the runtime's child — a new container's init (create) or a process joining a
// running container (exec), see package initproc — and drives it through the sync protocol
// (package protocol) until it is about to execve. create and exec differ only in the fields they
// set and the handlers they give; the steps are one: take the sealed binary, make the socketpair
// and the log pipe, start the child in its namespaces and cgroup, answer its messages.
type launcher struct {
	kind     protocol.Kind
	log      *slog.Logger
	sealed   *pendingSeal // the sealed binary (sealedSelf), begun ahead by the caller
	progress func(string) // takes the child's progress lines; nil: they are logged
	// stdio of the child; a nil entry is the runtime's own.
	stdin, stdout, stderr *os.File
	preserved             []*os.File // --preserve-fds: the child's first extra files
	fifo                  *os.File   // init only: exec.fifo, by an O_PATH fd
	// How the child gets its namespaces: created by clone (with the id maps of a new user
	// namespace), or joined (and created inside those) by nsenter before its Go runtime starts.
	cloneFlags       uintptr
	uidMaps, gidMaps []specs.LinuxIDMapping
	join             *nsenter.Request
	// cg is the cgroup the child starts in; nil: none.
	cg cgroups.Manager
	// joinsLate: cg's v1 dirs do not exist yet when the child starts; it is cloned into the
	// unified dir alone (if any) and joins the rest itself (InitConfig.JoinCgroups).
	joinsLate bool
	// netns, if set, is a thread with the new network namespace made ahead, to fork the child
	// from (create, without user namespace or joins).
	netns *netnsAhead
	// beforeConfig, if set, runs once the child has started and before it is sent its config:
	// create's preparations that overlap the child's start (earlyInit).
	beforeConfig func() error
	// affinity is exec's process.execCPUAffinity: the CPUs the child starts on and those it
	// runs on once in the cgroup. nil: it gets every CPU the cgroup allows, whatever the
	// runtime's own affinity was.
	affinity *spec.CPUAffinity
	// config is what the child is sent, once its pid is known.
	config   func(pid int) *protocol.InitConfig
	handlers handlers
	// pid is the child's, once it runs (for the handlers).
	pid int
	// placerGone is closed once the thread that forked the child in its v1 cgroups has ended
	// (startPlaced); nil: no such thread.
	placerGone <-chan struct{}
	// hugePages: the child was started with transparent huge pages off (withoutHugePages) and
	// turns them back on before it becomes the container's process.
	hugePages bool
}

// handlers answer the child's messages. A kind that never gets a message leaves its handler nil:
// the protocol's order check refuses the message before it is dispatched.
type handlers struct {
	// init: open bind source number index of the spec for it (see openMountSource)
	mountSource func(index int) (*rootfs.MountSource, error)
	hooks       func() error                  // init: run prestart and createRuntime hooks
	console     func(master *os.File) error   // takes ownership of the pty master
	ready       func() error                  // the child's setup is done; it waits for the ack
	seccomp     func(listener *os.File) error // the loop closes listener afterwards
}

// launch starts the child and returns it once it has closed its end of the socket. On failure
// the child is killed and reaped.
func (l *launcher) launch() (*os.Process, error) {
	self := l.runtimeBinary()
	exe, err := l.sealed.take(self)
	if err != nil {
		return nil, err
	}
	l.log.Debug("launch: binary sealed", "small", l.sealed.small && !self)
	defer exe.Close()
	parentSock, childSock, err := protocol.NewSocketPair()
	if err != nil {
		return nil, err
	}
	defer parentSock.Close()
	logR, logW, err := os.Pipe()
	if err != nil {
		childSock.Close()
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	logDone := make(chan struct{})
	go func() { protocol.ReplayLogs(l.log, logR, l.progress); logR.Close(); close(logDone) }()

	proc, err := l.start(exe, childSock, logW)
	// The runtime's thread that forked the child in its cgroups must be gone before launch
	// returns: callers may kill or freeze the cgroup.
	defer l.awaitPlacerGone()
	childSock.Close()
	logW.Close()
	if err == nil && l.beforeConfig != nil {
		if err = l.beforeConfig(); err != nil {
			killChild(proc)
		}
	}
	if err == nil {
		l.pid = proc.Pid
		cfg := l.config(proc.Pid)
		cfg.HugePages = l.hugePages
		notify := false // a listener comes out of loading a filter (sent to the agent)
		for _, f := range cfg.Seccomp {
			notify = notify || f.Notify()
		}
		err = driveChild(protocol.NewParent(parentSock, l.kind, protocol.RuntimeHooks(cfg.Spec), cfg.Spec.Process.Terminal, notify), cfg, l.handlers, l.awaitPlacerGone)
		if err != nil {
			// Also unblocks the log reader: the child may still hold the write end.
			killChild(proc)
		}
	}
	<-logDone
	if err != nil {
		return nil, err
	}
	return proc, nil
}

// runtimeBinary reports whether the child must be contain itself rather than the small init
// binary (needsContain).
func (l *launcher) runtimeBinary() bool {
	return needsContain(l.kind, l.join != nil, l.cloneFlags, l.uidMaps, l.gidMaps)
}

// needsContain reports whether a child of kind, cloned with cloneFlags, must be contain itself
// rather than the small init binary: it is exec's, or it joins namespaces (nsenter's
// constructor, which must run before the Go runtime starts, is in contain only), or a user
// namespace is held for it by `contain` run as the holder (newUsernsHolder).
func needsContain(kind protocol.Kind, joins bool, cloneFlags uintptr, uidMaps, gidMaps []specs.LinuxIDMapping) bool {
	return kind != protocol.KindInit || joins ||
		cloneFlags&unix.CLONE_NEWUSER != 0 && needsIDHelpers(uidMaps, gidMaps)
}

// start starts the child with the sync socket and the log pipe, in its namespaces and cgroup.
func (l *launcher) start(exe, sock, logW *os.File) (*os.Process, error) {
	files := append(append([]*os.File(nil), l.preserved...), sock, logW) // protocol.SyncFd, LogFd
	if l.fifo != nil {
		files = append(files, l.fifo) // protocol.FifoFd
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
		Args:        []string{"contain", "init"},
		Env:         protocol.ChildEnv(len(l.preserved)),
		Stdin:       orStd(l.stdin, os.Stdin),
		Stdout:      orStd(l.stdout, os.Stdout),
		Stderr:      orStd(l.stderr, os.Stderr),
		ExtraFiles:  files,
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: l.cloneFlags},
	}
	join := l.join
	if l.cloneFlags&unix.CLONE_NEWUSER != 0 && join == nil && needsIDHelpers(l.uidMaps, l.gidMaps) {
		holder, err := newUsernsHolder(exe, l.uidMaps, l.gidMaps)
		if err != nil {
			return nil, err
		}
		defer holder.release()
		if join, err = joinHeldUserns(holder, cmd.SysProcAttr.Cloneflags); err != nil {
			return nil, err
		}
		cmd.SysProcAttr.Cloneflags = 0
	}
	if cmd.SysProcAttr.Cloneflags&unix.CLONE_NEWUSER != 0 {
		cmd.SysProcAttr.UidMappings = namespaces.IDMaps(l.uidMaps)
		cmd.SysProcAttr.GidMappings = namespaces.IDMaps(l.gidMaps)
		// An unprivileged writer of gid_map must deny setgroups(2) first (user_namespaces(7)):
		// the container could otherwise drop a group that denies it access on the host.
		cmd.SysProcAttr.GidMappingsEnableSetgroups = os.Geteuid() == 0
		// Become root of the new user namespace before exec'ing init: execve recomputes the
		// capabilities from the euid, and an unmapped or non-zero euid would start init with
		// none (sethostname, mount... would fail with EPERM).
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	// The child starts in the container's cgroup and never runs a single instruction outside
	// its limits: on v2 it is cloned straight into it (CLONE_INTO_CGROUP), on v1 it is forked by
	// a thread that moved itself there first (startPlaced). nsenter's fork inherits it. The
	// exception is create's early start (joinsLate, see builder.startEarly): the v1 dirs do not
	// exist yet, and init's thread joins them itself before it does anything for the container.
	// A hybrid host's unified hierarchy ("" beside the v1 controllers) is joined the v2 way too:
	// a thread cannot move alone into a cgroup2 domain. A systemd unit's cgroup does not exist
	// before the unit starts with the child's pid (Join).
	placer, cgfd, err := placeAtFork(l.cg, cmd.SysProcAttr)
	if err != nil {
		return nil, err
	}
	if l.joinsLate {
		placer = nil
	}
	if cgfd != nil {
		defer cgfd.Close()
	}
	var h *nsenter.Handle
	if join != nil {
		var err error
		if h, err = nsenter.Prepare(cmd, *join); err != nil {
			return nil, fmt.Errorf("join namespaces: %w", err)
		}
	}
	ahead := l.netns != nil && join == nil && placer == nil && l.affinity == nil &&
		cmd.SysProcAttr.Cloneflags&unix.CLONE_NEWNET != 0 && cmd.SysProcAttr.Cloneflags&unix.CLONE_NEWUSER == 0
	restore, err := withoutHugePages(func() (err error) {
		if ahead {
			flags := cmd.SysProcAttr.Cloneflags
			cmd.SysProcAttr.Cloneflags &^= unix.CLONE_NEWNET
			made, err := l.netns.fork(cmd.Start)
			if made {
				return err
			}
			cmd.SysProcAttr.Cloneflags = flags
		}
		l.placerGone, err = l.startWithAffinity(cmd, placer, nil)
		return err
	})
	if err != nil {
		if h != nil {
			h.Close()
		}
		return nil, fmt.Errorf("start %s: %w", l.kind, err)
	}
	l.hugePages = restore
	l.log.Debug("launch: child started", "kind", l.kind.String(), "pid", cmd.Process.Pid)
	proc := cmd.Process
	if h != nil {
		pid, err := h.Wait()
		if err != nil {
			killChild(proc)
			return nil, fmt.Errorf("join namespaces: %w", err)
		}
		if pid != proc.Pid {
			// nsenter forked into the joined pid namespace (as our child, CLONE_PARENT); the
			// process it forked from exits at once.
			_ = cmd.Wait()
			if proc, err = os.FindProcess(pid); err != nil {
				return nil, err
			}
		}
	}
	if l.cg != nil && !cmd.SysProcAttr.UseCgroupFD && placer == nil && !l.joinsLate {
		if err := l.cg.Join(proc.Pid); err != nil {
			killChild(proc)
			return nil, fmt.Errorf("join cgroup: %w", err)
		}
	}
	if err := l.finalAffinity(proc.Pid); err != nil {
		killChild(proc)
		return nil, err
	}
	return proc, nil
}

// placeAtFork prepares a fork into cg (nil: none): on cgroup2 (and a hybrid host's unified
// hierarchy, "") attr clones into the cgroup through cgfd, which the caller closes after the
// fork; on v1 the forking thread moves itself in first (placer, see startPlaced). A systemd
// unit's cgroup2 dir may not exist yet: the unit starts with the child's pid (Join).
func placeAtFork(cg cgroups.Manager, attr *syscall.SysProcAttr) (placer cgroups.ThreadJoiner, cgfd *os.File, err error) {
	if cg == nil {
		return nil, nil, nil
	}
	if dir, ok := cg.Paths()[""]; ok {
		f, err := os.Open(dir)
		_, unit := cg.(cgroups.Unit)
		switch {
		case err == nil:
			cgfd = f
			attr.UseCgroupFD, attr.CgroupFD = true, int(f.Fd())
		case !unit || !errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("open cgroup: %w", err)
		}
	}
	placer, _ = cg.(cgroups.ThreadJoiner)
	return placer, cgfd, nil
}

// startPlaced starts cmd from a new OS thread that has first run prepare (the initial CPU
// affinity, which the child inherits), moved itself into the container's v1 cgroups (placer),
// so the child is forked there, and then run enter (exec on a thread: the container's
// namespaces and the process's identity, see execthread.go). The thread is never handed back:
// its goroutine returns still locked to it, and the Go runtime then ends the thread instead of
// reusing it, so nothing else of ours ever runs in the container's cgroups or namespaces, or
// with the container's affinity or the process's credentials. Until that thread
// is gone our process shows in the container's cgroup.procs, where the cgroup's kill or freeze at
// the end of a short foreground `run` would reach the runtime itself (it froze itself while
// killing itself, under load, when nothing waited for the thread).
// With neither it is a plain cmd.Start. With a placer, the channel returned is closed once that
// thread is gone; the launcher waits for it after it has sent the child its config, so the wait
// (0.01 to 2 ms here) overlaps the child's start instead of delaying it.
func startPlaced(cmd *exec.Cmd, placer cgroups.ThreadJoiner, prepare, enter func() error) (<-chan struct{}, error) {
	if placer == nil && prepare == nil && enter == nil {
		return nil, cmd.Start()
	}
	done := make(chan placed, 1)
	go onThrowawayThread(func() { startOnPlacedThread(cmd, placer, prepare, enter, done) })
	r := <-done
	if placer == nil {
		return nil, r.err
	}
	gone := make(chan struct{})
	go func() {
		awaitThreadExit(r.tid)
		close(gone)
	}()
	return gone, r.err
}

// placed is what the starting thread reports: its id and how cmd.Start went.
type placed struct {
	tid int
	err error
}

// onThrowawayThread runs f locked to an OS thread that is not the main one and is never handed
// back: the goroutine that calls it returns still locked, and the Go runtime then ends the
// thread, with whatever f changed of it (cgroups, namespaces, affinity, credentials). It returns
// when f has.
func onThrowawayThread(f func()) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The main thread, which the Go runtime never ends. Holding it here makes the goroutine
		// below run on another one.
		inner := make(chan struct{})
		go func() { onThrowawayThread(f); close(inner) }()
		<-inner
		runtime.UnlockOSThread()
		return
	}
	f()
}

// startOnPlacedThread is startPlaced's work, on the throwaway thread.
func startOnPlacedThread(cmd *exec.Cmd, placer cgroups.ThreadJoiner, prepare, enter func() error, done chan<- placed) {
	tid := unix.Gettid()
	if prepare != nil {
		if err := prepare(); err != nil {
			done <- placed{tid, err}
			return
		}
	}
	if placer != nil {
		if err := placer.JoinThread(); err != nil {
			done <- placed{tid, fmt.Errorf("join cgroup: %w", err)}
			return
		}
	}
	if enter != nil {
		if err := enter(); err != nil {
			done <- placed{tid, err}
			return
		}
	}
	done <- placed{tid, cmd.Start()}
}

// awaitThreadExit waits, for a second at most, until our thread tid has ended.
func awaitThreadExit(tid int) {
	task := "/proc/self/task/" + strconv.Itoa(tid)
	wait := 20 * time.Microsecond
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); wait = min(2*wait, 500*time.Microsecond) {
		if err := unix.Access(task, unix.F_OK); errors.Is(err, unix.ENOENT) {
			return
		}
		time.Sleep(wait)
	}
}

// awaitPlacerGone waits until the thread that forked the child in its cgroups has ended.
func (l *launcher) awaitPlacerGone() {
	if l.placerGone != nil {
		<-l.placerGone
	}
}

// driveChild sends cfg, runs afterConfig, and answers the child's messages, in the order package protocol checks,
// until the child closes its end (it is about to execve) or a step fails.
func driveChild(p *protocol.Parent, cfg *protocol.InitConfig, h handlers, afterConfig func()) error {
	if err := p.SendConfig(cfg); err != nil {
		return err
	}
	afterConfig()
	for {
		t, fd, err := p.Next()
		if err != nil {
			return err
		}
		switch t {
		case protocol.MsgMountSource:
			src, err := h.mountSource(p.SourceIndex())
			if err != nil {
				return err
			}
			err = p.SendMountSource(src.File, src.Detached)
			src.Close()
			if err != nil {
				return err
			}
		case protocol.MsgHooks:
			if err := h.hooks(); err != nil {
				return err
			}
			if err := p.SendHooksDone(); err != nil {
				return err
			}
		case protocol.MsgConsole:
			if err := h.console(fd); err != nil {
				return err
			}
		case protocol.MsgReady:
			if err := h.ready(); err != nil {
				return err
			}
			if err := p.SendReadyAck(); err != nil {
				return err
			}
		case protocol.MsgSeccomp:
			err := h.seccomp(fd)
			fd.Close()
			if err != nil {
				return err
			}
		case protocol.MsgEOF:
			return nil
		}
	}
}

// consoleTo is the console handler of both kinds: the pty master goes to the client's
// --console-socket, or, without one, into *keep for a foreground run or exec to proxy.
func consoleTo(socket string, keep **os.File) func(*os.File) error {
	return func(master *os.File) error {
		if socket == "" {
			// Before the ready ack, so before the process can write: its first "\n" does not
			// come out as "\r\n" (clearing it when the proxy started raced an exec'd echo).
			clearONLCR(master)
			*keep = master
			return nil
		}
		defer master.Close()
		return sendConsole(socket, master)
	}
}

// killChild kills and reaps a child that failed before it was released.
func killChild(p *os.Process) {
	_ = p.Kill()
	_, _ = p.Wait()
}

func orStd(f, def *os.File) *os.File {
	if f != nil {
		return f
	}
	return def
}

// startWithAffinity starts cmd with the initial CPU affinity, when one is set: from a thread of
// its own with that affinity, which the child inherits. The thread is never unlocked, so it ends
// with the goroutine and its affinity is never reused. enter is startPlaced's.
func (l *launcher) startWithAffinity(cmd *exec.Cmd, placer cgroups.ThreadJoiner, enter func() error) (<-chan struct{}, error) {
	var prepare func() error
	if l.affinity != nil && l.affinity.Initial != nil {
		prepare = func() error {
			if err := unix.SchedSetaffinity(0, l.affinity.Initial); err != nil {
				return fmt.Errorf("set initial CPU affinity: %w", err)
			}
			return nil
		}
	}
	return startPlaced(cmd, placer, prepare, enter)
}

// finalAffinity runs once the child is in its cgroup: the final exec CPU affinity, or, with none
// configured at all, every CPU, so the container does not inherit the runtime's affinity (a
// `taskset -c 0 contain run` would pin it), as runc resets it. The kernel narrows any mask to the
// cgroup's cpuset.
func (l *launcher) finalAffinity(pid int) error {
	switch {
	case l.affinity == nil:
		// Far more CPUs than any kernel has: the kernel clamps the mask to its own.
		all := bytes.Repeat([]byte{0xff}, 64*1024/8)
		_, _, errno := unix.RawSyscall(unix.SYS_SCHED_SETAFFINITY, uintptr(pid), uintptr(len(all)), uintptr(unsafe.Pointer(&all[0])))
		if errno != 0 {
			l.log.Warn(fmt.Sprintf("reset the CPU affinity of pid %d: %v: the container may keep the runtime's", pid, errno))
		}
	case l.affinity.Final != nil:
		if err := unix.SchedSetaffinity(pid, l.affinity.Final); err != nil {
			return fmt.Errorf("set final CPU affinity: %w", err)
		}
	}
	return nil
}
