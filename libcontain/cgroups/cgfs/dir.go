package cgfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// MkdirAll creates dir and any missing parents below base (which must exist) and returns the
// directories it created itself, outermost first. Each level is created with mkdir(2) and a dir
// that already existed (EEXIST, possibly made by someone else a moment ago) is not reported, so
// the caller only ever removes what it made.
func MkdirAll(base, dir string) ([]string, error) {
	rel, err := filepath.Rel(base, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("cgroup %s is not below %s", dir, base)
	}
	var created []string
	cur := base
	if rel == "." {
		return nil, nil
	}
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		err := os.Mkdir(cur, 0o755)
		switch {
		case err == nil:
			created = append(created, cur)
		case errors.Is(err, os.ErrExist):
		default:
			return created, fmt.Errorf("create cgroup %s: %w", cur, err)
		}
	}
	return created, nil
}

// Removal timing: rmdir of a cgroup fails with EBUSY while killed tasks are still exiting (they
// leave the cgroup in exit, after the signal is delivered), so removal is retried briefly.
const (
	removeTries = 25
	removeWait  = 10 * time.Millisecond
	removeMax   = 100 * time.Millisecond
)

// RemoveLeaf removes the container's own cgroup dir and every cgroup below it. Children of the
// container's cgroup were made by the container's processes (systemd in a container, nested
// runtimes), never by anyone outside, and the kernel refuses to rmdir a cgroup that has
// children. A missing dir is not an error.
func RemoveLeaf(dir string) error {
	// The common case, a cgroup without children whose processes are gone, is one rmdir: the
	// directory is read only when that fails (children, or a process still being released).
	if err := unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := RemoveLeaf(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdirRetry(dir)
}

// RemoveParent removes an intermediate cgroup we created for the container's path. Another
// container may since have made its own cgroup below it, so a parent that is not empty is left in
// place silently; its last user removes it (or it stays, which is harmless).
func RemoveParent(dir string) error {
	err := unix.Rmdir(dir)
	switch {
	case err == nil, errors.Is(err, unix.ENOENT), errors.Is(err, unix.EBUSY), errors.Is(err, unix.ENOTEMPTY):
		return nil
	default:
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
}

func rmdirRetry(dir string) error {
	wait := removeWait
	var err error
	for range removeTries {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(wait)
		wait = min(wait*2, removeMax)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}
