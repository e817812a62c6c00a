package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

func TestKnownCapabilities(t *testing.T) {
	caps := KnownCapabilities()
	for _, want := range []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"} {
		if !slices.Contains(caps, want) {
			t.Errorf("KnownCapabilities lacks %s", want)
		}
	}
	if caps[0] != "CAP_CHOWN" {
		t.Errorf("KnownCapabilities()[0] = %s, want CAP_CHOWN (kernel order)", caps[0])
	}
	for _, c := range caps {
		if !strings.HasPrefix(c, "CAP_") || strings.ToUpper(c) != c {
			t.Errorf("capability name %q is not spelled as the spec does", c)
		}
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back features.Features
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"ociVersionMin", back.OCIVersionMin == "1.0.0"},
		{"ociVersionMax", back.OCIVersionMax == specs.Version},
		{"hooks", len(back.Hooks) == 6 && slices.Contains(back.Hooks, "createRuntime")},
		{"mount options", slices.Contains(back.MountOptions, "rbind") && slices.Contains(back.MountOptions, "rprivate")},
		{"mount options sorted", slices.IsSorted(back.MountOptions)},
		{"namespaces", slices.Equal(back.Linux.Namespaces, []string{"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"})},
		{"capabilities", slices.Equal(back.Linux.Capabilities, KnownCapabilities())},
		{"cgroup v1, v2 and systemd", *back.Linux.Cgroup.V1 && *back.Linux.Cgroup.V2 && *back.Linux.Cgroup.Systemd && *back.Linux.Cgroup.SystemdUser},
		{"apparmor disabled", !*back.Linux.Apparmor.Enabled},
		{"selinux disabled", !*back.Linux.Selinux.Enabled},
		{"idmapped mounts", *back.Linux.MountExtensions.IDMap.Enabled},
		{"recursive mount options", slices.Contains(back.MountOptions, "rro") && slices.Contains(back.MountOptions, "rnosymfollow")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("features: %s is wrong in %s", c.name, b)
		}
	}
	// Callers may change what they get (main adds annotations) without changing the next call.
	f.MountOptions[0] = "changed"
	if Features().MountOptions[0] == "changed" {
		t.Error("Features shares its mount option list between calls")
	}
}
