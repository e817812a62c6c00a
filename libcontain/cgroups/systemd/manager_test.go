package systemd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeBus plays systemd: starting a unit makes its cgroup dirs (with the files the tests
// write), stopping it removes them. Every call is logged.
type fakeBus struct {
	t        *testing.T
	dirs     func(unit string) []string // the dirs systemd makes for a unit
	calls    []string
	startErr error
	closed   bool
}

func (b *fakeBus) StartTransientUnit(name string, props []sdbus.Property) error {
	b.calls = append(b.calls, "start "+name+": "+strings.Join(render(props), ", "))
	if b.startErr != nil {
		return b.startErr
	}
	for _, d := range b.dirs(name) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
		for _, f := range []string{"cgroup.procs", "memory.max", "pids.max", "memory.limit_in_bytes", "freezer.state"} {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	return nil
}

func (b *fakeBus) StopUnit(name string) error {
	b.calls = append(b.calls, "stop "+name)
	for _, d := range b.dirs(name) {
		if err := os.RemoveAll(d); err != nil {
			b.t.Fatal(err)
		}
	}
	return nil
}

func (b *fakeBus) SetUnitProperties(name string, props []sdbus.Property) error {
	b.calls = append(b.calls, "set "+name+": "+strings.Join(render(props), ", "))
	return nil
}

func (b *fakeBus) ResetFailedUnit(name string) error {
	b.calls = append(b.calls, "reset "+name)
	return nil
}

func (b *fakeBus) ManagerProperty(name string) (string, error) {
	switch name {
	case "Version":
		return "252.36-1~deb12u1", nil
	case "ControlGroup":
		return "/user.slice/user-1000.slice/user@1000.service", nil
	}
	return "", errors.New("no property " + name)
}

func (b *fakeBus) Close() { b.closed = true }

func (b *fakeBus) connect(bool) (Bus, error) { return b, nil }

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

func TestManagerV2(t *testing.T) {
	root := t.TempDir()
	unit := Unit{Slice: "machine.slice", Name: "libpod-c1.scope"}
	dir := filepath.Join(root, "machine.slice", "libpod-c1.scope")
	bus := &fakeBus{t: t, dirs: func(string) []string { return []string{dir} }}
	m, err := New(Config{Unit: unit, Root: root, Connect: bus.connect,
		Extra: []sdbus.Property{prop("CollectMode", "inactive-or-failed")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Paths()[""]; got != dir || len(m.Paths()) != 1 {
		t.Fatalf("paths %v, want {\"\": %s}", m.Paths(), dir)
	}
	if err := m.Create(); err != nil || exists(dir) {
		t.Fatalf("Create: %v; dir exists: %v (systemd makes it when the unit starts)", err, exists(dir))
	}
	if err := m.Join(1234); err != nil {
		t.Fatal(err)
	}
	wantStart := "start libpod-c1.scope: Description s contain container libpod-c1.scope, Slice s machine.slice, " +
		"Delegate b true, PIDs au [1234], MemoryAccounting b true, CPUAccounting b true, IOAccounting b true, " +
		"TasksAccounting b true, DefaultDependencies b false, CollectMode s inactive-or-failed"
	if len(bus.calls) != 1 || bus.calls[0] != wantStart {
		t.Fatalf("calls %q\nwant %q", bus.calls, wantStart)
	}
	if got := read(t, filepath.Join(dir, "cgroup.procs")); got != "" {
		t.Fatalf("cgroup.procs = %q: systemd moves the first pid, not us", got)
	}
	// Later processes (exec) are written to the files.
	if err := m.Join(5678); err != nil || read(t, filepath.Join(dir, "cgroup.procs")) != "5678" {
		t.Fatalf("second Join: %v, cgroup.procs %q", err, read(t, filepath.Join(dir, "cgroup.procs")))
	}
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20)}, Pids: &specs.LinuxPids{Limit: i64(10)}}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if got := bus.calls[len(bus.calls)-1]; got != "set libpod-c1.scope: MemoryMax t 67108864, TasksMax t 10" {
		t.Fatalf("set call %q", got)
	}
	if read(t, filepath.Join(dir, "memory.max")) != "67108864" || read(t, filepath.Join(dir, "pids.max")) != "10" {
		t.Fatal("limits not written to the cgroup files after the unit properties")
	}

	// A later command rebuilds it from state and stops the unit.
	bus.calls = nil
	l := Load(unit, false, m.Paths(), nil, bus.connect)
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(bus.calls, "|") != "stop libpod-c1.scope" || !bus.closed || exists(dir) {
		t.Fatalf("destroy: calls %q, closed %v, dir left %v", bus.calls, bus.closed, exists(dir))
	}
	if !exists(filepath.Join(root, "machine.slice")) {
		t.Fatal("the slice is systemd's and must stay")
	}
}

func TestManagerV2Update(t *testing.T) {
	root := t.TempDir()
	unit := Unit{Slice: "system.slice", Name: "contain-c1.scope"}
	dir := filepath.Join(root, unit.Dir())
	bus := &fakeBus{t: t, dirs: func(string) []string { return []string{dir} }}
	if err := bus.StartTransientUnit(unit.Name, nil); err != nil {
		t.Fatal(err)
	}
	bus.calls = nil
	m := Load(unit, false, map[string]string{"": dir}, nil, bus.connect)
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(42)}}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(bus.calls, "|") != "set contain-c1.scope: TasksMax t 42" || read(t, filepath.Join(dir, "pids.max")) != "42" {
		t.Fatalf("update: calls %q, pids.max %q", bus.calls, read(t, filepath.Join(dir, "pids.max")))
	}
}

func TestManagerUserInstance(t *testing.T) {
	root := t.TempDir()
	bus := &fakeBus{t: t}
	m, err := New(Config{Unit: Unit{"user.slice", "contain-c1.scope"}, User: true, Root: root, Connect: bus.connect})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "user.slice/user-1000.slice/user@1000.service/user.slice/contain-c1.scope")
	if m.Paths()[""] != want {
		t.Fatalf("path %s, want %s", m.Paths()[""], want)
	}
	_, err = New(Config{Unit: Unit{"user.slice", "x.scope"}, User: true, Root: root, Connect: bus.connect,
		V1Mounts: map[string]string{"memory": root + "/memory"}})
	if err == nil || !strings.Contains(err.Error(), "only on cgroup v2") {
		t.Fatalf("user instance on v1: %v", err)
	}
}

func TestManagerErrors(t *testing.T) {
	root := t.TempDir()
	unreachable := errors.New("systemd cgroup driver: connect to the system bus: no such file")
	_, err := New(Config{Unit: Unit{"system.slice", "x.scope"}, Root: root,
		Connect: func(bool) (Bus, error) { return nil, unreachable }})
	if !errors.Is(err, unreachable) {
		t.Fatalf("unreachable bus: %v", err)
	}
	bus := &fakeBus{t: t, startErr: errors.New("Unit x.scope already exists.")}
	m, err := New(Config{Unit: Unit{"system.slice", "x.scope"}, Root: root, Connect: bus.connect})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Join(1); err == nil || !strings.Contains(err.Error(), "start systemd unit x.scope: Unit x.scope already exists.") {
		t.Fatalf("failed start: %v", err)
	}
	// A create that failed before the unit started stops nothing.
	bus.calls = nil
	m2, _ := New(Config{Unit: Unit{"system.slice", "y.scope"}, Root: root, Connect: bus.connect})
	if err := m2.Destroy(); err != nil || len(bus.calls) != 0 {
		t.Fatalf("destroy before start: %v, calls %q", err, bus.calls)
	}
}

func TestManagerV1(t *testing.T) {
	root := t.TempDir()
	unit := Unit{Slice: "system.slice", Name: "contain-c1.scope"}
	mounts := map[string]string{}
	for _, c := range []string{"memory", "freezer", "name=systemd"} {
		mounts[c] = filepath.Join(root, strings.TrimPrefix(c, "name="))
	}
	// systemd makes the unit's dirs in the hierarchies it manages; the freezer one exists too
	// here only because a temp dir has no kernel to fill a new dir with cgroup.procs.
	bus := &fakeBus{t: t, dirs: func(u string) []string {
		return []string{filepath.Join(root, "memory", unit.Dir()), filepath.Join(root, "systemd", unit.Dir()),
			filepath.Join(root, "freezer", unit.Dir())}
	}}
	m, err := New(Config{Unit: unit, Root: root, V1Mounts: mounts, Connect: bus.connect})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Join(77); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bus.calls[0], "BlockIOAccounting b true") {
		t.Fatalf("start on v1: %s", bus.calls[0])
	}
	for _, c := range []string{"memory", "freezer", "systemd"} {
		if got := read(t, filepath.Join(root, c, unit.Dir(), "cgroup.procs")); got != "77" {
			t.Errorf("%s cgroup.procs = %q", c, got)
		}
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20)}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "memory", unit.Dir(), "memory.limit_in_bytes")); got != "1048576" {
		t.Fatalf("memory.limit_in_bytes = %q", got)
	}
	// Dirs made beside systemd's (recorded in state as Created) go with the container; an
	// intermediate one only while empty.
	made := filepath.Join(root, "freezer", "extra.slice")
	leaf := filepath.Join(made, "contain-c1.scope")
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := m.Paths()
	paths["freezer"] = leaf
	if err := Load(unit, false, paths, []string{made, leaf}, bus.connect).Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{made, filepath.Join(root, "memory", unit.Dir()), filepath.Join(root, "systemd", unit.Dir())} {
		if exists(d) {
			t.Errorf("%s left behind", d)
		}
	}
}
