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
