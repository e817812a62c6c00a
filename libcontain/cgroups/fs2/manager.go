// Package fs2 drives the unified cgroup v2 hierarchy through its files. It takes its
// directories as parameters, so tests run it on temp dirs.
//
// Device rules: v2 has no devices.allow; Set compiles linux.resources.devices into an eBPF
// program and attaches it to the cgroup (BPF_CGROUP_DEVICE), see devices.go.
package fs2

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
)

// Manager is one container's v2 cgroup.
type Manager struct {
	mount   string // the cgroup2 mount point ("" after Load)
	dir     string
	created []string // dirs Create made, outermost first

	// attachDevices enforces device rules on dir (attachDeviceFilter; unit tests on temp dirs,
	// which cannot hold eBPF programs, record the call instead).
	attachDevices func(dir string, rules []specs.LinuxDeviceCgroup) error
}

// New returns a manager for the cgroup dir below the cgroup2 mount point mount.
func New(mount, dir string) (*Manager, error) {
	rel, err := filepath.Rel(mount, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("cgroup v2: dir %s is not below the mount %s", dir, mount)
	}
	return &Manager{mount: filepath.Clean(mount), dir: filepath.Clean(dir), attachDevices: attachDeviceFilter}, nil
}

// Load rebuilds a manager for a saved dir. created is the saved Created() list; nil means the
// dir itself.
func Load(dir string, created []string) *Manager {
	if created == nil {
		created = []string{dir}
	}
	return &Manager{dir: dir, created: append([]string(nil), created...), attachDevices: attachDeviceFilter}
}

// Paths returns {"": dir}.
func (m *Manager) Paths() map[string]string { return map[string]string{"": m.dir} }

// Created returns the dirs Create made, outermost first.
func (m *Manager) Created() []string { return append([]string(nil), m.created...) }

// DeviceRulesUnsupported is always false: the eBPF filter enforces device rules. It stays for
// callers written when v2 device rules were accepted without being enforced.
func (m *Manager) DeviceRulesUnsupported() bool { return false }

// Create makes the cgroup dir and any missing parents. Each dir we made, except the leaf, gets
// every controller it has enabled for its children, so limits can be set on the leaf. The
// parent of the first dir we made is not ours and is never written: the controllers it
// delegates are the ones the container can have. The leaf keeps its subtree_control empty: v2's
// "no internal processes" rule forbids controllers in a cgroup that holds tasks. A leaf that
// exists already must be empty and not frozen (runc's rule, see cgfs.CheckEmpty and
// cgfs.ErrFrozen).
func (m *Manager) Create() error {
	if m.mount == "" {
		return errors.New("create cgroup: manager was loaded from saved paths")
	}
	if err := cgfs.CheckEmpty(m.dir); err != nil {
		return err
	}
	if frozen, err := m.Frozen(); err == nil && frozen {
		return cgfs.ErrFrozen
	}
	made, err := cgfs.MkdirAll(m.mount, m.dir)
	m.created = append(m.created, made...)
	if err != nil {
		return err
	}
	for _, dir := range made {
		if dir == m.dir {
			break
		}
		if err := enableControllers(dir); err != nil {
			return err
		}
	}
	return nil
}

// enableControllers writes "+ctrl" for each controller in dir/cgroup.controllers to
// dir/cgroup.subtree_control. One write enables all of them atomically; if the kernel refuses
// the set (a controller that cannot be enabled here), they are tried one at a time and the ones
// that fail are left off, since a missing controller only matters if a limit needs it and Set
// then says which file is missing.
func enableControllers(dir string) error {
	avail, err := cgfs.Read(dir, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	ctrls := strings.Fields(avail)
	if len(ctrls) == 0 {
		return nil
	}
	all := "+" + strings.Join(ctrls, " +")
	if err := cgfs.Write(dir, "cgroup.subtree_control", all); err == nil {
		return nil
	}
	for _, c := range ctrls {
		_ = cgfs.Write(dir, "cgroup.subtree_control", "+"+c)
	}
	return nil
}

// Join moves pid into the cgroup.
func (m *Manager) Join(pid int) error { return cgfs.Join(m.dir, pid) }

// Pids lists the processes in the cgroup and below it.
func (m *Manager) Pids() ([]int, error) { return cgfs.AllPids(m.dir) }

// Destroy removes what Create made, deepest first: the container's own dir with anything the
// container made below it, and intermediate dirs only while empty.
func (m *Manager) Destroy() error {
	var errs []error
	for i := len(m.created) - 1; i >= 0; i-- {
		dir := m.created[i]
		var err error
		if dir == m.dir {
			err = cgfs.RemoveLeaf(dir)
		} else {
			err = cgfs.RemoveParent(dir)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
