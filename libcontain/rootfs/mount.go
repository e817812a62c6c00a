package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
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
	dest        string // clean absolute container path
	source      string
	fstype      string
	flags       uintptr
	propagation []uintptr
	data        string
	// copyUp (runc's "tmpcopyup"): the new filesystem starts with a copy of what it covers.
	copyUp bool
}

func (o *mountOpts) bind() bool { return o.flags&unix.MS_BIND != 0 }

func parseSpecMount(m specs.Mount) (*mountOpts, error) {
	opts := slices.DeleteFunc(slices.Clone(m.Options), func(s string) bool { return s == optCopyUp })
	flags, prop, data, err := ParseMountOptions(opts)
	if err != nil {
		return nil, err
	}
	// runc treats a mount of type "bind"/"rbind" as a bind mount even without the option.
	switch m.Type {
	case "bind":
		flags |= unix.MS_BIND
	case "rbind":
		flags |= unix.MS_BIND | unix.MS_REC
	}
	o := &mountOpts{dest: cleanPath(m.Destination), source: m.Source, fstype: m.Type, flags: flags, propagation: prop, data: data,
		copyUp: len(opts) < len(m.Options)}
	if o.dest == "/" {
		return nil, errors.New("mount destination is the container root itself")
	}
	if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 || slices.ContainsFunc(m.Options, func(s string) bool { return s == "idmap" || s == "ridmap" }) {
		// An ignored id mapping would show the files with their host owners: refuse instead.
		return nil, errors.New("idmapped mounts are not supported")
	}
	if !o.bind() && o.fstype == "" {
		return nil, errors.New("mount has no type and is not a bind mount")
	}
	if o.copyUp && (o.bind() || o.flags&unix.MS_REMOUNT != 0) {
		return nil, fmt.Errorf("%s applies to a new filesystem (tmpfs), not to a bind mount or remount", optCopyUp)
	}
	return o, nil
}

// optCopyUp is runc's mount option for copyUp.
const optCopyUp = "tmpcopyup"

// mountSpec makes one linux mount from the spec.
func (m *mounter) mountSpec(sm specs.Mount) error {
	o, err := parseSpecMount(sm)
	if err != nil {
		return fmt.Errorf("mount %s: %w", sm.Destination, err)
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
		err = m.mountBind(o)
	case o.fstype == "cgroup" || o.fstype == "cgroup2":
		err = m.mountCgroup(o)
	case o.fstype == "sysfs":
		err = m.mountSysfs(o)
	default:
		err = m.mountNew(o)
	}
	if err != nil {
		return fmt.Errorf("mount %s on %s (type %q): %w", o.source, o.dest, o.fstype, err)
	}
	return nil
}

// mountNew mounts a fresh filesystem instance (tmpfs, proc, devpts, mqueue, ...) on a directory.
func (m *mounter) mountNew(o *mountOpts) error {
	dst, err := m.r.mkdirAll(o.dest)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := m.checkDest(o, dst, nil); err != nil {
		return err
	}
	src := o.source
	if src == "" {
		src = o.fstype
	}
	flags := o.flags
	if o.copyUp {
		flags &^= unix.MS_RDONLY // filled first, made read-only after (mountOnto)
	}
	return m.mountOnto(o, dst, func(target string) error {
		return mount(src, target, o.fstype, flags, o.data)
	})
}

// mountBind bind-mounts the host path o.source. The source is a host path from the config and is
// resolved on the host; it is opened once so what we stat is what we mount.
func (m *mounter) mountBind(o *mountOpts) error {
	src, err := os.OpenFile(o.source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open bind source: %w", err)
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return fmt.Errorf("stat bind source: %w", os.NewSyscallError("fstat", err))
	}
	var dst *os.File
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		dst, err = m.r.mkdirAll(o.dest)
	} else {
		dst, err = m.r.mkfile(o.dest)
	}
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := m.checkDest(o, dst, src); err != nil {
		return err
	}
	return m.mountOnto(o, dst, func(target string) error {
		return mount(procFd(src), target, "", unix.MS_BIND|o.flags&unix.MS_REC, "")
	})
}

// mountOnto runs do on the magic link of dst, then finishes the new mount: the bind remount
// for flags a bind cannot take at once, then the propagation changes.
func (m *mounter) mountOnto(o *mountOpts, dst *os.File, do func(target string) error) error {
	before, err := mountID(dst)
	if err != nil {
		return err
	}
	if err := do(procFd(dst)); err != nil {
		return err
	}
	// dst still names the covered inode, so anything more must go through a fresh lookup, which
	// crosses into the new mount. Its mount id proves it did land there.
	top, err := m.r.open(o.dest)
	if err != nil {
		return fmt.Errorf("reopen after mount: %w", err)
	}
	defer top.Close()
	after, err := mountID(top)
	if err != nil {
		return err
	}
	// A remount (MS_REMOUNT in the options) changes the mount that is there instead of adding one.
	if after == before && o.flags&unix.MS_REMOUNT == 0 {
		return fmt.Errorf("mount on %s is not visible at that path after mounting (raced with a rename?)", o.dest)
	}
	if o.bind() && o.flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) != 0 {
		if err := remountBind(top, o.flags&^unix.MS_REC); err != nil {
			return err
		}
	}
	if o.copyUp {
		if err := copyUp(dst, top); err != nil {
			return fmt.Errorf("copy %s into the new mount (%s): %w", o.dest, optCopyUp, err)
		}
		if o.flags&unix.MS_RDONLY != 0 {
			if err := remountBind(top, o.flags&^(unix.MS_BIND|unix.MS_REC)); err != nil {
				return err
			}
		}
	}
	return setPropagation(top, o.propagation)
}

// remountBind applies per-mount flags (ro, nosuid, ...) to the bind mount f: MS_BIND ignores them
// on the first call, they need MS_BIND|MS_REMOUNT. Flags the kernel locked on the source (because
// a less privileged user namespace owns it) make that EPERM unless repeated, so after EPERM it
// retries with the mount's current flags added.
func remountBind(f *os.File, flags uintptr) error {
	target := procFd(f)
	flags |= unix.MS_BIND | unix.MS_REMOUNT
	err := mount("", target, "", flags, "")
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if serr := unix.Fstatfs(int(f.Fd()), &st); serr != nil {
		return errors.Join(err, os.NewSyscallError("fstatfs", serr))
	}
	retry := mergeLockedFlags(flags, st.Flags)
	if retry == flags {
		return err
	}
	return mount("", target, "", retry, "")
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
	return m.mountBind(&b)
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
// root, /proc unless what goes there is a procfs, and anything inside a procfs except the lxcfs
// files. src is the bind source, nil for other mounts.
func (m *mounter) checkDest(o *mountOpts, dst, src *os.File) error {
	rel, err := m.r.check(o.dest, dst)
	if err != nil {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(dst.Fd()), &st); err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	onProc := st.Type == unix.PROC_SUPER_MAGIC
	switch {
	case rel == "/proc":
		if o.fstype == "proc" && !o.bind() {
			return nil
		}
		if src != nil {
			var sst unix.Statfs_t
			if err := unix.Fstatfs(int(src.Fd()), &sst); err == nil && sst.Type == unix.PROC_SUPER_MAGIC {
				return nil
			}
		}
		return fmt.Errorf("%s resolves to /proc, which may only hold a procfs", o.dest)
	case onProc || strings.HasPrefix(rel, "/proc/"):
		if slices.Contains(procSafeMounts, rel) {
			return nil
		}
		return fmt.Errorf("%s resolves to %s inside /proc, where only %v may be mounted over", o.dest, rel, procSafeMounts)
	}
	return nil
}

// mount is mount(2) with the errno kept (errors.Is(err, unix.EPERM) works) and the call named.
func mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount(%q, %q, %q, %#x, %q): %w", source, target, fstype, flags, data, err)
	}
	return nil
}
