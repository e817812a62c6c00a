package rootfs

import (
	"os"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCleanPath(t *testing.T) {
	tests := map[string]string{
		"/proc":         "/proc",
		"proc":          "/proc",
		"/../../etc":    "/etc",
		"../etc/":       "/etc",
		"/a/./b/../c//": "/a/c",
		"":              "/",
		"/..":           "/",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := cleanPath(in); got != want {
				t.Fatalf("cleanPath(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		dir, p, rel string
		ok          bool
	}{
		{"/r", "/r", "/", true},
		{"/r", "/r/proc", "/proc", true},
		{"/r", "/r/a/b", "/a/b", true},
		{"/r", "/rx/a", "", false},
		{"/r", "/etc", "", false},
		{"/r", "/", "", false},
		{"/", "/etc", "/etc", true},
	}
	for _, tt := range tests {
		t.Run(tt.dir+" "+tt.p, func(t *testing.T) {
			rel, ok := within(tt.dir, tt.p)
			if rel != tt.rel || ok != tt.ok {
				t.Fatalf("within(%q, %q) = %q, %v; want %q, %v", tt.dir, tt.p, rel, ok, tt.rel, tt.ok)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestContainerDevices(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{Devices: []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o600)), UID: ptr(uint32(1)), GID: ptr(uint32(2))},
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: ptr(os.FileMode(0o640))},
		{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0},
		{Path: "/dev/fifo", Type: "p", Major: 9, Minor: 9},
		{Path: "dev/../dev/u", Type: "u", Major: 4, Minor: 1, FileMode: ptr(os.FileMode(0o755) | os.ModeSetuid)},
	}}}
	got, err := containerDevices(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []device{
		{path: "/dev/null", typ: unix.S_IFCHR, major: 1, minor: 3, perm: 0o640},
		defaultDevices[1], defaultDevices[2], defaultDevices[3], defaultDevices[4], defaultDevices[5],
		{path: "/dev/fuse", typ: unix.S_IFCHR, major: 10, minor: 229, perm: 0o600, uid: 1, gid: 2},
		{path: "/dev/sda", typ: unix.S_IFBLK, major: 8, minor: 0, perm: 0o666},
		{path: "/dev/fifo", typ: unix.S_IFIFO, perm: 0o666},
		{path: "/dev/u", typ: unix.S_IFCHR, major: 4, minor: 1, perm: 0o755 | unix.S_ISUID},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("containerDevices:\n got %+v\nwant %+v", got, want)
	}

	bad := []specs.LinuxDevice{
		{Path: "/dev/x", Type: "x"},
		{Path: "", Type: "c"},
		{Path: "/", Type: "c"},
		{Path: "/dev/x", Type: "c", Major: -1},
		{Path: "/dev/x", Type: "c", Major: 1 << 12},
	}
	for _, d := range bad {
		t.Run("bad "+d.Path+" "+d.Type, func(t *testing.T) {
			if _, err := containerDevices(&specs.Spec{Linux: &specs.Linux{Devices: []specs.LinuxDevice{d}}}); err == nil {
				t.Fatalf("device %+v accepted", d)
			}
		})
	}
}

func TestCgroupHierarchies(t *testing.T) {
	paths := map[string]string{
		"cpu":          "/sys/fs/cgroup/cpu,cpuacct/c1",
		"cpuacct":      "/sys/fs/cgroup/cpu,cpuacct/c1",
		"memory":       "/sys/fs/cgroup/memory/c1",
		"name=systemd": "/sys/fs/cgroup/systemd/c1",
		"":             "/sys/fs/cgroup/unified/c1",
		"pids":         "/elsewhere/pids/c1",
		"bogus":        "",
	}
	got := cgroupHierarchies(paths)
	want := []cgroupHierarchy{
		{name: "cpu,cpuacct", dir: "/sys/fs/cgroup/cpu,cpuacct/c1", links: []string{"cpu", "cpuacct"}},
		{name: "memory", dir: "/sys/fs/cgroup/memory/c1"},
		{name: "pids", dir: "/elsewhere/pids/c1"},
		{name: "systemd", dir: "/sys/fs/cgroup/systemd/c1"},
		// A hybrid host's unified hierarchy ("") is not shown, as runc does not show it.
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cgroupHierarchies:\n got %+v\nwant %+v", got, want)
	}
	for ctrl, want := range map[string]string{"": "unified", "name=systemd": "systemd", "cpu": "cpu", "a/b": "", "..": "", "name=": ""} {
		if got := controllerName(ctrl); got != want {
			t.Errorf("controllerName(%q) = %q, want %q", ctrl, got, want)
		}
	}
	if got := hierarchyName("cpu", "/sys/fs/cgroup/../../etc"); got != "cpu" {
		t.Errorf("hierarchyName escaping path = %q, want the controller name", got)
	}
}

func TestParseSpecMount(t *testing.T) {
	tests := []struct {
		name string
		m    specs.Mount
		err  string
		bind bool
		dest string
	}{
		{name: "tmpfs", m: specs.Mount{Destination: "/tmp", Type: "tmpfs", Options: []string{"size=1k"}}},
		{name: "bind type", m: specs.Mount{Destination: "/b", Type: "bind", Source: "/x"}, bind: true},
		{name: "bind option", m: specs.Mount{Destination: "/b", Type: "none", Source: "/x", Options: []string{"rbind"}}, bind: true},
		{name: "root", m: specs.Mount{Destination: "/../", Type: "tmpfs"}, err: "container root"},
		{name: "no type", m: specs.Mount{Destination: "/x"}, err: "no type"},
		{name: "idmap", m: specs.Mount{Destination: "/x", Type: "bind", Options: []string{"idmap"}}, bind: true},
		{name: "uid mappings", m: specs.Mount{Destination: "/x", Type: "bind", UIDMappings: []specs.LinuxIDMapping{{Size: 1}}}, bind: true},
		{name: "idmap of a tmpfs", m: specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"ridmap"}}, err: "only supported for bind-mounts"},
		// runc's forms: the rootfs's host path stripped, a relative path taken from "/".
		{name: "host path of the rootfs", m: specs.Mount{Destination: "/r/oot/mnt/../x", Type: "tmpfs"}, dest: "/x"},
		{name: "only a prefix of the rootfs", m: specs.Mount{Destination: "/r/ootx", Type: "tmpfs"}, dest: "/r/ootx"},
		{name: "the rootfs itself", m: specs.Mount{Destination: "/r/oot/", Type: "tmpfs"}, err: "container root"},
		{name: "relative", m: specs.Mount{Destination: "mnt/../rel", Type: "tmpfs"}, dest: "/rel"},
		{name: "relative escaping", m: specs.Mount{Destination: "../../rel", Type: "tmpfs"}, dest: "/rel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseSpecMount(tt.m, "/r/oot")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.bind() != tt.bind {
				t.Fatalf("bind = %v, want %v", o.bind(), tt.bind)
			}
			if tt.dest != "" && o.dest != tt.dest {
				t.Fatalf("dest = %q, want %q", o.dest, tt.dest)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	withNS := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}}}}
	tests := []struct {
		name string
		c    *Config
		ok   bool
	}{
		{"ok", &Config{Spec: withNS, Rootfs: "/r"}, true},
		{"nil", nil, false},
		{"no spec", &Config{Rootfs: "/r"}, false},
		{"relative rootfs", &Config{Spec: withNS, Rootfs: "r"}, false},
		{"host root", &Config{Spec: withNS, Rootfs: "/"}, false},
		// Without a mount namespace the container shares the caller's (chroot, no pivot_root)...
		{"no mount namespace", &Config{Spec: &specs.Spec{Linux: &specs.Linux{}}, Rootfs: "/r"}, true},
		// ...but MS_MOVE over the caller's "/" is refused.
		{"no mount namespace with --no-pivot", &Config{Spec: &specs.Spec{Linux: &specs.Linux{}}, Rootfs: "/r", NoPivot: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.validate(); (err == nil) != tt.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				// The public steps refuse the same configs before touching anything.
				if Prepare(tt.c) == nil || Pivot(tt.c) == nil || Finish(tt.c) == nil {
					t.Fatal("a step accepted an invalid config")
				}
			}
		})
	}
}
