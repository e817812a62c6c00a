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
		if ns.Type != specs.NetworkNamespace {
			nss = append(nss, ns)
		}
	}
	s.Linux.Namespaces = nss
	userNamespace(s, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uid, Size: 1}},
		[]specs.LinuxIDMapping{{ContainerID: 0, HostID: gid, Size: 1}})
	s.Linux.Resources = nil
}

// QuickRootless reshapes a quick-mode spec for a rootless caller: a user namespace with the
// given maps (the caller's ids, and its subordinate ranges where it has them), no uid=/gid= mount
// options, and /sys bound from the host when the container shares the host's network namespace
// (--net host). Its own network namespace (the default) is owned by its user namespace, so
// there it mounts a sysfs of its own. Limits stay: they apply where cgroups are delegated.
func QuickRootless(s *specs.Spec, uidMaps, gidMaps []specs.LinuxIDMapping) {
	userNamespace(s, uidMaps, gidMaps)
}

// userNamespace adds a new user namespace with the maps (replacing one the spec had), strips
// uid=/gid= mount options, and binds /sys read-only from the host unless the spec has a network
// namespace of its own.
func userNamespace(s *specs.Spec, uidMaps, gidMaps []specs.LinuxIDMapping) {
	var nss []specs.LinuxNamespace
	ownNet := false
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace && ns.Path == "" {
			ownNet = true
		}
		if ns.Type != specs.UserNamespace {
			nss = append(nss, ns)
		}
	}
	s.Linux.Namespaces = append(nss, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings, s.Linux.GIDMappings = uidMaps, gidMaps
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if filepath.Clean(m.Destination) == "/sys" && !ownNet {
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
}
