package libcontain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/libcontain/seccomp"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// CreateOpts are the `create` flags.
type CreateOpts struct {
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	// PidfdSocket receives a pidfd of init once it is set up (runc's --pidfd-socket).
	PidfdSocket string
	NoPivot     bool
	// PreserveFds: the caller's fds 3..3+PreserveFds-1 go into the container's process as
	// they are (runc's --preserve-fds; podman passes sockets this way).
	PreserveFds int
	// Foreground: the caller stays to proxy a terminal (run without --detach).
	Foreground bool
	// Keep: a foreground run leaves the stopped container, cgroup and all, for delete.
	Keep bool
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
	// signalsCaught, set by a foreground Run, is closed once its signal handlers are in place:
	// init is not started before, so no signal can end the runtime and leave the container.
	signalsCaught <-chan struct{}
}

// Create sets a container up and leaves its init blocked on exec.fifo until Start. The returned
// Container keeps the init process handle, so `run` can wait for it.
func Create(rt *Runtime, o CreateOpts) (c *Container, err error) {
	if err := state.ValidateID(o.ID); err != nil {
		return nil, err
	}
	// The binary is sealed while the spec is read and checked and while the container's files
	// and cgroup are made (build): the overlay mount takes about as long as those.
	seal := sealAhead(rt.Log, rt.Store.Root, o.PreserveFds, rt.initDir())
	defer seal.discard()
	warmPidfdProbe()
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

	rt.Log.Debug("create: spec loaded and checked", "id", o.ID)
	dir, err := rt.Store.Create(o.ID)
	if errors.Is(err, fs.ErrExist) && rt.removeHalfCreated(o.ID) {
		dir, err = rt.Store.Create(o.ID)
	}
	if errors.Is(err, fs.ErrExist) {
		return nil, ErrExist
	}
	if err != nil {
		return nil, err
	}
	b := &builder{rt: rt, o: o, spec: s, bundle: bundle, rootfs: rootfs, dir: dir, iso: iso, preserved: preserved, seal: seal}
	defer func() {
		if err != nil {
			b.undo()
		}
		dir.Close()
	}()
	if err := b.build(); err != nil {
		return nil, err
	}
	return &Container{rt: rt, ID: o.ID, init: b.proc, console: b.console, progress: o.Progress, onExit: o.OnExit, wantUsage: o.Usage, config: b.spec}, nil
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
	// plannedSandbox is the run dir planSandbox picked, for prepareSandbox to make.
	plannedSandbox *sandbox.Sandbox
	monitor        *os.Process
	closeAfter     []*os.File // sandbox stdio files, handed to init
	preserved      []*os.File // --preserve-fds: init's first extra files
	// notifySocket is the host's NOTIFY_SOCKET, relayed to at start.
	notifySocket string
	// console is the pty master of a terminal container run in the foreground.
	console *os.File
	// hookState is the state hooks get, with init's pid once it runs.
	hookState specs.State
	// rec is what create has said it makes (halfcreate.go), saved before each piece is made;
	// the cgroup and the sandbox are made at once (build), so updates take recMu.
	rec        state.CreateRecord
	recMu      sync.Mutex
	recUnsaved bool // note changed rec after the last save
	// joinCgroups are the v1 dirs init joins itself (startEarly).
	joinCgroups []string
	// setup is what init applies to itself before the process runs.
	setup protocol.ProcessSetup
	// filters are the compiled seccomp filters init loads (jail, profile).
	filters []*seccomp.Filter
	// seal is the sealed binary init starts from, begun by Create.
	seal *pendingSeal
}

func (b *builder) build() error {
	defer func() {
		for _, f := range b.closeAfter {
			f.Close()
		}
	}()
	plan, err := namespaces.PlanInit(b.spec.Linux.Namespaces)
	if err != nil {
		return err
	}
	if needsContain(protocol.KindInit, len(plan.Join) > 0, plan.CloneFlags, b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings) {
		b.seal.useSelf()
	}
	var netns *netnsAhead
	if plan.CloneFlags&unix.CLONE_NEWNET != 0 && plan.CloneFlags&unix.CLONE_NEWUSER == 0 && len(plan.Join) == 0 {
		netns = startNetnsAhead()
		defer netns.discard()
	}
	// The exec fifo is made while the sandbox and the cgroup are planned, recorded in one write
	// (planCgroup's or saveNoted's) before either is made, and, for an early start, the unified
	// dir is made: init needs all of it at its fork.
	type made struct {
		f   *os.File
		err error
	}
	fifoDone := make(chan made, 1)
	go func() {
		f, err := b.makeFifo()
		fifoDone <- made{f, err}
	}()
	cg, early, err := b.planAndStart()
	fm := <-fifoDone
	if fm.f != nil {
		defer fm.f.Close()
	}
	if err == nil {
		err = fm.err
	}
	if err != nil {
		return err
	}
	fifo := fm.f
	// The cgroup is made while the sandbox and the saved config are (and the binary is sealed,
	// since Create began): all are mostly the kernel's work (cgroupfs mkdirs and limit writes,
	// the file system's, a mount), under different locks, and init needs them all before it
	// is sent its config; so are the seccomp filters, compiled. With early, init starts
	// meanwhile too (see startEarly).
	cgDone, filesDone, filtersDone := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() {
		var err error
		b.filters, err = seccompFilters(b.spec, b.iso.Jail)
		filtersDone <- err
	}()
	go func() {
		if cg == nil {
			cgDone <- nil // the systemd driver's unit starts with init; or no cgroup at all
			return
		}
		cgDone <- b.createCgroup(cg)
	}()
	go func() { filesDone <- b.prepareFiles() }()
	var prepErr error
	var prepared sync.Once
	prepare := func() error {
		prepared.Do(func() {
			prepErr = <-filesDone
			for _, done := range []chan error{cgDone, filtersDone} {
				if err := <-done; prepErr == nil {
					prepErr = err
				}
			}
			if prepErr == nil {
				b.rt.Log.Debug("create: sandbox, config and cgroup made")
			}
		})
		return prepErr
	}
	defer func() { _ = prepare() }() // a failed launch must not leave them running under undo
	if !early {
		if err := prepare(); err != nil {
			return err
		}
	}
	if !namespaces.Lists(b.spec.Linux.Namespaces, specs.MountNamespace) {
		// init will mount below the rootfs in our namespace: recorded before it can.
		if err := b.record(func(r *state.CreateRecord) { r.SharedRootfs = b.rootfs }); err != nil {
			return err
		}
	}
	l := &launcher{
		kind: protocol.KindInit, log: b.rt.Log, sealed: b.seal, progress: b.o.Progress,
		stdin: b.o.Stdin, stdout: b.o.Stdout, stderr: b.o.Stderr, preserved: b.preserved, fifo: fifo,
		cloneFlags: plan.CloneFlags, uidMaps: b.spec.Linux.UIDMappings, gidMaps: b.spec.Linux.GIDMappings,
		config: b.initConfig, netns: netns,
		handlers: handlers{
			mountSource: b.mountSource,
			hooks:       b.runtimeHooks,
			console:     consoleTo(b.o.ConsoleSocket, &b.console),
			ready:       b.ready,
			seccomp: func(listener *os.File) error {
				st := b.hookState
				st.Status = specs.StateCreated
				return sendSeccompListener(b.spec, st, b.hookState.Pid, listener)
			},
		},
	}
	// b.cg only once prepare has returned: createCgroup sets it, in its goroutine.
	if early {
		l.cg, l.joinsLate, l.beforeConfig = cg, true, prepare
		b.joinCgroups = cg.(cgroups.LateJoiner).ThreadDirs()
	} else {
		l.cg = b.cg
	}
	if len(plan.Join) > 0 {
		l.join = &nsenter.Request{Namespaces: plan.Join, Unshare: plan.Unshare}
	}
	if b.o.signalsCaught != nil {
		<-b.o.signalsCaught
	}
	if b.proc, err = l.launch(); err != nil {
		return err
	}
	if b.o.PidfdSocket != "" {
		if err := sendPidfd(b.o.PidfdSocket, b.proc.Pid); err != nil {
			return err
		}
	}
	if b.o.PidFile != "" {
		if err := state.WriteFile(b.o.PidFile, []byte(strconv.Itoa(b.proc.Pid)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// makeFifo makes the exec fifo and returns it by an O_PATH fd, for init.
func (b *builder) makeFifo() (*os.File, error) {
	// 0622: init opens it for writing after it has switched to the container's user. The
	// state dir is 0711, so nobody else can list it to find the fifo.
	if err := unix.Mkfifo(b.dir.FifoPath(), 0o622); err != nil {
		return nil, fmt.Errorf("make exec fifo: %w", os.NewSyscallError("mkfifo", err))
	}
	if err := os.Chmod(b.dir.FifoPath(), 0o622); err != nil { // mkfifo honours the umask
		return nil, fmt.Errorf("make exec fifo: %w", err)
	}
	// In a user namespace init is the host uid mapped to the container's root: it must own
	// the fifo to open it for writing.
	if uid, gid := namespaces.HostRoot(b.spec.Linux); uid != 0 || gid != 0 {
		if err := os.Chown(b.dir.FifoPath(), uid, gid); err != nil {
			return nil, fmt.Errorf("chown exec fifo: %w", err)
		}
	}
	// init opens the fifo through this O_PATH fd: it never resolves a path the container could
	// influence, and the fd itself grants neither read nor write.
	fifo, err := os.OpenFile(b.dir.FifoPath(), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo: %w", err)
	}
	return fifo, nil
}

// prepareFiles makes the sandbox, the notify socket's dir and the saved config, and computes
// init's process setup.
func (b *builder) prepareFiles() error {
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
	if b.o.Progress != nil {
		var names []string
		for _, ns := range b.spec.Linux.Namespaces {
			if ns.Path == "" {
				names = append(names, namespaces.ProcName(ns.Type))
			}
		}
		b.o.Progress("creating namespaces: " + strings.Join(names, " "))
	}
	b.setup, err = processSetup(b.rt.Log, b.spec, b.spec.Process, true)
	return err
}

// mountSource opens bind source number index for init (b.hookState.Pid): see openMountSource.
func (b *builder) mountSource(index int) (*rootfs.MountSource, error) {
	src, err := openMountSource(b.hookState.Pid, b.spec, index)
	if err != nil {
		m := b.spec.Mounts[index] // openMountSource checked the index
		return nil, fmt.Errorf("error mounting %q to rootfs at %q: %w", m.Source, m.Destination, err)
	}
	return src, nil
}

// applyResources sets the spec's limits, at the ready rendezvous as runc does: init's own setup
// (the Go runtime's threads, mknod of the default devices) must not be refused by limits meant
// for the container's process — a pids.max of 1 or a tight memory or device rule would kill or
// block the runtime's init instead of governing the container.
func (b *builder) applyResources() error {
	if c, ok := b.cg.(cgroups.Created); ok && b.rec.SystemdUnit != "" && len(c.Created()) > 0 {
		// The unit has started (Join): on v1 the dirs made beside systemd's are known now.
		if err := b.record(func(r *state.CreateRecord) { r.CgroupNew = c.Created() }); err != nil {
			return err
		}
	}
	if b.spec.Linux == nil || b.spec.Linux.Resources == nil || b.cg == nil {
		return nil // no cgroup: a rootless container without delegation (withoutCgroup said so)
	}
	res := b.spec.Linux.Resources
	if b.rt.Rootless {
		res = withoutDevices(res)
	}
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

// initConfig is what init is sent: the spec and where everything goes, and the state its
// hooks get.
func (b *builder) initConfig(pid int) *protocol.InitConfig {
	// createRuntime and createContainer run while the container is "creating" (spec 1.3.0);
	// the deprecated prestart sees "created", which is what the OCI validation suite checks.
	// Hooks get the config's annotations verbatim (the suite compares them); the sandbox path is
	// added for `state` only.
	b.hookState = specs.State{
		Version: specs.Version, ID: b.o.ID, Status: specs.StateCreating, Pid: pid,
		Bundle: b.bundle, Annotations: b.spec.Annotations,
	}
	return &protocol.InitConfig{
		Spec: specForInit(b.spec), Rootfs: b.rootfs, NoPivot: b.o.NoPivot, CgroupPaths: cgroupPaths(b.cg), JoinCgroups: b.joinCgroups,
		State: b.hookState, Debug: b.rt.Debug, Overlay: b.o.Overlay, Progress: b.o.Progress != nil,
		Seccomp: b.filters, Setup: b.setup, TimerSlack: timerslack.Caller(),
	}
}

// runtimeHooks runs the hooks of the runtime's namespace at init's `hooks` rendezvous.
func (b *builder) runtimeHooks() error {
	h := b.spec.Hooks
	if h == nil {
		return nil
	}
	// prestart is deprecated but still runs, before createRuntime, as runc does.
	pre := b.hookState
	pre.Status = specs.StateCreated
	//lint:ignore SA1019 prestart is deprecated but still sent by clients and run by runc
	if err := hooks.Run(context.Background(), "prestart", h.Prestart, &pre, timerslack.Caller()); err != nil {
		return err
	}
	return hooks.Run(context.Background(), "createRuntime", h.CreateRuntime, &b.hookState, timerslack.Caller())
}

// ready runs while init waits, its setup done but privileges not yet dropped.
func (b *builder) ready() error {
	b.rt.Log.Debug("create: init is ready")
	pid := b.hookState.Pid
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
	b.st = &state.State{Summary: state.Summary{
		State: specs.State{
			Version: specs.Version, ID: b.o.ID, Status: specs.StateCreated, Pid: pid,
			Bundle: b.bundle, Annotations: stateAnnotations(b.spec, b.sandbox),
		},
		InitStartTime: ps.StartTime,
		Created:       time.Now().UTC(),
		Rootfs:        b.rootfs,
	}}
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
	if b.cg != nil {
		saveCgroup(b.st, b.cg)
	}
	if err := b.startMonitor(); err != nil {
		return err
	}
	if err := b.dir.Save(b.st); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	b.rt.Log.Debug("create: limits applied, state saved")
	// state.json now names everything the record did.
	return b.dir.DropCreating()
}

// killInit kills init once create has failed, and closes a pty master it sent.
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
