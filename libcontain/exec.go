package libcontain

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/nsenter"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// ExecOpts are `exec`'s flags.
type ExecOpts struct {
	Process       *specs.Process
	Detach        bool
	PidFile       string
	ConsoleSocket string
	// PreserveFds: the caller's fds 3..3+PreserveFds-1 go into the process as they are.
	PreserveFds int
	// IgnorePaused lets the process join a paused container; it starts once the container is
	// resumed (runc's --ignore-paused).
	IgnorePaused bool
	// SubCgroups puts the process in existing cgroups below the container's (runc's --cgroup):
	// controller -> path relative to the container's cgroup in that hierarchy; the key "" is
	// every hierarchy (and the one on cgroup v2).
	SubCgroups map[string]string
	// PidfdSocket receives a pidfd of the process once it is set up.
	PidfdSocket string
	// Config is the container's config.json when the caller has read it already (to build
	// Process from it); nil: Exec reads it.
	Config *specs.Spec
	// OnThread, if set, is initproc.BecomeOnThread: the process is then started by a runtime
	// thread where it can be (execthread.go), not by a child. nil: always by a child.
	OnThread ThreadSetup
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
	// The binary is sealed while the state and config are read, when the child will need it;
	// a process a runtime thread starts needs none (execthread.go), and one that turns out to
	// need the child after all is sealed then, before the launch.
	warmPidfdProbe()
	var seal *pendingSeal
	if childLikely(o) {
		seal = sealAhead(c.rt.Log, c.rt.Store.Root, o.PreserveFds, "")
	}
	defer func() {
		if seal != nil {
			seal.discard()
		}
	}()
	d, err := c.rt.openDir(c.ID, false)
	if err != nil {
		return -1, err
	}
	st, err := loadState(d)
	if err == nil {
		switch status := statusOf(d, st); status {
		case Running, Created:
			st.Status = specs.ContainerState(status)
		case Paused:
			if o.IgnorePaused {
				st.Status = specs.ContainerState(status)
			} else {
				err = ErrExecPaused
			}
		default:
			err = ErrExecStopped
		}
	}
	cfg := o.Config
	if err == nil && cfg == nil {
		if cfg, err = d.LoadConfig(); err != nil {
			err = fmt.Errorf("load config: %w", err)
		}
	}
	d.Close() // a long foreground exec must not keep delete waiting for the lock
	if err != nil {
		return -1, err
	}
	c.rt.Log.Debug("exec: state and config loaded", "id", c.ID)
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
	var cg cgroups.Manager
	switch {
	case len(o.SubCgroups) == 0:
		// The container's own cgroup, whichever driver made it (none: rootless without
		// delegation).
		if cg, err = loadCgroup(st); err != nil {
			return -1, fmt.Errorf("join cgroup: %w", err)
		}
	case len(st.CgroupPaths) > 0:
		paths, err := subCgroupPaths(st.CgroupPaths, o.SubCgroups)
		if err != nil {
			return -1, err
		}
		if cg, err = cgroups.Load(paths); err != nil {
			return -1, fmt.Errorf("join cgroup: %w", err)
		}
	default:
		return -1, errors.New("exec --cgroup: the container has no cgroup")
	}
	// A container whose pids limit is used up cannot take one more process, and the runtime's
	// part that joins it is one (with the Go runtime's threads): it would die in pthread_create
	// with a crash dump on the caller's stderr (issue 16, through podman). Refuse before
	// anything starts, with one line that says why.
	var limitHits uint64
	if cg != nil {
		if p, err := cg.PidsStats(); err == nil {
			if err := pidsFull(c.ID, p); err != nil {
				return -1, err
			}
			limitHits = p.LimitHits
		}
	}
	setup, err := processSetup(c.rt.Log, &execSpec, p, false)
	if err != nil {
		return -1, err
	}
	affinity, err := spec.ParseCPUAffinity(p.ExecCPUAffinity)
	if err != nil {
		return -1, err
	}
	if proc, ok, err := c.execOnThread(o.OnThread, &execSpec, iso.Jail, st, cg, setup, affinity, preserved); ok {
		if err != nil {
			if perr := c.filledWhileJoining(cg, limitHits); perr != nil {
				return -1, perr
			}
			var ee *execveError
			if errors.As(err, &ee) && !o.Detach {
				// What the child way prints and exits with (initproc's execve).
				fmt.Fprintln(os.Stderr, err)
				return protocol.ExecFailedStatus, nil
			}
			return -1, err
		}
		return c.execStarted(o, proc, nil)
	}
	if seal == nil {
		seal = sealAhead(c.rt.Log, c.rt.Store.Root, o.PreserveFds, "")
	}
	filters, err := seccompFilters(&execSpec, iso.Jail)
	if err != nil {
		return -1, err
	}
	var console *os.File
	l := &launcher{
		kind: protocol.KindExec, log: c.rt.Log, sealed: seal, preserved: preserved,
		join: &nsenter.Request{Pid: st.Pid}, cg: cg, affinity: affinity,
		config: func(int) *protocol.InitConfig {
			return &protocol.InitConfig{Spec: specForInit(&execSpec), Exec: true, Seccomp: filters, Debug: c.rt.Debug, CgroupPaths: st.CgroupPaths, Setup: setup, TimerSlack: timerslack.Caller()}
		},
	}
	l.handlers = handlers{
		console: consoleTo(o.ConsoleSocket, &console),
		ready:   func() error { return applyRlimits(l.pid, p.Rlimits) },
		seccomp: func(listener *os.File) error {
			return sendSeccompListener(&execSpec, st.State, l.pid, listener)
		},
	}
	proc, err := l.launch()
	if err != nil {
		if console != nil {
			console.Close()
		}
		if perr := c.filledWhileJoining(cg, limitHits); perr != nil {
			return -1, perr
		}
		return -1, err
	}
	return c.execStarted(o, proc, console)
}

// childLikely: what is known before the state is read says the process will go through the
// child (threadExecBlocker has the whole rule): no thread setup to use, a terminal, or a seccomp
// profile in the config the caller read.
func childLikely(o ExecOpts) bool {
	return o.OnThread == nil || o.Process.Terminal || o.Config == nil ||
		o.Config.Linux != nil && o.Config.Linux.Seccomp != nil
}

// execStarted hands out the started process (--pidfd-socket, --pid-file) and, unless detached,
// waits for it.
func (c *Container) execStarted(o ExecOpts, proc *os.Process, console *os.File) (int, error) {
	if o.PidfdSocket != "" {
		if err := sendPidfd(o.PidfdSocket, proc.Pid); err != nil {
			_ = proc.Kill()
			return -1, err
		}
	}
	if o.PidFile != "" {
		if err := state.WriteFile(o.PidFile, []byte(strconv.Itoa(proc.Pid)), 0o644); err != nil {
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

// filledWhileJoining is the error for an exec that failed because the container reached its
// pids limit while the process joined it (the limit was hit more often than limitHits, read
// before): say that, not how the fork or our child failed. nil otherwise.
func (c *Container) filledWhileJoining(cg cgroups.Manager, limitHits uint64) error {
	if cg == nil {
		return nil
	}
	if p, err := cg.PidsStats(); err == nil && p.LimitHits > limitHits && pidsLimited(p) {
		return fmt.Errorf("container %s reached its pids limit (pids.max %d) while the process was joining it", c.ID, p.Limit)
	}
	return nil
}

// waitProcess is a foreground exec's wait: signals forwarded, the terminal proxied.
func waitProcess(proc *os.Process, console *os.File) (int, error) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer stopAfterReturn(sigs)
	c := &Container{init: proc, console: console}
	return c.waitOnly(sigs)
}

// pidsLimited: the cgroup has a pids limit (stats report an unlimited one as MaxUint64).
func pidsLimited(p stats.PidsStats) bool { return p.Limit > 0 && p.Limit != math.MaxUint64 }

// pidsFull is the error for a container with no pids left to give.
func pidsFull(id string, p stats.PidsStats) error {
	if !pidsLimited(p) || p.Current < p.Limit {
		return nil
	}
	return fmt.Errorf("container %s is at its pids limit (pids.max %d, pids.current %d): no process can join it", id, p.Limit, p.Current)
}

// subCgroupPaths is where exec --cgroup puts the process: the container's cgroup paths with the
// requested ones moved to a sub-cgroup, which must stay below the container's (as runc checks).
// The cgroups must exist already: the process joining one that does not fails.
func subCgroupPaths(paths, sub map[string]string) (map[string]string, error) {
	if len(sub) == 0 {
		return paths, nil
	}
	out := make(map[string]string, len(paths))
	for ctrl, base := range paths {
		out[ctrl] = base
	}
	set := func(ctrl, base, rel string) error {
		p := path.Join(base, rel)
		if p != base && !strings.HasPrefix(p, base+"/") {
			return fmt.Errorf("exec --cgroup: bad sub cgroup path: %s", rel)
		}
		out[ctrl] = p
		return nil
	}
	if rel, ok := sub[""]; ok {
		for ctrl, base := range paths {
			if err := set(ctrl, base, rel); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for ctrl, rel := range sub {
		base, ok := paths[ctrl]
		if !ok {
			return nil, fmt.Errorf("exec --cgroup: unknown controller %s", ctrl)
		}
		if err := set(ctrl, base, rel); err != nil {
			return nil, err
		}
	}
	return out, nil
}
