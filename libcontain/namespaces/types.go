// Package namespaces turns the namespaces of an OCI spec into what the kernel takes: the
// CLONE_NEW* flags for the namespaces a container gets fresh, and setns(2) calls for the ones it
// joins by path.
package namespaces

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// kinds maps each namespace type the OCI spec names to its clone flag and its file name under
// /proc/<pid>/ns. The clone flag is also what the NS_GET_NSTYPE ioctl returns for a namespace
// file and what setns(2) takes to check an fd's type.
var kinds = map[specs.LinuxNamespaceType]struct {
	flag uintptr
	proc string
}{
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "pid"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "net"},
	specs.MountNamespace:   {unix.CLONE_NEWNS, "mnt"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "ipc"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "uts"},
	specs.UserNamespace:    {unix.CLONE_NEWUSER, "user"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "cgroup"},
	specs.TimeNamespace:    {unix.CLONE_NEWTIME, "time"},
}

// Type returns the CLONE_NEW* flag for a namespace type.
func Type(t specs.LinuxNamespaceType) (uintptr, error) {
	k, ok := kinds[t]
	if !ok {
		return 0, fmt.Errorf("unknown namespace type %q", t)
	}
	return k.flag, nil
}

// ProcName returns the namespace's file name under /proc/<pid>/ns ("network" is "net", "mount"
// is "mnt"), or "" for an unknown type.
func ProcName(t specs.LinuxNamespaceType) string {
	return kinds[t].proc
}

// CloneFlags returns the CLONE_NEW* flags for the namespaces the container gets fresh: the entries
// without a path. Entries with a path are joined by Join instead; unknown types add nothing
// (Validate reports them).
//
// CLONE_NEWTIME overlaps the exit-signal byte of clone(2), so it only works through clone3(2) or
// unshare(2); Go's os/exec switches to clone3 by itself when the flag is set.
func CloneFlags(ns []specs.LinuxNamespace) uintptr {
	var flags uintptr
	for _, n := range ns {
		if n.Path == "" {
			flags |= kinds[n.Type].flag
		}
	}
	return flags
}
