package state

import (
	"errors"
	"strconv"
)

// ErrInvalidID: the id was rejected before it touched a path.
var ErrInvalidID = errors.New("invalid container id")

// maxIDLen bounds ids: long enough for any orchestrator's ids (containerd uses 64 hex chars,
// Kubernetes names are <= 253), short enough that <root>/<id>/state.json stays below PATH_MAX.
const maxIDLen = 1024

// ValidateID checks a container id before it is ever joined to a path. The charset is runc's
// ([A-Za-z0-9_+.-]); it excludes '/', NUL and every non-ASCII byte, so an accepted id is always
// a single path element, and "." and ".." are refused so it never names the root or its parent
// (a path traversal like `contain delete ..` would otherwise remove the whole state root).
func ValidateID(id string) error {
	switch {
	case id == "":
		return &idError{id: id, reason: "must not be empty"}
	case len(id) > maxIDLen:
		return &idError{id: id, reason: "longer than " + strconv.Itoa(maxIDLen) + " bytes"}
	case id == "." || id == "..":
		return &idError{id: id, reason: "must not be \".\" or \"..\""}
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return &idError{id: id, reason: "byte " + quote(id[i:i+1]) + " at offset " + strconv.Itoa(i) +
				" is not allowed (allowed: A-Z a-z 0-9 _ + . -)"}
		}
	}
	return nil
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '+' || c == '.' || c == '-'
}

func quote(s string) string { return strconv.Quote(s) }

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
