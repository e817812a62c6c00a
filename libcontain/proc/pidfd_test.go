package proc

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGoneErr: EINVAL for a real pid (an exiting process) reads as ESRCH; EINVAL for a pid that
// names nothing, and other errors, stay as they are.
func TestGoneErr(t *testing.T) {
	for _, tc := range []struct {
		pid       int
		err, want error
	}{
		{42, unix.EINVAL, unix.ESRCH},
		{42, unix.ESRCH, unix.ESRCH},
		{42, unix.EMFILE, unix.EMFILE},
		{42, nil, nil},
		{0, unix.EINVAL, unix.EINVAL},
		{-1, unix.EINVAL, unix.EINVAL},
	} {
		if got := goneErr(tc.pid, tc.err); !errors.Is(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("goneErr(%d, %v) = %v, want %v", tc.pid, tc.err, got, tc.want)
		}
	}
}

// TestOpenPidfd: a live process gives a pidfd; a pid with no process gives ESRCH.
func TestOpenPidfd(t *testing.T) {
	fd, err := OpenPidfd(os.Getpid())
	if err != nil {
		t.Fatalf("own pid: %v", err)
	}
	unix.Close(fd)
	// pid_max is at most 2^22: this pid names no process.
	if _, err := OpenPidfd(1 << 23); !errors.Is(err, unix.ESRCH) {
		t.Errorf("pid 2^23: %v, want ESRCH", err)
	}
}
