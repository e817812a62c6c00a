package initproc

import (
	"context"
	"fmt"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/rootfs"
)

// mountSource gets bind source number index from the runtime (rootfs.Config.Sources).
func (in *initProc) mountSource(index int) (*rootfs.MountSource, error) {
	f, detached, err := in.c.MountSource(index)
	if err != nil {
		return nil, fmt.Errorf("get bind source from the runtime: %w", err)
	}
	return &rootfs.MountSource{File: f, Detached: detached}, nil
}

// create is init's ordered setup of a new container; it returns the failing step's name with its
// error.
func (in *initProc) create() (string, error) {
	s, cfg := in.cfg.Spec, in.cfg
	nss := s.Linux.Namespaces
	rc := &rootfs.Config{
		Spec: s, Rootfs: cfg.Rootfs, NoPivot: cfg.NoPivot, CgroupPaths: cfg.CgroupPaths, Log: in.log,
		UserNS: namespaces.IsNew(nss, specs.UserNamespace), Overlay: cfg.Overlay, Progress: in.progress,
		Sources: in.mountSource,
	}
	in.log.Debug("init: setting up the container", "pid", os.Getpid())
	if namespaces.IsNew(nss, specs.TimeNamespace) {
		if op, err := newTimeNamespace(cfg.Setup.TimeOffsets); err != nil {
			return op, err
		}
	}
	// Namespaces given by path were joined before the Go runtime started (package nsenter).
	// The parent has put us in the container's cgroups before sending the config: a new cgroup
	// namespace made now is rooted there.
	if namespaces.IsNew(nss, specs.CgroupNamespace) {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return "create cgroup namespace", os.NewSyscallError("unshare", err)
		}
	}
	if namespaces.IsNew(nss, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return "bring up loopback", err
		}
	}
	// New or joined by path: runc sets the names in a joined UTS namespace too (the spec asks
	// for them; validation refuses them without a UTS namespace of the container's own).
	if namespaces.Lists(nss, specs.UTSNamespace) {
		if s.Hostname != "" {
			in.progress("setting hostname: " + s.Hostname)
			if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
				return "set hostname", os.NewSyscallError("sethostname", err)
			}
		}
		if s.Domainname != "" {
			if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
				return "set domainname", os.NewSyscallError("setdomainname", err)
			}
		}
	}
	in.progress("setting up rootfs: " + cfg.Rootfs)
	in.log.Debug("init: preparing the rootfs", "rootfs", cfg.Rootfs)
	if err := rootfs.Prepare(rc); err != nil {
		return "prepare rootfs", err
	}
	if protocol.RuntimeHooks(s) {
		if err := in.c.Hooks(); err != nil {
			return "wait for runtime hooks", err
		}
	}
	if s.Hooks != nil {
		if err := hooks.Run(context.Background(), "createContainer", s.Hooks.CreateContainer, &cfg.State, cfg.TimerSlack); err != nil {
			return "run createContainer hooks", err
		}
	}
	in.log.Debug("init: pivoting to the rootfs")
	if err := rootfs.Pivot(rc); err != nil {
		return "pivot root", err
	}
	if s.Process.Terminal {
		if op, err := in.console(true); err != nil {
			return op, err
		}
	}
	if err := writeSysctls(s.Linux.Sysctl); err != nil {
		return "set sysctl", err
	}
	if err := rootfs.Finish(rc); err != nil {
		return "finish rootfs", err
	}
	path, op, err := in.finishSetup()
	if err != nil {
		return op, err
	}
	// Block until `start` opens the read side. The fifo is reached through the O_PATH fd create
	// passed, reopened via the container's /proc (as runc does): no path the container controls
	// is resolved, and it works whatever user we have become (the fifo is 0622).
	fifo, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", in.fifo.Fd()), os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "open exec fifo", err
	}
	if _, err := fifo.Write([]byte{0}); err != nil {
		return "write exec fifo", err
	}
	// fifo stays open until execve closes it (O_CLOEXEC): the EOF `start` then reads tells it the
	// user's process really runs, so poststart hooks run after it, as the spec says. (Kept alive
	// below: once unreferenced, the GC's finalizer could close it before the execve.)
	in.fifo.Close()
	if s.Hooks != nil {
		st := cfg.State
		st.Status = specs.StateCreated
		if err := hooks.Run(context.Background(), "startContainer", withEnv(s.Hooks.StartContainer, in.env), &st, cfg.TimerSlack); err != nil {
			fmt.Fprintln(os.Stderr, "contain:", err)
			os.Exit(1)
		}
	}
	in.execve(path)
	runtime.KeepAlive(fifo)
	return "", nil
}

// withEnv gives the hooks that set no environment of their own env: startContainer hooks run with
// the container process's environment, as runc's always have.
func withEnv(hs []specs.Hook, env []string) []specs.Hook {
	out := make([]specs.Hook, len(hs))
	for i, h := range hs {
		if h.Env == nil {
			h.Env = env
		}
		out[i] = h
	}
	return out
}
