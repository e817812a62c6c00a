package spec

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxInputSize bounds every file contain reads on a caller's behalf (config.json, exec's
// --process, update's -r, hook and monitor files). It is the state dir's own bound on the copy of
// config.json it keeps, so whatever loads here also saves there.
const MaxInputSize = 16 << 20

// ReadInput reads a file a caller named, what saying which ("config.json", "process file"):
//   - it must be a regular file (after symlinks): /dev/zero would be read forever, a FIFO would
//     block the runtime until some writer came. The open is non-blocking, so a FIFO is refused
//     at once instead of hanging in open;
//   - it must hold at most limit bytes, checked before reading and again while reading (a file
//     that grows meanwhile is cut off, not read on).
//
// Errors are one line naming what and the path; a missing file still unwraps to fs.ErrNotExist.
func ReadInput(path, what string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	return readBounded(f, path, what, limit)
}

// ReadInputFile is ReadInput for an open file (stdin as "-"): a pipe is allowed there, since a
// caller that pipes the input also ends it, but the size bound holds all the same.
func ReadInputFile(f *os.File, what string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", what, limit)
	}
	return b, nil
}

func readBounded(f *os.File, path, what string, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s %s: not a regular file (%s)", what, path, fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("read %s %s: %d bytes, more than the %d allowed", what, path, fi.Size(), limit)
	}
	// Regular files never block, but reads should not see O_NONBLOCK's EAGAIN semantics either.
	if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s %s: more than the %d bytes allowed", what, path, limit)
	}
	return b, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
