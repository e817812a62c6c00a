package files

import (
	"errors"
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// MaxRead caps the length of one Read.
const MaxRead = 1 << 20

// Chunk is part of a file: Data read at Offset. A size query has no Data and the file's size as
// its Offset, as Mesos' /files/read answers offset=-1.
type Chunk struct {
	Data   []byte
	Offset int64
}

// Read reads at most length (capped at MaxRead) bytes of the regular file vpath from offset.
// offset -1 asks only
// for the file's current size, so a client can start tailing at the end. Reading at or past the
// end gives no data.
func (t *Tree) Read(vpath string, offset, length int64) (*Chunk, error) {
	if offset < -1 || length < 0 {
		return nil, fmt.Errorf("%s: %w: negative offset or length", vpath, ErrInvalid)
	}
	f, err := t.Open(vpath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, lookupError(vpath, err)
	}
	if offset == -1 {
		return &Chunk{Data: []byte{}, Offset: st.Size}, nil
	}
	// The buffer is what the file holds now, not what was asked: a thousand small tails must
	// not each allocate MaxRead. Bytes appended since the fstat are read next time.
	length = max(0, min(length, MaxRead, st.Size-offset))
	buf := make([]byte, length)
	n, err := f.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", vpath, err)
	}
	return &Chunk{Data: buf[:n], Offset: offset}, nil
}

// Open opens the regular file vpath for reading. Anything else — a directory, fifo, socket or
// device node — is refused before it is opened for real: the lookup holds an O_PATH handle,
// and only a handle fstat calls regular is reopened (through /proc/self/fd, by pathrs-lite), so
// the inode checked is the inode read.
func (t *Tree) Open(vpath string) (*os.File, error) {
	h, err := t.open(vpath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	switch {
	case h.isDir():
		return nil, fmt.Errorf("%s: %w", vpath, ErrIsDir)
	case !h.isReg():
		return nil, fmt.Errorf("%s: %w (%s)", vpath, ErrNotRegular, kind(h.st.Mode))
	}
	f, err := pathrs.Reopen(h.f, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY)
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	return f, nil
}
