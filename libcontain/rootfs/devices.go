package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// device is one device node to create in the container.
type device struct {
	path         string // clean absolute container path
	typ          uint32 // S_IFCHR, S_IFBLK or S_IFIFO
	major, minor int64
	perm         uint32
	uid, gid     uint32
}

// defaultDevices are the nodes every container gets (OCI runtime spec, "Default Devices").
var defaultDevices = []device{
	{path: "/dev/null", typ: unix.S_IFCHR, major: 1, minor: 3, perm: 0o666},
	{path: "/dev/zero", typ: unix.S_IFCHR, major: 1, minor: 5, perm: 0o666},
	{path: "/dev/full", typ: unix.S_IFCHR, major: 1, minor: 7, perm: 0o666},
	{path: "/dev/random", typ: unix.S_IFCHR, major: 1, minor: 8, perm: 0o666},
	{path: "/dev/urandom", typ: unix.S_IFCHR, major: 1, minor: 9, perm: 0o666},
	{path: "/dev/tty", typ: unix.S_IFCHR, major: 5, minor: 0, perm: 0o666},
}

// containerDevices is the default devices followed by linux.devices; an entry of linux.devices
// replaces a default at the same path.
func containerDevices(s *specs.Spec) ([]device, error) {
	var extra []specs.LinuxDevice
	if s != nil && s.Linux != nil {
		extra = s.Linux.Devices
	}
	out := make([]device, 0, len(defaultDevices)+len(extra))
	index := map[string]int{}
	add := func(d device) {
		if i, ok := index[d.path]; ok {
			out[i] = d
			return
		}
		index[d.path] = len(out)
		out = append(out, d)
	}
	for _, d := range defaultDevices {
		add(d)
	}
	for _, sd := range extra {
		d, err := specDevice(sd)
		if err != nil {
			return nil, err
		}
		add(d)
	}
	return out, nil
}

func specDevice(sd specs.LinuxDevice) (device, error) {
	d := device{path: cleanPath(sd.Path), major: sd.Major, minor: sd.Minor, perm: 0o666}
	if sd.Path == "" || d.path == "/" {
		return device{}, fmt.Errorf("device %q: invalid path", sd.Path)
	}
	switch sd.Type {
	case "c", "u":
		d.typ = unix.S_IFCHR
	case "b":
		d.typ = unix.S_IFBLK
	case "p":
		d.typ, d.major, d.minor = unix.S_IFIFO, 0, 0
	default:
		return device{}, fmt.Errorf("device %s: unknown type %q", sd.Path, sd.Type)
	}
	if d.major < 0 || d.minor < 0 || d.major > 0xfff || d.minor > 0xfffff {
		return device{}, fmt.Errorf("device %s: number %d:%d out of range", sd.Path, sd.Major, sd.Minor)
	}
	if sd.FileMode != nil {
		// Only permission bits (and setuid/setgid/sticky): the type comes from Type.
		d.perm = uint32(sd.FileMode.Perm())
		if *sd.FileMode&os.ModeSetuid != 0 {
			d.perm |= unix.S_ISUID
		}
		if *sd.FileMode&os.ModeSetgid != 0 {
			d.perm |= unix.S_ISGID
		}
		if *sd.FileMode&os.ModeSticky != 0 {
			d.perm |= unix.S_ISVTX
		}
	}
	if sd.UID != nil {
		d.uid = *sd.UID
	}
	if sd.GID != nil {
		d.gid = *sd.GID
	}
	return d, nil
}

// createDevices makes the device nodes and /dev's standard symlinks.
func (m *mounter) createDevices() error {
	devs, err := containerDevices(m.c.Spec)
	if err != nil {
		return err
	}
	dirs := dirCache{}
	defer dirs.close()
	// mknod applies the umask; the modes in the config are meant exactly.
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devs {
		if err := m.createDevice(dirs, d); err != nil {
			return fmt.Errorf("create device %s: %w", d.path, err)
		}
	}
	return m.devSymlinks(dirs)
}

// dirCache holds the directories createDevices made or opened inside the root (inRoot.mkdirAll),
// by container path: /dev, and the parents of linux.devices entries, are resolved once each, not
// once per node and link (each resolution is some forty system calls of pathrs-lite's checks).
// A handle stays right for the whole of createDevices: nothing else runs in the container yet,
// and what it mounts (a host node bound onto one in /dev) replaces no directory.
type dirCache map[string]*os.File

// dir returns a handle on the directory dir, creating it (and its parents) if need be.
func (c dirCache) dir(r *inRoot, dir string) (*os.File, error) {
	if f, ok := c[dir]; ok {
		return f, nil
	}
	f, err := r.mkdirAll(dir)
	if err != nil {
		return nil, err
	}
	c[dir] = f
	return f, nil
}

func (c dirCache) close() {
	for _, f := range c {
		f.Close()
	}
}

func (m *mounter) createDevice(dirs dirCache, d device) error {
	if m.c.UserNS {
		// A user namespace may not mknod (the kernel only allows it to the initial user
		// namespace's CAP_MKNOD), so the host's node is bind-mounted onto an empty file instead.
		return m.mountBind(&mountOpts{dest: d.path, source: d.path, fstype: "bind",
			mountOptions: mountOptions{flags: unix.MS_BIND}}, -1)
	}
	dir, base := path.Split(d.path)
	parent, err := dirs.dir(m.r, dir)
	if err != nil {
		return err
	}
	dev := int(unix.Mkdev(uint32(d.major), uint32(d.minor)))
	if err := unix.Mknodat(int(parent.Fd()), base, d.typ|d.perm, dev); err != nil {
		if errors.Is(err, unix.EPERM) {
			// In a user namespace joined by path (UserNS covers only a new one), or where an
			// LSM forbids mknod: the host's node, bind-mounted, as runc does.
			m.log.Debug("mknod refused, binding the host's node", "path", d.path)
			return m.mountBind(&mountOpts{dest: d.path, source: d.path, fstype: "bind",
				mountOptions: mountOptions{flags: unix.MS_BIND}}, -1)
		}
		if errors.Is(err, unix.EEXIST) {
			// runc leaves an existing entry alone too; /dev is normally a fresh tmpfs.
			m.log.Debug("device exists, left as is", "path", d.path)
			return nil
		}
		return &os.PathError{Op: "mknodat", Path: d.path, Err: err}
	}
	// AT_SYMLINK_NOFOLLOW: the name was just created as a node, but never follow a swapped entry.
	if err := unix.Fchownat(int(parent.Fd()), base, int(d.uid), int(d.gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "fchownat", Path: d.path, Err: err}
	}
	return nil
}

// devSymlinks makes /dev/fd, /dev/std{in,out,err}, /dev/ptmx (when /dev/pts is a devpts of our
// own, the ptmx of that instance is the one to use) and /dev/core (when /proc is mounted and
// the kernel has /proc/kcore).
func (m *mounter) devSymlinks(dirs dirCache) error {
	links := [][2]string{
		{"/dev/fd", "/proc/self/fd"},
		{"/dev/stdin", "/proc/self/fd/0"},
		{"/dev/stdout", "/proc/self/fd/1"},
		{"/dev/stderr", "/proc/self/fd/2"},
	}
	// /proc/kcore exists only where the kernel has CONFIG_PROC_KCORE (runc checks too): no
	// dangling link otherwise.
	if _, err := os.Stat("/proc/kcore"); err == nil && specHasMount(m.c, "/proc", "proc") {
		links = append(links, [2]string{"/dev/core", "/proc/kcore"})
	}
	dev, err := dirs.dir(m.r, "/dev/")
	if err != nil {
		return err
	}
	if specHasMount(m.c, "/dev/pts", "devpts") {
		if err := unix.Unlinkat(int(dev.Fd()), "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return &os.PathError{Op: "unlinkat", Path: "/dev/ptmx", Err: err}
		}
		links = append(links, [2]string{"/dev/ptmx", "pts/ptmx"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[1], int(dev.Fd()), path.Base(l[0])); err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "symlinkat", Path: l[0], Err: err}
		}
	}
	return nil
}

// symlink creates the symlink link -> target inside the root; an existing entry is kept.
func (m *mounter) symlink(link, target string) error {
	dir, base := path.Split(cleanPath(link))
	parent, err := m.r.mkdirAll(dir)
	if err != nil {
		return err
	}
	defer parent.Close()
	if err := unix.Symlinkat(target, int(parent.Fd()), base); err != nil && !errors.Is(err, unix.EEXIST) {
		return &os.PathError{Op: "symlinkat", Path: link, Err: err}
	}
	return nil
}

// specHasMount reports whether the spec mounts type fstype at dest.
func specHasMount(c *Config, dest, fstype string) bool {
	if c.Spec == nil {
		return false
	}
	for _, m := range c.Spec.Mounts {
		if containerPath(c.Rootfs, m.Destination) == dest && m.Type == fstype {
			return true
		}
	}
	return false
}
