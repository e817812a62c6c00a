package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate checks a config before create and reports every problem found, one line each (an
// errors.Join), so a user fixes them in one go. It accepts what runc accepts and rejects what
// could not work or would silently do something other than what the config says.
//
// runtime-tools' validate package was tried check by check and none of its Check* methods is
// used, because each one rejects configs real clients send or runc accepts:
//   - CheckSemVer accepts only the exact spec version it was built with (rejects runc's 1.0.2-dev);
//   - CheckRoot wants root.path to be a child of the bundle (podman and CRI-O use other paths);
//   - CheckProcess rejects env names with dots and looks up the AppArmor profile as a file in the
//     rootfs (rejects containerd's "cri-containerd.apparmor.d");
//   - CheckCapabilities wants ambient caps to be inheritable (rejects `runc spec` 1.1's output);
//   - CheckRlimits does not know RLIMIT_LOCKS;
//   - CheckLinux compares devices with files in the rootfs (rejects rootless podman's, which
//     are owned by a mapped uid) and wants a new mount namespace for fs.mqueue sysctls;
//   - CheckLinuxResources treats swap 0 ("not set" in runc) as a limit below memory;
//   - CheckAnnotations rejects org.opencontainers.* keys, which podman sets;
//   - CheckHooks dereferences a nil FileInfo when a hook is missing;
//   - several log through logrus' global logger, which would write to our stderr.
//
// Capability names are checked against moby/sys/capability's list, the one runtime-tools uses
// too. Checks that need the host beyond the rootfs (namespace files,
// cgroup paths) belong to the packages that act on them.
func Validate(s *specs.Spec, bundle string) error {
	if s == nil {
		return errors.New("config is empty")
	}
	var p problems
	checkVersion(&p, s.Version)
	checkRoot(&p, s, bundle)
	checkProcess(&p, s.Process)
	checkMounts(&p, s)
	checkHooks(&p, s.Hooks)
	checkLinux(&p, s)
	return errors.Join(p...)
}

// problems collects what Validate finds.
type problems []error

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Errorf(format, args...))
}

func checkRoot(p *problems, s *specs.Spec, bundle string) {
	if s.Root == nil {
		p.add("root must be set")
		return
	}
	if _, err := RootfsPath(s, bundle); err != nil {
		*p = append(*p, err)
	}
}

func checkMounts(p *problems, s *specs.Spec) {
	var userns bool
	if s.Linux != nil {
		userns = slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.UserNamespace })
	}
	for i, m := range s.Mounts {
		// A relative destination is accepted: runc (1.5 too) mounts it from "/" with a
		// deprecation warning, though the spec has asked for absolute paths since 1.0.
		if m.Destination == "" {
			p.add("mounts[%d].destination must be set", i)
		}
		checkIDMappedMount(p, i, m, userns)
	}
}

// checkIDMappedMount: an id-mapped mount (uidMappings/gidMappings, or the idmap/ridmap option)
// must be a bind mount with both maps, or take the container's user namespace's (runc's rules
// and words).
func checkIDMappedMount(p *problems, i int, m specs.Mount, userns bool) {
	var idmap, bind bool
	for _, o := range m.Options {
		idmap = idmap || o == "idmap" || o == "ridmap"
		bind = bind || o == "bind" || o == "rbind"
	}
	maps := len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
	if !idmap && !maps {
		return
	}
	if !bind && m.Type != "bind" && m.Type != "rbind" {
		p.add("mounts[%d] (%s): id-mapped mounts are only supported for bind-mounts", i, m.Destination)
	}
	if (maps && (len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0)) || (!maps && !userns) {
		p.add("mounts[%d] (%s): id-mapped mounts must have both uid and gid mappings specified", i, m.Destination)
	}
}

func checkHooks(p *problems, h *specs.Hooks) {
	if h == nil {
		return
	}
	phases := []struct {
		name  string
		hooks []specs.Hook
	}{
		//lint:ignore SA1019 prestart is deprecated but still sent by podman and run by runc
		{"prestart", h.Prestart},
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	}
	for _, ph := range phases {
		for i, hk := range ph.hooks {
			// Hooks run in the runtime's namespaces (or the container's for createContainer and
			// startContainer), where a relative path would depend on the current directory.
			if !filepath.IsAbs(hk.Path) {
				p.add("hooks.%s[%d].path %q must be an absolute path", ph.name, i, hk.Path)
			}
			// The spec says the timeout MUST be greater than zero; a zero timeout would kill
			// the hook before it starts.
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				p.add("hooks.%s[%d].timeout %d must be greater than zero", ph.name, i, *hk.Timeout)
			}
		}
	}
}
