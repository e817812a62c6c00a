package cgroups

import (
	"strings"
	"testing"
)

func TestRelPath(t *testing.T) {
	tests := []struct {
		name, path, id, own, mountRoot string
		want, wantErr                  string
	}{
		{name: "absolute", path: "/a/b", id: "c1", own: "/process_api/h", mountRoot: "/", want: "/a/b"},
		{name: "containerd", path: "/default/c1", id: "c1", own: "/", mountRoot: "/", want: "/default/c1"},
		{name: "podman", path: "/libpod_parent/libpod-c1", id: "c1", own: "/user.slice", mountRoot: "/", want: "/libpod_parent/libpod-c1"},
		{name: "relative nests under own", path: "a/b", id: "c1", own: "/process_api/h", mountRoot: "/", want: "/process_api/h/a/b"},
		{name: "missing uses id", path: "", id: "c1", own: "/process_api/h", mountRoot: "/", want: "/process_api/h/c1"},
		{name: "missing at root", path: "", id: "c1", own: "/", mountRoot: "/", want: "/c1"},
		{name: "mount root stripped", path: "", id: "c1", own: "/docker/abc/sub", mountRoot: "/docker/abc", want: "/sub/c1"},
		{name: "own is mount root", path: "x", id: "c1", own: "/docker/abc", mountRoot: "/docker/abc", want: "/x"},
		{name: "absolute ignores mount root", path: "/a", id: "c1", own: "/docker/abc", mountRoot: "/docker/abc", want: "/a"},
		{name: "dots inside stay inside", path: "/a/./b/../c", id: "c1", own: "/", mountRoot: "/", want: "/a/c"},
		{name: "relative dots inside", path: "a/../b", id: "c1", own: "/o", mountRoot: "/", want: "/o/b"},
		{name: "slashes collapse", path: "/a//b/", id: "c1", own: "/", mountRoot: "/", want: "/a/b"},
		{name: "absolute escape", path: "/../etc", id: "c1", own: "/", mountRoot: "/", wantErr: `".." escapes`},
		{name: "absolute deep escape", path: "/a/../../b", id: "c1", own: "/", mountRoot: "/", wantErr: `".." escapes`},
		{name: "relative escape", path: "../sibling", id: "c1", own: "/process_api/h", mountRoot: "/", wantErr: `".." escapes`},
		{name: "relative to own", path: "a/..", id: "c1", own: "/o", mountRoot: "/", wantErr: "runtime's own cgroup"},
		{name: "bad id", path: "", id: "..", own: "/", mountRoot: "/", wantErr: "cannot name a cgroup"},
		{name: "id with slash", path: "", id: "a/b", own: "/", mountRoot: "/", wantErr: "cannot name a cgroup"},
		{name: "own outside mount", path: "", id: "c1", own: "/elsewhere", mountRoot: "/docker/abc", wantErr: "not visible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := relPath(tt.path, tt.id, tt.own, tt.mountRoot)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("relPath(%q) = %q, %v; want error containing %q", tt.path, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("relPath(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}
