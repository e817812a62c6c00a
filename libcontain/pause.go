package libcontain

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/contain-runtime/contain/libcontain/cgroups"
)

// Pause freezes every process of a running container (freezer v1, cgroup.freeze v2).
func (c *Container) Pause() error {
	return c.withCgroup("pause", Running, func(m cgroups.Manager) error { return m.Freeze() })
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	return c.withCgroup("resume", Paused, func(m cgroups.Manager) error { return m.Thaw() })
}

// Pids lists the host pids of every process in the container's cgroup, whatever its status: a
// stopped container has none, unless it shared a pid namespace and left processes behind (runc
// lists those too).
func (c *Container) Pids() ([]int, error) {
	d, st, err := c.open(false)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if len(st.CgroupPaths) == 0 {
		return nil, nil
	}
	m, err := cgroups.Load(st.CgroupPaths)
	if err != nil {
		return nil, fmt.Errorf("load cgroup: %w", err)
	}
	pids, err := m.Pids()
	if errors.Is(err, fs.ErrNotExist) && statusOf(d, st) == Stopped {
		return nil, nil
	}
	return pids, err
}

// withCgroup runs fn on the container's cgroup while holding its lock, if its status is want
// (any status but stopped when want is empty).
func (c *Container) withCgroup(action string, want Status, fn func(cgroups.Manager) error) error {
	d, st, err := c.open(true)
	if err != nil {
		return err
	}
	defer d.Close()
	status := statusOf(d, st)
	if (want != "" && status != want) || status == Stopped {
		if status == Stopped {
			return ErrNotRunning
		}
		return statusError(action, status)
	}
	m, err := loadCgroup(st)
	if err != nil {
		return fmt.Errorf("load cgroup: %w", err)
	}
	if m == nil {
		return errNoCgroup
	}
	return fn(m)
}
