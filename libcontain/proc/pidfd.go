package proc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// OpenPidfd is pidfd_open(2) of pid, with the error a process that is gone gives (ESRCH) also
// for one that is going: while the kernel releases an exiting process, its pid still resolves
// but no longer leads a thread group, and pidfd_open fails with EINVAL. A `delete --force` that
// has just killed the cgroup met that window in the v2 VM ("pidfd_open: invalid argument").
func OpenPidfd(pid int) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	return fd, goneErr(pid, err)
}

// goneErr is OpenPidfd's error mapping: EINVAL for a pid that can name a process is ESRCH.
func goneErr(pid int, err error) error {
	if pid > 0 && errors.Is(err, unix.EINVAL) {
		return unix.ESRCH
	}
	return err
}
