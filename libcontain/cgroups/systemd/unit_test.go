package systemd

import (
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		path, id string
		user     bool
		want     Unit
		dir      string
		err      string
	}{
		{path: "", id: "abc", want: Unit{"system.slice", "contain-abc.scope"}, dir: "/system.slice/contain-abc.scope"},
		{path: "", id: "abc", user: true, want: Unit{"user.slice", "contain-abc.scope"}, dir: "/user.slice/contain-abc.scope"},
		{path: "machine.slice:libpod:0123", want: Unit{"machine.slice", "libpod-0123.scope"}, dir: "/machine.slice/libpod-0123.scope"},
		{path: ":docker:1", want: Unit{"system.slice", "docker-1.scope"}, dir: "/system.slice/docker-1.scope"},
		{path: ":docker:1", user: true, want: Unit{"user.slice", "docker-1.scope"}, dir: "/user.slice/docker-1.scope"},
		{path: "kubepods-besteffort-pod12.slice:cri-containerd:ab",
			want: Unit{"kubepods-besteffort-pod12.slice", "cri-containerd-ab.scope"},
			dir:  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-ab.scope"},
		{path: "-.slice:p:n", want: Unit{"-.slice", "p-n.scope"}, dir: "/p-n.scope"},
		// runc composes "<prefix>-<name>" even for an empty prefix.
		{path: "system.slice::n", want: Unit{"system.slice", "-n.scope"}, dir: "/system.slice/-n.scope"},
		// A name ending in .slice is a slice: the prefix is ignored and its place follows its name.
		{path: "system.slice:p:a-b.slice", want: Unit{"system.slice", "a-b.slice"}, dir: "/a.slice/a-b.slice"},
		{path: "a:b", err: `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "a:b" instead`},
		{path: "/default/x", err: `expected cgroupsPath to be of format "slice:prefix:name"`},
		{path: "a:b:c:d", err: `expected cgroupsPath to be of format`},
		{path: "system:p:n", err: `invalid slice name "system"`},
		{path: "a--b.slice:p:n", err: `invalid slice name "a--b.slice": empty part`},
		{path: "-a.slice:p:n", err: `invalid slice name "-a.slice": empty part`},
		{path: "a/b.slice:p:n", err: `invalid slice name "a/b.slice"`},
		{path: ".slice:p:n", err: `invalid slice name ".slice"`},
		{path: "system.slice:p:", err: `the name part is empty`},
		{path: "system.slice:p:a/b", err: `byte '/' is not allowed`},
		{path: "system.slice:p:x-.slice", err: `invalid slice name "x-.slice"`},
		{path: "", id: "a+b", err: `systemd unit name "contain-a+b.scope": byte '+'`},
		{path: "system.slice:p:" + strings.Repeat("x", 250), err: "longer than 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.path+"|"+tt.id, func(t *testing.T) {
			u, err := ParsePath(tt.path, tt.id, tt.user)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePath(%q) = %+v, %v; want error containing %q", tt.path, u, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.path, err)
			}
			if u != tt.want || u.Dir() != tt.dir {
				t.Fatalf("ParsePath(%q) = %+v (dir %s), want %+v (dir %s)", tt.path, u, u.Dir(), tt.want, tt.dir)
			}
		})
	}
}

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"-.slice":       "/",
		"system.slice":  "/system.slice",
		"a-b-c.slice":   "/a.slice/a-b.slice/a-b-c.slice",
		"user-0.slice":  "/user.slice/user-0.slice",
		"machine.slice": "/machine.slice",
	} {
		got, err := ExpandSlice(in)
		if err != nil || got != want {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "slice", ".slice", "a-.slice", "a.scope", "a/b.slice", "--.slice"} {
		if got, err := ExpandSlice(bad); err == nil {
			t.Errorf("ExpandSlice(%q) = %q, want an error", bad, got)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"", "machine.slice:libpod:x", "a-b.slice:p:c.slice", "-.slice::", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParsePath(s, "id", false)
		if err != nil {
			return
		}
		// An accepted path always names a valid unit whose dir is absolute and clean.
		if validUnitName(u.Name) != nil || !strings.HasPrefix(u.Dir(), "/") || strings.Contains(u.Dir(), "//") ||
			strings.Contains(u.Dir(), "/../") {
			t.Fatalf("ParsePath(%q) = %+v, dir %q", s, u, u.Dir())
		}
	})
}
