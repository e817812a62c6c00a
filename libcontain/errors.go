package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors: the runtime's one set. Their texts are current runc's where clients
// (containerd, podman, the OCI validation suite) match on them, so keep them verbatim. The two
// about existence also match fs.ErrNotExist and fs.ErrExist.
var (
	ErrNotExist   error = &kindError{msg: "container does not exist", kind: fs.ErrNotExist}
	ErrExist      error = &kindError{msg: "container with given ID already exists", kind: fs.ErrExist}
	ErrNotRunning       = errors.New("container not running")
	// exec refuses a container whose init is gone, or frozen.
	ErrExecStopped = errors.New("cannot exec in a stopped container")
	ErrExecPaused  = errors.New("cannot exec in a paused container (use --ignore-paused to override)")
)

// kindError is a sentinel with a fixed text that also matches a more general error.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

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
