package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Store is the state root: one directory per container.
type Store struct {
	Root string
}

// NewStore makes the root (0700: state.json holds pids, bundle paths and cgroup paths, which are
// nobody else's business) and returns a Store for it.
func NewStore(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("state root %q: must be an absolute path", root)
	}
	// The root is made by the first Create, as runc makes it: commands that only read
	// (list, state) must not leave a directory behind when pointed at a wrong --root.
	return &Store{Root: filepath.Clean(root)}, nil
}

// Create makes the directory of a new container and returns it exclusively locked. The mkdir is
// the atomic "claim" of the id: of two concurrent creates with one id, exactly one wins.
func (s *Store) Create(id string) (*Dir, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root: %w", err)
	}
	path := filepath.Join(s.Root, id)
	if err := os.Mkdir(path, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create container dir: %w", &os.PathError{Op: "mkdir", Path: path, Err: fs.ErrExist})
		}
		return nil, fmt.Errorf("create container dir: %w", err)
	}
	d, err := lockDir(id, path, true)
	if err != nil {
		// Only remove what is still ours: if the dir was deleted (or deleted and made again)
		// before we held the lock, it is not.
		var re *replacedError
		if !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &re) {
			_ = os.Remove(path)
		}
		return nil, fmt.Errorf("lock new container dir: %w", err)
	}
	// 0711 regardless of umask: others may traverse to a socket in here (notify socket) but
	// not list the directory.
	if err := unix.Fchmod(d.fd, 0o711); err != nil {
		_ = d.Remove()
		return nil, fmt.Errorf("chmod container dir: %w", os.NewSyscallError("fchmod", err))
	}
	return d, nil
}

// Open locks an existing container's directory, exclusively for commands that change the
// container and shared for those that only read it. It waits for the lock as long as it takes.
func (s *Store) Open(id string, exclusive bool) (*Dir, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Root, id)
	// If the dir was deleted and re-created under the same id while we waited, lockDir reports
	// it gone; try again on the new one. The bound only guards against a livelock with a
	// create/delete loop.
	var err error
	for range 8 {
		var d *Dir
		d, err = lockDir(id, path, exclusive)
		if err == nil {
			return d, nil
		}
		var re *replacedError
		if !errors.As(err, &re) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("open container dir: %w", err)
}

// TryOpen locks an existing container's directory exclusively if nobody holds its lock now;
// otherwise it fails at once (a create in progress holds it for as long as it runs).
func (s *Store) TryOpen(id string) (*Dir, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	return lockDirHow(id, filepath.Join(s.Root, id), true, true)
}

// List returns the ids of all containers, sorted. Stray files, symlinks and directories whose
// names are not valid ids (temp files, lost+found) are skipped. A missing root means no
// containers.
func (s *Store) List() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list state root: %w", err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents { // ReadDir sorts by name
		if e.IsDir() && ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}
