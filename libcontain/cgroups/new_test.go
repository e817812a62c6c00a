package cgroups

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeV1 returns a temp root and mountinfo naming cgroup v1 mounts below it, shaped like this
// hybrid host (plus a co-mounted net_cls,net_prio, name=systemd, the ignored other named mount
// and the unified one, which hybrid placement joins as the key "").
func fakeV1(t *testing.T) (root string, mountinfo []byte) {
	t.Helper()
	root = t.TempDir()
	var b strings.Builder
	for i, m := range []struct{ dir, fstype, opts string }{
		{"cpu", "cgroup", "rw,cpu"}, {"cpuacct", "cgroup", "rw,cpuacct"}, {"memory", "cgroup", "rw,memory"},
		{"pids", "cgroup", "rw,pids"}, {"net_cls,net_prio", "cgroup", "rw,net_cls,net_prio"},
		{"systemd", "cgroup", "rw,name=systemd"}, {"other", "cgroup", "rw,name=other"}, {"unified", "cgroup2", "rw"},
	} {
		if err := os.MkdirAll(filepath.Join(root, m.dir), 0o755); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join([]string{
			"3" + string(rune('0'+i)), "30", "0:1", "/", filepath.Join(root, m.dir), "rw", "-", m.fstype, m.fstype, m.opts,
		}, " ") + "\n")
	}
	// A cgroup mount elsewhere (another container's view) must be ignored.
	b.WriteString("50 1 0:9 / /elsewhere/memory rw - cgroup cgroup rw,memory\n")
	return root, []byte(b.String())
}

const fakeSelf = "8:name=other:/\n7:net_cls,net_prio:/\n6:name=systemd:/\n5:pids:/\n4:memory:/process_api/h\n2:cpuacct:/\n1:cpu:/\n0::/v2own\n"

func TestNewV1Paths(t *testing.T) {
	root, mi := fakeV1(t)
	tests := []struct {
		name, path string
		want       map[string]string
	}{
		{"default nests under own", "", map[string]string{
			"cpu": "cpu/c1", "cpuacct": "cpuacct/c1", "memory": "memory/process_api/h/c1", "pids": "pids/c1",
			"net_cls": "net_cls,net_prio/c1", "net_prio": "net_cls,net_prio/c1", "name=systemd": "systemd/c1",
			"": "unified/v2own/c1",
		}},
		{"absolute", "/default/c1", map[string]string{
			"cpu": "cpu/default/c1", "cpuacct": "cpuacct/default/c1", "memory": "memory/default/c1", "pids": "pids/default/c1",
			"net_cls": "net_cls,net_prio/default/c1", "net_prio": "net_cls,net_prio/default/c1",
			"name=systemd": "systemd/default/c1", "": "unified/default/c1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(Config{Path: tt.path, ID: "c1", Root: root, SelfCgroup: []byte(fakeSelf), MountInfo: mi, Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			want := make(map[string]string)
			for k, v := range tt.want {
				want[k] = filepath.Join(root, v)
			}
			if got := m.Paths(); !reflect.DeepEqual(got, want) {
				t.Fatalf("Paths() = %v\nwant %v", got, want)
			}
		})
	}
	if _, err := New(Config{Path: "../up", ID: "c1", Root: root, SelfCgroup: []byte(fakeSelf), MountInfo: mi, Version: 1}); err == nil || !strings.Contains(err.Error(), `".."`) {
		t.Fatalf("escaping path: err = %v", err)
	}
}

func TestNewV2Paths(t *testing.T) {
	root := t.TempDir()
	mi := []byte("40 30 0:37 / " + root + " rw - cgroup2 cgroup2 rw\n")
	// Relative paths go below the parent of the runtime's own cgroup (runc's rule on v2): the
	// runtime's own holds processes, so its children could get no controllers.
	self := []byte("0::/slice/v2own\n")
	for _, tt := range []struct{ path, want string }{
		{"", "slice/c1"}, {"rel/x", "slice/rel/x"}, {"/machine/c1", "machine/c1"}, {"/slice/v2own/c1", "slice/v2own/c1"},
	} {
		m, err := New(Config{Path: tt.path, ID: "c1", Root: root, SelfCgroup: self, MountInfo: mi, Version: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"": filepath.Join(root, tt.want)}
		if got := m.Paths(); !reflect.DeepEqual(got, want) {
			t.Errorf("path %q: Paths() = %v, want %v", tt.path, got, want)
		}
	}
	// A relative path that names the runtime's own cgroup, or a cgroup below it, is refused.
	for _, p := range []string{"v2own", "v2own/sub"} {
		if _, err := New(Config{Path: p, ID: "c1", Root: root, SelfCgroup: self, MountInfo: mi, Version: 2}); err == nil || !strings.Contains(err.Error(), "own cgroup") {
			t.Errorf("path %q: err = %v, want a refusal naming the runtime's own cgroup", p, err)
		}
	}
	// In the root cgroup the base is the root itself.
	m, err := New(Config{Path: "c2", ID: "c1", Root: root, SelfCgroup: []byte("0::/\n"), MountInfo: mi, Version: 2})
	if err != nil || m.Paths()[""] != filepath.Join(root, "c2") {
		t.Errorf("from the root cgroup: %v, %v; want %s", m, err, filepath.Join(root, "c2"))
	}
}

func TestLoad(t *testing.T) {
	m, err := Load(map[string]string{"": "/sys/fs/cgroup/x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(interface{ DeviceRulesUnsupported() bool }); !ok {
		t.Fatalf("Load of a v2 path gave %T", m)
	}
	m, err = Load(map[string]string{"memory": "/sys/fs/cgroup/memory/x", "cpu": "/sys/fs/cgroup/cpu/x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Paths()["memory"]; got != "/sys/fs/cgroup/memory/x" {
		t.Fatalf("memory path %q", got)
	}
	// "" beside v1 controllers: a hybrid host's unified hierarchy, driven by fs1.
	if m, err := Load(map[string]string{"": "/sys/fs/cgroup/unified/x", "cpu": "/sys/fs/cgroup/cpu/x"}); err != nil || len(m.Paths()) != 2 {
		t.Fatalf("hybrid Load = %v, %v", m, err)
	}
	for _, bad := range []map[string]string{
		nil,
		{"cpu": "relative"},
		{"cpu": "/a/../b"},
	} {
		if _, err := Load(bad); err == nil {
			t.Errorf("Load(%v): want error", bad)
		}
	}
}

func TestIsCgroup2(t *testing.T) {
	if IsCgroup2(t.TempDir()) {
		t.Fatal("a temp dir is not cgroup2")
	}
}
