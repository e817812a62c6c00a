package state

// CreateRecord is what a create in progress may have made, saved in the container's dir
// (creating.json) before it makes it, so that delete --force and a later create of the same id
// undo exactly that (package libcontain, halfcreate.go).
type CreateRecord struct {
	// Sandbox is the run dir create makes (not one the caller brought, like quick mode's).
	Sandbox string `json:"sandbox,omitempty"`
	// CgroupPaths are the container's own cgroup dirs; CgroupNew lists them and every missing
	// parent as they were missing before create made them, outermost first: those are create's
	// to remove, and no other.
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	CgroupNew   []string          `json:"cgroupNew,omitempty"`
	CgroupGroup bool              `json:"cgroupGroup,omitempty"`
	// SystemdUnit is the container's transient unit (--systemd-cgroup), SystemdUser whether it is
	// in the user's own systemd instance; CgroupNew then lists the v1 dirs made beside systemd's.
	SystemdUnit string `json:"systemdUnit,omitempty"`
	SystemdUser bool   `json:"systemdUser,omitempty"`
	// SharedRootfs is the rootfs of a container without a mount namespace: what is mounted
	// below it was mounted in the runtime's namespace.
	SharedRootfs string `json:"sharedRootfs,omitempty"`
}
