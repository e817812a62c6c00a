//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Id-mapped mounts as runc 1.5 makes them (runc's idmap.bats, issue 14): uidMappings/gidMappings
// on a bind mount, the idmap and ridmap options, with and without a user namespace for the
// container. They pass against runc too: make test-parity.

// idmapDirEnv names a directory on a file system with id-mapped mount support, for machines
// whose TMPDIR has none (tmpfs before Linux 6.3: the cgroup v2 VM, tests/vm).
const idmapDirEnv = "CONTAIN_IDMAP_DIR"

// idmapDir returns a new directory, traversable by everyone, on a file system that supports
// id-mapped mounts, or skips the test naming the missing kernel feature.
func idmapDir(t *testing.T) string {
	t.Helper()
	dir := openDir(t)
	err := probeIDMap(t, dir)
	if err == nil {
		return dir
	}
	if base := os.Getenv(idmapDirEnv); base != "" {
		d, err2 := os.MkdirTemp(base, "idmap-")
		if err2 != nil {
			t.Fatal(err2)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		if err2 := os.Chmod(d, 0o755); err2 != nil {
			t.Fatal(err2)
		}
		if err2 := probeIDMap(t, d); err2 != nil {
			t.Fatalf("%s=%s does not take id-mapped mounts either: %v", idmapDirEnv, base, err2)
		}
		return d
	}
	t.Skipf("needs id-mapped mounts (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12) on the file system of %s (tmpfs has them from Linux 6.3), or %s: %v", dir, idmapDirEnv, err)
	return ""
}

// probeIDMap tries to id-map a detached copy of dir.
func probeIDMap(t *testing.T, dir string) error {
	t.Helper()
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(fd)
	userns := testUserNS(t)
	defer userns.Close()
	err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())})
	if err != nil {
		return fmt.Errorf("mount_setattr MOUNT_ATTR_IDMAP: %w", err)
	}
	return nil
}

// testUserNS returns a handle on a user namespace mapping 0..65535 to userNSHostID.
func testUserNS(t *testing.T) *os.File {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: userNSHostID, Size: 65536}}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, UidMappings: m, GidMappings: m, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a process in a new user namespace: %v", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// idmapTree is runc's idmap.bats layout under dir: source-1/foo.txt (0:0); source-multi1 and
// source-multi2 whose foo, bar and baz are owned by 100:211, 101:222, 102:233 and 200:211,
// 201:222, 202:233; mnt-subtree with foo, bar, baz (100:211, 200:222, 300:233) and the two
// multi sources bind-mounted (on the host) on its multi1 and multi2.
func idmapTree(t *testing.T, dir string) {
	t.Helper()
	file := func(p string, uid, gid int) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	file(filepath.Join(dir, "source-1/foo.txt"), 0, 0)
	for i, base := range []int{100, 200} {
		src := filepath.Join(dir, fmt.Sprintf("source-multi%d", i+1))
		for j, name := range []string{"foo", "bar", "baz"} {
			file(filepath.Join(src, name+".txt"), base+j, 211+11*j)
		}
		sub := filepath.Join(dir, fmt.Sprintf("mnt-subtree/multi%d", i+1))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(src, sub, "", unix.MS_BIND, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := unix.Unmount(sub, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", sub, err)
			}
		})
	}
	for j, name := range []string{"foo", "bar", "baz"} {
		file(filepath.Join(dir, "mnt-subtree", name+".txt"), 100*(j+1), 211+11*j)
	}
}

// runc's maps for the mnt-subtree tests.
var (
	treeUIDs = []specs.LinuxIDMapping{{ContainerID: 100, HostID: 101000, Size: 3}, {ContainerID: 200, HostID: 102000, Size: 3}, {ContainerID: 300, HostID: 103000, Size: 3}}
	treeGIDs = []specs.LinuxIDMapping{{ContainerID: 210, HostID: 101100, Size: 10}, {ContainerID: 220, HostID: 102200, Size: 10}, {ContainerID: 230, HostID: 103300, Size: 10}}
	basicMap = []specs.LinuxIDMapping{{ContainerID: 0, HostID: userNSHostID, Size: 65536}}
)

// owners is a stat -c '%n=%u:%g' over every file of the mount-tree.
const owners = `for f in /tmp/mount-tree/*.txt /tmp/mount-tree/multi1/*.txt /tmp/mount-tree/multi2/*.txt; do stat -c '%n=%u:%g' $f; done`

// TestParityIDMap: an id-mapped bind mount shows its files' owners through its maps (explicit,
// or the container's user namespace's with idmap/ridmap alone); idmap maps the top mount of an
// rbind, ridmap every mount of it; without a user namespace the container's root is unmapped on
// the mount and may not create files there.
func TestParityIDMap(t *testing.T) {
	const ovf = "65534:65534" // an owner the user namespace does not map
	// source-1 id-mapped 0..65535 to userNSHostID, on /tmp/mount-1.
	source1 := func(dir string) []specs.Mount {
		return []specs.Mount{{Source: dir + "/source-1", Destination: "/tmp/mount-1", Options: []string{"bind"}, UIDMappings: basicMap, GIDMappings: basicMap}}
	}
	tests := []struct {
		name   string
		userns bool
		mounts func(dir string) []specs.Mount
		script string
		want   []string // lines the output must hold
		fail   string   // the container must exit non-zero with this in its output
	}{
		{
			name: "simple, user namespace", userns: true,
			mounts: source1,
			script: "stat -c %u:%g /tmp/mount-1/foo.txt", want: []string{"0:0"},
		},
		{
			name:   "simple, no user namespace",
			mounts: source1,
			script: "stat -c %u:%g /tmp/mount-1/foo.txt", want: []string{"100000:100000"},
		},
		{
			name: "write, user namespace", userns: true,
			mounts: source1,
			script: "touch /tmp/mount-1/bar && stat -c %u:%g /tmp/mount-1/bar", want: []string{"0:0"},
		},
		{
			name:   "write, no user namespace: root is not mapped",
			mounts: source1,
			script: "touch /tmp/mount-1/bar", fail: "Value too large",
		},
		{
			name: "with a plain bind of the same source, user namespace", userns: true,
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{
					{Source: dir + "/source-1", Destination: "/tmp/mount-1", Options: []string{"bind"}, UIDMappings: basicMap, GIDMappings: basicMap},
					{Source: dir + "/source-1", Destination: "/tmp/bind-mount-1", Options: []string{"bind"}},
				}
			},
			script: "stat -c '%n=%u:%g' /tmp/mount-1/foo.txt /tmp/bind-mount-1/foo.txt",
			want:   []string{"/tmp/mount-1/foo.txt=0:0", "/tmp/bind-mount-1/foo.txt=" + ovf},
		},
		{
			name: "rbind, idmap is not recursive, no user namespace",
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "idmap"}, UIDMappings: treeUIDs, GIDMappings: treeGIDs}}
			},
			script: owners,
			want: []string{"/tmp/mount-tree/foo.txt=101000:101101", "/tmp/mount-tree/bar.txt=102000:102202", "/tmp/mount-tree/baz.txt=103000:103303",
				"/tmp/mount-tree/multi1/foo.txt=100:211", "/tmp/mount-tree/multi1/bar.txt=101:222", "/tmp/mount-tree/multi2/baz.txt=202:233"},
		},
		{
			name: "rbind, idmap is not recursive, user namespace", userns: true,
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "idmap"}, UIDMappings: treeUIDs, GIDMappings: treeGIDs}}
			},
			script: owners,
			want: []string{"/tmp/mount-tree/foo.txt=1000:1101", "/tmp/mount-tree/bar.txt=2000:2202", "/tmp/mount-tree/baz.txt=3000:3303",
				"/tmp/mount-tree/multi1/foo.txt=" + ovf, "/tmp/mount-tree/multi2/baz.txt=" + ovf},
		},
		{
			name: "rbind, ridmap maps the submounts too, no user namespace",
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "ridmap"}, UIDMappings: treeUIDs, GIDMappings: treeGIDs}}
			},
			script: owners,
			want: []string{"/tmp/mount-tree/foo.txt=101000:101101", "/tmp/mount-tree/multi1/foo.txt=101000:101101",
				"/tmp/mount-tree/multi1/bar.txt=101001:102202", "/tmp/mount-tree/multi2/foo.txt=102000:101101", "/tmp/mount-tree/multi2/baz.txt=102002:103303"},
		},
		{
			name: "rbind, ridmap with the container's maps, user namespace", userns: true,
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "ridmap"}}}
			},
			script: owners,
			want: []string{"/tmp/mount-tree/foo.txt=100:211", "/tmp/mount-tree/bar.txt=200:222", "/tmp/mount-tree/multi1/bar.txt=101:222",
				"/tmp/mount-tree/multi2/baz.txt=202:233"},
		},
		{
			name: "rbind, idmap with the container's maps, user namespace", userns: true,
			mounts: func(dir string) []specs.Mount {
				return []specs.Mount{{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "idmap"}}}
			},
			script: owners,
			want:   []string{"/tmp/mount-tree/foo.txt=100:211", "/tmp/mount-tree/baz.txt=300:233", "/tmp/mount-tree/multi1/foo.txt=" + ovf},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := idmapDir(t)
			idmapTree(t, dir)
			r := newRunner(t)
			_, root := privateRoot(t, tt.userns)
			c := r.newContainer(func(s *specs.Spec) {
				root(s)
				s.Mounts = append(s.Mounts, tt.mounts(dir)...)
				s.Process.Args = []string{"sh", "-c", tt.script}
			})
			res := r.run("run", "--bundle", c.bundle, c.id)
			if tt.fail != "" {
				if res.code == 0 || !strings.Contains(res.stdout+res.stderr, tt.fail) {
					t.Fatalf("want a failure with %q: %s", tt.fail, res)
				}
				return
			}
			if res.code != 0 {
				t.Fatalf("want exit 0: %s", res)
			}
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			for _, w := range tt.want {
				if !containsLine(lines, w) {
					t.Errorf("want %q in:\n%s", w, res.stdout)
				}
			}
		})
	}
}

// TestParityIDMapUserNSJoin: "idmap" without maps of its own, in a container that joins another
// container's user namespace, takes that namespace's maps.
func TestParityIDMapUserNSJoin(t *testing.T) {
	dir := idmapDir(t)
	idmapTree(t, dir)
	r := newRunner(t)
	rootfs := privateRootfs(t, userNSHostID)
	c0 := r.newContainer(func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		withUserNS(s)
		s.Process.Args = []string{"sleep", "1000"}
	})
	r.must("run", "--detach", "--bundle", c0.bundle, c0.id)
	pid := r.waitStatus(c0.id, specs.StateRunning).Pid
	c := r.newContainer(func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		joinUserNS(fmt.Sprintf("/proc/%d/ns/user", pid))(s)
		s.Mounts = append(s.Mounts, specs.Mount{Source: dir + "/mnt-subtree", Destination: "/tmp/mount-tree", Options: []string{"rbind", "idmap"}})
		s.Process.Args = []string{"sh", "-c", owners}
	})
	out := r.must("run", "--bundle", c.bundle, c.id).stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, w := range []string{"/tmp/mount-tree/foo.txt=100:211", "/tmp/mount-tree/bar.txt=200:222", "/tmp/mount-tree/multi1/foo.txt=65534:65534"} {
		if !containsLine(lines, w) {
			t.Errorf("want %q in:\n%s", w, out)
		}
	}
}

// TestParityIDMapSourcesClosed: twenty id-mapped mounts under RLIMIT_NOFILE 20 (runc's check that
// each mount's source fd is closed once it is mounted).
func TestParityIDMapSourcesClosed(t *testing.T) {
	dir := idmapDir(t)
	idmapTree(t, dir)
	out := runOutput(t, func(s *specs.Spec) {
		withRootfs(privateRootfs(t, userNSHostID))(s)
		withUserNS(s)
		for i := range 20 {
			s.Mounts = append(s.Mounts, specs.Mount{Source: dir + "/source-1", Destination: fmt.Sprintf("/tmp/mount-%d", i),
				Options: []string{"bind"}, UIDMappings: basicMap, GIDMappings: basicMap})
		}
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 20, Soft: 20}}
		s.Process.Args = []string{"stat", "-c", "%u:%g", "/tmp/mount-19/foo.txt"}
	})
	if strings.TrimSpace(out) != "0:0" {
		t.Fatalf("owner %q, want 0:0", out)
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
