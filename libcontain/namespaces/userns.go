package namespaces

import (
	"strconv"
	"strings"
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

// HostUID is the host's uid of uid, given the uid_map of its user namespace: uid itself in the
// initial namespace, else the host id it maps to (rootless podman runs the runtime as root of a
// namespace whose 0 is the user); uid when the map does not cover it.
func HostUID(uid int, uidMap []byte) int {
	for _, line := range strings.Split(string(uidMap), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, err1 := strconv.Atoi(f[0])
		out, err2 := strconv.Atoi(f[1])
		n, err3 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil && err3 == nil && uid >= in && uid < in+n {
			return out + uid - in
		}
	}
	return uid
}
