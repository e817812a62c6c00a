package protocol

import (
	"errors"
	"syscall"
)

// InitError is an error reported by the child over the sync socket. It keeps the operation, the
// message and the errno, so errors.Is(err, unix.EPERM) works in the parent just as it would have
// in the child.
type InitError struct {
	Op    string        `json:"op"`
	Msg   string        `json:"msg"`
	Errno syscall.Errno `json:"errno,omitempty"`
}

func (e *InitError) Error() string {
	if e.Op == "" {
		return e.Msg
	}
	return e.Op + ": " + e.Msg
}

// Unwrap exposes the errno the child saw, if any.
func (e *InitError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// NewInitError captures err for the trip to the parent.
func NewInitError(op string, err error) *InitError {
	ie := &InitError{Op: op, Msg: err.Error()}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		ie.Errno = errno
	}
	return ie
}

// ExecFailedStatus is the exit status of a process whose execve failed after its setup had
// succeeded (a script without "#!": ENOEXEC), the words of the failure on its stderr: runc
// 1.5.3's 255, for init and for exec, whichever way the process was started.
const ExecFailedStatus = 255
