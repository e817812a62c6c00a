package state

import (
	"errors"
	"io/fs"
)

// Sentinel errors. The texts are runc's, because clients (containerd, podman, the OCI
// validation suite) match on them; each also wraps the matching fs error so callers can test
// with errors.Is(err, fs.ErrNotExist) without importing this package.
var (
	// ErrNotExist: no container directory with that id (or it was deleted while we waited for
	// its lock).
	ErrNotExist error = &kindError{msg: "container does not exist", kind: fs.ErrNotExist}
	// ErrExist: Create found a directory with that id already.
	ErrExist error = &kindError{msg: "container with id exists", kind: fs.ErrExist}
	// ErrInvalidID: the id was rejected before it touched a path.
	ErrInvalidID = errors.New("invalid container id")
)

// kindError is a sentinel with a fixed text that also matches a more general error.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// idError says why an id was rejected: `invalid container id "X": reason`.
type idError struct {
	id, reason string
}

func (e *idError) Error() string {
	return "invalid container id " + quoteID(e.id) + ": " + e.reason
}

func (e *idError) Is(target error) bool { return target == ErrInvalidID }

// quoteID quotes an id for an error message, cut short so a hostile 1 MiB id cannot flood logs.
func quoteID(id string) string {
	const max = 64
	if len(id) > max {
		return quote(id[:max]) + "..."
	}
	return quote(id)
}
