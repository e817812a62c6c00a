package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mounter makes mounts inside one root for one container.
type mounter struct {
	r   *inRoot
	c   *Config
	log *slog.Logger
}

// mountOpts is a parsed spec mount: what to mount, where, and how.
type mountOpts struct {
	dest     string // clean absolute container path
	source   string
	fstype   string
	idmapped bool // the options or the mount's uidMappings/gidMappings ask for an id-mapped mount
	mountOptions
}

func (o *mountOpts) bind() bool { return o.flags&unix.MS_BIND != 0 }

// deferReadonly: a read-only tmpfs or /dev is mounted writable and made read-only by Finish, as
// runc does: the mountpoints of the mounts below it (/dev/pts in a read-only /dev), /dev's
// nodes and a tmpcopyup copy are all made after it is mounted.
func (o *mountOpts) deferReadonly() bool {
	return !o.bind() && o.flags&unix.MS_RDONLY != 0 && (o.fstype == "tmpfs" || o.dest == "/dev" || o.copyUp)
}

// parseSpecMount parses one spec mount of the container whose rootfs is the host path rootfs.
func parseSpecMount(m specs.Mount, rootfs string) (*mountOpts, error) {
	mo, err := parseMountOptions(m.Options)
	if err != nil {
		return nil, err
	}
	// runc treats a mount of type "bind"/"rbind" as a bind mount even without the option.
	switch m.Type {
	case "bind":
		mo.flags |= unix.MS_BIND
	case "rbind":
		mo.flags |= unix.MS_BIND | unix.MS_REC
	}
	o := &mountOpts{dest: containerPath(rootfs, m.Destination), source: m.Source, fstype: m.Type,
		idmapped: isIDMapped(m, mo), mountOptions: mo}
	if o.dest == "/" {
		return nil, errors.New("mount destination is the container root itself")
	}
	if o.idmapped && !o.bind() {
		// An ignored id mapping would show the files with their host owners: refuse instead.
		return nil, errors.New("id-mapped mounts are only supported for bind-mounts")
	}
	if !o.bind() && o.fstype == "" {
		return nil, errors.New("mount has no type and is not a bind mount")
	}
	if o.copyUp && (o.bind() || o.flags&unix.MS_REMOUNT != 0) {
		return nil, fmt.Errorf("%s applies to a new filesystem (tmpfs), not to a bind mount or remount", optCopyUp)
	}
	return o, nil
}

// containerPath makes a mount destination a clean absolute container path. Like runc, it takes
// a destination that names the rootfs by its host path ("<rootfs>/mnt" is "/mnt": the form
// configs use to mount a tree the earlier mounts built) and a relative one (from "/").
func containerPath(rootfs, p string) string {
	p = cleanPath(p)
	if rel, ok := within(filepath.Clean(rootfs), p); ok && rootfs != "" {
		return rel
	}
	return p
}

// mountSpec makes spec mount number index.
func (m *mounter) mountSpec(index int, sm specs.Mount) error {
	o, err := parseSpecMount(sm, m.c.Rootfs)
	if err != nil {
		return fmt.Errorf("mount %s: %w", sm.Destination, err)
	}
	if !filepath.IsAbs(sm.Destination) {
		// runc still accepts these, with this warning; the spec wants absolute paths.
		m.log.Warn(fmt.Sprintf("mount destination %s is not absolute: mounted at %s", sm.Destination, o.dest))
	}
	m.log.Debug("mount", "destination", o.dest, "type", o.fstype, "source", o.source, "options", sm.Options)
	if o.fstype == "proc" {
		m.c.progress("mounting " + o.dest)
	}
	switch {
	case o.bind():
		if o.data != "" {
			// The kernel ignores data for MS_BIND; say so rather than pretend it applied.
			m.log.Warn("bind mount options ignored", "destination", o.dest, "options", o.data)
		}
		err = m.mountBind(o, index)
	case o.fstype == "cgroup" || o.fstype == "cgroup2":
		err = m.mountCgroup(o)
	case o.fstype == "sysfs":
		err = m.mountSysfs(o)
	default:
		err = m.mountNew(o)
	}
	if err != nil {
		// runc's wording: clients and users match "error mounting".
		return fmt.Errorf("error mounting %q to rootfs at %q: %w", o.source, sm.Destination, err)
	}
	return nil
}

// mountNew mounts a fresh filesystem instance (tmpfs, proc, devpts, mqueue, ...) on a directory.
func (m *mounter) mountNew(o *mountOpts) error {
	if o.fstype == "proc" || o.fstype == "sysfs" {
		// Never mount procfs or sysfs through a symlink the image planted (CVE-2019-19921,
		// CVE-2023-27561: a /proc symlink defeated the checks that keep /proc a procfs).
		if err := m.r.ordinaryDir(o.dest); err != nil {
			return fmt.Errorf("filesystem %q must be mounted on ordinary directory: %w", o.fstype, err)
		}
	}
	dst, existed, err := m.r.openOrMkdir(o.dest)
	if err != nil {
		return err
	}
	defer dst.Close()
	rel, err := m.checkDest(o, dst, nil)
	if err != nil {
		return err
	}
	src := o.source
	if src == "" {
		src = o.fstype
	}
	data := o.data
	if o.fstype == "tmpfs" && existed {
		// A tmpfs takes the mode of the directory it covers unless the options set one (a later
		// mode= wins); a new directory leaves the tmpfs default, 1777. runc does the same.
		var st unix.Stat_t
		if err := unix.Fstat(int(dst.Fd()), &st); err != nil {
			return os.NewSyscallError("fstat", err)
		}
		data = strings.TrimSuffix(fmt.Sprintf("mode=%04o,%s", st.Mode&0o7777, data), ",")
	}
	flags := o.flags
	if o.deferReadonly() {
		flags &^= unix.MS_RDONLY
	}
	top, err := m.mountOnto(o, dst, rel, func(target string) error {
		return mount(src, target, o.fstype, flags, data)
	})
	if err != nil {
		return err
	}
	defer top.Close()
	if o.copyUp {
		if err := copyUp(dst, top); err != nil {
			return fmt.Errorf("copy %s into the new mount (%s): %w", o.dest, optCopyUp, err)
		}
	}
	return setPropagation(top, o.propagation)
}

// mountBind bind-mounts o.source, spec mount number index (-1 for a bind this package makes of
// its own accord). The source is a host path, resolved on the host, and opened once, so what is
// checked is what is mounted.
func (m *mounter) mountBind(o *mountOpts, index int) error {
	src, err := m.source(o, index)
	if err != nil {
		return err
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.File.Fd()), &st); err != nil {
		return fmt.Errorf("stat bind source: %w", os.NewSyscallError("fstat", err))
	}
	var dst *os.File
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		dst, _, err = m.r.openOrMkdir(o.dest)
	} else {
		dst, err = m.r.mkfile(o.dest)
	}
	if err != nil {
		return err
	}
	defer dst.Close()
	rel, err := m.checkDest(o, dst, src.File)
	if err != nil {
		return err
	}
	top, err := m.mountOnto(o, dst, rel, func(target string) error {
		if src.Detached {
			// An id-mapped copy, a mount of its own: attached where dst is, no path involved.
			err := unix.MoveMount(int(src.File.Fd()), "", int(dst.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
			return os.NewSyscallError("move_mount", err)
		}
		return mount(procFd(src.File), target, "", unix.MS_BIND|o.flags&unix.MS_REC, "")
	})
	if err != nil {
		return err
	}
	defer top.Close()
	if err := setPropagation(top, o.propagation); err != nil {
		return err
	}
	if err := setBindFlags(top, src.File, o); err != nil {
		return err
	}
	return setRecursive(top, o.recursive)
}

// source opens the bind source of o. Init opens it itself when it can; the runtime does it
// (Config.Sources) for an id-mapped mount and for a source init cannot open, as runc does.
// Without Sources (this package's tests) init does the runtime's part itself, which works only
// where it is host root and its /proc shows its own pid namespace (see newUserNS).
func (m *mounter) source(o *mountOpts, index int) (*MountSource, error) {
	if index >= 0 && o.idmapped {
		if m.c.Sources != nil {
			return m.c.Sources(index)
		}
		return OpenMountSource(m.c.Spec, index)
	}
	f, err := os.OpenFile(o.source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err == nil {
		return &MountSource{File: f}, nil
	}
	if index >= 0 && m.c.Sources != nil {
		m.log.Debug("bind source not reachable from init, asking the runtime", "source", o.source, "error", err)
		return m.c.Sources(index)
	}
	return nil, fmt.Errorf("open bind source: %w", err)
}

// mountOnto runs do on the magic link of dst, the mountpoint found at the container path rel, and
// returns a handle on the new mount.
func (m *mounter) mountOnto(o *mountOpts, dst *os.File, rel string, do func(target string) error) (*os.File, error) {
	before, err := mountID(dst)
	if err != nil {
		return nil, err
	}
	if err := do(procFd(dst)); err != nil {
		return nil, err
	}
	// dst still names the covered inode, so anything more must go through a fresh lookup, which
	// crosses into the new mount. Its mount id proves it did land there.
	top, err := m.r.open(rel)
	if err != nil {
		return nil, fmt.Errorf("reopen after mount: %w", err)
	}
	after, err := mountID(top)
	if err != nil {
		top.Close()
		return nil, err
	}
	// A remount (MS_REMOUNT in the options) changes the mount that is there instead of adding one.
	if after == before && o.flags&unix.MS_REMOUNT == 0 {
		top.Close()
		return nil, fmt.Errorf("mount on %s is not visible at that path after mounting (raced with a rename?)", o.dest)
	}
	return top, nil
}

// setBindFlags gives the bind mount top the per-mount flags the options ask for; MS_BIND ignores
// them, so it takes a bind remount. These are runc's mount(8)-like semantics:
//   - no flag given or cleared ("bind" alone): the mount keeps its source's flags;
//   - otherwise the mount gets exactly the flags given, like `mount --bind -o ...`: "ro" alone
//     clears a nosuid the source had, "rw" makes a bind of a read-only source writable;
//   - where the kernel refuses that because the source's flags are locked (a mount inherited
//     into a less privileged user namespace, MNT_LOCK_*), the locked flags are kept, unless the
//     options explicitly cleared one or asked for another access-time mode: that is an error,
//     never a mount other than the one asked for.
func setBindFlags(top, src *os.File, o *mountOpts) error {
	if o.flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) == 0 && o.cleared == 0 {
		return nil
	}
	target := procFd(top)
	flags := o.flags&^unix.MS_REC | unix.MS_BIND | unix.MS_REMOUNT
	err := mount("", target, "", flags, "")
	if err == nil {
		return nil
	}
	var st unix.Statfs_t
	if serr := unix.Fstatfs(int(src.Fd()), &st); serr != nil {
		return errors.Join(err, os.NewSyscallError("fstatfs", serr))
	}
	srcFlags := statfsMountFlags(st.Flags)
	if locked := srcFlags & o.cleared & lockableFlags; locked != 0 {
		return fmt.Errorf("cannot clear locked flags %s: %w", flagNames(locked), err)
	}
	// An asked access-time mode must be the locked one: the kernel would otherwise silently
	// keep another (MS_STRICTATIME overrides MS_NOATIME, MS_NOATIME overrides MS_RELATIME).
	if o.flags&atimeFlags != 0 && o.flags&atimeFlags != srcFlags&atimeFlags {
		return fmt.Errorf("cannot change locked atime flags %s: %w", flagNames(srcFlags&atimeFlags), err)
	}
	if err := mount("", target, "", flags|srcFlags&lockableFlags, ""); err != nil {
		return fmt.Errorf("remount with locked flags %s re-applied: %w", flagNames(srcFlags&lockableFlags), err)
	}
	return nil
}

// setRecursive applies the recursive options (rro, rnosuid, ...) to the mount f and every mount
// below it.
func setRecursive(f *os.File, attr *unix.MountAttr) error {
	if attr == nil {
		return nil
	}
	if err := unix.MountSetattr(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("set recursive mount attributes (set %#x, clear %#x): %w", attr.Attr_set, attr.Attr_clr, os.NewSyscallError("mount_setattr", err))
	}
	return nil
}

func setPropagation(f *os.File, prop []uintptr) error {
	for _, p := range prop {
		if err := mount("", procFd(f), "", p, ""); err != nil {
			return fmt.Errorf("set propagation: %w", err)
		}
	}
	return nil
}

// mountSysfs mounts sysfs, falling back to a recursive bind of the host's /sys when the kernel
// refuses with EPERM: a sysfs instance belongs to a network namespace, and a user namespace may
// mount it only if it owns that network namespace (e.g. a rootless container sharing the host
// network). runc does the same.
func (m *mounter) mountSysfs(o *mountOpts) error {
	err := m.mountNew(o)
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	m.log.Debug("sysfs mount refused, binding /sys instead", "destination", o.dest, "error", err)
	b := *o
	b.source, b.fstype, b.data = "/sys", "bind", ""
	b.flags = unix.MS_BIND | unix.MS_REC | o.flags&(unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
	return m.mountBind(&b, -1)
}

// procSafeMounts are the only paths inside /proc that may be mounted over: the files that lxcfs
// emulates. Anything else could hide a procfs file the kernel or an LSM relies on, like
// /proc/self/attr (CVE-2019-16884: an AppArmor profile silently not applied) or the magic links
// this package itself mounts through.
var procSafeMounts = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
	"/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory",
	"/proc/sys/kernel/ns_last_pid",
}

// checkDest refuses destinations the container must not mount on: anything resolving outside the
// root or to the root itself, /proc unless what goes there is a procfs, and anything inside a
// procfs except the lxcfs files. src is the bind source, nil for other mounts. It returns the
// container path dst really is (symlinks resolved).
func (m *mounter) checkDest(o *mountOpts, dst, src *os.File) (string, error) {
	rel, err := m.r.check(o.dest, dst)
	if err != nil {
		return "", err
	}
	if rel == "/" {
		// A symlink to "/" would put the mount over the whole rootfs.
		return "", fmt.Errorf("%s resolves to the top of the container root", o.dest)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(dst.Fd()), &st); err != nil {
		return "", os.NewSyscallError("fstatfs", err)
	}
	onProc := st.Type == unix.PROC_SUPER_MAGIC
	switch {
	case rel == "/proc":
		if o.fstype == "proc" && !o.bind() {
			return rel, nil
		}
		if src != nil {
			var sst unix.Statfs_t
			if err := unix.Fstatfs(int(src.Fd()), &sst); err == nil && sst.Type == unix.PROC_SUPER_MAGIC {
				return rel, nil
			}
		}
		return "", fmt.Errorf("%s resolves to /proc, which may only hold a procfs", o.dest)
	case onProc || strings.HasPrefix(rel, "/proc/"):
		if slices.Contains(procSafeMounts, rel) {
			return rel, nil
		}
		return "", fmt.Errorf("%s resolves to %s inside /proc, where only %v may be mounted over", o.dest, rel, procSafeMounts)
	}
	return rel, nil
}

// mount is mount(2) with the errno kept (errors.Is(err, unix.EPERM) works) and the call named.
func mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount(%q, %q, %q, %#x, %q): %w", source, target, fstype, flags, data, err)
	}
	return nil
}
