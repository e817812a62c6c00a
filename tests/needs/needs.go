// Package needs lets a test state what it requires of the machine. A skip always names the
// privilege or kernel feature that is missing, so a skipped test can never hide a missing feature
// of contain itself.
package needs

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Root skips the test unless it runs as root (uid 0), which mounting, cloning namespaces and
// writing cgroups require.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (uid 0): mounts, namespaces and cgroups")
	}
}

// CgroupV1 skips the test unless /sys/fs/cgroup holds cgroup v1 hierarchies.
func CgroupV1(t testing.TB) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("needs cgroup v1 hierarchies under /sys/fs/cgroup (this kernel runs unified cgroup v2)")
	}
}

// CgroupV2 skips the test unless /sys/fs/cgroup is the unified cgroup v2 hierarchy.
func CgroupV2(t testing.TB) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Skip("needs the unified cgroup v2 hierarchy at /sys/fs/cgroup (this kernel runs cgroup v1)")
	}
}

// UserNamespaces skips the test unless this kernel can make a user namespace.
func UserNamespaces(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("needs user namespaces (CONFIG_USER_NS)")
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && string(b) == "0\n" {
		t.Skip("needs user namespaces: user.max_user_namespaces is 0")
	}
}
