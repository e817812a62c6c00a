package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Pivot makes the prepared rootfs the process's root and leaves the working directory at "/".
//
// With pivot_root the old root is unmounted, so nothing of the host's tree stays reachable from
// the container (a chroot alone can be escaped by anyone with CAP_SYS_CHROOT). NoPivot
// (--no-pivot, for initramfs roots where pivot_root fails) moves the rootfs over "/" and chroots.
func Pivot(c *Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	c.progress("pivoting root")
	rootfs := filepath.Clean(c.Rootfs)
	switch {
	case c.NoPivot:
		return moveRoot(rootfs)
	case c.sharedMounts():
		return chrootRoot(rootfs)
	}
	return pivotRoot(rootfs)
}

// chrootRoot is for a container without a mount namespace: a plain chroot, leaving the caller's
// namespace and root as they are.
func chrootRoot(rootfs string) error {
	if err := unix.Chroot(rootfs); err != nil {
		return fmt.Errorf("chroot into rootfs: %w", os.NewSyscallError("chroot", err))
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("change to new root: %w", os.NewSyscallError("chdir", err))
	}
	return nil
}

// pivotRoot uses pivot_root(".", "."): with both arguments the same directory the old root ends
// up stacked on top of the new root at the same place, so no directory has to be created in the
// (possibly read-only) rootfs to hold it, and after fchdir to the old root a lazy unmount of "."
// takes it away.
func pivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return fmt.Errorf("change to rootfs: %w", os.NewSyscallError("fchdir", err))
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", os.NewSyscallError("pivot_root", err))
	}
	// The old root is now mounted over "/"; the fd still reaches it.
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("change to old root: %w", os.NewSyscallError("fchdir", err))
	}
	// The old root's mounts are copies of the host's; if any is shared with the host, unmounting
	// it here would propagate the unmount to the host (and other namespaces). Making the whole
	// tree a slave first stops that: events still flow in, none flow out.
	if err := mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root a slave: %w", err)
	}
	// MNT_DETACH: processes (or fds) may still use the old tree; it goes away when unused.
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", os.NewSyscallError("umount2", err))
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("change to new root: %w", os.NewSyscallError("chdir", err))
	}
	return nil
}

// moveRoot is the --no-pivot path: MS_MOVE the rootfs mount over "/" and chroot into it.
//
// The host's tree stays in the mount namespace, under the chroot. Its procfs and sysfs mounts
// are the kernel's licence to mount a fresh, unmasked procfs or sysfs (mount_too_revealing
// checks for a full, uncovered one anywhere in the namespace), which would undo the masked
// paths, so they are detached first, as runc 1.5 does; where a detach is refused, a tmpfs
// covers them, which also denies the licence.
func moveRoot(rootfs string) error {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("read mountinfo: %w", err)
	}
	for _, mp := range FullProcSysMounts(mi, rootfs) {
		// Slave first: the detach must not propagate to the host's namespace.
		if err := mount("", mp, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // a parent was detached already
			}
			return fmt.Errorf("hide host %s: %w", mp, err)
		}
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
			if err != unix.EINVAL && err != unix.EPERM {
				return fmt.Errorf("hide host %s: %w", mp, os.NewSyscallError("umount2", err))
			}
			if err := mount("tmpfs", mp, "tmpfs", 0, ""); err != nil {
				return fmt.Errorf("hide host %s: %w", mp, err)
			}
		}
	}
	if err := unix.Chdir(rootfs); err != nil {
		return &os.PathError{Op: "chdir", Path: rootfs, Err: err}
	}
	if err := mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move rootfs to /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot into rootfs: %w", os.NewSyscallError("chroot", err))
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("change to new root: %w", os.NewSyscallError("chdir", err))
	}
	return nil
}
