package libcontain

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/spec"
)

// ExecOpts are `exec`'s flags.
type ExecOpts struct {
	Process       *specs.Process
	Detach        bool
	PidFile       string
	ConsoleSocket string
	// PreserveFds: the caller's fds 3..3+PreserveFds-1 go into the process as they are.
	PreserveFds int
}

// Exec starts another process in a created or running container: in all of its namespaces
// (joined through a pidfd before the Go runtime starts, see package nsenter) and its cgroup,
// under its seccomp profile and jail. Detached it returns once the process runs; otherwise it
// waits and returns the process's exit code (128+N when killed by signal N).
func (c *Container) Exec(o ExecOpts) (int, error) {
	p := o.Process
	if p == nil || len(p.Args) == 0 {
		return -1, errors.New("exec: no command given")
	}
	if p.Terminal && o.Detach && o.ConsoleSocket == "" {
		return -1, errors.New("cannot allocate tty if contain will detach without setting console socket")
	}
	if !p.Terminal && o.ConsoleSocket != "" {
		return -1, errors.New("cannot use console socket if contain will not detach or allocate tty")
	}
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return -1, err
	}
	st, err := loadState(d)
	if err == nil {
		switch status := deriveStatus(d, st); status {
		case Running, Created:
			st.Status = specs.ContainerState(status)
		case Paused:
			err = errors.New("cannot exec in a paused container")
		default:
			err = ErrNotRunning
		}
	}
	var cfg *specs.Spec
	if err == nil {
		if cfg, err = d.LoadConfig(); err != nil {
			err = fmt.Errorf("load config: %w", err)
		}
	}
	d.Close() // a long foreground exec must not keep delete waiting for the lock
	if err != nil {
		return -1, err
	}
	iso, err := spec.ParseAnnotations(cfg.Annotations)
	if err != nil {
		return -1, err
	}
	execSpec := *cfg
	execSpec.Process = p
	if execSpec.Linux == nil {
		execSpec.Linux = &specs.Linux{}
	}

	preserved, err := preservedFiles(o.PreserveFds)
	if err != nil {
		return -1, err
	}
	x := &execer{rt: c.rt, o: o, spec: &execSpec, initPid: st.Pid, cgroupPaths: st.CgroupPaths, jail: iso.Jail, preserved: preserved, state: st.State}
	proc, console, err := x.start()
	if err != nil {
		return -1, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, proc.Pid); err != nil {
			_ = proc.Kill()
			return -1, err
		}
	}
	if o.Detach {
		_ = proc.Release()
		return 0, nil
	}
	return waitProcess(proc, console)
}

type execer struct {
	rt          *Runtime
	o           ExecOpts
	spec        *specs.Spec
	initPid     int
	cgroupPaths map[string]string
	jail        bool
	preserved   []*os.File  // --preserve-fds: init's first extra files
	state       specs.State // the container's, for a seccomp agent
}

func (x *execer) start() (proc *os.Process, console *os.File, err error) {
	exe, err := sealedSelf(len(x.preserved))
	if err != nil {
		return nil, nil, err
	}
	defer exe.Close()
	parentSock, childSock, err := newSocketPair()
	if err != nil {
		return nil, nil, err
	}
	defer parentSock.Close()
	logR, logW, err := os.Pipe()
	if err != nil {
		childSock.Close()
		return nil, nil, fmt.Errorf("log pipe: %w", err)
	}
	logDone := make(chan struct{})
	go func() { replayLogs(x.rt.Log, logR, nil); logR.Close(); close(logDone) }()
	defer func() { <-logDone }()
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
		Args:        []string{"contain", "init"},
		Env:         preservedEnv(len(x.preserved)),
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		ExtraFiles:  append(x.preserved, childSock, logW), // then initSyncFd, initLogFd
		SysProcAttr: &syscall.SysProcAttr{},
	}
	if dir, ok := x.cgroupPaths[""]; ok && len(x.cgroupPaths) == 1 {
		cgfd, err := os.Open(dir)
		if err != nil {
			childSock.Close()
			logW.Close()
			return nil, nil, fmt.Errorf("open cgroup: %w", err)
		}
		defer cgfd.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(cgfd.Fd())
	}
	h, err := nsenter.Prepare(cmd, nsenter.Request{Pid: x.initPid})
	if err != nil {
		childSock.Close()
		logW.Close()
		return nil, nil, fmt.Errorf("join the container's namespaces: %w", err)
	}
	err = cmd.Start()
	childSock.Close()
	logW.Close()
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("start exec: %w", err)
	}
	proc = cmd.Process
	fail := func(err error) (*os.Process, *os.File, error) {
		_ = proc.Kill()
		_, _ = proc.Wait()
		if console != nil {
			console.Close()
		}
		return nil, nil, err
	}
	pid, err := h.Wait()
	if err != nil {
		_ = cmd.Wait()
		return nil, nil, fmt.Errorf("join the container's namespaces: %w", err)
	}
	if pid != cmd.Process.Pid {
		_ = cmd.Wait() // nsenter's intermediate process, gone once it forked into the pid namespace
		if proc, err = os.FindProcess(pid); err != nil {
			return nil, nil, err
		}
	}
	if !cmd.SysProcAttr.UseCgroupFD && len(x.cgroupPaths) > 0 {
		m, err := cgroups.Load(x.cgroupPaths)
		if err == nil {
			err = m.Join(pid)
		}
		if err != nil {
			return fail(fmt.Errorf("join cgroup: %w", err))
		}
	}
	pc := newParentExecConn(parentSock, x.spec.Process.Terminal, usesSeccompNotify(x.spec))
	cfg := &initConfig{Spec: x.spec, Exec: true, Jail: x.jail, Debug: x.rt.Debug, CgroupPaths: x.cgroupPaths}
	if err := pc.SendConfig(cfg); err != nil {
		return fail(err)
	}
	for {
		t, fd, err := pc.Next()
		if err != nil {
			return fail(err)
		}
		switch t {
		case msgConsole:
			if x.o.ConsoleSocket != "" {
				err = sendConsole(x.o.ConsoleSocket, fd)
				fd.Close()
				if err != nil {
					return fail(err)
				}
			} else {
				console = fd
			}
		case msgReady:
			if err := applyRlimits(pid, x.spec.Process.Rlimits); err != nil {
				return fail(err)
			}
			if err := pc.SendReadyAck(); err != nil {
				return fail(err)
			}
		case msgSeccomp:
			err := sendSeccompListener(x.spec, x.state, pid, fd)
			fd.Close()
			if err != nil {
				return fail(err)
			}
		case msgEOF:
			return proc, console, nil
		}
	}
}

// waitProcess is a foreground exec's wait: signals forwarded, the terminal proxied.
func waitProcess(proc *os.Process, console *os.File) (int, error) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	c := &Container{init: proc, console: console}
	return c.waitOnly(sigs)
}
