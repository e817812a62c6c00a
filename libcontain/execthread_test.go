package libcontain

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestThreadExecBlocker: what a runtime thread cannot do sends the exec through the child.
func TestThreadExecBlocker(t *testing.T) {
	base := func() *specs.Spec {
		return &specs.Spec{Process: &specs.Process{Args: []string{"true"}}, Linux: &specs.Linux{}}
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*specs.Spec)
		jail    bool
		status  specs.ContainerState
		nsFlags uint32
		want    string
	}{
		{"plain", func(*specs.Spec) {}, false, specs.StateRunning, unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP, ""},
		{"created container", func(*specs.Spec) {}, false, specs.StateCreated, unix.CLONE_NEWNS, ""},
		{"terminal", func(s *specs.Spec) { s.Process.Terminal = true }, false, specs.StateRunning, 0, "terminal"},
		{"seccomp", func(s *specs.Spec) { s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow} }, false, specs.StateRunning, 0, "seccomp"},
		{"jail", func(*specs.Spec) {}, true, specs.StateRunning, 0, "seccomp"},
		{"paused", func(*specs.Spec) {}, false, specs.ContainerState(Paused), 0, "paused"},
		{"user namespace", func(*specs.Spec) {}, false, specs.StateRunning, unix.CLONE_NEWNS | unix.CLONE_NEWUSER, "user or time namespace"},
		{"time namespace", func(*specs.Spec) {}, false, specs.StateRunning, unix.CLONE_NEWTIME, "user or time namespace"},
		{"safe rlimits", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}, {Type: "RLIMIT_CORE"}}
		}, false, specs.StateRunning, 0, ""},
		{"few fds", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 70, Hard: 1024}}
		}, false, specs.StateRunning, 0, "rlimit RLIMIT_NOFILE"},
		{"rlimit on memory", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}, {Type: "RLIMIT_AS", Soft: 1 << 20, Hard: 1 << 20}}
		}, false, specs.StateRunning, 0, "rlimit RLIMIT_AS"},
		{"unknown rlimit", func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOPE"}} }, false, specs.StateRunning, 0, "rlimit RLIMIT_NOPE"},
	} {
		s := base()
		tc.mutate(s)
		if got := threadExecBlocker(s, tc.jail, tc.status, tc.nsFlags, nil, 10); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
