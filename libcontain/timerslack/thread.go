package timerslack

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Restore sets the calling thread's timer slack to ns (0: leaves it as it is). The goroutine
// must be locked to its thread, which is about to fork or exec what is to have that slack.
func Restore(ns uint64) error {
	if ns == 0 {
		return nil
	}
	return os.NewSyscallError("prctl PR_SET_TIMERSLACK", unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0))
}

// StartWith calls start, which forks a child (exec.Cmd.Start, os.StartProcess), on a thread
// whose slack is ns for the fork, so that the child begins with ns, and then puts the thread's
// own slack back. ns 0 calls start as it is.
func StartWith(ns uint64, start func() error) error {
	if ns == 0 {
		return start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return os.NewSyscallError("prctl PR_GET_TIMERSLACK", err)
	}
	if err := Restore(ns); err != nil {
		return err
	}
	defer func() { _ = Restore(uint64(own)) }()
	return start()
}
