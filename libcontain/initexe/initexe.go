// Package initexe installs the small init binary contain embeds (package main in cmd/, built by
// the Makefile without cgo) as a file the runtime can start: init's start is on every create's
// critical path, and that binary starts in well under what contain itself takes (no libc to
// initialise, a quarter of the packages and of the size).
//
// The file is written once per build of contain, named by its sha256, into a directory only the
// runtime's user may write; later starts check it with one lstat each of the directory and the
// file. The launcher never starts the file itself but a read-only seal of it (libcontain's
// selfexe.go), as it does contain's own binary.
package initexe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// prefix starts the installed file's name; the rest is the start of its sha256.
const prefix = "contain-init-"

// Embedded reports whether this build carries the init binary.
func Embedded() bool {
	bin, _ := image()
	return bin != ""
}

// Install makes sure the embedded binary is dir's file named by its hash and returns its path
// and what lstat said of it. The directory is made (0700) when missing. A file or directory that
// another user could write, or a file of the wrong size or kind, is not used: the file is
// written again (atomically: a new file, fsync'd, renamed over the name), or an error tells why.
// Without an embedded binary the path is "" and the error nil.
func Install(dir string) (string, *unix.Stat_t, error) {
	bin, sum := image()
	return install(dir, bin, sum)
}

func install(dir, bin, sum string) (string, *unix.Stat_t, error) {
	if bin == "" {
		return "", nil, nil
	}
	if len(sum) < 16 {
		return "", nil, errors.New("init binary: malformed embedded sum")
	}
	if err := checkDir(dir); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, prefix+sum[:16])
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err == nil && usable(&st, int64(len(bin))) {
		return path, &st, nil
	}
	if err := write(dir, path, bin); err != nil {
		return "", nil, err
	}
	if err := unix.Lstat(path, &st); err != nil {
		return "", nil, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	if !usable(&st, int64(len(bin))) {
		return "", nil, fmt.Errorf("init binary: %s is not the file just written", path)
	}
	removeOthers(dir, path)
	return path, &st, nil
}

// checkDir makes dir when missing and checks it is a directory of ours that nobody else may
// write (a writer could swap the file between our check and the seal), on a file system that
// lets it be run (a noexec mount would fail init's execve, with no way back to contain itself).
func checkDir(dir string) error {
	var st unix.Stat_t
	err := unix.Lstat(dir, &st)
	if errors.Is(err, unix.ENOENT) { // the first create of this work dir
		if err = os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("init binary: %w", err)
		}
		err = unix.Lstat(dir, &st)
	}
	if err != nil {
		return &os.PathError{Op: "lstat", Path: dir, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("init binary: %s is not a directory", dir)
	case int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0:
		return fmt.Errorf("init binary: %s is writable by others than uid %d", dir, os.Geteuid())
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	if fs.Flags&unix.ST_NOEXEC != 0 {
		return fmt.Errorf("init binary: %s is on a noexec mount", dir)
	}
	return nil
}

// usable: a regular file of ours, of the embedded binary's size, with write's mode (0555).
func usable(st *unix.Stat_t, size int64) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFREG && int(st.Uid) == os.Geteuid() &&
		st.Mode&0o7777 == 0o555 && st.Size == size
}

// write puts bin at path through a temporary file in the same directory. Mode 0555: nobody may
// write it, and everyone may run it: in a user namespace init execs it as that namespace's root,
// which is not the file's owner. The fsync before the
// rename means a crash leaves either no file at path or the whole binary, never a short one that
// a later start would take (the size check catches a short one anyway, and writes it again).
func write(dir, path, bin string) (err error) {
	f, err := os.CreateTemp(dir, ".contain-init-*")
	if err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.WriteString(bin); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	if err = f.Chmod(0o555); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	return nil
}

// removeOthers removes the init binaries of other builds: a new build's first start replaces
// them. One still being started by a runtime of the other build is safe: the seal holds the
// directory's overlay, and a start whose file went missing starts contain itself instead.
func removeOthers(dir, keep string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if p := filepath.Join(dir, e.Name()); p != keep && strings.HasPrefix(e.Name(), prefix) {
			_ = os.Remove(p)
		}
	}
}
