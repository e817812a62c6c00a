package fs1

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// NotifyOOM returns an eventfd the kernel signals each time the container's memory cgroup runs
// out of memory, whether or not the OOM killer then kills (with memory.oom_control's
// oom_kill_disable set it does not, and the tasks wait): the v1 memory controller's
// notification API, registered through cgroup.event_control as "<eventfd> <oom_control fd>".
// The kernel also signals it once when the cgroup is removed. A read returns how many events
// came since the last one. The fd is non-blocking, so the Go runtime polls it and Close ends
// a pending Read.
func (m *Manager) NotifyOOM() (*os.File, error) {
	dir, ok := m.paths["memory"]
	if !ok {
		return nil, errors.New("memory controller is not mounted")
	}
	ctl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, fmt.Errorf("open memory.oom_control: %w", err)
	}
	defer ctl.Close()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	line := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(line), 0); err != nil {
		ev.Close()
		return nil, fmt.Errorf("register OOM notification: %w", err)
	}
	return ev, nil
}
