// Package volumes turns io.contain.volumes into bind mounts, the way Mesos's shared-filesystem
// isolator does: an absolute HOST is bind-mounted as is; a relative HOST is a directory in the
// container's sandbox, made for this container with the mode and owner of the container path
// in the rootfs, so "tmp:/tmp" gives each container a private /tmp with the image's 1777.
package volumes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/spec"
)

// parentMode is the mode of directories Prepare creates on the way to a nested sandbox volume
// ("cache/a"): traversable, so the volume's own mode decides who can use it, but not listable.
const parentMode = 0o711

// Prepare makes the directories of vols' relative HOSTs under sandboxDir and returns one bind
// mount per volume, in order: {Type: "bind", Source, Destination, Options: rbind[,ro]}.
//
// An absolute HOST must exist. For a relative HOST, CONTAINER must exist in rootfs and be a
// directory: it is looked up with pathrs-lite so a symlink in the (untrusted) image cannot make
// Prepare copy the mode or owner of a host path. The sandbox is walked component by component
// with O_NOFOLLOW, so a symlink planted in it is refused instead of redirecting the mkdir, the
// chmod or the mount.
//
// vols should come from spec.ParseVolumes; Prepare re-checks all the same that a relative HOST
// stays inside the sandbox. A relative HOST listed twice is one directory shared by both
// mounts; the later container path's mode and owner win. On error, directories already made
// stay: they are inside the sandbox, which the caller removes when create fails.
func Prepare(vols []spec.Volume, sandboxDir, rootfs string) ([]specs.Mount, error) {
	mounts := make([]specs.Mount, 0, len(vols))
	for _, v := range vols {
		src, err := prepare(v, sandboxDir, rootfs)
		if err != nil {
			return nil, fmt.Errorf("volume %s:%s: %w", v.Host, v.Container, err)
		}
		opts := []string{"rbind"}
		if v.ReadOnly {
			opts = append(opts, "ro")
		}
		mounts = append(mounts, specs.Mount{Type: "bind", Source: src, Destination: v.Container, Options: opts})
	}
	return mounts, nil
}

func prepare(v spec.Volume, sandboxDir, rootfs string) (string, error) {
	if filepath.IsAbs(v.Host) {
		if _, err := os.Stat(v.Host); err != nil {
			return "", fmt.Errorf("host path: %w", err)
		}
		return filepath.Clean(v.Host), nil
	}
	rel := filepath.Clean(v.Host)
	if rel == "." || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("sandbox path %q must name a directory inside the sandbox", v.Host)
	}
	if first, _, _ := strings.Cut(rel, "/"); spec.ReservedSandboxName(first) {
		return "", fmt.Errorf("sandbox path %q is reserved for contain's own files", v.Host)
	}
	mode, uid, gid, err := containerDir(rootfs, v.Container)
	if err != nil {
		return "", err
	}
	if err := makeDir(sandboxDir, rel, mode, uid, gid); err != nil {
		return "", err
	}
	return filepath.Join(sandboxDir, rel), nil
}

// containerDir returns the permission bits (including setgid and sticky) and owner of path in
// the rootfs, which must be a directory.
func containerDir(rootfs, path string) (mode uint32, uid, gid int, err error) {
	f, err := pathrs.OpenInRoot(rootfs, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, 0, 0, fmt.Errorf("container path %s does not exist in the rootfs: a sandbox volume copies its mode and owner", path)
		}
		return 0, 0, 0, fmt.Errorf("open container path in rootfs: %w", err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, 0, 0, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, 0, 0, fmt.Errorf("container path %s is not a directory in the rootfs", path)
	}
	return st.Mode & 0o7777, int(st.Uid), int(st.Gid), nil
}

// makeDir creates rel under root (parents 0711) and gives the last component exactly mode and
// uid:gid.
//
// Each component is made with mkdirat and opened with O_NOFOLLOW relative to its parent, so a
// symlink in the sandbox is refused rather than followed: the mount's source is a path the
// kernel will resolve again at mount time, and it must name the directory made here, not
// wherever a link points (resolving the link "inside the root", as pathrs-lite would, is not
// enough for that).
//
// The mode is set with fchmod after mkdir because mkdir applies the umask and drops S_ISUID
// and S_ISGID: /tmp's 1777 must arrive intact.
func makeDir(root, rel string, mode uint32, uid, gid int) error {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open sandbox", Path: root, Err: err}
	}
	at := root
	for _, name := range strings.Split(rel, "/") {
		at = filepath.Join(at, name)
		if err := unix.Mkdirat(fd, name, parentMode); err != nil && err != unix.EEXIST {
			unix.Close(fd)
			return &os.PathError{Op: "mkdir", Path: at, Err: err}
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			if err == unix.ELOOP || err == unix.ENOTDIR {
				return fmt.Errorf("sandbox path %s is not a directory (a symlink?): refusing to follow it", at)
			}
			return &os.PathError{Op: "open", Path: at, Err: err}
		}
		fd = next
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: at, Err: err}
	}
	// Owner first: chown clears setuid/setgid bits, so the mode goes on after it. Skipped when
	// already right, so an unprivileged caller can prepare volumes it owns.
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return &os.PathError{Op: "fchown", Path: at, Err: err}
		}
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return &os.PathError{Op: "fchmod", Path: at, Err: err}
	}
	return nil
}
