package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Scan reads containers' state.json without their directories' locks, for list: a reader that
// waited for each lock would wait for every create in progress (create holds its lock until
// it returns, hooks included), and the open, flock and re-check cost more syscalls than the
// read itself.
//
// Reading without the lock is safe because nobody writes into a state.json: writeAt makes a
// whole new file under a temp name and renames it over, so an open of state.json names either
// the old file or the new one, each complete and never changed again. A directory a create is
// still making has no state.json until init is ready (creating.json only), and delete removes
// the whole directory: both read as fs.ErrNotExist, which list takes for "skip". What a lock
// would still add — that the file stays current while the caller looks at the processes it
// names — the caller checks itself with FileID (see libcontain's List).
type Scan struct {
	root string
	fd   int // the root, O_DIRECTORY|O_CLOEXEC; every path below is resolved beneath it
	// noOpenat2: openat2 failed with ENOSYS (a kernel before 5.6) or EPERM (a seccomp profile
	// older than the call, as in some container engines); open in two steps instead.
	noOpenat2 atomic.Bool
}

// FileID names one state.json file (not its path): a rename over it makes a new one.
type FileID struct{ dev, ino uint64 }

// OpenScan opens the root for Peek. A missing root wraps fs.ErrNotExist.
func (s *Store) OpenScan() (*Scan, error) {
	fd, err := unix.Open(s.Root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open state root: %w", &os.PathError{Op: "open", Path: s.Root, Err: err})
	}
	return &Scan{root: s.Root, fd: fd}, nil
}

// Close closes the root. Peek and StateFileID may run concurrently, but not with Close.
func (sc *Scan) Close() error { return unix.Close(sc.fd) }

// Peeked is one state.json as Peek read it.
type Peeked struct {
	// File is the file read: a save since then has put another one in its place.
	File FileID
	id   string
	path string
	data []byte
}

// Summary decodes the Summary alone, as Dir.Load checks it; the maps of the State stay nil.
func (p *Peeked) Summary() (*State, error) { return p.decode(parseSummary) }

// State decodes all of it, as Dir.Load does.
func (p *Peeked) State() (*State, error) { return p.decode(ParseState) }

func (p *Peeked) decode(parse func([]byte) (*State, error)) (*State, error) {
	st, err := parse(p.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if st.ID != p.id {
		return nil, fmt.Errorf("%s: belongs to container %s, not %s", p.path, quoteID(st.ID), p.id)
	}
	return st, nil
}

// Peek reads id's state.json without the lock. A missing or empty file, or a missing dir, wraps
// fs.ErrNotExist.
func (sc *Scan) Peek(id string) (*Peeked, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	path := filepath.Join(sc.root, id, stateFile)
	fd, err := sc.openState(id)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			err = fs.ErrNotExist // deleted, half made, or replaced by a stray file
		}
		return nil, fmt.Errorf("read %s: %w", stateFile, &os.PathError{Op: "open", Path: path, Err: err})
	}
	defer unix.Close(fd)
	var fi unix.Stat_t
	if err := unix.Fstat(fd, &fi); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, os.NewSyscallError("fstat", err))
	}
	if fi.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("read %s: not a regular file", path)
	}
	if fi.Size == 0 {
		return nil, fmt.Errorf("read %s: empty (its data lost in a crash): %w", path, fs.ErrNotExist)
	}
	if fi.Size > maxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxFileSize)
	}
	// The file never changes once it has this name (see Scan), so its size is all there is:
	// read that much, without a last read to see EOF.
	data := make([]byte, fi.Size)
	for got := 0; got < len(data); {
		n, err := unix.Read(fd, data[got:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, os.NewSyscallError("read", err))
		}
		if n == 0 {
			return nil, fmt.Errorf("read %s: shorter than its size %d", path, fi.Size)
		}
		got += n
	}
	return &Peeked{File: FileID{dev: fi.Dev, ino: fi.Ino}, id: id, path: path, data: data}, nil
}

// StateFileID names the file id's state.json is now; a missing one wraps fs.ErrNotExist.
func (sc *Scan) StateFileID(id string) (FileID, error) {
	if err := ValidateID(id); err != nil {
		return FileID{}, err
	}
	var fi unix.Stat_t
	name := id + "/" + stateFile
	if err := unix.Fstatat(sc.fd, name, &fi, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileID{}, fmt.Errorf("stat %s: %w", stateFile, &os.PathError{Op: "stat", Path: filepath.Join(sc.root, name), Err: err})
	}
	return FileID{dev: fi.Dev, ino: fi.Ino}, nil
}

// ExecFifo is the Lstat of id's exec.fifo, as Dir.FifoPath names it: nil while it exists.
func (sc *Scan) ExecFifo(id string) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	var fi unix.Stat_t
	name := id + "/" + fifoFile
	if err := unix.Fstatat(sc.fd, name, &fi, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: filepath.Join(sc.root, name), Err: err}
	}
	return nil
}

// openState opens id's state.json for reading. No symlink is followed on the way (a planted one
// must not make us read, or report, another file); O_NONBLOCK: a FIFO planted there is refused
// by Peek, not waited on.
func (sc *Scan) openState(id string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK
	if !sc.noOpenat2.Load() {
		fd, err := openat2(sc.fd, id+"/"+stateFile, &unix.OpenHow{
			Flags:   flags,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			return fd, err
		}
		sc.noOpenat2.Store(true)
	}
	dfd, err := unix.Openat(sc.fd, id, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dfd)
	return unix.Openat(dfd, stateFile, flags, 0)
}

// openat2 retries the EAGAIN the kernel returns when a rename raced the lookup, and EINTR.
func openat2(dirfd int, path string, how *unix.OpenHow) (int, error) {
	for range 16 {
		fd, err := unix.Openat2(dirfd, path, how)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}
