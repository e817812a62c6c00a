package cgroups

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/contain-runtime/contain/libcontain/cgroups/systemd"
)

// stubBus answers the manager properties New asks for; nothing else is called before Join.
type stubBus struct{ systemd.Bus }

func (stubBus) ManagerProperty(name string) (string, error) {
	if name == "Version" {
		return "252", nil
	}
	return "", errors.New("no " + name)
}
func (stubBus) Close() {}

func stubConnect(bool) (systemd.Bus, error) { return stubBus{}, nil }

func TestNewSystemdPaths(t *testing.T) {
	root, mi := fakeV1(t)
	m, err := NewSystemd(Config{Path: "machine.slice:libpod:c1", ID: "c1", Root: root, SelfCgroup: []byte(fakeSelf),
		MountInfo: mi, Version: 1}, SystemdOptions{Connect: stubConnect})
	if err != nil {
		t.Fatal(err)
	}
	// Every hierarchy from its root, whatever the runtime's own cgroup; other named ones and
	// mounts outside the root are left out.
	want := map[string]string{}
	for ctrl, dir := range map[string]string{"cpu": "cpu", "cpuacct": "cpuacct", "memory": "memory", "pids": "pids",
		"net_cls": "net_cls,net_prio", "net_prio": "net_cls,net_prio", "name=systemd": "systemd"} {
		want[ctrl] = filepath.Join(root, dir, "machine.slice/libpod-c1.scope")
	}
	if got := m.Paths(); !reflect.DeepEqual(got, want) {
		t.Fatalf("v1 paths %v\nwant %v", got, want)
	}

	v2root := t.TempDir()
	m, err = NewSystemd(Config{ID: "c1", Root: v2root, Version: 2}, SystemdOptions{Connect: stubConnect})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Paths()[""]; got != filepath.Join(v2root, "system.slice/contain-c1.scope") {
		t.Fatalf("v2 path %s", got)
	}

	for _, tt := range []struct {
		c    Config
		o    SystemdOptions
		want string
	}{
		{Config{Path: "/default/c1", ID: "c1", Root: v2root, Version: 2}, SystemdOptions{Connect: stubConnect}, `"slice:prefix:name"`},
		{Config{ID: "c1", Root: v2root, Version: 2}, SystemdOptions{Connect: stubConnect,
			Annotations: map[string]string{"org.systemd.property.X": "1"}}, "shorter than 3"},
		{Config{ID: "c1", Root: v2root, Version: 2}, SystemdOptions{Connect: func(bool) (systemd.Bus, error) {
			return nil, errors.New("systemd is not running on this host")
		}}, "systemd is not running"},
	} {
		if _, err := NewSystemd(tt.c, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSystemd(%+v): %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestLoadSystemd(t *testing.T) {
	if _, err := LoadSystemd("", false, map[string]string{"": "/sys/fs/cgroup/x"}, nil); err == nil {
		t.Fatal("no unit accepted")
	}
	if _, err := LoadSystemd("x.scope", false, map[string]string{"": "rel"}, nil); err == nil {
		t.Fatal("relative path accepted")
	}
	m, err := LoadSystemd("x.scope", false, map[string]string{"": "/sys/fs/cgroup/system.slice/x.scope"}, nil)
	if err != nil || m.Paths()[""] != "/sys/fs/cgroup/system.slice/x.scope" {
		t.Fatalf("%v %v", m, err)
	}
}
