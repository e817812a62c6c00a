package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteFile replaces path with data so a reader sees the old file or the new one, never a torn
// one (a client polling a --pid-file must never read half a number).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(dfd)
	return writeAt(dfd, dir, filepath.Base(abs), data, perm, true)
}

// writeAt replaces name in the directory dirfd (at dirPath, for messages) with data: temp file
// with a random name in the same dir, write, rename over. Every reader, and a runtime process
// killed at any point, sees the old file or the new one, whole.
//
// durable adds what only a crash of the machine needs: fsync of the file before the rename and
// of the dir after it (without the last the rename itself may be lost on power failure). The
// state dir's own files do without it (see Dir.writeAtomic).
func writeAt(dirfd int, dirPath, name string, data []byte, perm os.FileMode, durable bool) (err error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:]) // never fails (crypto/rand panics instead)
	tmp := "." + name + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	tmpPath := filepath.Join(dirPath, tmp)
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, uint32(perm.Perm()))
	if err != nil {
		return fmt.Errorf("write %s: %w", name, &os.PathError{Op: "create", Path: tmpPath, Err: err})
	}
	f := os.NewFile(uintptr(fd), tmpPath)
	defer func() {
		if err != nil {
			_ = unix.Unlinkat(dirfd, tmp, 0)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, name); err != nil {
		return fmt.Errorf("write %s: %w", name, &os.LinkError{Op: "rename", Old: tmpPath, New: filepath.Join(dirPath, name), Err: err})
	}
	if !durable {
		return nil
	}
	if err := unix.Fsync(dirfd); err != nil {
		return fmt.Errorf("write %s: %w", name, &os.PathError{Op: "fsync", Path: dirPath, Err: err})
	}
	return nil
}
