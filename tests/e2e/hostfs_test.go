//go:build linux

package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
)

// The host-side file system pieces of the mount tests: private rootfs copies, host mounts to
// bind from, and reading a container's mount table.

// userNSHostID is where the user namespace tests map the container's ids 0..65535 on the host
// (runc's tests use the same range).
const userNSHostID = 100000

// openDir returns a new directory of the test's that every user can traverse: the root of a user
// namespace is not root on the host, and t.TempDir's directories are 0700.
func openDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// privateRootfs is a writable copy of the busybox rootfs in a directory of the test's own. With
// owner >= 0 every file is chowned to it (for a user namespace whose root must write there).
func privateRootfs(t *testing.T, owner int) string {
	t.Helper()
	dir := filepath.Join(openDir(t), "rootfs")
	bundle.CopyRootfs(t, dir)
	if owner >= 0 {
		chownTree(t, dir, owner)
	}
	return dir
}

func chownTree(t *testing.T, dir string, id int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, id, id)
	})
	if err != nil {
		t.Fatalf("chown %s: %v", dir, err)
	}
}

// privateRoot is privateRootfs for a container with or without a user namespace of its own, and
// the spec change that runs it there: the rootfs, writable, and with userns the user namespace
// (withUserNS) whose root owns the rootfs.
func privateRoot(t *testing.T, userns bool) (string, func(*specs.Spec)) {
	t.Helper()
	owner := -1
	if userns {
		owner = userNSHostID
	}
	rootfs := privateRootfs(t, owner)
	return rootfs, func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		if userns {
			withUserNS(s)
		}
	}
}

// withRootfs makes the bundle use rootfs, writable.
func withRootfs(rootfs string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Root.Path = rootfs
		s.Root.Readonly = false
	}
}

// withUserNS gives the container a new user namespace, container ids 0..65535 mapped to
// userNSHostID and up.
func withUserNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: userNSHostID, Size: 65536}}
	s.Linux.UIDMappings, s.Linux.GIDMappings = m, m
}

// hostTmpfs mounts a fresh tmpfs with options on dir (created) in the test's mount namespace,
// which the runtime's init copies, and unmounts it (and anything below) when the test ends.
func hostTmpfs(t *testing.T, dir, options string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, options); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// mountOptions is the option field of the last line for mountpoint in a /proc/self/mounts dump
// (the mount on top), split at commas; nil when there is none.
func mountOptions(mounts, mountpoint string) []string {
	var opts []string
	sc := bufio.NewScanner(strings.NewReader(mounts))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 4 && f[1] == mountpoint {
			opts = strings.Split(f[3], ",")
		}
	}
	return opts
}

// mountLines counts the lines for mountpoint in a /proc/self/mounts dump.
func mountLines(mounts, mountpoint string) int {
	n := 0
	for _, l := range strings.Split(mounts, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == mountpoint {
			n++
		}
	}
	return n
}
