package fs1

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
)

const freezerState = "freezer.state"

func (m *Manager) freezerDir() (string, error) {
	dir, ok := m.paths["freezer"]
	if !ok {
		return "", errors.New("freezer controller is not mounted")
	}
	return dir, nil
}

// Freeze stops every task in the cgroup. The v1 freezer reports FREEZING until all tasks are
// stopped; writing FROZEN again retries tasks the kernel could not freeze yet. If it does not
// settle the cgroup is thawed again so it is not left half frozen.
func (m *Manager) Freeze() error {
	dir, err := m.freezerDir()
	if err != nil {
		return err
	}
	err = m.setState(dir, "FROZEN")
	if err != nil {
		if terr := m.setState(dir, "THAWED"); terr != nil {
			return errors.Join(err, terr)
		}
	}
	return err
}

// Thaw resumes the cgroup's tasks.
func (m *Manager) Thaw() error {
	dir, err := m.freezerDir()
	if err != nil {
		return err
	}
	return m.setState(dir, "THAWED")
}

func (m *Manager) setState(dir, want string) error {
	return cgfs.Settle(fmt.Sprintf("set %s to %s", freezerState, want), func() (bool, error) {
		if err := cgfs.Write(dir, freezerState, want); err != nil {
			return false, err
		}
		got, err := cgfs.Read(dir, freezerState)
		if err != nil {
			return false, err
		}
		return got == want, nil
	})
}

// Frozen reports whether the cgroup is frozen (FREEZING counts as not yet frozen).
func (m *Manager) Frozen() (bool, error) {
	dir, err := m.freezerDir()
	if err != nil {
		return false, err
	}
	s, err := cgfs.Read(dir, freezerState)
	if err != nil {
		return false, err
	}
	return s == "FROZEN", nil
}

// KillAll signals every task. The cgroup is frozen while its pids are listed and signalled so
// that no task can fork a child we would miss; a SIGKILL to a frozen task takes effect on thaw.
// Without a freezer the tasks are signalled as they are.
func (m *Manager) KillAll(sig unix.Signal) error {
	if dir, err := m.freezerDir(); err == nil {
		// A freeze that does not settle still narrows the race; signal anyway. A container
		// that was paused stays paused, unless the signal is SIGKILL, which a frozen task
		// only acts on once thawed.
		was, _ := m.Frozen()
		_ = m.setState(dir, "FROZEN")
		if !was || sig == unix.SIGKILL {
			defer func() { _ = m.setState(dir, "THAWED") }()
		}
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	return cgfs.SignalAll(pids, sig)
}
