package libcontain

import (
	"fmt"

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

// Pids lists the host pids of every process in the container.
func (c *Container) Pids() ([]int, error) {
	var pids []int
	err := c.withCgroup("ps", "", func(m cgroups.Manager) (err error) {
		pids, err = m.Pids()
		return err
	})
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
	m, err := cgroups.Load(st.CgroupPaths)
	if err != nil {
		return fmt.Errorf("load cgroup: %w", err)
	}
	return fn(m)
}
