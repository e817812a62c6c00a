package libcontain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/namespaces"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

// Delete removes a stopped container: cgroups, state, then poststop hooks. A container that is
// not stopped is an error unless force, which kills it first (spec 1.3.0: deleting a container
// that is not stopped MUST fail).
func (c *Container) Delete(force bool) error {
	c.rt.Log.Debug("delete", "id", c.ID, "force", force)
	d, err := c.rt.openDir(c.ID, true)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := d.Load()
	if errors.Is(err, os.ErrNotExist) {
		// A dir without state: a create that died half-way. Undo what its record names.
		return c.undoHalfCreated(d)
	}
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	status := statusOf(d, st)
	if status != Stopped {
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %s", c.ID, status)
		}
		if err := killAndWait(st); err != nil {
			return err
		}
	}
	// What init's death did not take with it (no pid namespace of its own) is killed by destroy
	// before the cgroup is removed (emptyCgroup), as runc does.
	return c.destroy(d, st)
}

// killAndWait kills every process of the container and waits for init to be gone.
func killAndWait(st *state.State) error {
	if m, err := loadCgroup(st); err == nil && m != nil {
		_ = m.Thaw() // a frozen task cannot die
		_ = m.KillAll(unix.SIGKILL)
	}
	pidfd, err := proc.OpenPidfd(st.Pid)
	if err != nil {
		return nil // already gone
	}
	defer unix.Close(pidfd)
	if err := signalInit(st, unix.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	// A pidfd polls readable once the process has exited.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, 100)
		if err == nil && n > 0 {
			return nil
		}
	}
	return fmt.Errorf("container init %d did not exit after SIGKILL", st.Pid)
}

func (c *Container) destroy(d *state.Dir, st *state.State) error {
	var errs []error
	stopMonitor(st)
	if len(st.CgroupPaths) > 0 {
		m, err := loadCgroup(st)
		if err == nil {
			// Init is gone, but without a pid namespace of their own its children are not:
			// they would keep the cgroup busy. runc kills them too.
			err = emptyCgroup(m)
		}
		if err == nil {
			err = m.Destroy()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
		if err == nil && st.Extra[extraCgroupGroup] == "true" {
			// The shared group goes with its last member: rmdir fails while another uses it.
			for _, p := range st.CgroupPaths {
				_ = unix.Rmdir(filepath.Dir(p))
			}
		}
	}
	cfg, cfgErr := c.loadConfig(d)
	if cfgErr == nil && (cfg.Linux == nil || !namespaces.Lists(cfg.Linux.Namespaces, specs.MountNamespace)) && st.Rootfs != "" {
		// Without a mount namespace of its own the container mounted into ours: take it back.
		if err := rootfs.UnmountShared(st.Rootfs); err != nil {
			errs = append(errs, fmt.Errorf("unmount container mounts: %w", err))
		}
	}
	if len(errs) > 0 {
		// Keep the state: it is what lets a later delete find and remove the rest.
		return errors.Join(errs...)
	}
	// The sandbox before the state: a delete killed in between must leave something that says
	// where the sandbox is.
	c.rt.Log.Debug("delete: cgroup removed")
	if sb := st.Annotations[spec.AnnotationSandbox]; sb != "" {
		sandbox.RemoveIfEmpty(sb)
	}
	if err := d.Remove(); err != nil {
		errs = append(errs, fmt.Errorf("remove state: %w", err))
	}
	c.rt.Log.Debug("delete: sandbox and state dir removed")
	if cfgErr == nil && cfg.Hooks != nil && len(cfg.Hooks.Poststop) > 0 {
		hs := st.State
		hs.Status = "stopped"
		hs.Annotations = cfg.Annotations
		hs.Pid = 0
		// poststop failures are warnings: the container is gone either way (spec 1.3.0).
		for _, err := range hooks.RunAll(context.Background(), "poststop", cfg.Hooks.Poststop, &hs, timerslack.Caller()) {
			c.rt.Log.Warn(err.Error())
		}
	}
	return errors.Join(errs...)
}

// emptyCgroup kills whatever still runs in the container's cgroup and waits (bounded) until it
// is empty.
func emptyCgroup(m cgroups.Manager) error {
	pids, err := m.Pids()
	if err != nil || len(pids) == 0 {
		return nil // a missing cgroup is Destroy's to judge
	}
	_ = m.Thaw() // a frozen task cannot die
	_ = m.KillAll(unix.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := m.Pids()
		if err != nil || len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of the container outlived SIGKILL", pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
