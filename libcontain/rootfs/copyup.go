package rootfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyUp fills a fresh mount with what the directory it covers held (runc's "tmpcopyup"
// option: podman mounts its tmpfs volumes so, keeping an image's /run or /tmp contents).
// covered is a handle taken on the mountpoint before mounting, so it still names the covered
// directory; top is the root of the new mount. Everything is opened relative to those handles
// without following symlinks: the covered tree belongs to the container and is not trusted.
func copyUp(covered, top *os.File) error {
	src, err := openDirAt(int(covered.Fd()), ".")
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openDirAt(int(top.Fd()), ".")
	if err != nil {
		return err
	}
	defer dst.Close()
	return copyDir(src, dst)
}

func openDirAt(dirfd int, name string) (*os.File, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// copyDir copies the entries of the directory src into dst, recursively.
func copyDir(src, dst *os.File) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory: %w", err)
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// copyEntry copies one entry, whatever its kind, with its mode, owner and times. Sockets are
// skipped: a socket inode without its listener is of no use.
func copyEntry(src, dst *os.File, name string) error {
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return os.NewSyscallError("fstatat", err)
	}
	perm := st.Mode &^ unix.S_IFMT
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
			return os.NewSyscallError("mkdirat", err)
		}
		s, err := openDirAt(sfd, name)
		if err != nil {
			return err
		}
		defer s.Close()
		d, err := openDirAt(dfd, name)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := copyDir(s, d); err != nil {
			return err
		}
	case unix.S_IFREG:
		if err := copyFile(sfd, dfd, name); err != nil {
			return err
		}
	case unix.S_IFLNK:
		target, err := readlinkat(sfd, name)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, dfd, name); err != nil {
			return os.NewSyscallError("symlinkat", err)
		}
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		if err := unix.Mknodat(dfd, name, st.Mode, int(st.Rdev)); err != nil {
			return os.NewSyscallError("mknodat", err)
		}
	default:
		return nil
	}
	if err := unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return os.NewSyscallError("fchownat", err)
	}
	// After the chown, which clears setuid and setgid bits. Symlinks have no mode of their own.
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dfd, name, perm, 0); err != nil {
			return os.NewSyscallError("fchmodat", err)
		}
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dfd, name, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return os.NewSyscallError("utimensat", err)
	}
	return nil
}

func copyFile(sfd, dfd int, name string) error {
	in, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("openat", err)
	}
	src := os.NewFile(uintptr(in), name)
	defer src.Close()
	out, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return os.NewSyscallError("openat", err)
	}
	dst := os.NewFile(uintptr(out), name)
	_, err = io.Copy(dst, src)
	return errors.Join(err, dst.Close())
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", os.NewSyscallError("readlinkat", err)
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
