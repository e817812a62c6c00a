package libcontain

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors. Their texts are runc's where clients (containerd, podman, the OCI validation
// suite) match on them, so keep them verbatim.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with id exists")
	ErrNotRunning = errors.New("container not running")
	ErrNotStopped = errors.New("container is not stopped")
	ErrNotCreated = errors.New("container is not in created state")
	ErrPaused     = errors.New("container paused")
)

// InitError is an error reported by the container's init over the sync socket. It keeps the
// operation, the message and the errno, so errors.Is(err, unix.EPERM) works in the parent just as
// it would have in the child.
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

// newInitError captures err for the trip to the parent.
func newInitError(op string, err error) *InitError {
	ie := &InitError{Op: op, Msg: err.Error()}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		ie.Errno = errno
	}
	return ie
}

// statusError says a command does not apply to a container in its current status, in runc's words.
func statusError(action string, st Status) error {
	switch {
	case st == Stopped && action == "start":
		return errors.New("cannot start a container that has stopped")
	case st == Running && action == "start":
		return errors.New("cannot start an already running container")
	}
	return fmt.Errorf("cannot %s container in %s state", action, st)
}
