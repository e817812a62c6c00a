// Package cgroups puts a container's processes into cgroups and applies the spec's
// linux.resources to them. New picks a driver by what is mounted at the cgroup root: fs2 for the
// unified (v2) hierarchy, fs1 for v1 and hybrid hosts. Load rebuilds a manager from the paths
// saved in state.json, so later commands (kill, pause, update, delete) work on the same dirs.
//
// Ownership: a manager created by New records every directory its Create made and Destroy
// removes exactly those (deepest first) and nothing else. An intermediate directory it made
// (the "default" of containerd's "/default/<id>") is removed only if it is empty by then. Below
// the container's own cgroup everything is the container's, so Destroy removes child cgroups the
// container made (systemd in a container does). Paths() holds only the container's own dirs; a
// manager rebuilt by Load treats those as its own (they were recorded after Create made them)
// and never touches their parents. LoadWithCreated restores the exact record when the caller saved
// Created().
package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/fs1"
	"github.com/contain-runtime/contain/libcontain/cgroups/fs2"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// Manager owns one container's cgroup (one dir per v1 hierarchy, or one v2 dir).
type Manager interface {
	// Create makes the container's cgroup dirs and remembers which ones it made.
	Create() error
	// Join moves pid into the container's cgroup in every hierarchy.
	Join(pid int) error
	// Set applies resources; used at create time and by `update`. Errors name the file and the
	// value the kernel refused.
	Set(r *specs.LinuxResources) error
	// Pids lists every process in the container's cgroup and the cgroups below it.
	Pids() ([]int, error)
	// KillAll sends sig to every process in the cgroup without racing forks.
	KillAll(sig unix.Signal) error
	Freeze() error
	Thaw() error
	Frozen() (bool, error)
	// Stats is the `runc events --stats` JSON shape.
	Stats() (*stats.Stats, error)
	// PidsStats is Stats' pids part alone (a few files, not every controller's); zero without a
	// pids controller.
	PidsStats() (stats.PidsStats, error)
	// OOMKillCount is how many processes the OOM killer killed in the cgroup.
	OOMKillCount() (uint64, error)
	// Destroy removes the dirs Create made; a missing dir is not an error.
	Destroy() error
	// Paths maps v1 controller names to absolute dirs; on v2 the only key is "".
	Paths() map[string]string
}

// ThreadJoiner is implemented by the v1 driver: JoinThread moves the calling OS thread (not its
// process) into the container's cgroups, so that a child it forks starts there, as
// CLONE_INTO_CGROUP does on v2.
type ThreadJoiner interface {
	JoinThread() error
}

// LateJoiner is implemented by the v1 driver, for a child started before its cgroup is made:
// CreateUnified makes what the child must be cloned into (a hybrid host's unified dir), Create
// the rest, and the child moves its own thread into ThreadDirs by writing 0 to their tasks
// files, which, like JoinThread, needs no RCU grace period.
type LateJoiner interface {
	CreateUnified() error
	ThreadDirs() []string
}

// Created is implemented by both drivers: the dirs Create made, outermost first.
type Created interface {
	Created() []string
}

// DefaultRoot is where the cgroup hierarchies are mounted.
const DefaultRoot = "/sys/fs/cgroup"

// Config says where a container's cgroup goes.
type Config struct {
	// Path is the spec's linux.cgroupsPath: absolute paths are taken from each hierarchy's
	// mount point, relative ones (and "", meaning ID) nest below the runtime's own cgroup.
	Path string
	// ID is the container id, the leaf name when Path is "".
	ID string
	// Root is the mount root of the hierarchies (default /sys/fs/cgroup).
	Root string
	// SelfCgroup is the contents of /proc/self/cgroup (nil: read it).
	SelfCgroup []byte
	// MountInfo is the contents of /proc/self/mountinfo (nil: read it).
	MountInfo []byte
	// Version forces the driver: 1 (fs1) or 2 (fs2). 0 detects it from Root's file system type;
	// tests on temp dirs set it.
	Version int
}

// IsCgroup2 reports whether root is a cgroup2 mount (the unified hierarchy).
func IsCgroup2(root string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// New returns a manager for the container's cgroup as c describes it. It creates nothing; call
// Create.
func New(c Config) (Manager, error) {
	root := c.Root
	if root == "" {
		root = DefaultRoot
	}
	root = filepath.Clean(root)
	entries, mounts, err := readSelf(c)
	if err != nil {
		return nil, err
	}
	if c.unified(root) {
		return newUnified(c, root, entries, mounts)
	}
	return newLegacy(c, root, entries, mounts)
}

// unified reports whether the hierarchy at root is v2 (Version, or the mount's type).
func (c Config) unified(root string) bool {
	return c.Version == 2 || (c.Version == 0 && IsCgroup2(root))
}

// readSelf parses the runtime's own cgroups and the cgroup mounts (from c, or /proc/self).
func readSelf(c Config) ([]ProcCgroup, []Mount, error) {
	self, err := orRead(c.SelfCgroup, "/proc/self/cgroup")
	if err != nil {
		return nil, nil, err
	}
	entries, err := ParseProcCgroup(self)
	if err != nil {
		return nil, nil, err
	}
	mi, err := orRead(c.MountInfo, "/proc/self/mountinfo")
	if err != nil {
		return nil, nil, err
	}
	mounts, err := ParseCgroupMounts(mi)
	if err != nil {
		return nil, nil, err
	}
	return entries, mounts, nil
}

func orRead(b []byte, file string) ([]byte, error) {
	if b != nil {
		return b, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return b, nil
}

func newUnified(c Config, root string, entries []ProcCgroup, mounts []Mount) (Manager, error) {
	own := ""
	for _, e := range entries {
		if e.unified() {
			own = e.Path
			break
		}
	}
	if own == "" && !strings.HasPrefix(c.Path, "/") {
		return nil, errors.New("place cgroup: no cgroup v2 entry in /proc/self/cgroup")
	}
	mountRoot := "/"
	for _, m := range mounts {
		if m.FSType == "cgroup2" && filepath.Clean(m.Mountpoint) == root {
			mountRoot = m.Root
		}
	}
	rel, err := relPath(c.Path, c.ID, unifiedBase(c.Path, own), mountRoot)
	if err != nil {
		return nil, fmt.Errorf("place cgroup: %w", err)
	}
	// A relative path must not lead back into the runtime's own cgroup ("<own name>/x").
	if ownRel, err := belowRoot(own, mountRoot); err == nil && !strings.HasPrefix(c.Path, "/") && ownRel != "/" &&
		(rel == ownRel || strings.HasPrefix(rel, ownRel+"/")) {
		return nil, fmt.Errorf("place cgroup: cgroupsPath %q is the runtime's own cgroup %s or below it, where cgroup v2 gives no controllers", c.Path, own)
	}
	return fs2.New(root, filepath.Join(root, rel))
}

// unifiedBase is the cgroup a relative cgroupsPath is taken from on v2: the parent of the
// runtime's own, as runc does. The runtime's own cgroup holds at least the runtime, and v2
// enables no controller for the children of a cgroup with processes in it ("no internal
// processes"), so containers below it would get no limits; its parent (a systemd slice, say)
// typically delegates them.
func unifiedBase(cgroupsPath, own string) string {
	if strings.HasPrefix(cgroupsPath, "/") {
		return own
	}
	return path.Dir(path.Clean("/" + own))
}

func newLegacy(c Config, root string, entries []ProcCgroup, mounts []Mount) (Manager, error) {
	mountOf := make(map[string]string)
	pathOf := make(map[string]string)
	for _, m := range mounts {
		if m.FSType != "cgroup" || !below(m.Mountpoint, root) {
			continue
		}
		for _, e := range entries {
			if e.unified() || e.otherNamed() || !servedBy(e, m) {
				continue
			}
			rel, err := relPath(c.Path, c.ID, e.Path, m.Root)
			if err != nil {
				// A bind mount of a sub-cgroup may not show our own cgroup; another mount of
				// the same hierarchy may. A bad cgroupsPath fails below with no mounts found.
				if errors.Is(err, errNotVisible) {
					continue
				}
				return nil, fmt.Errorf("place cgroup: %w", err)
			}
			for _, ctrl := range e.Controllers {
				if strings.HasPrefix(ctrl, "name=") && ctrl != systemdHierarchy {
					continue
				}
				if _, ok := pathOf[ctrl]; ok {
					continue
				}
				mountOf[ctrl] = filepath.Clean(m.Mountpoint)
				pathOf[ctrl] = filepath.Join(m.Mountpoint, rel)
			}
		}
	}
	if len(pathOf) == 0 {
		return nil, fmt.Errorf("place cgroup: no cgroup v1 controller of /proc/self/cgroup is mounted under %s", root)
	}
	if err := addHybrid(c, root, entries, mounts, mountOf, pathOf); err != nil {
		return nil, err
	}
	return fs1.New(mountOf, pathOf)
}

// addHybrid adds the unified (v2) hierarchy of a hybrid host (mounted under the v1 root, at
// /sys/fs/cgroup/unified) as the key "", placed like the v1 ones: runc's containers join it too,
// so /proc/<pid>/cgroup shows their cgroup on the "0::" line, and its cgroup.kill reaches them.
// A host without one, or one that hides our own cgroup there, is left as it is.
func addHybrid(c Config, root string, entries []ProcCgroup, mounts []Mount, mountOf, pathOf map[string]string) error {
	for _, e := range entries {
		if !e.unified() {
			continue
		}
		for _, m := range mounts {
			if m.FSType != "cgroup2" || !below(m.Mountpoint, root) || filepath.Clean(m.Mountpoint) == root {
				continue
			}
			rel, err := relPath(c.Path, c.ID, e.Path, m.Root)
			if errors.Is(err, errNotVisible) {
				continue
			}
			if err != nil {
				return fmt.Errorf("place cgroup: %w", err)
			}
			mountOf[""] = filepath.Clean(m.Mountpoint)
			pathOf[""] = filepath.Join(m.Mountpoint, rel)
			return nil
		}
	}
	return nil
}

// servedBy reports whether mount m is the hierarchy of /proc/self/cgroup line e: every
// controller of the line is among the mount's options (co-mounted "cpu,cpuacct").
func servedBy(e ProcCgroup, m Mount) bool {
	for _, c := range e.Controllers {
		if !m.hasOption(c) {
			return false
		}
	}
	return len(e.Controllers) > 0
}

func below(p, root string) bool {
	p = filepath.Clean(p)
	return p == root || strings.HasPrefix(p, root+"/") || root == "/"
}

// Load rebuilds a manager from saved Paths(). A map holding only the "" key is a v2 cgroup.
func Load(paths map[string]string) (Manager, error) {
	return LoadWithCreated(paths, nil)
}

// LoadWithCreated is Load with the saved Created() list, so that Destroy also removes the empty
// intermediate dirs the original Create made. With created nil, Destroy removes only the dirs in
// paths.
func LoadWithCreated(paths map[string]string, created []string) (Manager, error) {
	if err := checkSaved(paths, created); err != nil {
		return nil, err
	}
	// "" alone is a v2 cgroup; beside v1 controllers it is a hybrid host's unified hierarchy.
	if dir, ok := paths[""]; ok && len(paths) == 1 {
		return fs2.Load(dir, created), nil
	}
	return fs1.Load(paths, created), nil
}

// checkSaved refuses saved paths that are missing, relative or not clean: state.json is read
// back from disk, and its dirs are later removed.
func checkSaved(paths map[string]string, created []string) error {
	if len(paths) == 0 {
		return errors.New("load cgroup: no saved cgroup paths")
	}
	for k, p := range paths {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return fmt.Errorf("load cgroup: path %q for %q is not clean and absolute", p, k)
		}
	}
	for _, p := range created {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return fmt.Errorf("load cgroup: created path %q is not clean and absolute", p)
		}
	}
	return nil
}
