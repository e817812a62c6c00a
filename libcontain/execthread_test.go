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
		if got := threadExecBlocker(s, tc.jail, tc.status, tc.nsFlags, nil, func() int { return 10 }); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestNsDelegatedIn: the cgroup2 mount that holds the cgroup decides; no such mount, or a
// mountinfo that cannot be read, counts as nsdelegate (the child way).
func TestNsDelegatedIn(t *testing.T) {
	const hybrid = `22 27 0:21 / /proc rw,relatime - proc proc rw
31 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
42 31 0:39 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
`
	const v2 = `25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	for _, tc := range []struct {
		name, mountinfo, dir string
		want                 bool
	}{
		{"hybrid unified, no nsdelegate", hybrid, "/sys/fs/cgroup/unified/x/c1", false},
		{"v2 with nsdelegate", v2, "/sys/fs/cgroup/c1", true},
		{"the mount point itself", v2, "/sys/fs/cgroup", true},
		{"a sibling path is not below the mount", hybrid, "/sys/fs/cgroup/unifiedx/c1", true},
		{"a later mount over it decides", v2 + "26 25 0:40 / /sys/fs/cgroup/sub rw - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup/sub/c1", false},
		{"no cgroup2 mount", "22 27 0:21 / /proc rw,relatime - proc proc rw\n", "/sys/fs/cgroup/c1", true},
		{"unreadable", "garbage\n", "/sys/fs/cgroup/c1", true},
	} {
		if got := nsDelegatedIn([]byte(tc.mountinfo), tc.dir); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
