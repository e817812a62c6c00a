package namespaces

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestType(t *testing.T) {
	tests := []struct {
		t    specs.LinuxNamespaceType
		flag uintptr
		proc string
	}{
		{specs.PIDNamespace, unix.CLONE_NEWPID, "pid"},
		{specs.NetworkNamespace, unix.CLONE_NEWNET, "net"},
		{specs.MountNamespace, unix.CLONE_NEWNS, "mnt"},
		{specs.IPCNamespace, unix.CLONE_NEWIPC, "ipc"},
		{specs.UTSNamespace, unix.CLONE_NEWUTS, "uts"},
		{specs.UserNamespace, unix.CLONE_NEWUSER, "user"},
		{specs.CgroupNamespace, unix.CLONE_NEWCGROUP, "cgroup"},
		{specs.TimeNamespace, unix.CLONE_NEWTIME, "time"},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			flag, err := Type(tt.t)
			if err != nil || flag != tt.flag {
				t.Errorf("Type(%q) = %#x, %v; want %#x", tt.t, flag, err, tt.flag)
			}
			if got := ProcName(tt.t); got != tt.proc {
				t.Errorf("ProcName(%q) = %q, want %q", tt.t, got, tt.proc)
			}
			// The name must be a real file under /proc/self/ns on this kernel.
			if _, err := os.Stat("/proc/self/ns/" + tt.proc); err != nil {
				t.Errorf("ProcName(%q): %v", tt.t, err)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		if _, err := Type("bogus"); err == nil || !strings.Contains(err.Error(), `unknown namespace type "bogus"`) {
			t.Errorf("Type(bogus) error = %v", err)
		}
		if got := ProcName("bogus"); got != "" {
			t.Errorf("ProcName(bogus) = %q, want empty", got)
		}
	})
}

func TestCloneFlags(t *testing.T) {
	tests := []struct {
		name string
		ns   []specs.LinuxNamespace
		want uintptr
	}{
		{name: "none", ns: nil, want: 0},
		{
			name: "runc spec default",
			ns:   []specs.LinuxNamespace{{Type: "pid"}, {Type: "network"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}},
			want: unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS,
		},
		{
			name: "joined entries add nothing",
			ns:   []specs.LinuxNamespace{{Type: "network", Path: "/proc/1/ns/net"}, {Type: "mount"}, {Type: "cgroup"}},
			want: unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP,
		},
		{
			name: "user and time",
			ns:   []specs.LinuxNamespace{{Type: "user"}, {Type: "time"}},
			want: unix.CLONE_NEWUSER | unix.CLONE_NEWTIME,
		},
		{name: "unknown adds nothing", ns: []specs.LinuxNamespace{{Type: "bogus"}, {Type: "uts"}}, want: unix.CLONE_NEWUTS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CloneFlags(tt.ns); got != tt.want {
				t.Errorf("CloneFlags = %#x, want %#x", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ns   []specs.LinuxNamespace
		want []string // substrings of the error, one per expected problem; none means valid
	}{
		{name: "empty"},
		{name: "all new", ns: []specs.LinuxNamespace{
			{Type: "pid"}, {Type: "network"}, {Type: "mount"}, {Type: "ipc"},
			{Type: "uts"}, {Type: "user"}, {Type: "cgroup"}, {Type: "time"},
		}},
		{name: "join own net", ns: []specs.LinuxNamespace{{Type: "network", Path: "/proc/self/ns/net"}, {Type: "mount"}}},
		{name: "join uts ipc cgroup", ns: []specs.LinuxNamespace{
			{Type: "uts", Path: "/proc/self/ns/uts"}, {Type: "ipc", Path: "/proc/self/ns/ipc"},
			{Type: "cgroup", Path: "/proc/self/ns/cgroup"},
		}},
		{name: "unknown", ns: []specs.LinuxNamespace{{Type: "bogus"}}, want: []string{`unknown namespace type "bogus"`}},
		{name: "duplicate", ns: []specs.LinuxNamespace{{Type: "pid"}, {Type: "pid"}}, want: []string{`duplicate namespace type "pid"`}},
		{name: "missing path", ns: []specs.LinuxNamespace{{Type: "network", Path: "/nonexistent/ns/net"}},
			want: []string{"network namespace: open /nonexistent/ns/net: no such file or directory"}},
		{name: "relative path", ns: []specs.LinuxNamespace{{Type: "network", Path: "proc/self/ns/net"}},
			want: []string{`network namespace: path "proc/self/ns/net" is not absolute`}},
		{name: "not nsfs", ns: []specs.LinuxNamespace{{Type: "ipc", Path: regular}},
			want: []string{"ipc namespace: " + regular + " is not a namespace file"}},
		{name: "wrong type", ns: []specs.LinuxNamespace{{Type: "network", Path: "/proc/self/ns/uts"}},
			want: []string{"network namespace: /proc/self/ns/uts is a uts namespace"}},
		{name: "join mount", ns: []specs.LinuxNamespace{{Type: "mount", Path: "/proc/self/ns/mnt"}}},
		{name: "join user", ns: []specs.LinuxNamespace{{Type: "user", Path: "/proc/self/ns/user"}}},
		{name: "join pid", ns: []specs.LinuxNamespace{{Type: "pid", Path: "/proc/self/ns/pid"}}},
		{name: "join time", ns: []specs.LinuxNamespace{{Type: "time", Path: "/proc/self/ns/time"}}},
		{name: "every problem reported", ns: []specs.LinuxNamespace{{Type: "bogus"}, {Type: "uts"}, {Type: "uts"}, {Type: "pid", Path: "/x"}},
			want: []string{`unknown namespace type "bogus"`, `duplicate namespace type "uts"`, "pid namespace: open /x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.ns)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate gave %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}
