// Package rootfs builds the container's filesystem view from inside its init process: mount
// propagation, the spec's mounts, /dev and its devices, pivot_root, and after the pivot the
// root propagation, read-only and masked paths and a read-only root.
//
// Everything here runs in init, in the container's new mount namespace, as root, on the locked
// OS thread, in this order: Prepare, (hooks), Pivot, Finish. Every path that names something in
// the container is resolved inside the rootfs (see inRoot), because the rootfs is untrusted.
package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config is what the rootfs steps need.
type Config struct {
	Spec        *specs.Spec
	Rootfs      string            // absolute, symlink-resolved host path of root.path
	NoPivot     bool              // --no-pivot: MS_MOVE + chroot instead of pivot_root
	CgroupPaths map[string]string // host cgroup dirs of this container (controller -> dir, "" = unified), for "cgroup" mounts
	UserNS      bool              // in a new user namespace: bind-mount host devices instead of mknod
	Log         *slog.Logger      // may be nil
	// Overlay, when set, puts a copy-on-write overlayfs layer over the rootfs: the container
	// writes to Upper and the rootfs itself is never modified.
	Overlay *Overlay
	// Progress, when set, is told each user-visible step ("mounting /proc", "pivoting root").
	Progress func(msg string)
	// Sources, when set, gets bind sources from the runtime: id-mapped ones, and those init
	// cannot open (in a user namespace). Without it init opens them itself (see MountSource).
	Sources SourceFunc
}

// Overlay names the writable layer of an overlay root; both dirs must exist on one filesystem.
type Overlay struct {
	Upper, Work string
}

func (c *Config) progress(msg string) {
	if c.Progress != nil {
		c.Progress(msg)
	}
}

func (c *Config) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Config) validate() error {
	if c == nil || c.Spec == nil {
		return errors.New("no spec")
	}
	if !filepath.IsAbs(c.Rootfs) || filepath.Clean(c.Rootfs) == "/" {
		return fmt.Errorf("rootfs %q must be an absolute path other than /", c.Rootfs)
	}
	if c.sharedMounts() && c.NoPivot {
		// MS_MOVE of the rootfs over "/" would replace the caller's root for everyone in it.
		return errors.New("--no-pivot needs a mount namespace (linux.namespaces has no \"mount\")")
	}
	return nil
}

// sharedMounts: the spec has no mount namespace, so the container shares the caller's. The
// spec allows it (the OCI validation suite's linux_ns_itype does it); like runc, contain then
// mounts into the caller's namespace — the mounts are visible there, and delete removes them —
// leaves the propagation of the caller's "/" alone, and chroots instead of pivot_root, which
// would swap the root of every process in that namespace.
func (c *Config) sharedMounts() bool { return !hasNamespace(c.Spec, specs.MountNamespace) }

// Prepare sets up the mounts of the container's root before the pivot:
//
//  1. "/" becomes recursively slave (or linux.rootfsPropagation), so nothing mounted from here on
//     propagates back to the host while host mounts still reach us;
//  2. the mount holding the rootfs becomes private, because pivot_root(2) fails with EINVAL when
//     the new root's parent mount is shared;
//  3. the rootfs is bind-mounted onto itself, because pivot_root needs the new root to be a mount
//     point, and it gives the container a mount of its own to make read-only later;
//  4. a tmpfs on /dev unless the spec mounts /dev, then every spec mount in order;
//  5. unless /dev is a bind mount: the default devices, linux.devices and /dev's symlinks.
func Prepare(c *Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	log := c.logger()
	rootfs := filepath.Clean(c.Rootfs)
	flag := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if p := rootPropagation(c.Spec); p != "" {
		f, err := parseRootPropagation(p)
		if err != nil {
			return err
		}
		// An unbindable "/" would make the bind of the rootfs below fail (EINVAL); Finish
		// applies it once the rootfs is "/".
		if f&unix.MS_UNBINDABLE == 0 {
			flag = f
		}
	}
	if !c.sharedMounts() {
		if err := mount("", "/", "", flag, ""); err != nil {
			return fmt.Errorf("set propagation of /: %w", err)
		}
		if err := makeParentPrivate(rootfs); err != nil {
			return err
		}
	}
	if err := mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs onto itself: %w", err)
	}
	if c.Overlay != nil {
		// The lower dir is looked up before the new mount covers it, so the overlay can sit on
		// the very path it reads from. It lives only in the container's mount namespace.
		data := "lowerdir=" + rootfs + ",upperdir=" + c.Overlay.Upper + ",workdir=" + c.Overlay.Work
		if err := mount("overlay", rootfs, "overlay", 0, data); err != nil {
			return fmt.Errorf("mount overlay on rootfs: %w", err)
		}
	}
	r, err := openRoot(rootfs)
	if err != nil {
		return err
	}
	defer r.Close()
	m := &mounter{r: r, c: c, log: log}

	devMount := findMount(c, "/dev")
	if devMount == nil {
		// OCI: a runtime provides /dev when the config does not; these are runc's options.
		dev := specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}}
		if err := m.mountSpec(-1, dev); err != nil {
			return err
		}
	}
	for i, sm := range c.Spec.Mounts {
		if err := m.mountSpec(i, sm); err != nil {
			return err
		}
	}
	if devMount != nil {
		if o, err := parseSpecMount(*devMount, c.Rootfs); err == nil && o.bind() {
			// The host's /dev (or another tree) was given: it already has its nodes.
			return nil
		}
	}
	return m.createDevices()
}

// makeParentPrivate makes the mount that holds path private, in this namespace only. The mount
// is found by walking up while the mount id stays the same.
func makeParentPrivate(path string) error {
	id, err := pathMountID(path)
	if err != nil {
		return err
	}
	top := path
	for top != "/" {
		parent := filepath.Dir(top)
		pid, err := pathMountID(parent)
		if err != nil {
			return err
		}
		if pid != id {
			break
		}
		top = parent
	}
	if err := mount("", top, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make parent mount of rootfs private: %w", err)
	}
	return nil
}

func pathMountID(p string) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil {
		return 0, fmt.Errorf("statx %s: %w", p, err)
	}
	return st.Mnt_id, nil
}

func rootPropagation(s *specs.Spec) string {
	if s == nil || s.Linux == nil {
		return ""
	}
	return s.Linux.RootfsPropagation
}

// findMount returns the last spec mount at dest (the one that ends up visible), or nil.
func findMount(c *Config, dest string) *specs.Mount {
	var found *specs.Mount
	s := c.Spec
	for i := range s.Mounts {
		if containerPath(c.Rootfs, s.Mounts[i].Destination) == dest {
			found = &s.Mounts[i]
		}
	}
	return found
}
