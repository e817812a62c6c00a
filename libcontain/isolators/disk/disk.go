// Package disk measures how much disk a container's sandbox and writable layer use, counted
// the way du(1) counts, for the disk isolator (Mesos's posix/disk).
package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Usage is what a set of trees takes on disk.
type Usage struct {
	// Apparent is the sum of st_size over every inode counted: regular files, directories,
	// symlinks (their target's length) and the rest, as `du -s --apparent-size -B1` (`du -sb`).
	// A sparse file counts at its full length.
	Apparent uint64
	// Allocated is the sum of st_blocks*512, the space the filesystem really gave them, as
	// `du -s -B1`. The disk isolator enforces this one: a sparse file costs only what it
	// wrote, and a container cannot evade the limit with apparent-size tricks.
	Allocated uint64
}

// fileID names an inode across the filesystems one walk may meet.
type fileID struct{ dev, ino uint64 }

// walker carries one Measure: the inodes already counted and the usage so far.
type walker struct {
	seen map[fileID]bool
	u    Usage
	err  error // the first error that was not a file vanishing under us
}

// Measure walks paths and adds up their usage the way `du -s -x` does:
//
//   - symlinks are counted, never followed (a container can point a link at / to make the
//     monitor walk, and charge it for, the host);
//   - a hard-linked inode is counted once, however many names it has and in however many of
//     paths it appears; a directory reached twice (paths overlapping, such as a sandbox and
//     the upper dir inside it) is walked once, as GNU du does;
//   - the walk stays on the filesystem each path starts on (du -x): a mount under the
//     sandbox is not the container's usage, and crossing into /proc or a host bind mount
//     would measure something else entirely.
//
// Directories are opened with openat(O_NOFOLLOW) relative to their parent and checked to be
// the inode that was stat'ed, so a container swapping a directory for a symlink mid-walk
// cannot steer the walk out of the tree. The walk holds one fd per directory level.
//
// The trees are live: files that vanish mid-walk are skipped silently. Any other error (say,
// EACCES) does not stop the walk; Measure returns the first one with the usage it could count,
// which is then a lower bound.
func Measure(paths ...string) (Usage, error) {
	w := &walker{seen: map[fileID]bool{}}
	for _, p := range paths {
		w.top(p)
	}
	return w.u, w.err
}

func (w *walker) fail(err error) {
	if w.err == nil && !errors.Is(err, unix.ENOENT) {
		w.err = err
	}
}

// count adds st's usage unless the inode was counted already, and reports whether it was new.
// Like du, only inodes that can be reached twice are remembered: directories (overlapping
// paths) and files with more than one link.
func (w *walker) count(st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT == unix.S_IFDIR || st.Nlink > 1 {
		id := fileID{uint64(st.Dev), st.Ino}
		if w.seen[id] {
			return false
		}
		w.seen[id] = true
	}
	if st.Size > 0 {
		w.u.Apparent += uint64(st.Size)
	}
	if st.Blocks > 0 {
		w.u.Allocated += uint64(st.Blocks) * 512
	}
	return true
}

// top measures one of Measure's paths. The path itself is trusted (the caller chose it), so a
// symlink there is counted as a symlink, like du without -H, not followed.
func (w *walker) top(p string) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		w.fail(&os.PathError{Op: "lstat", Path: p, Err: err})
		return
	}
	if !w.count(&st) || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		w.fail(&os.PathError{Op: "open", Path: p, Err: err})
		return
	}
	if !sameInode(fd, &st) {
		unix.Close(fd)
		return
	}
	w.dir(fd, p, uint64(st.Dev))
}

// dir walks the open directory fd (and closes it), counting its entries and descending into
// subdirectories on device dev.
func (w *walker) dir(fd int, path string, dev uint64) {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	for {
		// Batches keep a directory with millions of entries from being read into memory whole.
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			w.entry(fd, path, name, dev)
		}
		if err != nil {
			if err != io.EOF {
				w.fail(fmt.Errorf("read directory %s: %w", path, err))
			}
			return
		}
	}
}

func (w *walker) entry(dirfd int, dir, name string, dev uint64) {
	p := filepath.Join(dir, name)
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		w.fail(&os.PathError{Op: "fstatat", Path: p, Err: err})
		return
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir && uint64(st.Dev) != dev {
		return // a mount point: another filesystem's usage (du -x)
	}
	if !w.count(&st) || !isDir {
		return
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		// ENOTDIR/ELOOP: replaced by a file or symlink since the stat; it will be counted
		// next time.
		if !errors.Is(err, unix.ENOTDIR) && !errors.Is(err, unix.ELOOP) {
			w.fail(&os.PathError{Op: "open", Path: p, Err: err})
		}
		return
	}
	if !sameInode(fd, &st) {
		unix.Close(fd)
		return
	}
	w.dir(fd, p, dev)
}

// sameInode reports whether fd is the inode st describes: a directory renamed over between
// the stat and the open is skipped rather than walked.
func sameInode(fd int, st *unix.Stat_t) bool {
	var now unix.Stat_t
	return unix.Fstat(fd, &now) == nil && now.Dev == st.Dev && now.Ino == st.Ino
}
