package fs2

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
)

// Freeze writes 1 to cgroup.freeze (kernel 5.2+) and waits for cgroup.events to report
// "frozen 1": the freeze completes asynchronously, once every task has stopped. If it does not
// settle, the cgroup is thawed again.
func (m *Manager) Freeze() error {
	err := m.setFrozen(true)
	if err != nil {
		if terr := m.setFrozen(false); terr != nil {
			return errors.Join(err, terr)
		}
	}
	return err
}

// Thaw writes 0 to cgroup.freeze and waits for "frozen 0".
func (m *Manager) Thaw() error { return m.setFrozen(false) }

func (m *Manager) setFrozen(frozen bool) error {
	want := "0"
	if frozen {
		want = "1"
	}
	if err := cgfs.Write(m.dir, "cgroup.freeze", want); err != nil {
		return err
	}
	return cgfs.Settle("set cgroup.freeze to "+want, func() (bool, error) {
		s, err := cgfs.Read(m.dir, "cgroup.events")
		if err != nil {
			return false, err
		}
		return eventValue(s, "frozen") == want, nil
	})
}

// eventValue returns the value of key in a flat-keyed file's text.
func eventValue(s, key string) string {
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Frozen reports whether the cgroup was asked to freeze (cgroup.freeze is 1). It does not
// report a freeze inherited from a parent: only our own pause makes a container "paused".
func (m *Manager) Frozen() (bool, error) {
	s, err := cgfs.Read(m.dir, "cgroup.freeze")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	return s == "1", nil
}

// KillAll signals every task. For SIGKILL, cgroup.kill (kernel 5.14+) kills the whole subtree in
// the kernel, with no race against forks. Otherwise the cgroup is frozen while its pids are
// listed and signalled, then thawed.
func (m *Manager) KillAll(sig unix.Signal) error {
	if sig == unix.SIGKILL && cgfs.Exists(m.dir, "cgroup.kill") {
		if err := cgfs.Write(m.dir, "cgroup.kill", "1"); err != nil {
			return fmt.Errorf("kill cgroup %s: %w", m.dir, err)
		}
		return nil
	}
	if cgfs.Exists(m.dir, "cgroup.freeze") {
		// A freeze that does not settle still narrows the race; signal anyway. A container
		// that was paused stays paused, unless the signal is SIGKILL, which a frozen task
		// only acts on once thawed.
		was, _ := m.Frozen()
		_ = m.setFrozen(true)
		if !was || sig == unix.SIGKILL {
			defer func() { _ = m.setFrozen(false) }()
		}
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	return cgfs.SignalAll(pids, sig)
}
