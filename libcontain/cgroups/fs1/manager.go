// Package fs1 drives cgroup v1 hierarchies (one mount per controller or co-mounted group, as on
// v1 and hybrid hosts) through their files. It takes its directories as parameters, so tests run
// it on temp dirs shaped like /sys/fs/cgroup/<controller>.
package fs1

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/contain-runtime/contain/libcontain/cgroups/cgfs"
)

// Manager is one container's cgroup across the v1 hierarchies.
type Manager struct {
	mounts  map[string]string // controller -> mount point (nil after Load)
	paths   map[string]string // controller -> the container's dir in that hierarchy
	created []string          // dirs Create made, outermost first within each hierarchy
	// checked: the dirs that existed were found unused (checkUnused); made: the container dirs
	// CreateUnified or Create has made or found, which Create does not make again.
	checked bool
	made    map[string]bool
}

// New returns a manager for the container dirs in paths (controller -> dir); mounts gives each
// controller's mount point, below which Create makes missing dirs.
func New(mounts, paths map[string]string) (*Manager, error) {
	for ctrl, dir := range paths {
		mnt, ok := mounts[ctrl]
		if !ok {
			return nil, fmt.Errorf("cgroup v1: no mount point for %s", ctrl)
		}
		if rel, err := filepath.Rel(mnt, dir); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("cgroup v1: %s dir %s is not below its mount %s", ctrl, dir, mnt)
		}
	}
	return &Manager{mounts: copyMap(mounts), paths: copyMap(paths)}, nil
}

// Load rebuilds a manager from saved paths. created is the saved Created() list; nil means the
// dirs in paths themselves (they exist only because Create made them).
func Load(paths map[string]string, created []string) *Manager {
	m := &Manager{paths: copyMap(paths)}
	if created == nil {
		created = m.dirs()
	}
	m.created = append([]string(nil), created...)
	return m
}

func copyMap(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// Paths returns controller -> dir.
func (m *Manager) Paths() map[string]string { return copyMap(m.paths) }

// Created returns the dirs Create made, outermost first within each hierarchy.
func (m *Manager) Created() []string { return append([]string(nil), m.created...) }

// dirs returns the distinct container dirs (co-mounted controllers share one), sorted.
func (m *Manager) dirs() []string {
	seen := make(map[string]bool)
	var out []string
	for _, d := range m.paths {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// Create makes the container's dir in every hierarchy. A dir that exists already must be
// empty and not frozen (runc's rule, see cgfs.CheckEmpty and cgfs.ErrFrozen); that is checked
// before anything is made.
func (m *Manager) Create() error {
	return m.create(func(string) bool { return true })
}

// CreateUnified makes only a hybrid host's unified dir (key ""), which a child must be cloned
// into (CLONE_INTO_CGROUP: cgroup2 moves no single thread into a domain cgroup); Create then
// makes the others. It lets create start init before the v1 dirs exist: init moves its own
// thread into them (ThreadDirs) once they do. Without a unified hierarchy it only checks.
func (m *Manager) CreateUnified() error {
	return m.create(func(ctrl string) bool { return ctrl == "" })
}

// ThreadDirs are the dirs a thread joins by writing 0 to their tasks files (see JoinThread):
// every hierarchy's but the unified one.
func (m *Manager) ThreadDirs() []string {
	var out []string
	for _, dir := range m.dirs() {
		if dir != m.paths[""] {
			out = append(out, dir)
		}
	}
	return out
}

func (m *Manager) create(want func(ctrl string) bool) error {
	if m.mounts == nil {
		return errors.New("create cgroup: manager was loaded from saved paths")
	}
	if !m.checked {
		if err := m.checkUnused(); err != nil {
			return err
		}
		m.checked = true
	}
	if m.made == nil {
		m.made = make(map[string]bool)
	}
	for _, ctrl := range slices.Sorted(maps.Keys(m.paths)) {
		dir := m.paths[ctrl]
		if m.made[dir] || !want(ctrl) {
			continue
		}
		m.made[dir] = true
		made, err := cgfs.MkdirAll(m.mounts[ctrl], dir)
		m.created = append(m.created, made...)
		if err != nil {
			return err
		}
		if m.paths["cpuset"] == dir {
			if err := fillCpusets(m.mounts[ctrl], dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkUnused refuses an existing container dir that holds processes or is frozen.
func (m *Manager) checkUnused() error {
	for _, dir := range m.dirs() {
		if err := cgfs.CheckEmpty(dir); err != nil {
			return err
		}
	}
	if dir, ok := m.paths["freezer"]; ok {
		s, err := cgfs.Read(dir, freezerState)
		if err == nil && (s == "FROZEN" || s == "FREEZING") {
			return cgfs.ErrFrozen
		}
	}
	return nil
}

// fillCpusets gives every cpuset from below the mount down to dir the cpus and mems of its
// parent where it has none. A v1 cpuset starts empty (unless cgroup.clone_children is set) and
// the kernel refuses to attach a task to an empty cpuset (ENOSPC), at any level. runc fills
// pre-existing levels too: a pod's parent made by mkdir alone is empty, and nothing could ever
// run in it or below it; a level that has cpus and mems is never written.
func fillCpusets(mount, dir string) error {
	rel, err := filepath.Rel(mount, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroup %s is not below %s", dir, mount)
	}
	cur := mount
	for _, part := range strings.Split(rel, "/") {
		parent := cur
		cur = filepath.Join(cur, part)
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := cgfs.Read(cur, file)
			if err != nil {
				return fmt.Errorf("cgroup %s: %w", cur, err)
			}
			if v != "" {
				continue
			}
			if v, err = cgfs.Read(parent, file); err != nil {
				return fmt.Errorf("cgroup %s: %w", parent, err)
			}
			if err := cgfs.Write(cur, file, v); err != nil {
				return fmt.Errorf("cgroup %s: %w", cur, err)
			}
		}
	}
	return nil
}

// Join moves pid into every hierarchy's dir.
func (m *Manager) Join(pid int) error {
	for _, dir := range m.dirs() {
		if err := cgfs.Join(dir, pid); err != nil {
			return err
		}
	}
	return nil
}

// JoinThread moves the calling OS thread, not its process, into every hierarchy's dir by writing
// 0 ("the writer") to each tasks file; a child the thread forks next starts in the container's
// cgroups. It is the fast way to place a new child on v1, which has no CLONE_INTO_CGROUP: moving
// a whole process (Join, cgroup.procs) takes the kernel's cgroup_threadgroup_rwsem for writing,
// and that waits for an RCU grace period (5-15 ms per command on a busy host), while moving only
// the writer itself does not take it (cgroup_procs_write_start in kernel/cgroup/cgroup.c). The
// caller must let the thread die afterwards: its process would otherwise count in the container.
// A hybrid host's unified hierarchy (key "") is left out: cgroup2 moves no single thread into a
// domain cgroup, and the caller clones the child into it (CLONE_INTO_CGROUP) instead.
func (m *Manager) JoinThread() error {
	for _, dir := range m.ThreadDirs() {
		if err := cgfs.Write(dir, "tasks", "0"); err != nil {
			return fmt.Errorf("join %s: %w", dir, err)
		}
	}
	return nil
}

// Pids lists the processes of the container. All hierarchies hold the same processes (Join
// writes each one); the freezer's is read because KillAll freezes that one.
func (m *Manager) Pids() ([]int, error) {
	dir, err := m.anyDir()
	if err != nil {
		return nil, err
	}
	return cgfs.AllPids(dir)
}

func (m *Manager) anyDir() (string, error) {
	for _, c := range []string{"freezer", "pids", "memory", "cpu", "devices"} {
		if d, ok := m.paths[c]; ok {
			return d, nil
		}
	}
	if ds := m.dirs(); len(ds) > 0 {
		return ds[0], nil
	}
	return "", errors.New("cgroup v1: no hierarchy")
}

// Destroy removes what Create made, deepest first: the container's own dirs with anything the
// container made below them, and intermediate dirs only while empty.
func (m *Manager) Destroy() error {
	own := make(map[string]bool)
	for _, d := range m.paths {
		own[d] = true
	}
	var errs []error
	for i := len(m.created) - 1; i >= 0; i-- {
		dir := m.created[i]
		var err error
		if own[dir] {
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
