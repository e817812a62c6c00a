package libcontain

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestSpecForInit: init gets everything it uses and none of what only the runtime uses; the
// runtime's own spec is left whole.
func TestSpecForInit(t *testing.T) {
	limit := int64(64 << 20)
	s := &specs.Spec{
		Hostname:    "h",
		Process:     &specs.Process{Args: []string{"sh"}, Terminal: true},
		Mounts:      []specs.Mount{{Destination: "/proc", Type: "proc"}},
		Hooks:       &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}},
		Annotations: map[string]string{"a": "b"},
		Linux: &specs.Linux{
			Namespaces:  []specs.LinuxNamespace{{Type: specs.PIDNamespace}},
			MaskedPaths: []string{"/proc/kcore"},
			Resources:   &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}},
			Seccomp:     &specs.LinuxSeccomp{DefaultAction: specs.ActAllow},
			IntelRdt:    &specs.LinuxIntelRdt{ClosID: "x"},
		},
	}
	got := specForInit(s)
	if got.Annotations != nil || got.Linux.Resources != nil || got.Linux.Seccomp != nil || got.Linux.IntelRdt != nil {
		t.Fatalf("init is sent the runtime's parts: %+v", got.Linux)
	}
	if s.Annotations == nil || s.Linux.Resources == nil || s.Linux.Seccomp == nil || s.Linux.IntelRdt == nil {
		t.Fatal("the runtime's spec lost its parts")
	}
	if got.Hostname != "h" || !reflect.DeepEqual(got.Process, s.Process) || !reflect.DeepEqual(got.Mounts, s.Mounts) ||
		!reflect.DeepEqual(got.Hooks, s.Hooks) || !reflect.DeepEqual(got.Linux.Namespaces, s.Linux.Namespaces) ||
		!reflect.DeepEqual(got.Linux.MaskedPaths, s.Linux.MaskedPaths) {
		t.Fatal("init's spec lost what init uses")
	}
	if specForInit(&specs.Spec{}).Linux != nil {
		t.Fatal("made up a linux section")
	}
}
