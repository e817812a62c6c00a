package spec

import (
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// mountOptions are the mount options libcontain/rootfs' parser knows (its mountFlags,
// recursiveFlags and propagationFlags tables, and runc's tmpcopyup; idmap and ridmap are
// announced as linux.mountExtensions.idmap, as runc does). rootfs' TestFeaturesMountOptions keeps
// the two in step: a client such as containerd reads this list to decide which options it may
// send. Other options are passed to the filesystem as data.
var mountOptions = []string{
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
	"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
	"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
	"ratime", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
	"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
	"rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
	"rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
	"symfollow", "sync", "tmpcopyup", "unbindable",
}

// Features describes what this runtime supports, as `contain features` prints it (the OCI
// features document, which containerd and podman read to decide what they may ask for), all but
// its seccomp part.
func Features() *features.Features {
	yes, no := true, false
	ns := make([]string, len(namespaceTypes))
	for i, t := range namespaceTypes {
		ns[i] = string(t)
	}
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  append([]string(nil), mountOptions...),
		Linux: &features.Linux{
			Namespaces:   ns,
			Capabilities: KnownCapabilities(),
			Cgroup: &features.Cgroup{
				V1:          &yes,
				V2:          &yes,
				Systemd:     &yes,
				SystemdUser: &yes,
				Rdma:        &no,
			},
			// Seccomp is the runtime's to fill in (libcontain.Features): it needs libseccomp,
			// and the config layer links no cgo.
			// Not implemented yet: saying so keeps clients from sending what we would refuse.
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &no},
		},
	}
}

// KnownCapabilities lists every capability name moby/sys/capability knows, in kernel order, as
// the spec spells them ("CAP_CHOWN"). The list is the library's, not the running kernel's: a
// config may name a capability this kernel lacks (runc drops such caps with a warning).
func KnownCapabilities() []string {
	caps := capability.ListKnown()
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = "CAP_" + strings.ToUpper(c.String())
	}
	return names
}
