package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Finish runs after Pivot, with the rootfs as "/": it applies linux.rootfsPropagation to "/",
// creates a missing process.cwd, makes the read-only tmpfs and /dev mounts read-only (Prepare
// mounted them writable, see deferReadonly), makes linux.readonlyPaths read-only, masks
// linux.maskedPaths and, for root.readonly, remounts "/" read-only. Paths that do not exist are
// skipped.
func Finish(c *Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	log := c.logger()
	s := c.Spec
	if p := rootPropagation(s); p != "" {
		// After the pivot, "/" is the container's own mount: the change cannot reach the host.
		f, err := parseRootPropagation(p)
		if err != nil {
			return err
		}
		if err := mount("", "/", "", f, ""); err != nil {
			return fmt.Errorf("set rootfsPropagation %s: %w", p, err)
		}
	}
	if err := makeCwd(s); err != nil {
		return err
	}
	var readonly, masked []string
	if s.Linux != nil {
		readonly, masked = s.Linux.ReadonlyPaths, s.Linux.MaskedPaths
	}
	r, err := openRoot("/")
	if err != nil {
		return err
	}
	defer r.Close()
	f := &finisher{r: r, log: log}
	defer f.Close()
	for _, sm := range s.Mounts {
		if o, err := parseSpecMount(sm, c.Rootfs); err == nil && o.deferReadonly() {
			if err := f.remountReadonly(o); err != nil {
				return fmt.Errorf("make %s read-only: %w", sm.Destination, err)
			}
		}
	}
	if len(readonly)+len(masked) > 0 {
		for _, p := range readonly {
			if err := f.readonly(p); err != nil {
				return fmt.Errorf("make %s read-only: %w", p, err)
			}
		}
		for _, p := range masked {
			if err := f.mask(p); err != nil {
				return fmt.Errorf("mask %s: %w", p, err)
			}
		}
		log.Debug("read-only and masked paths applied", "readonly", len(readonly), "masked", len(masked))
	}
	if s.Root != nil && s.Root.Readonly {
		if err := remountRootReadonly(); err != nil {
			return err
		}
	}
	return nil
}

// makeCwd creates process.cwd when the rootfs lacks it, as runc does: Kubernetes' workingDir
// and an image's WorkingDir often name a directory the image does not hold. Like every other
// config path it is resolved inside the root (an image's symlink cannot lead it out, nor can a
// /proc magic link), and it is made by init as root, mode 0755, before any read-only remount.
func makeCwd(s *specs.Spec) error {
	if s.Process == nil || s.Process.Cwd == "" {
		return nil
	}
	r, err := openRoot("/")
	if err != nil {
		return err
	}
	defer r.Close()
	dir, err := r.mkdirAll(s.Process.Cwd)
	if err != nil {
		return fmt.Errorf("create cwd: %w", err)
	}
	return dir.Close()
}

type finisher struct {
	r      *inRoot
	log    *slog.Logger
	procOK bool
	null   *os.File // the container's /dev/null, checked, opened on first use
	// maskDir is the read-only tmpfs of the first masked directory: the others get a bind of
	// it, so all masked directories share one tmpfs instance (runc's way; a container with
	// many masked paths otherwise holds one superblock each). maskNoShare is set when a bind
	// of it failed: the rest then get a tmpfs each.
	maskDir     *os.File
	maskNoShare bool
	masked      map[string]bool // masked paths done, by clean path: a path listed twice is masked once
}

func (f *finisher) Close() {
	if f.null != nil {
		f.null.Close()
	}
	if f.maskDir != nil {
		f.maskDir.Close()
	}
}

// remountReadonly makes the mount at o.dest read-only, changing nothing else: mount_setattr(2)
// sets the one attribute and needs no /proc. Kernels before 5.12 lack it; there a bind remount
// with the flags the options gave does the same.
func (f *finisher) remountReadonly(o *mountOpts) error {
	top, err := f.r.open(o.dest)
	if err != nil {
		return err
	}
	defer top.Close()
	err = unix.MountSetattr(int(top.Fd()), "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if !errors.Is(err, unix.ENOSYS) {
		return os.NewSyscallError("mount_setattr", err)
	}
	if err := f.ensureProc(); err != nil {
		return err
	}
	flags := o.flags&^(unix.MS_REC|unix.MS_REMOUNT) | unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY
	return mount("", procFd(top), "", flags, "")
}

// ensureProc checks that /proc is a procfs before we mount through /proc/thread-self/fd: after
// the pivot it is the container's /proc, which the config controls; a tmpfs or bind there could
// otherwise redirect our mounts (CVE-2019-19921).
func (f *finisher) ensureProc() error {
	if f.procOK {
		return nil
	}
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("need /proc mounted in the container: %w", &os.PathError{Op: "open", Path: "/proc", Err: err})
	}
	defer unix.Close(fd)
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("/proc in the container is not a procfs (type %#x)", st.Type)
	}
	f.procOK = true
	return nil
}

// openExisting resolves p in the root; (nil, nil) when it is not there.
func (f *finisher) openExisting(p string) (*os.File, error) {
	h, err := f.r.open(p)
	if isNotExist(err) {
		return nil, nil
	}
	return h, err
}

// readonly bind-mounts p onto itself and remounts the bind read-only, keeping the flags the
// mount already had (nosuid, nodev, noexec, atime): a bind remount replaces them all.
func (f *finisher) readonly(p string) error {
	h, err := f.openExisting(p)
	if h == nil || err != nil {
		return err
	}
	defer h.Close()
	if err := f.ensureProc(); err != nil {
		return err
	}
	if err := mount(procFd(h), procFd(h), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	top, err := f.r.open(p)
	if err != nil {
		return fmt.Errorf("reopen after bind: %w", err)
	}
	defer top.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(top.Fd()), &st); err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	return mount("", procFd(top), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|statfsMountFlags(st.Flags)&keptFlags, "")
}

// mask hides p: a directory gets an empty read-only tmpfs over it (one shared by all masked
// directories), anything else the container's /dev/null bound over it.
func (f *finisher) mask(p string) error {
	clean := cleanPath(p)
	if f.masked[clean] {
		return nil
	}
	h, err := f.openExisting(p)
	if h == nil || err != nil {
		return err
	}
	defer h.Close()
	if err := f.ensureProc(); err != nil {
		return err
	}
	if f.masked == nil {
		f.masked = map[string]bool{}
	}
	f.masked[clean] = true
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		null, err := f.devNull()
		if err != nil {
			return err
		}
		return mount(procFd(null), procFd(h), "", unix.MS_BIND, "")
	}
	if f.maskDir != nil {
		// A bind keeps the read-only flag of the mount it copies.
		err := mount(procFd(f.maskDir), procFd(h), "", unix.MS_BIND, "")
		if err == nil {
			return nil
		}
		f.log.Warn("masked paths: binding the shared tmpfs failed, giving each directory its own", "path", p, "error", err)
		f.maskDir.Close()
		f.maskDir, f.maskNoShare = nil, true
	}
	// nr_blocks/nr_inodes: the mask holds nothing, so it may not hold anything either. Some
	// distribution kernels refuse nr_inodes below 2 (runc retries so too).
	if err := mount("tmpfs", procFd(h), "tmpfs", unix.MS_RDONLY, "nr_blocks=1,nr_inodes=1"); err != nil {
		if err := mount("tmpfs", procFd(h), "tmpfs", unix.MS_RDONLY, "nr_blocks=1,nr_inodes=2"); err != nil {
			return err
		}
	}
	if f.maskNoShare {
		return nil
	}
	return f.keepMaskDir(p, h)
}

// keepMaskDir keeps a handle on the tmpfs just mounted over h (at p) to bind over the other
// masked directories. The handle is found by a fresh lookup of h's real path; its mount id
// proves it is the new mount, not what it covers.
func (f *finisher) keepMaskDir(p string, h *os.File) error {
	rel, err := f.r.check(p, h)
	if err != nil {
		return err
	}
	top, err := f.r.open(rel)
	if err != nil {
		return fmt.Errorf("reopen after mount: %w", err)
	}
	under, err := mountID(h)
	if err == nil {
		var over uint64
		if over, err = mountID(top); err == nil && over == under {
			err = fmt.Errorf("mask on %s is not visible at that path after mounting (raced with a rename?)", p)
		}
	}
	if err != nil {
		top.Close()
		return err
	}
	f.maskDir = top
	return nil
}

// devNull opens the container's /dev/null and checks that it is the real null device. If it were
// anything else (a symlink to /proc/sys/kernel/core_pattern, a file of the image), binding it over
// a masked path would expose or plant content instead of hiding it (CVE-2025-31133). Binding the
// checked fd, not the path, leaves no window to swap it.
func (f *finisher) devNull() (*os.File, error) {
	if f.null != nil {
		return f.null, nil
	}
	h, err := f.r.open("/dev/null")
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		h.Close()
		return nil, os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		h.Close()
		return nil, errors.New("/dev/null in the container is not the null device (char 1:3)")
	}
	f.null = h
	return h, nil
}

// remountRootReadonly makes "/" (the rootfs bind mount) read-only, keeping its other flags.
func remountRootReadonly() error {
	var st unix.Statfs_t
	if err := unix.Statfs("/", &st); err != nil {
		return fmt.Errorf("make root read-only: %w", os.NewSyscallError("statfs", err))
	}
	flags := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) | statfsMountFlags(st.Flags)&keptFlags
	if err := mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("make root read-only: %w", err)
	}
	return nil
}
