package spec

import (
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ToRootless reshapes s for a container started by an unprivileged user, as `runc spec
// --rootless` does:
//   - a user namespace mapping the caller (uid, gid) to root inside, and no network namespace
//     of its own (an unprivileged user cannot wire one to anything);
//   - /sys bind-mounted read-only from the host: mounting a new sysfs needs a network namespace
//     owned by the container's user namespace;
//   - no uid=/gid= mount options (devpts' gid=5 names a group the namespace does not map);
//   - no cgroup resources: a user's cgroups are delegated, if at all, by their systemd
//     instance, and limits that cannot be applied must not be asked for.
func ToRootless(s *specs.Spec, uid, gid uint32) {
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	var nss []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != specs.NetworkNamespace && ns.Type != specs.UserNamespace {
			nss = append(nss, ns)
		}
	}
	s.Linux.Namespaces = append(nss, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uid, Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: gid, Size: 1}}
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if filepath.Clean(m.Destination) == "/sys" {
			*m = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
			continue
		}
		var opts []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, "uid=") && !strings.HasPrefix(o, "gid=") {
				opts = append(opts, o)
			}
		}
		m.Options = opts
	}
	s.Linux.Resources = nil
}
