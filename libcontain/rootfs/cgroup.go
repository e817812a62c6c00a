package rootfs

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const cgroupRoot = "/sys/fs/cgroup/"

// mountCgroup gives the container a view of its own cgroups at o.dest.
//
// cgroup v1 (CgroupPaths has named controllers): a tmpfs with one bind of the container's
// directory per hierarchy, so the container sees only its own subtree (runc's layout:
// co-mounted controllers share one directory, e.g. "cpu,cpuacct", with a symlink per controller;
// a hybrid host's unified hierarchy is not shown; "ro" makes the binds read-only, the tmpfs
// stays writable, as runc 1.5 leaves it).
//
// cgroup v2: in a cgroup namespace a fresh cgroup2 mount is rooted at the container's cgroup, so
// that is mounted; without one a cgroup2 mount would show the host's whole tree, so the
// container's directory is bind-mounted instead.
func (m *mounter) mountCgroup(o *mountOpts) error {
	v1 := false
	for k := range m.c.CgroupPaths {
		v1 = v1 || k != ""
	}
	if len(m.c.CgroupPaths) == 0 {
		var st unix.Statfs_t
		if err := unix.Statfs(cgroupRoot, &st); err == nil && st.Type != unix.CGROUP2_SUPER_MAGIC {
			v1 = true
		}
	}
	if v1 {
		return m.mountCgroupV1(o)
	}
	return m.mountCgroupV2(o)
}

func (m *mounter) mountCgroupV2(o *mountOpts) error {
	dir := m.c.CgroupPaths[""]
	if hasNamespace(m.c.Spec, specs.CgroupNamespace) || dir == "" {
		n := *o
		n.fstype, n.source, n.data = "cgroup2", "cgroup2", ""
		err := m.mountNew(&n)
		// EPERM/EBUSY: a user namespace that does not own the cgroup namespace may not mount
		// cgroup2; the bind below shows the same subtree.
		if err == nil || dir == "" || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY)) {
			return err
		}
		m.log.Debug("cgroup2 mount refused, binding the container's cgroup", "error", err)
	}
	b := *o
	b.source, b.fstype, b.data = dir, "bind", ""
	b.flags = o.flags | unix.MS_BIND
	return m.mountBind(&b, -1)
}

func (m *mounter) mountCgroupV1(o *mountOpts) error {
	const cgFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	ro := o.flags&unix.MS_RDONLY != 0
	t := *o
	t.fstype, t.source, t.data = "tmpfs", "tmpfs", "mode=755"
	t.flags = o.flags&^(unix.MS_RDONLY|unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) | cgFlags
	t.propagation = nil
	if err := m.mountNew(&t); err != nil {
		return err
	}
	top, err := m.r.open(o.dest)
	if err != nil {
		return err
	}
	defer top.Close()
	hs := cgroupHierarchies(m.c.CgroupPaths)
	err = unix.ENOSYS
	if !m.c.UserNS {
		err = bindCgroupsV1(top, hs, ro)
	}
	if errors.Is(err, unix.ENOSYS) {
		err = m.bindCgroupsV1Paths(o.dest, hs, ro)
	}
	if err != nil {
		return err
	}
	return setPropagation(top, o.propagation)
}

// bindCgroupsV1 binds each hierarchy's container dir into the fresh tmpfs top, with the new mount
// API: a detached clone of the host dir (open_tree), its flags set on it (mount_setattr), attached
// below top by name (move_mount). top is the tmpfs just mounted, which nothing else can reach yet,
// so its entries need no path-safe resolution; that saves the nine or ten resolutions and
// remounts per hierarchy of bindCgroupsV1Paths (1.6 ms of init's setup here). The mounts get
// exactly nosuid, nodev, noexec and relatime, and ro or not, as the bind remount gives them there.
// ENOSYS before anything is made: a kernel without the calls (before 5.12).
func bindCgroupsV1(top *os.File, hs []cgroupHierarchy, ro bool) error {
	attr := &unix.MountAttr{
		Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_RELATIME,
		Attr_clr: unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_RDONLY,
	}
	if ro {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	dir := int(top.Fd())
	for _, h := range hs {
		tree, err := unix.OpenTree(unix.AT_FDCWD, h.dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("bind cgroup %s: %w", h.name, os.NewSyscallError("open_tree", err))
		}
		err = unix.Mkdirat(dir, h.name, 0o755)
		if err != nil {
			err = os.NewSyscallError("mkdirat", err)
		} else if err = unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
			err = os.NewSyscallError("mount_setattr", err)
		} else if err = unix.MoveMount(tree, "", dir, h.name, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			err = os.NewSyscallError("move_mount", err)
		}
		unix.Close(tree)
		if err != nil {
			return fmt.Errorf("bind cgroup %s: %w", h.name, err)
		}
		for _, l := range h.links {
			if err := unix.Symlinkat(h.name, dir, l); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("bind cgroup %s: %w", h.name, &os.PathError{Op: "symlinkat", Path: l, Err: err})
			}
		}
	}
	return nil
}

// bindCgroupsV1Paths is bindCgroupsV1 with bind mounts and bind remounts on paths resolved
// inside the root: in a user namespace, and on kernels without the new mount API.
func (m *mounter) bindCgroupsV1Paths(dest string, hs []cgroupHierarchy, ro bool) error {
	for _, h := range hs {
		b := mountOpts{
			dest:   path.Join(dest, h.name),
			source: h.dir, fstype: "bind",
			mountOptions: mountOptions{flags: unix.MS_BIND | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		}
		if ro {
			b.flags |= unix.MS_RDONLY
		}
		if err := m.mountBind(&b, -1); err != nil {
			return fmt.Errorf("bind cgroup %s: %w", h.name, err)
		}
		for _, l := range h.links {
			if err := m.symlink(path.Join(dest, l), h.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// cgroupHierarchy is one v1 hierarchy to show the container: the directory name it gets under the
// cgroup mount, the host directory of the container's cgroup in it, and the extra names
// (co-mounted controllers) that become symlinks to it.
type cgroupHierarchy struct {
	name  string
	dir   string
	links []string
}

// cgroupHierarchies groups CgroupPaths (controller -> container dir) by host directory, so
// co-mounted controllers ("cpu" and "cpuacct" both in /sys/fs/cgroup/cpu,cpuacct/...) get one
// bind. Sorted by name, so the mounts are made in a stable order.
func cgroupHierarchies(paths map[string]string) []cgroupHierarchy {
	byDir := map[string]*cgroupHierarchy{}
	for _, ctrl := range slices.Sorted(maps.Keys(paths)) {
		dir := paths[ctrl]
		if dir == "" || ctrl == "" {
			continue
		}
		h := byDir[dir]
		if h == nil {
			name := hierarchyName(ctrl, dir)
			if name == "" {
				continue // a key that cannot be a directory name; nothing sane to show
			}
			h = &cgroupHierarchy{name: name, dir: dir}
			byDir[dir] = h
		}
		if l := controllerName(ctrl); l != "" && l != h.name && !slices.Contains(h.links, l) {
			h.links = append(h.links, l)
		}
	}
	var out []cgroupHierarchy
	for _, h := range byDir {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b cgroupHierarchy) int { return strings.Compare(a.name, b.name) })
	return out
}

// hierarchyName is the directory name a hierarchy gets under the container's cgroup mount: the
// host's own mount directory name when the path is under /sys/fs/cgroup (so "cpu,cpuacct" and
// "unified" look as they do on the host), else the controller's name.
func hierarchyName(ctrl, dir string) string {
	if rest, ok := strings.CutPrefix(path.Clean(dir), cgroupRoot); ok {
		if name, _, _ := strings.Cut(rest, "/"); name != "" && name != ".." {
			return name
		}
	}
	return controllerName(ctrl)
}

// controllerName is the directory name of a controller key: "" (the v2 part of a hybrid
// setup) is "unified", "name=systemd" is "systemd"; "" for a key that is no valid file name.
func controllerName(ctrl string) string {
	if ctrl == "" {
		return "unified"
	}
	ctrl = strings.TrimPrefix(ctrl, "name=")
	if ctrl == "" || ctrl == "." || ctrl == ".." || strings.Contains(ctrl, "/") {
		return ""
	}
	return ctrl
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s == nil || s.Linux == nil {
		return false
	}
	return slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == t })
}
