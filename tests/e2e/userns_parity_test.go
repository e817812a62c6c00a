//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// User namespaces as runc 1.5 handles them (issue 14): joining another container's, bind sources
// only the runtime can open. They pass against runc too: make test-parity.

// userNSGroupHostID is where the join tests map the container's gids: apart from the uids, so a
// test can tell the two maps apart.
const userNSGroupHostID = 200000

// userNSTarget runs a detached container in a new user namespace (uids to userNSHostID, gids to
// userNSGroupHostID) on rootfs, and returns its id and pid.
func userNSTarget(t *testing.T, r *runner, rootfs string) (string, int) {
	t.Helper()
	c := r.newContainer(func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		withUserNS(s)
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: userNSGroupHostID, Size: 65536}}
		s.Process.Args = []string{"sleep", "1000"}
	})
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	return c.id, r.waitStatus(c.id, specs.StateRunning).Pid
}

// joinUserNS makes s join the user namespace at path (no maps of its own).
func joinUserNS(path string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: path})
		s.Linux.UIDMappings, s.Linux.GIDMappings = nil, nil
	}
}

// bindFile bind-mounts src on a new file in a directory of the test's and unmounts it at the end.
func bindFile(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(openDir(t), "nsfd")
	if err := os.WriteFile(dst, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind %s on %s: %v", src, dst, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dst, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dst, err)
		}
	})
	return dst
}

// TestParityUserNSJoin: a container joins another container's user namespace, by its /proc path
// or by a bind mount of the nsfd, and is root there: its maps are the other's, and setting up its
// own /dev (owned by its root) works.
func TestParityUserNSJoin(t *testing.T) {
	for _, how := range []string{"proc path", "bind-mounted nsfd"} {
		t.Run(how, func(t *testing.T) {
			r := newRunner(t)
			rootfs := privateRootfs(t, userNSHostID)
			_, pid := userNSTarget(t, r, rootfs)
			path := fmt.Sprintf("/proc/%d/ns/user", pid)
			if how == "bind-mounted nsfd" {
				path = bindFile(t, path)
			}
			c := r.newContainer(func(s *specs.Spec) {
				withRootfs(rootfs)(s)
				joinUserNS(path)(s)
				s.Process.Args = []string{"sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /dev/pts"}
			})
			out := strings.Fields(r.must("run", "--bundle", c.bundle, c.id).stdout)
			want := []string{"0", fmt.Sprint(userNSHostID), "65536", "0", fmt.Sprint(userNSGroupHostID), "65536", "0", "0"}
			if strings.Join(out, " ") != strings.Join(want, " ") {
				t.Fatalf("uid_map, gid_map, id, owner of /dev/pts: %q, want %q", out, want)
			}
		})
	}
}

// TestParityUserNSWrongOwner is runc's "wrong userns owner" case: the container joins a user
// namespace (kept by a bind mount of its nsfd after its container is gone) and a network
// namespace that user namespace does not own (the host's). The runtime joins the network
// namespace while it is still host root, then the user namespace.
func TestParityUserNSWrongOwner(t *testing.T) {
	r := newRunner(t)
	rootfs := privateRootfs(t, userNSHostID)
	id, pid := userNSTarget(t, r, rootfs)
	userns := bindFile(t, fmt.Sprintf("/proc/%d/ns/user", pid))
	r.must("delete", "--force", id)
	var st unix.Stat_t
	if err := unix.Stat(userns, &st); err != nil {
		t.Fatal(err)
	}
	wantUser := fmt.Sprintf("user:[%d]", st.Ino)
	netns := bindFile(t, "/proc/self/ns/net")
	if err := unix.Stat(netns, &st); err != nil {
		t.Fatal(err)
	}
	wantNet := fmt.Sprintf("net:[%d]", st.Ino)
	c := r.newContainer(func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		joinUserNS(userns)(s)
		for i, n := range s.Linux.Namespaces {
			if n.Type == specs.NetworkNamespace {
				s.Linux.Namespaces[i].Path = netns
			}
		}
		// sysfs belongs to the network namespace, which this user namespace does not own.
		for i, m := range s.Mounts {
			if m.Type == "sysfs" {
				s.Mounts[i] = specs.Mount{Source: "/sys", Destination: m.Destination, Type: "bind", Options: []string{"rbind"}}
			}
		}
		s.Process.Args = []string{"sh", "-c", "readlink /proc/self/ns/user; readlink /proc/self/ns/net"}
	})
	out := strings.Fields(r.must("run", "--bundle", c.bundle, c.id).stdout)
	if strings.Join(out, " ") != wantUser+" "+wantNet {
		t.Fatalf("namespaces %q, want %s %s", out, wantUser, wantNet)
	}
}

// TestParityUserNSInaccessibleSources: bind sources the container's root may not open (0700
// directories of the host's root) are opened by the runtime before the switch into the user
// namespace, so they mount; a process exec'd later sees them too.
func TestParityUserNSInaccessibleSources(t *testing.T) {
	r := newRunner(t)
	dir := openDir(t)
	var mounts []specs.Mount
	for _, n := range []string{"1", "2"} {
		src := filepath.Join(dir, "source-inaccessible-"+n)
		if err := os.MkdirAll(filepath.Join(src, "dir"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "dir", "foo.txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(src, 0o700); err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, specs.Mount{Source: filepath.Join(src, "dir"), Destination: "/tmp/mount-" + n, Options: []string{"bind"}})
	}
	c := r.newContainer(func(s *specs.Spec) {
		withRootfs(privateRootfs(t, userNSHostID))(s)
		withUserNS(s)
		s.Mounts = append(s.Mounts, mounts...)
		s.Process.Args = []string{"sleep", "1000"}
	})
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	r.waitStatus(c.id, specs.StateRunning)
	r.must("exec", c.id, "stat", "/tmp/mount-1/foo.txt", "/tmp/mount-2/foo.txt")
}
