package rootfs

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// MountSource is the source of one bind mount, opened by the runtime rather than by init. Init
// cannot open it itself when it runs in a user namespace: a source its root may not enter (a
// 0700 directory of the host's root) is out of its reach, and an id-mapped mount needs
// privileges over the host's mounts and user namespaces. The runtime opens it, in the container's
// mount namespace (so sources inside the container are found as the earlier mounts left them),
// and hands the fd over (runc does the same).
type MountSource struct {
	File *os.File
	// Detached: File is a mount of its own made with open_tree(OPEN_TREE_CLONE), with its
	// attributes (the id mapping) already set; it is attached with move_mount(2). Otherwise
	// File is an O_PATH handle, bind-mounted through its magic link.
	Detached bool
}

func (s *MountSource) Close() error {
	if s == nil || s.File == nil {
		return nil
	}
	return s.File.Close()
}

// SourceFunc gets the source of spec mount number index (of Spec.Mounts) from the runtime.
type SourceFunc func(index int) (*MountSource, error)

// OpenMountSource opens the source of bind mount number index of s: an O_PATH handle, or for an
// id-mapped mount a detached id-mapped copy of the source tree. The caller must be in the
// container's mount namespace and privileged on the host (the runtime, or init without a user
// namespace of its own).
func OpenMountSource(s *specs.Spec, index int) (*MountSource, error) {
	if s == nil || index < 0 || index >= len(s.Mounts) {
		return nil, fmt.Errorf("no mount number %d in the config", index)
	}
	m := s.Mounts[index]
	mo, err := parseMountOptions(m.Options)
	if err != nil {
		return nil, err
	}
	im, err := mountIDMapping(s, m, mo)
	if err != nil {
		return nil, err
	}
	if im == nil {
		f, err := os.OpenFile(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open bind source: %w", err)
		}
		return &MountSource{File: f}, nil
	}
	return openIDMapped(m.Source, mo.flags&unix.MS_REC != 0 || m.Type == "rbind", im)
}

// idMapping is how an id-mapped mount maps its files' owners: through a user namespace with
// the given maps, or through an existing one (the container joins it by path).
type idMapping struct {
	uids, gids []specs.LinuxIDMapping
	usernsPath string
	recursive  bool // ridmap: every mount of an rbind, not only the top one
}

// isIDMapped reports whether spec mount m asks for an id mapping.
func isIDMapped(m specs.Mount, mo mountOptions) bool {
	return mo.idmap || len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
}

// mountIDMapping is the id mapping of spec mount m, nil for none. A mount that says idmap or
// ridmap without maps of its own uses the container's user namespace, as runc does.
func mountIDMapping(s *specs.Spec, m specs.Mount, mo mountOptions) (*idMapping, error) {
	if !isIDMapped(m, mo) {
		return nil, nil
	}
	im := &idMapping{uids: m.UIDMappings, gids: m.GIDMappings, recursive: mo.idmapRec}
	if len(im.uids) == 0 && len(im.gids) == 0 && s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == specs.UserNamespace {
				im.usernsPath = ns.Path
				if ns.Path == "" {
					im.uids, im.gids = s.Linux.UIDMappings, s.Linux.GIDMappings
				}
			}
		}
	}
	if im.usernsPath == "" && (len(im.uids) == 0 || len(im.gids) == 0) {
		return nil, errors.New("id-mapped mounts must have both uid and gid mappings specified")
	}
	return im, nil
}

// openIDMapped clones the mount tree at source (recursive: with its submounts, for rbind) into a
// detached mount and sets the id mapping on it (on every mount of it for ridmap).
func openIDMapped(source string, recursive bool, im *idMapping) (*MountSource, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, source, flags)
	if err != nil {
		return nil, fmt.Errorf("clone bind source %s: %w", source, &os.PathError{Op: "open_tree", Path: source, Err: err})
	}
	f := os.NewFile(uintptr(fd), source)
	userns, err := im.userns()
	if err != nil {
		f.Close()
		return nil, err
	}
	defer userns.Close()
	setFlags := uint(unix.AT_EMPTY_PATH)
	if im.recursive {
		setFlags |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := unix.MountSetattr(fd, "", setFlags, attr); err != nil {
		f.Close()
		hint := ""
		if errors.Is(err, unix.EINVAL) {
			hint = " (does the file system support id-mapped mounts on this kernel?)"
		}
		return nil, fmt.Errorf("id-map %s: %w%s", source, os.NewSyscallError("mount_setattr", err), hint)
	}
	return &MountSource{File: f, Detached: true}, nil
}

// userns returns a handle on the user namespace that holds the mapping.
func (im *idMapping) userns() (*os.File, error) {
	if im.usernsPath != "" {
		f, err := os.Open(im.usernsPath)
		if err != nil {
			return nil, fmt.Errorf("open user namespace for the id mapping: %w", err)
		}
		return f, nil
	}
	return newUserNS(im.uids, im.gids)
}

// newUserNS makes a user namespace with the given maps and returns a handle on it. A namespace
// lives as long as a process or a handle holds it, so a child is started in a new one and stopped
// before it runs a single instruction of its own: with Ptrace set it stops at its execve with
// SIGTRAP. Its maps are written while it is stopped, its namespace is opened, and it is killed.
// The maps are written through /proc/<pid>: the caller's /proc must be of its own pid namespace
// (the runtime's is; init's, before the pivot, is the host's).
func newUserNS(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	p, err := os.StartProcess("/proc/self/exe", []string{"contain-userns"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysIDMaps(uids),
			GidMappings: sysIDMaps(gids),
			Ptrace:      true,
			Pdeathsig:   syscall.SIGKILL,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("make a user namespace for the id mapping: %w", err)
	}
	defer func() {
		_ = p.Kill()
		_, _ = p.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", p.Pid))
	if err != nil {
		return nil, fmt.Errorf("open user namespace for the id mapping: %w", err)
	}
	return f, nil
}

func sysIDMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
