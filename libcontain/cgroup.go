package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/state"
)

// Keys of state.Extra for a cgroup that is a systemd unit (--systemd-cgroup, or a rootless
// caller's own systemd instance).
const (
	extraSystemdUnit = "systemdUnit"
	extraSystemdUser = "systemdUser"
)

// planCgroup picks the container's cgroup manager and records the dirs create is to make,
// making none (createCgroup makes them): the systemd driver with --systemd-cgroup, else the fs
// driver for the hierarchy mounted. The systemd driver's unit starts with init (Join): it is
// b.cg at once and nil is returned. A rootless caller's cgroup comes from its own systemd
// instance when asked for (--systemd-cgroup); otherwise it gets one only where the hierarchy is
// writable for it (a delegated subtree), and none, with a warning, where not (withoutCgroup):
// the container then runs without cgroup limits, as runc's rootless mode does.
func (b *builder) planCgroup() (cgroups.Manager, error) {
	cfg := cgroups.Config{ID: b.o.ID}
	if b.spec.Linux != nil {
		cfg.Path = b.spec.Linux.CgroupsPath
	}
	if b.rt.SystemdCgroup {
		m, err := cgroups.NewSystemd(cfg, cgroups.SystemdOptions{User: b.rt.Rootless, Annotations: b.spec.Annotations})
		if err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		// The unit starts with init (Join): recorded before, so that a killed create's unit is
		// stopped by the delete --force that finds the record.
		u := m.(cgroups.Unit)
		if err := b.record(func(r *state.CreateRecord) {
			r.CgroupPaths, r.SystemdUnit, r.SystemdUser = m.Paths(), u.UnitName(), u.UserInstance()
		}); err != nil {
			return nil, err
		}
		b.cg = m
		return nil, nil
	}
	m, err := cgroups.New(cfg)
	if err != nil {
		return nil, b.withoutCgroup(err)
	}
	// Recorded before they exist: only the dirs missing now are create's to remove later.
	if err := b.record(func(r *state.CreateRecord) {
		r.CgroupPaths, r.CgroupNew, r.CgroupGroup = m.Paths(), missingDirs(m.Paths()), b.o.CgroupGroup
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// createCgroup makes m's dirs (those CreateUnified left, when init started early) and the
// CPUs and memory nodes; m is then b.cg.
func (b *builder) createCgroup(m cgroups.Manager) error {
	if err := m.Create(); err != nil {
		_ = m.Destroy()
		return b.withoutCgroup(err)
	}
	b.cg = m
	// The CPUs and memory nodes are set before init runs, unlike the other limits (see
	// applyResources): they restrict nothing init does, and init's scheduler setup must see
	// them (sched_setattr refuses a deadline policy to a task that may not run on every CPU).
	// A systemd unit's cgroup exists only once init is in it: there they come with the rest.
	if r := cfgResources(b.spec); r != nil && r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != "") {
		if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: r.CPU.Cpus, Mems: r.CPU.Mems}}); err != nil {
			return fmt.Errorf("apply resources: %w", err)
		}
	}
	return nil
}

// withoutCgroup is nil for a rootless caller the hierarchy is not delegated to (the container
// runs without a cgroup), else err.
func (b *builder) withoutCgroup(err error) error {
	if !b.rt.Rootless || !notDelegated(err) {
		return fmt.Errorf("cgroup: %w", err)
	}
	// Worth a warning when limits were asked for; otherwise runc is silent, and so are we
	// unless --debug.
	msg := "cgroups are not delegated to this user: the container runs without a cgroup"
	if ignored := limitsIgnored(b.spec.Linux); ignored != "" {
		b.rt.Log.Warn(msg + ignored + " (rootless cgroups need cgroup v2 and the user's systemd instance: --systemd-cgroup)")
	} else {
		b.rt.Log.Debug(msg, "err", err)
	}
	return nil
}

// notDelegated reports whether err is the kernel refusing an unprivileged caller a cgroup.
func notDelegated(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) || errors.Is(err, unix.EPERM)
}

// limitsIgnored names the limits the spec asks for that a container without a cgroup lacks.
func limitsIgnored(l *specs.Linux) string {
	if l == nil || l.Resources == nil {
		return ""
	}
	r := l.Resources
	var names []string
	if r.Memory != nil && (r.Memory.Limit != nil || r.Memory.Reservation != nil || r.Memory.Swap != nil) {
		names = append(names, "memory")
	}
	if r.CPU != nil && (r.CPU.Quota != nil || r.CPU.Shares != nil || r.CPU.Cpus != "") {
		names = append(names, "cpu")
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		names = append(names, "pids")
	}
	if r.BlockIO != nil {
		names = append(names, "io")
	}
	if len(names) == 0 {
		return ""
	}
	return "; its " + strings.Join(names, ", ") + " limits are not applied"
}

// saveCgroup records in st what loadCgroup needs to rebuild the container's manager.
func saveCgroup(st *state.State, m cgroups.Manager) {
	st.CgroupPaths = m.Paths()
	if u, ok := m.(cgroups.Unit); ok {
		st.Extra[extraSystemdUnit] = u.UnitName()
		if u.UserInstance() {
			st.Extra[extraSystemdUser] = "true"
		}
	}
	if c, ok := m.(cgroups.Created); ok && len(c.Created()) > 0 {
		// Parents create made (containerd's "/default" of "/default/<id>") are removed by the
		// delete that removes the container's own cgroup: remember them.
		st.Extra[extraCgroupCreated] = strings.Join(c.Created(), "\n")
	}
}

// loadCgroup rebuilds the manager of the container's cgroup from its state: the systemd driver
// when create started a unit, else fs1/fs2 over the saved dirs, with the dirs create made so
// that Destroy also removes the parents it made. nil, nil: the container has no cgroup
// (rootless without delegation).
func loadCgroup(st *state.State) (cgroups.Manager, error) {
	if len(st.CgroupPaths) == 0 {
		return nil, nil
	}
	var created []string
	if c := st.Extra[extraCgroupCreated]; c != "" {
		created = strings.Split(c, "\n")
	}
	if unit := st.Extra[extraSystemdUnit]; unit != "" {
		return cgroups.LoadSystemd(unit, st.Extra[extraSystemdUser] == "true", st.CgroupPaths, created)
	}
	return cgroups.LoadWithCreated(st.CgroupPaths, created)
}

// cgroupPaths is m's dirs, nil for no cgroup.
func cgroupPaths(m cgroups.Manager) map[string]string {
	if m == nil {
		return nil
	}
	return m.Paths()
}

// errNoCgroup: pause, resume and update need the container's cgroup, and a rootless container
// without delegation has none.
var errNoCgroup = errors.New("the container has no cgroup (cgroups are not delegated to this user), so its processes cannot be frozen or limited")

// withoutDevices is r without device rules, for a rootless container: an unprivileged caller can
// load no eBPF device filter (v2) and write no devices.allow (v1), nor can the user's systemd
// instance; the container has only the device nodes its user may open anyway.
func withoutDevices(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || len(r.Devices) == 0 {
		return r
	}
	c := *r
	c.Devices = nil
	return &c
}

// cfgResources is s's resources, nil when it has none.
func cfgResources(s *specs.Spec) *specs.LinuxResources {
	if s.Linux == nil {
		return nil
	}
	return s.Linux.Resources
}
