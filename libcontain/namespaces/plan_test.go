package namespaces

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestPlanInit(t *testing.T) {
	netns := specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}
	tests := []struct {
		name    string
		ns      []specs.LinuxNamespace
		want    Plan
		wantErr string
	}{
		{name: "none"},
		{
			name: "all new: cloned, but cgroup, which init unshares once in its cgroup",
			ns:   []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "cgroup"}, {Type: "user"}},
			want: Plan{CloneFlags: unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUSER},
		},
		{
			name: "joining: nothing cloned, the new ones unshared by nsenter",
			ns:   []specs.LinuxNamespace{netns, {Type: "pid"}, {Type: "mount"}, {Type: "cgroup"}},
			want: Plan{Join: []specs.LinuxNamespace{netns}, Unshare: []specs.LinuxNamespaceType{"pid", "mount"}},
		},
		{name: "new user while joining", ns: []specs.LinuxNamespace{netns, {Type: "user"}}, wantErr: "new user namespace while joining"},
		{name: "new time while joining", ns: []specs.LinuxNamespace{netns, {Type: "time"}}, wantErr: "new time namespace while joining"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PlanInit(tt.ns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.CloneFlags != tt.want.CloneFlags || !slices.Equal(got.Join, tt.want.Join) || !slices.Equal(got.Unshare, tt.want.Unshare) {
				t.Fatalf("PlanInit = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsNewLists(t *testing.T) {
	ns := []specs.LinuxNamespace{{Type: "mount", Path: "/proc/1/ns/mnt"}, {Type: "network"}}
	if IsNew(ns, "mount") || !Lists(ns, "mount") {
		t.Error("a joined mount namespace is listed but not new")
	}
	if !IsNew(ns, "network") || !Lists(ns, "network") {
		t.Error("a new network namespace is listed and new")
	}
	if IsNew(ns, "pid") || Lists(ns, "pid") {
		t.Error("an absent pid namespace is neither")
	}
}

func TestHostRoot(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 1, HostID: 200001, Size: 10}, {ContainerID: 0, HostID: 100000, Size: 1}}
	l := &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "user"}}, UIDMappings: maps, GIDMappings: maps[1:]}
	if uid, gid := HostRoot(l); uid != 100000 || gid != 100000 {
		t.Errorf("HostRoot = %d, %d; want 100000, 100000", uid, gid)
	}
	l.Namespaces = nil // the maps mean nothing without a new user namespace
	if uid, gid := HostRoot(l); uid != 0 || gid != 0 {
		t.Errorf("HostRoot without a user namespace = %d, %d", uid, gid)
	}
	if uid, gid := HostRoot(nil); uid != 0 || gid != 0 {
		t.Errorf("HostRoot(nil) = %d, %d", uid, gid)
	}
}
