package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/spec/specjson"
)

const (
	stateFile  = "state.json"
	configFile = "config.json"
	fifoFile   = "exec.fifo"
	// creatingFile is create's record of what it is about to make, until state.json exists.
	creatingFile = "creating.json"

	// maxFileSize bounds what Load reads: a config.json is kilobytes; anything near this is
	// corruption, and reading it whole would only exhaust memory.
	maxFileSize = 16 << 20
)

// Dir is one container's locked state directory. The lock is a flock(2) on an fd of the directory
// itself, so it dies with the process (a crashed contain never leaves a stale lock) and is
// released by Close. A Dir is not safe for concurrent use by several goroutines.
type Dir struct {
	ID   string
	Path string

	fd        int  // O_RDONLY|O_DIRECTORY|O_CLOEXEC, holds the flock; valid while locked
	locked    bool // false in a zero Dir and after Close, so Close never closes a stray fd 0
	exclusive bool
}

// replacedError: the path now names a different directory than the one we locked (deleted and
// created again under the same id while we waited). Open retries on the new one.
type replacedError struct{ path string }

func (e *replacedError) Error() string { return e.path + ": replaced while waiting for its lock" }

// lockDir opens path and takes the flock. The fd is O_CLOEXEC: a lock fd leaking into a container
// (or a hook) would let it hold the container's lock forever and keep every later command
// waiting. O_NOFOLLOW: a symlink planted in the root must not redirect us to another directory.
func lockDir(id, path string, exclusive bool) (*Dir, error) {
	return lockDirHow(id, path, exclusive, false)
}

// errLocked: a non-blocking lock found the directory locked by someone else.
var errLocked = errors.New("container dir is locked by another command")

func lockDirHow(id, path string, exclusive, nonblock bool) (*Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, &os.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, fmt.Errorf("open container dir: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if nonblock {
		how |= unix.LOCK_NB
	}
	// A blocking flock returns EINTR when a signal arrives, and the Go runtime signals its own
	// threads (SIGURG for preemption), so retry rather than fail.
	for {
		err = unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if nonblock && errors.Is(err, unix.EWOULDBLOCK) {
		unix.Close(fd)
		return nil, errLocked
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock container dir %s: %w", path, os.NewSyscallError("flock", err))
	}
	// Whoever held the lock before us may have deleted the directory (delete removes it under the
	// exclusive lock): our fd then names an unlinked directory, and acting on it would, say,
	// report a deleted container as existing. Check that the path still names what we locked.
	var held, now unix.Stat_t
	if err := unix.Fstat(fd, &held); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stat locked container dir: %w", os.NewSyscallError("fstat", err))
	}
	err = unix.Lstat(path, &now)
	switch {
	case errors.Is(err, unix.ENOENT):
		unix.Close(fd)
		return nil, &os.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	case err != nil:
		unix.Close(fd)
		return nil, fmt.Errorf("stat container dir: %w", &os.PathError{Op: "lstat", Path: path, Err: err})
	case held.Dev != now.Dev || held.Ino != now.Ino:
		unix.Close(fd)
		return nil, &replacedError{path: path}
	}
	return &Dir{ID: id, Path: path, fd: fd, locked: true, exclusive: exclusive}, nil
}

// Exclusive reports whether d holds the exclusive lock.
func (d *Dir) Exclusive() bool { return d.exclusive }

// FifoPath is the exec fifo that init blocks on between create and start.
func (d *Dir) FifoPath() string { return filepath.Join(d.Path, fifoFile) }

// Save writes state.json atomically. It needs the exclusive lock.
func (d *Dir) Save(st *State) error {
	data, err := marshalState(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return d.writeAtomic(stateFile, data)
}

// Load reads state.json. A missing file (a create that died before saving) or an empty one (see
// writeAtomic) gives an error wrapping fs.ErrNotExist.
func (d *Dir) Load() (*State, error) {
	data, err := d.readNonEmpty(stateFile)
	if err != nil {
		return nil, err
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(d.Path, stateFile), err)
	}
	// The file names the container it belongs to; a mismatch means it was copied or tampered
	// with, and its pid and cgroup paths must not be acted on under this id.
	if st.ID != d.ID {
		return nil, fmt.Errorf("%s: belongs to container %s, not %s", filepath.Join(d.Path, stateFile), quoteID(st.ID), d.ID)
	}
	return st, nil
}

// SaveConfig writes the copy of the spec atomically. It needs the exclusive lock.
func (d *Dir) SaveConfig(s *specs.Spec) error {
	data, err := specjson.MarshalSpec(s)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return d.writeAtomic(configFile, data)
}

// SaveCreating writes create's record of what it is making atomically. It needs the exclusive
// lock.
func (d *Dir) SaveCreating(rec *CreateRecord) error {
	data, err := marshalRecord(rec)
	if err != nil {
		return fmt.Errorf("encode create record: %w", err)
	}
	return d.writeAtomic(creatingFile, data)
}

// LoadCreating reads create's record; a missing one wraps fs.ErrNotExist.
func (d *Dir) LoadCreating() (*CreateRecord, error) {
	data, err := d.readNonEmpty(creatingFile)
	if err != nil {
		return nil, err
	}
	var rec CreateRecord
	if err := unmarshalRecord(data, &rec); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(d.Path, creatingFile), err)
	}
	return &rec, nil
}

// readNonEmpty is read, with an empty file taken for a missing one: a file whose data a crash of
// the machine lost (see writeAtomic). A live writer never leaves one: it renames a full file in.
func (d *Dir) readNonEmpty(name string) ([]byte, error) {
	data, err := d.read(name)
	if err == nil && len(data) == 0 {
		return nil, fmt.Errorf("read %s: empty (its data lost in a crash): %w", filepath.Join(d.Path, name), fs.ErrNotExist)
	}
	return data, err
}

// DropCreating removes create's record once state.json holds everything it said.
func (d *Dir) DropCreating() error {
	if err := d.needExclusive("drop create record"); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd, creatingFile, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("drop create record: %w", os.NewSyscallError("unlinkat", err))
	}
	return nil
}

// LoadConfig reads the copy of the spec saved at create.
func (d *Dir) LoadConfig() (*specs.Spec, error) {
	data, err := d.read(configFile)
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := specjson.UnmarshalSpec(data, &s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(d.Path, configFile), err)
	}
	return &s, nil
}

// Remove deletes the whole directory and then releases the lock. It needs the exclusive lock;
// anyone waiting in Open then finds the directory gone. On failure the lock is still held, and
// Close releases it.
func (d *Dir) Remove() error {
	if err := d.needExclusive("remove container dir"); err != nil {
		return err
	}
	if err := os.RemoveAll(d.Path); err != nil {
		return fmt.Errorf("remove container dir: %w", err)
	}
	return d.Close()
}

// Close releases the lock. Calling it again does nothing.
func (d *Dir) Close() error {
	if !d.locked {
		return nil
	}
	d.locked = false
	if err := unix.Close(d.fd); err != nil {
		return fmt.Errorf("close container dir: %w", os.NewSyscallError("close", err))
	}
	return nil
}

func (d *Dir) needExclusive(what string) error {
	if !d.locked {
		return fmt.Errorf("%s %s: %w", what, d.ID, os.ErrClosed)
	}
	if !d.exclusive {
		return fmt.Errorf("%s %s: the exclusive lock is not held", what, d.ID)
	}
	return nil
}

// writeAtomic replaces name in the locked directory with data (see writeAt). Everything is
// relative to the locked fd, so it lands in the directory we hold the lock on.
//
// Not fsynced (two waits for the disk per file, four files per create, where the root is not a
// tmpfs): these files describe processes, cgroups and mounts of this boot, which a crash of the
// machine takes with it, while a runtime process killed at any point loses nothing (the data is in
// the page cache, and the rename is atomic). After such a crash a file may be missing, old, or
// empty (its data never written); Load and LoadCreating take an empty one for a missing one, so
// list skips the container and delete --force removes its dir.
func (d *Dir) writeAtomic(name string, data []byte) error {
	if err := d.needExclusive("write " + name + " of container"); err != nil {
		return err
	}
	return writeAt(d.fd, d.Path, name, data, 0o600, false)
}

// read returns the contents of name in the locked directory.
func (d *Dir) read(name string) ([]byte, error) {
	path := filepath.Join(d.Path, name)
	if !d.locked {
		return nil, fmt.Errorf("read %s: %w", path, os.ErrClosed)
	}
	// O_NONBLOCK: a FIFO planted here must be refused below, not block the open.
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}
