package libcontain

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// CreateOpts are the `create` flags.
type CreateOpts struct {
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	NoPivot       bool
	// PreserveFds: the caller's fds 3..3+PreserveFds-1 go into the container's process as
	// they are (runc's --preserve-fds; podman passes sockets this way).
	PreserveFds int
	// Foreground: the caller stays to proxy a terminal (run without --detach).
	Foreground bool
	// Spec, when set, is used instead of <Bundle>/config.json (quick mode builds it in memory).
	Spec *specs.Spec
	// Overlay puts a copy-on-write layer over the rootfs (quick mode's --overlay).
	Overlay *rootfs.Overlay
	// Progress, when set, is told each step as it happens, from this process and from init.
	Progress func(msg string)
	// OnExit, for a foreground run, sees how the container ended before it is deleted; with
	// Usage, Exit.Usage is filled in too.
	OnExit func(Exit)
	Usage  bool
	// CgroupGroup: the cgroup's parent is a group shared by containers of one kind (quick mode's
	// "contain/"), removed by the delete that leaves it empty, whoever created it.
	CgroupGroup bool
	// Sandbox, when set, is the run directory to use (quick mode makes it first); otherwise
	// create makes one under the runtime's work dir.
	Sandbox *sandbox.Sandbox
	// Stdio for init; nil means the runtime's own 0, 1, 2.
	Stdin, Stdout, Stderr *os.File
}

// The fds init finds open at start (ExtraFiles order), as offsets from its fd base: 3, plus the
// number of preserved fds, which come first.
const (
	initSyncFd = iota
	initLogFd
	initFifoFd
)

// Create sets a container up and leaves its init blocked on exec.fifo until Start. The returned
// Container keeps the init process handle, so `run` can wait for it.
func Create(rt *Runtime, o CreateOpts) (c *Container, err error) {
	if err := state.ValidateID(o.ID); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle path: %w", err)
	}
	s := o.Spec
	if s == nil {
		if s, err = spec.Load(bundle); err != nil {
			return nil, err
		}
	}
	if err := spec.Validate(s, bundle); err != nil {
		return nil, err
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{} // init reads namespaces, sysctl and seccomp from here
	}
	if err := namespaces.Validate(s.Linux.Namespaces); err != nil {
		return nil, err
	}
	if s.Process != nil && s.Process.Terminal && o.ConsoleSocket == "" && !o.Foreground {
		return nil, errors.New("cannot allocate tty if contain will detach without setting console socket")
	}
	if (s.Process == nil || !s.Process.Terminal) && o.ConsoleSocket != "" {
		return nil, errors.New("cannot use console socket if contain will not detach or allocate tty")
	}
	rootfs, err := spec.RootfsPath(s, bundle)
	if err != nil {
		return nil, err
	}
	// Annotations are checked before anything touches the disk: a bad one leaves nothing behind.
	iso, err := spec.ParseAnnotations(s.Annotations)
	if err != nil {
		return nil, err
	}
	preserved, err := preservedFiles(o.PreserveFds)
	if err != nil {
		return nil, err
	}

	dir, err := rt.Store.Create(o.ID)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w: %s", ErrExist, o.ID)
	}
	if err != nil {
		return nil, err
	}
	b := &builder{rt: rt, o: o, spec: s, bundle: bundle, rootfs: rootfs, dir: dir, iso: iso, preserved: preserved}
	defer func() {
		if err != nil {
			b.undo()
		}
		dir.Close()
	}()
	if err := b.build(); err != nil {
		return nil, err
	}
	return &Container{rt: rt, ID: o.ID, init: b.proc, console: b.console, progress: o.Progress, onExit: o.OnExit, wantUsage: o.Usage}, nil
}

// builder holds what create has made so far, so a failure can undo exactly that.
type builder struct {
	rt          *Runtime
	o           CreateOpts
	spec        *specs.Spec
	bundle      string
	rootfs      string
	dir         *state.Dir
	cg          cgroups.Manager
	proc        *os.Process // init
	st          *state.State
	iso         *spec.Isolators
	sandbox     *sandbox.Sandbox
	madeSandbox bool
	monitor     *os.Process
	closeAfter  []*os.File // sandbox stdio files, handed to init
	preserved   []*os.File // --preserve-fds: init's first extra files
	// notifySocket is the host's NOTIFY_SOCKET, relayed to at start.
	notifySocket string
	// console is the pty master of a terminal container run in the foreground.
	console *os.File
}

func (b *builder) build() error {
	defer func() {
		for _, f := range b.closeAfter {
			f.Close()
		}
	}()
	if err := b.prepareSandbox(); err != nil {
		return err
	}
	notifyHost, err := addNotifySocket(b.spec, b.dir.Path)
	if err != nil {
		return err
	}
	b.notifySocket = notifyHost
	if err := b.dir.SaveConfig(b.spec); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	// 0622: init opens it for writing after it has switched to the container's user. The
	// state dir is 0711, so nobody else can list it to find the fifo.
	if err := unix.Mkfifo(b.dir.FifoPath(), 0o622); err != nil {
		return fmt.Errorf("make exec fifo: %w", os.NewSyscallError("mkfifo", err))
	}
	if err := os.Chmod(b.dir.FifoPath(), 0o622); err != nil { // mkfifo honours the umask
		return fmt.Errorf("make exec fifo: %w", err)
	}
	// In a user namespace init is the host uid mapped to the container's root: it must own
	// the fifo to open it for writing.
	if uid, gid := hostRoot(b.spec); uid != 0 || gid != 0 {
		if err := os.Chown(b.dir.FifoPath(), uid, gid); err != nil {
			return fmt.Errorf("chown exec fifo: %w", err)
		}
	}
	// init opens the fifo through this O_PATH fd: it never resolves a path the container could
	// influence, and the fd itself grants neither read nor write.
	fifo, err := os.OpenFile(b.dir.FifoPath(), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer fifo.Close()

	if b.o.Progress != nil {
		var names []string
		for _, ns := range b.spec.Linux.Namespaces {
			if ns.Path == "" {
				names = append(names, namespaces.ProcName(ns.Type))
			}
		}
		b.o.Progress("creating namespaces: " + strings.Join(names, " "))
	}
	if err := b.makeCgroup(); err != nil {
		return err
	}
	parentSock, childSock, err := newSocketPair()
	if err != nil {
		return err
	}
	defer parentSock.Close()
	logR, logW, err := os.Pipe()
	if err != nil {
		childSock.Close()
		return fmt.Errorf("log pipe: %w", err)
	}
	logDone := make(chan struct{})
	go func() { replayLogs(b.rt.Log, logR, b.o.Progress); logR.Close(); close(logDone) }()

	err = b.startInit(childSock, logW, fifo)
	childSock.Close()
	logW.Close()
	if err == nil {
		err = b.handshake(newParentConn(parentSock, b.spec.Process.Terminal, usesSeccompNotify(b.spec)))
	}
	if err != nil {
		// Unblock the log reader: init may still hold the write end.
		b.killInit()
	}
	<-logDone
	if err != nil {
		return err
	}
	if b.o.PidFile != "" {
		if err := writePidFile(b.o.PidFile, b.proc.Pid); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) makeCgroup() error {
	path := ""
	if b.spec.Linux != nil {
		path = b.spec.Linux.CgroupsPath
	}
	m, err := cgroups.New(cgroups.Config{Path: path, ID: b.o.ID})
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if err := m.Create(); err != nil {
		_ = m.Destroy()
		return fmt.Errorf("create cgroup: %w", err)
	}
	b.cg = m
	return nil
}

// applyResources sets the spec's limits, at the ready rendezvous as runc does: init's own setup
// (the Go runtime's threads, mknod of the default devices) must not be refused by limits meant
// for the container's process — a pids.max of 1 or a tight memory or device rule would kill or
// block the runtime's init instead of governing the container.
func (b *builder) applyResources() error {
	if b.spec.Linux == nil || b.spec.Linux.Resources == nil {
		return nil
	}
	res := b.spec.Linux.Resources
	if b.o.Progress != nil {
		if d := describeResources(res); d != "" {
			b.o.Progress("applying cgroup limits: " + d)
		}
	}
	if err := b.cg.Set(res); err != nil {
		if errors.Is(err, unix.EBUSY) && res.Memory != nil {
			// The kernel refuses a memory limit below what the cgroup already uses.
			return fmt.Errorf("apply resources: %w (the memory limit is below what the container's init already uses)", err)
		}
		return fmt.Errorf("apply resources: %w", err)
	}
	return nil
}

func (b *builder) startInit(sock, logW, fifo *os.File) error {
	exe, err := sealedSelf(len(b.preserved))
	if err != nil {
		return err
	}
	defer exe.Close()
	nss := b.spec.Linux.Namespaces
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
		Args:        []string{"contain", "init"},
		Env:         preservedEnv(len(b.preserved)),
		Stdin:       orStd(b.o.Stdin, os.Stdin),
		Stdout:      orStd(b.o.Stdout, os.Stdout),
		Stderr:      orStd(b.o.Stderr, os.Stderr),
		ExtraFiles:  append(b.preserved, sock, logW, fifo), // then initSyncFd, initLogFd, initFifoFd
		SysProcAttr: &syscall.SysProcAttr{},
	}
	joins := namespaces.Joins(nss)
	var req *nsenter.Request
	// A new cgroup namespace is rooted at the cgroup its creator is in: init makes it itself,
	// once it is in the container's cgroups (see initProc.run). Made here, it would be rooted
	// at the runtime's cgroup, and the container would see its own as /../<name>.
	if len(joins) == 0 {
		cmd.SysProcAttr.Cloneflags = namespaces.CloneFlags(nss) &^ unix.CLONE_NEWCGROUP
	} else {
		// Joining existing namespaces: nsenter enters them before init's Go runtime starts,
		// then creates the new ones inside them (owned by a joined user namespace).
		req = &nsenter.Request{Namespaces: joins}
		for _, t := range namespaces.NewTypes(nss) {
			if t == specs.UserNamespace || t == specs.TimeNamespace {
				return fmt.Errorf("creating a new %s namespace while joining existing ones is not supported", t)
			}
			if t != specs.CgroupNamespace {
				req.Unshare = append(req.Unshare, t)
			}
		}
	}
	if cmd.SysProcAttr.Cloneflags&unix.CLONE_NEWUSER != 0 {
		cmd.SysProcAttr.UidMappings = idMaps(b.spec.Linux.UIDMappings)
		cmd.SysProcAttr.GidMappings = idMaps(b.spec.Linux.GIDMappings)
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		// Become root of the new user namespace before exec'ing init: execve recomputes the
		// capabilities from the euid, and an unmapped or non-zero euid would start init with
		// none (sethostname, mount... would fail with EPERM).
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	// On cgroup v2, clone straight into the container's cgroup (CLONE_INTO_CGROUP): init never
	// runs a single instruction outside its limits. nsenter's fork inherits it.
	if dir, ok := b.cg.Paths()[""]; ok && len(b.cg.Paths()) == 1 {
		cgfd, err := os.Open(dir)
		if err != nil {
			return fmt.Errorf("open cgroup: %w", err)
		}
		defer cgfd.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(cgfd.Fd())
	}
	var h *nsenter.Handle
	if req != nil {
		if h, err = nsenter.Prepare(cmd, *req); err != nil {
			return fmt.Errorf("join namespaces: %w", err)
		}
	}
	if err := cmd.Start(); err != nil {
		if h != nil {
			h.Close()
		}
		return fmt.Errorf("start init: %w", err)
	}
	b.proc = cmd.Process
	if h != nil {
		pid, err := h.Wait()
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return fmt.Errorf("join namespaces: %w", err)
		}
		if pid != cmd.Process.Pid {
			// nsenter forked into the joined pid namespace (as our child, CLONE_PARENT); the
			// process it forked from exits at once.
			_ = cmd.Wait()
			if b.proc, err = os.FindProcess(pid); err != nil {
				return err
			}
		}
	}
	if !cmd.SysProcAttr.UseCgroupFD {
		if err := b.cg.Join(b.proc.Pid); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
	}
	return nil
}

// hostRoot is the host uid and gid that the container's root maps to (0, 0 without a user
// namespace).
func hostRoot(s *specs.Spec) (uid, gid int) {
	if s.Linux == nil || namespaces.CloneFlags(s.Linux.Namespaces)&unix.CLONE_NEWUSER == 0 {
		return 0, 0
	}
	find := func(m []specs.LinuxIDMapping) int {
		for _, e := range m {
			if e.ContainerID == 0 && e.Size > 0 {
				return int(e.HostID)
			}
		}
		return 0
	}
	return find(s.Linux.UIDMappings), find(s.Linux.GIDMappings)
}

func orStd(f, def *os.File) *os.File {
	if f != nil {
		return f
	}
	return def
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}

// handshake drives the protocol from the parent's side (see sync.go).
func (b *builder) handshake(p *parentConn) error {
	pid := b.proc.Pid
	// createRuntime and createContainer run while the container is "creating" (spec 1.3.0);
	// the deprecated prestart sees "created", which is what the OCI validation suite checks.
	// Hooks get the config's annotations verbatim (the suite compares them); the sandbox path is
	// added for `state` only.
	hookState := specs.State{
		Version: specs.Version, ID: b.o.ID, Status: specs.StateCreating, Pid: pid,
		Bundle: b.bundle, Annotations: b.spec.Annotations,
	}
	cfg := &initConfig{
		Spec: b.spec, Rootfs: b.rootfs, NoPivot: b.o.NoPivot, CgroupPaths: b.cg.Paths(),
		State: hookState, Debug: b.rt.Debug, Overlay: b.o.Overlay, Progress: b.o.Progress != nil,
		Jail: b.iso.Jail,
	}
	if err := p.SendConfig(cfg); err != nil {
		return err
	}
	for {
		t, fd, err := p.Next()
		if err != nil {
			return err
		}
		switch t {
		case msgConsole:
			if err := b.takeConsole(fd); err != nil {
				return err
			}
		case msgHooks:
			if h := b.spec.Hooks; h != nil {
				// prestart is deprecated but still runs, before createRuntime, as runc does.
				pre := hookState
				pre.Status = specs.StateCreated
				if err := hooks.Run(context.Background(), "prestart", h.Prestart, &pre); err != nil {
					return err
				}
				if err := hooks.Run(context.Background(), "createRuntime", h.CreateRuntime, &hookState); err != nil {
					return err
				}
			}
			if err := p.SendHooksDone(); err != nil {
				return err
			}
		case msgReady:
			if err := b.ready(pid); err != nil {
				return err
			}
			if err := p.SendReadyAck(); err != nil {
				return err
			}
		case msgSeccomp:
			st := hookState
			st.Status = specs.StateCreated
			err := sendSeccompListener(b.spec, st, pid, fd)
			fd.Close()
			if err != nil {
				return err
			}
		case msgEOF:
			return nil
		}
	}
}

// takeConsole passes the pty master on to --console-socket, or keeps it for run to proxy.
func (b *builder) takeConsole(master *os.File) error {
	if b.o.ConsoleSocket == "" {
		b.console = master
		return nil
	}
	defer master.Close()
	return sendConsole(b.o.ConsoleSocket, master)
}

// ready runs while init waits, its setup done but privileges not yet dropped.
func (b *builder) ready(pid int) error {
	if err := b.applyResources(); err != nil {
		return err
	}
	if b.spec.Process != nil {
		if err := applyRlimits(pid, b.spec.Process.Rlimits); err != nil {
			return err
		}
	}
	ps, err := proc.ReadStat(pid)
	if err != nil {
		return fmt.Errorf("read init start time: %w", err)
	}
	b.st = &state.State{
		State: specs.State{
			Version: specs.Version, ID: b.o.ID, Status: specs.StateCreated, Pid: pid,
			Bundle: b.bundle, Annotations: stateAnnotations(b.spec, b.sandbox),
		},
		InitStartTime: ps.StartTime,
		Created:       time.Now().UTC(),
		Rootfs:        b.rootfs,
		CgroupPaths:   b.cg.Paths(),
	}
	b.st.Extra = map[string]string{}
	if b.notifySocket != "" {
		b.st.Extra[extraNotifySocket] = b.notifySocket
	}
	if b.o.Overlay != nil {
		b.st.Extra[extraOverlayUpper] = b.o.Overlay.Upper
	}
	if b.o.CgroupGroup {
		b.st.Extra[extraCgroupGroup] = "true"
	}
	if c, ok := b.cg.(cgroups.Created); ok && len(c.Created()) > 0 {
		// Parents create made (containerd's "/default" of "/default/<id>") are removed by the
		// delete that removes the container's own cgroup: remember them.
		b.st.Extra[extraCgroupCreated] = strings.Join(c.Created(), "\n")
	}
	if err := b.startMonitor(); err != nil {
		return err
	}
	if err := b.dir.Save(b.st); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

func (b *builder) killInit() {
	if b.console != nil {
		b.console.Close()
		b.console = nil
	}
	if b.proc == nil {
		return
	}
	_ = b.proc.Kill()
	_, _ = b.proc.Wait()
}

// undo removes everything a failed create made: process, monitor, cgroup, pid file, sandbox
// and state dir.
func (b *builder) undo() {
	b.killInit()
	if b.monitor != nil {
		_ = b.monitor.Kill()
	}
	if b.madeSandbox && b.sandbox != nil {
		removeSandbox(b.rt.WorkDir, b.sandbox)
	}
	if b.cg != nil {
		if err := b.cg.Destroy(); err != nil {
			b.rt.Log.Warn("remove cgroup after failed create", "err", err)
		}
	}
	if b.o.PidFile != "" && b.proc != nil {
		_ = os.Remove(b.o.PidFile)
	}
	if err := b.dir.Remove(); err != nil {
		b.rt.Log.Warn("remove state dir after failed create", "err", err)
	}
}

// writePidFile writes atomically, so a client polling the file never reads half a number.
func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// replayLogs copies init's JSON log lines into the runtime's logger at their own level; lines
// init marked as progress go to progress instead, when there is one.
func replayLogs(log *slog.Logger, r io.Reader, progress func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e struct {
			Level    string `json:"level"`
			Msg      string `json:"msg"`
			Progress bool   `json:"progress"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			log.Info(sc.Text(), "source", "init")
			continue
		}
		if e.Progress && progress != nil {
			progress(e.Msg)
			continue
		}
		var lvl slog.Level
		if e.Level == "warning" {
			lvl = slog.LevelWarn
		} else if lvl.UnmarshalText([]byte(e.Level)) != nil {
			lvl = slog.LevelInfo
		}
		log.Log(context.Background(), lvl, e.Msg, "source", "init")
	}
}
