package namespaces

import (
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// HostRoot is the host uid and gid that the container's root maps to (0, 0 without a new user
// namespace).
func HostRoot(l *specs.Linux) (uid, gid int) {
	if l == nil || !IsNew(l.Namespaces, specs.UserNamespace) {
		return 0, 0
	}
	find := func(m []specs.LinuxIDMapping) int {
		for _, e := range m {
			if e.ContainerID == 0 && e.Size > 0 {
				return int(e.HostID)
			}
		}
		return 0
	}
	return find(l.UIDMappings), find(l.GIDMappings)
}

// IDMaps converts the spec's id mappings to what clone(2) with CLONE_NEWUSER writes to
// uid_map/gid_map.
func IDMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
