package systemd

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/fs1"
	"github.com/contain-runtime/contain/libcontain/cgroups/fs2"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
)

// fsManager is what the driver uses of the fs1/fs2 managers on the unit's directories.
type fsManager interface {
	Join(pid int) error
	Set(r *specs.LinuxResources) error
	Pids() ([]int, error)
	KillAll(sig unix.Signal) error
	Freeze() error
	Thaw() error
	Frozen() (bool, error)
	Stats() (*stats.Stats, error)
	PidsStats() (stats.PidsStats, error)
	OOMKillCount() (uint64, error)
	Destroy() error
	Paths() map[string]string
}

// Config says which unit a container gets and where the cgroup hierarchies are.
type Config struct {
	Unit Unit
	// User puts the unit under the caller's own systemd instance (rootless, v2 only).
	User bool
	// Root is the cgroup mount root (/sys/fs/cgroup); on v2 the unified mount itself.
	Root string
	// V1Mounts maps each v1 controller ("memory", "cpu", "name=systemd"...) to its mount point.
	// Empty means a v2 host.
	V1Mounts map[string]string
	// Extra are unit properties from the spec's org.systemd.property.* annotations.
	Extra []sdbus.Property
	// Connect opens the bus (nil: Connect, D-Bus).
	Connect func(user bool) (Bus, error)
}

// Manager is one container's transient unit and its cgroup directories.
type Manager struct {
	unit    Unit
	user    bool
	v2      bool
	extra   []sdbus.Property
	connect func(user bool) (Bus, error)
	bus     Bus
	version int

	paths   map[string]string // controller -> dir; v2: "" -> dir
	mounts  map[string]string // v1 controller -> mount (nil after Load)
	created []string          // v1 dirs we made beside systemd's, outermost first
	started bool              // the unit exists: Join adds pids through the files
}

// New connects to systemd and works out the unit's directories; nothing is created until
// Join starts the unit with the container's first process.
func New(c Config) (*Manager, error) {
	m := &Manager{unit: c.Unit, user: c.User, v2: len(c.V1Mounts) == 0, extra: c.Extra, connect: c.Connect}
	if m.user && !m.v2 {
		return nil, errors.New("systemd cgroup driver: a user's systemd instance cannot delegate cgroup v1 hierarchies; rootless containers get cgroups only on cgroup v2")
	}
	b, err := m.getBus()
	if err != nil {
		return nil, err
	}
	if v, err := b.ManagerProperty("Version"); err == nil {
		m.version, _ = ParseVersion(v)
	}
	dir := c.Unit.Dir()
	if m.user {
		// A user instance's units live below its own cgroup
		// (/user.slice/user-1000.slice/user@1000.service).
		own, err := b.ManagerProperty("ControlGroup")
		if err != nil {
			return nil, fmt.Errorf("systemd cgroup driver: ask the user instance for its cgroup: %w", err)
		}
		dir = filepath.Join(own, dir)
	}
	m.paths = map[string]string{}
	if m.v2 {
		m.paths[""] = filepath.Join(c.Root, dir)
		return m, nil
	}
	m.mounts = map[string]string{}
	for ctrl, mnt := range c.V1Mounts {
		m.mounts[ctrl] = mnt
		m.paths[ctrl] = filepath.Join(mnt, dir)
	}
	return m, nil
}

// Load rebuilds the manager of a created container from what state.json kept: the unit, the
// dirs and (v1) the dirs made beside systemd's. The bus is opened only when needed, with
// connect (nil: Connect).
func Load(unit Unit, user bool, paths map[string]string, created []string, connect func(user bool) (Bus, error)) *Manager {
	_, v2 := paths[""]
	m := &Manager{unit: unit, user: user, v2: v2 && len(paths) == 1, paths: map[string]string{}, started: true,
		created: append([]string(nil), created...), version: -1, connect: connect}
	for k, v := range paths {
		m.paths[k] = v
	}
	return m
}

// UnitName is the container's unit ("libpod-<id>.scope"); UserInstance says whether it is in
// the user's own systemd instance rather than the system's.
func (m *Manager) UnitName() string   { return m.unit.Name }
func (m *Manager) UserInstance() bool { return m.user }

func (m *Manager) getBus() (Bus, error) {
	if m.bus != nil {
		return m.bus, nil
	}
	connect := m.connect
	if connect == nil {
		connect = Connect
	}
	b, err := connect(m.user)
	if err != nil {
		return nil, err
	}
	m.bus = b
	return b, nil
}

// systemdVersion is the manager's version, asked once; 0 when unknown.
func (m *Manager) systemdVersion(b Bus) int {
	if m.version < 0 {
		m.version = 0
		if v, err := b.ManagerProperty("Version"); err == nil {
			m.version, _ = ParseVersion(v)
		}
	}
	return m.version
}

// Paths maps controllers to the unit's dirs ({"": dir} on v2).
func (m *Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

// Created lists the v1 dirs made beside the ones systemd manages, outermost first.
func (m *Manager) Created() []string { return append([]string(nil), m.created...) }

// Create makes nothing: systemd creates the unit's cgroup when Join starts the unit with the
// container's first process (a scope cannot exist without one).
func (m *Manager) Create() error { return nil }

// startProperties are the unit's own settings: where it goes, that the container may manage
// its subtree (Delegate), accounting for every controller so systemd creates the cgroup in each
// (on v1 a late join of the memory controller misbehaves), no default dependencies (a
// container's scope must not order itself after basic.target or stop at shutdown.target
// before its processes do), then the annotations' extra properties.
func startProperties(u Unit, pid int, v2 bool, extra []sdbus.Property) []sdbus.Property {
	props := []sdbus.Property{sdbus.PropDescription("contain container " + u.Name)}
	if u.IsSlice() {
		props = append(props, sdbus.PropWants(u.Slice))
	} else {
		props = append(props, sdbus.PropSlice(u.Slice), prop("Delegate", true))
		if pid > 0 {
			props = append(props, sdbus.PropPids(uint32(pid)))
		}
	}
	io := "IOAccounting"
	if !v2 {
		io = "BlockIOAccounting"
	}
	props = append(props, prop("MemoryAccounting", true), prop("CPUAccounting", true),
		prop(io, true), prop("TasksAccounting", true), prop("DefaultDependencies", false))
	return append(props, extra...)
}

// Join puts pid in the container's cgroup. The first call starts the transient unit with pid
// as its process (systemd creates the cgroup and moves it there); on v1, hierarchies systemd
// does not manage (freezer, cpuset, net_cls...) get their dirs made here and pid written in.
// Later calls (exec) write the pid to the cgroup files.
func (m *Manager) Join(pid int) error {
	if m.started {
		return m.fs().Join(pid)
	}
	b, err := m.getBus()
	if err != nil {
		return err
	}
	if err := b.StartTransientUnit(m.unit.Name, startProperties(m.unit, pid, m.v2, m.extra)); err != nil {
		if m.unit.IsSlice() && isUnitExists(err) {
			err = nil // a slice made before (a pod's), used as it is
		}
		if err != nil {
			return fmt.Errorf("start systemd unit %s: %w", m.unit.Name, err)
		}
	}
	m.started = true
	if !m.v2 {
		fs, err := fs1.New(m.mounts, m.paths)
		if err != nil {
			return err
		}
		// MkdirAll leaves systemd's dirs alone and reports only the ones it made.
		err = fs.Create()
		m.created = fs.Created()
		if err != nil {
			return err
		}
	}
	if m.unit.IsSlice() || !m.v2 {
		// A slice takes no PIDs property; v1 hierarchies outside systemd need the pid written.
		return m.fs().Join(pid)
	}
	return nil
}

func isUnitExists(err error) bool { return strings.HasSuffix(dbusErrorName(err), ".UnitExists") }

// fs is the fs1/fs2 manager over the unit's dirs. Its Destroy removes the container's dirs (and
// on v1 the ones made beside systemd's, while empty).
func (m *Manager) fs() fsManager {
	if m.v2 {
		return fs2.Load(m.paths[""], nil)
	}
	dirs := map[string]bool{}
	created := append([]string(nil), m.created...)
	for _, c := range created {
		dirs[c] = true
	}
	var leaves []string
	for _, d := range m.paths {
		if !dirs[d] {
			dirs[d] = true
			leaves = append(leaves, d)
		}
	}
	sort.Strings(leaves)
	return fs1.Load(m.paths, append(created, leaves...))
}

// Set tells systemd the limits it can express (SetUnitProperties, kept for the unit's life, so a
// daemon-reload re-applies them) and then writes every limit to the cgroup files, which covers
// what systemd has no property for (swappiness, hugetlb, rdma, unified keys...) and values
// systemd rounds.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	b, err := m.getBus()
	if err != nil {
		return err
	}
	props, err := Properties(r, m.v2, m.systemdVersion(b))
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if err := b.SetUnitProperties(m.unit.Name, props); err != nil {
			return fmt.Errorf("set properties of systemd unit %s: %w", m.unit.Name, err)
		}
	}
	return m.fs().Set(r)
}

// Destroy stops the unit, waiting for systemd to finish (it kills what is left and removes the
// cgroup), then removes whatever dirs remain (sub-cgroups the container made, v1 dirs made
// beside systemd's). The bus is closed: the manager is done.
func (m *Manager) Destroy() error {
	var errs []error
	if m.started {
		if err := m.stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop systemd unit %s: %w", m.unit.Name, err))
		}
	}
	if err := m.fs().Destroy(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (m *Manager) stop() error {
	b, err := m.getBus()
	if err != nil {
		return err
	}
	defer func() { b.Close(); m.bus = nil }()
	return b.StopUnit(m.unit.Name)
}

func (m *Manager) Pids() ([]int, error)                { return m.fs().Pids() }
func (m *Manager) KillAll(sig unix.Signal) error       { return m.fs().KillAll(sig) }
func (m *Manager) Freeze() error                       { return m.fs().Freeze() }
func (m *Manager) Thaw() error                         { return m.fs().Thaw() }
func (m *Manager) Frozen() (bool, error)               { return m.fs().Frozen() }
func (m *Manager) Stats() (*stats.Stats, error)        { return m.fs().Stats() }
func (m *Manager) PidsStats() (stats.PidsStats, error) { return m.fs().PidsStats() }
func (m *Manager) OOMKillCount() (uint64, error)       { return m.fs().OOMKillCount() }
