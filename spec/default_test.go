package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDefault(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	runc := loadTestdata(t, "runc-spec.json")
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	var mounts []string
	for _, m := range s.Mounts {
		mounts = append(mounts, m.Destination+" "+m.Type)
	}
	var ns []string
	for _, n := range s.Linux.Namespaces {
		ns = append(ns, string(n.Type))
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"ociVersion", s.Version == specs.Version},
		{"args", slices.Equal(s.Process.Args, []string{"sh"})},
		{"terminal", s.Process.Terminal},
		{"cwd", s.Process.Cwd == "/"},
		{"root", s.Root != nil && s.Root.Path == "rootfs" && s.Root.Readonly},
		{"hostname", s.Hostname == "contain"},
		{"noNewPrivileges", s.Process.NoNewPrivileges},
		{"bounding", slices.Equal(sorted(s.Process.Capabilities.Bounding), caps)},
		{"effective", slices.Equal(sorted(s.Process.Capabilities.Effective), caps)},
		{"permitted", slices.Equal(sorted(s.Process.Capabilities.Permitted), caps)},
		{"no inheritable or ambient", len(s.Process.Capabilities.Inheritable) == 0 && len(s.Process.Capabilities.Ambient) == 0},
		{"rlimits", slices.Equal(s.Process.Rlimits, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}})},
		{"mounts", slices.Equal(mounts, []string{"/proc proc", "/dev tmpfs", "/dev/pts devpts", "/dev/shm tmpfs",
			"/dev/mqueue mqueue", "/sys sysfs", "/sys/fs/cgroup cgroup"})},
		{"sys read-only", slices.Contains(s.Mounts[5].Options, "ro") && slices.Contains(s.Mounts[6].Options, "ro")},
		{"namespaces", slices.Equal(ns, []string{"pid", "network", "ipc", "uts", "mount"})},
		{"no seccomp", s.Linux.Seccomp == nil},
		{"runc's masked paths and more", isSubset(runc.Linux.MaskedPaths, s.Linux.MaskedPaths)},
		{"runc's readonly paths", slices.Equal(sorted(runc.Linux.ReadonlyPaths), sorted(s.Linux.ReadonlyPaths))},
		{"devices denied", len(s.Linux.Resources.Devices) == 1 && !s.Linux.Resources.Devices[0].Allow && s.Linux.Resources.Devices[0].Access == "rwm"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("default spec: %s is not as runc spec has it", c.name)
		}
	}
	if t.Failed() {
		b, _ := json.MarshalIndent(s, "", "  ")
		t.Logf("default spec:\n%s", b)
	}
}

// TestDefaultRoundTrip: what `contain spec` writes loads back and validates.
func TestDefaultRoundTrip(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(back, newBundle(t)); err != nil {
		t.Errorf("Validate(Default()) = %v", err)
	}
	if strings.Contains(string(b), "mrsdalloway") {
		t.Error("runtime-tools' placeholder hostname leaked into the default spec")
	}
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func isSubset(small, big []string) bool {
	for _, x := range small {
		if !slices.Contains(big, x) {
			return false
		}
	}
	return true
}

// TestToRootless: `contain spec --rootless` reshapes the default as `runc spec --rootless` does
// (testdata/runc-spec-rootless.json, written by runc 1.5.3 as uid 0): the same mounts with the
// same options, the same id mappings and namespaces (a cgroup one, which runc's has only on
// v2, aside), and no resources; a second ToRootless changes nothing.
func TestToRootless(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ToRootless(s, 0, 0)
	runc := loadTestdata(t, "runc-spec-rootless.json")
	render := func(s *specs.Spec) (mounts, nss string) {
		var m, n []string
		for _, x := range s.Mounts {
			m = append(m, x.Destination+" "+x.Type+" "+x.Source+" "+strings.Join(x.Options, ","))
		}
		for _, x := range s.Linux.Namespaces {
			if x.Type != specs.CgroupNamespace {
				n = append(n, string(x.Type))
			}
		}
		return strings.Join(m, "\n"), strings.Join(n, " ")
	}
	gotM, gotN := render(s)
	wantM, wantN := render(runc)
	if gotM != wantM {
		t.Errorf("mounts:\n%s\nwant (runc):\n%s", gotM, wantM)
	}
	if gotN != wantN {
		t.Errorf("namespaces %q, want %q", gotN, wantN)
	}
	if !slices.Equal(s.Linux.UIDMappings, runc.Linux.UIDMappings) || !slices.Equal(s.Linux.GIDMappings, runc.Linux.GIDMappings) {
		t.Errorf("mappings %v %v, want %v %v", s.Linux.UIDMappings, s.Linux.GIDMappings, runc.Linux.UIDMappings, runc.Linux.GIDMappings)
	}
	if s.Linux.Resources != nil || runc.Linux.Resources != nil {
		t.Errorf("resources %+v (runc's %+v), want none", s.Linux.Resources, runc.Linux.Resources)
	}
	ToRootless(s, 1000, 1001)
	if m := s.Linux.UIDMappings[0]; m.HostID != 1000 || m.ContainerID != 0 || m.Size != 1 {
		t.Errorf("uid mapping %+v", m)
	}
	if m := s.Linux.GIDMappings[0]; m.HostID != 1001 {
		t.Errorf("gid mapping %+v", m)
	}
	if n := len(s.Linux.Namespaces); s.Linux.Namespaces[n-1].Type != specs.UserNamespace || n != len(runc.Linux.Namespaces) {
		t.Errorf("namespaces after a second ToRootless: %v", s.Linux.Namespaces)
	}
}
