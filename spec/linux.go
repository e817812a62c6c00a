package spec

import (
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// namespaceTypes are the namespace types runtime-spec 1.3 defines for Linux.
var namespaceTypes = []specs.LinuxNamespaceType{
	specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace,
	specs.UTSNamespace, specs.UserNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

// nsSet records which namespaces a config lists and whether each is new (no path) or joined.
type nsSet map[specs.LinuxNamespaceType]specs.LinuxNamespace

// has reports whether the container gets its own namespace of type t, new or joined by path:
// either way it is not the runtime's (host's) namespace.
func (n nsSet) has(t specs.LinuxNamespaceType) bool {
	_, ok := n[t]
	return ok
}

// isNew reports whether the container gets a fresh namespace of type t.
func (n nsSet) isNew(t specs.LinuxNamespaceType) bool {
	ns, ok := n[t]
	return ok && ns.Path == ""
}

func checkLinux(p *problems, s *specs.Spec) {
	l := s.Linux
	if l == nil {
		l = &specs.Linux{}
	}
	ns := checkNamespaces(p, l.Namespaces)

	// Without a user namespace the mappings would be ignored and the process would run with
	// host ids, the opposite of what the config asks (runc refuses too).
	if (len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0) && !ns.has(specs.UserNamespace) {
		p.add("linux.uidMappings/gidMappings need a user namespace in linux.namespaces")
	}
	// A new user namespace with no mappings leaves every id unmapped (overflow id 65534), so
	// init could not even setuid(0) in it.
	if ns.isNew(specs.UserNamespace) && len(l.UIDMappings) == 0 && len(l.GIDMappings) == 0 {
		p.add("a new user namespace needs linux.uidMappings and linux.gidMappings")
	}
	// sethostname(2) without a UTS namespace of the container's own would rename the host.
	if s.Hostname != "" && !ns.has(specs.UTSNamespace) {
		p.add("hostname %q needs a uts namespace in linux.namespaces (it would rename the host)", s.Hostname)
	}
	if s.Domainname != "" && !ns.has(specs.UTSNamespace) {
		p.add("domainname %q needs a uts namespace in linux.namespaces (it would rename the host)", s.Domainname)
	}
	checkSysctls(p, l.Sysctl, ns)
	checkDevices(p, l.Devices)
	for _, path := range l.MaskedPaths {
		if !filepath.IsAbs(path) {
			p.add("linux.maskedPaths: %q must be an absolute path", path)
		}
	}
	for _, path := range l.ReadonlyPaths {
		if !filepath.IsAbs(path) {
			p.add("linux.readonlyPaths: %q must be an absolute path", path)
		}
	}
	switch l.RootfsPropagation {
	case "", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable":
	default:
		p.add("linux.rootfsPropagation %q is not a propagation type", l.RootfsPropagation)
	}
	if l.Resources != nil {
		checkResources(p, l.Resources)
	}
	checkProcessSetup(p, l, s.Process, ns)
}

// checkProcessSetup checks what init applies to the process besides ids and capabilities, with
// runc's words: the memory policy, the personality, the time namespace's offsets and the exec
// CPU affinity.
func checkProcessSetup(p *problems, l *specs.Linux, proc *specs.Process, ns nsSet) {
	if _, err := ParseMemoryPolicy(l.MemoryPolicy); err != nil {
		*p = append(*p, err)
	}
	if l.Personality != nil {
		if _, err := Personality(l.Personality); err != nil {
			*p = append(*p, err)
		}
	}
	if l.TimeOffsets != nil {
		switch {
		case !ns.has(specs.TimeNamespace):
			p.add("time namespace offsets specified, but time namespace isn't enabled in the config")
		case !ns.isNew(specs.TimeNamespace):
			p.add("time namespace enabled, but both namespace path and time offsets specified -- you may only provide one")
		}
	}
	if proc != nil {
		if _, err := ParseCPUAffinity(proc.ExecCPUAffinity); err != nil {
			*p = append(*p, err)
		}
		if _, err := SchedAttr(proc.Scheduler); err != nil {
			*p = append(*p, err)
		}
	}
}

// checkNamespaces checks the list's shape: known types, each listed once, joined ones by
// absolute path. Whether a path really is a namespace contain can join is checked by
// libcontain/namespaces.Validate, which looks at the file.
func checkNamespaces(p *problems, list []specs.LinuxNamespace) nsSet {
	ns := make(nsSet, len(list))
	for _, n := range list {
		switch {
		case !slices.Contains(namespaceTypes, n.Type):
			p.add("linux.namespaces: unknown namespace type %q", n.Type)
			continue
		case ns.has(n.Type):
			p.add("linux.namespaces: duplicate namespace type %q", n.Type)
			continue
		case n.Path != "" && !filepath.IsAbs(n.Path):
			p.add("linux.namespaces: %s namespace path %q must be an absolute path", n.Type, n.Path)
		}
		ns[n.Type] = n
	}
	return ns
}

// checkDevices checks the device nodes to create in the container's /dev.
func checkDevices(p *problems, devices []specs.LinuxDevice) {
	// Duplicate paths are accepted: runc creates the first and ignores EEXIST for the rest.
	for i, d := range devices {
		switch d.Type {
		case "c", "u", "b", "p":
		default:
			p.add("linux.devices[%d] %q: type %q is not one of c, u, b, p", i, d.Path, d.Type)
		}
		if !filepath.IsAbs(d.Path) {
			p.add("linux.devices[%d]: path %q must be an absolute path", i, d.Path)
		}
	}
}
