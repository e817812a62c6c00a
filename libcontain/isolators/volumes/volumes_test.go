package volumes

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/tests/needs"
)

// rawMode is st_mode's permission bits as the kernel has them (os.FileMode moves sticky and
// setgid out of the low bits).
func rawMode(t *testing.T, p string) (mode uint32, uid, gid int) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Mode & 0o7777, int(st.Uid), int(st.Gid)
}

func mkdirMode(t *testing.T, p string, mode uint32) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func TestPrepare(t *testing.T) {
	rootfs, sandbox, host := t.TempDir(), t.TempDir(), t.TempDir()
	mkdirMode(t, filepath.Join(rootfs, "tmp"), 0o1777)
	mkdirMode(t, filepath.Join(rootfs, "var/cache"), 0o2750)
	mkdirMode(t, filepath.Join(rootfs, "data"), 0o700)

	vols := []spec.Volume{
		{Host: "tmp", Container: "/tmp"},
		{Host: "cache/a", Container: "/var/cache", ReadOnly: true},
		{Host: host, Container: "/data", ReadOnly: true},
		{Host: host, Container: "/not/in/rootfs"}, // an absolute HOST needs no container path
	}
	got, err := Prepare(vols, sandbox, rootfs)
	if err != nil {
		t.Fatal(err)
	}
	want := []specs.Mount{
		{Type: "bind", Source: filepath.Join(sandbox, "tmp"), Destination: "/tmp", Options: []string{"rbind"}},
		{Type: "bind", Source: filepath.Join(sandbox, "cache/a"), Destination: "/var/cache", Options: []string{"rbind", "ro"}},
		{Type: "bind", Source: host, Destination: "/data", Options: []string{"rbind", "ro"}},
		{Type: "bind", Source: host, Destination: "/not/in/rootfs", Options: []string{"rbind"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mounts\n got %+v\nwant %+v", got, want)
	}
	for p, wantMode := range map[string]uint32{"tmp": 0o1777, "cache/a": 0o2750, "cache": parentMode} {
		if m, _, _ := rawMode(t, filepath.Join(sandbox, p)); m != wantMode {
			t.Errorf("sandbox %s mode %#o, want %#o", p, m, wantMode)
		}
	}
	if m, _, _ := rawMode(t, host); m == 0o700 {
		t.Error("an absolute HOST's mode was changed")
	}

	// Running again over the same sandbox (a volume listed twice, or a retried create) is fine.
	if _, err := Prepare(vols[:1], sandbox, rootfs); err != nil {
		t.Fatalf("second prepare: %v", err)
	}
}

func TestPrepareErrors(t *testing.T) {
	rootfs, sandbox := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(rootfs, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mkdirMode(t, filepath.Join(rootfs, "tmp"), 0o1777)
	tests := []struct {
		name    string
		vol     spec.Volume
		wantErr string
	}{
		{"missing container path", spec.Volume{Host: "tmp", Container: "/nope"}, "does not exist in the rootfs"},
		{"container path is a file", spec.Volume{Host: "f", Container: "/file"}, "not a directory"},
		{"missing host path", spec.Volume{Host: "/nonexistent/contain-test", Container: "/tmp"}, "no such file"},
		{"dotdot", spec.Volume{Host: "a/../../x", Container: "/tmp"}, "inside the sandbox"},
		{"sandbox itself", spec.Volume{Host: ".", Container: "/tmp"}, "inside the sandbox"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare([]spec.Volume{tc.vol}, sandbox, rootfs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Prepare(%+v) = %v, want error containing %q", tc.vol, err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.vol.Container) {
				t.Errorf("error %q does not name the volume", err)
			}
		})
	}
	if ents, _ := os.ReadDir(sandbox); len(ents) != 0 {
		t.Errorf("failed prepares left %v in the sandbox", ents)
	}
}

// TestPrepareRootfsSymlink: the image's /scratch is a symlink to an absolute host-looking path.
// It must resolve inside the rootfs (to the rootfs's copy), never to the host directory.
func TestPrepareRootfsSymlink(t *testing.T) {
	rootfs, sandbox, host := t.TempDir(), t.TempDir(), t.TempDir()
	mkdirMode(t, host, 0o705)
	mkdirMode(t, filepath.Join(rootfs, host), 0o750)
	if err := os.Symlink(host, filepath.Join(rootfs, "scratch")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../../"+host, filepath.Join(rootfs, "up")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"/scratch", "/up"} {
		name := strings.TrimPrefix(c, "/")
		if _, err := Prepare([]spec.Volume{{Host: name, Container: c}}, sandbox, rootfs); err != nil {
			t.Fatal(err)
		}
		if m, _, _ := rawMode(t, filepath.Join(sandbox, name)); m != 0o750 {
			t.Errorf("%s: mode %#o copied, want the rootfs's 0750 (0705 would be the host's)", c, m)
		}
	}

	// A dangling link in the image is a missing path, not a host lookup.
	if err := os.Symlink("/etc", filepath.Join(rootfs, "etclink")); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare([]spec.Volume{{Host: "e", Container: "/etclink"}}, sandbox, rootfs); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("link to a host path outside the rootfs: %v", err)
	}
}

// TestPrepareSandboxSymlink: a symlink already in the sandbox (at any component) must be
// refused, not followed: the mount source would otherwise be wherever it points.
func TestPrepareSandboxSymlink(t *testing.T) {
	rootfs, sandbox, outside := t.TempDir(), t.TempDir(), t.TempDir()
	mkdirMode(t, outside, 0o755)
	mkdirMode(t, filepath.Join(rootfs, "tmp"), 0o1777)
	if err := os.Symlink(outside, filepath.Join(sandbox, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(sandbox, "nest")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"tmp", "nest/tmp"} {
		t.Run(h, func(t *testing.T) {
			_, err := Prepare([]spec.Volume{{Host: h, Container: "/tmp"}}, sandbox, rootfs)
			if err == nil || !strings.Contains(err.Error(), "symlink") {
				t.Fatalf("Prepare through a sandbox symlink: %v", err)
			}
		})
	}
	if m, _, _ := rawMode(t, outside); m != 0o755 {
		t.Fatalf("the directory outside the sandbox was chmodded to %#o", m)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("a directory was made outside the sandbox: %v", ents)
	}
}

// TestPrepareOwner copies a non-root owner, with setgid kept across the chown.
func TestPrepareOwner(t *testing.T) {
	needs.Root(t)
	rootfs, sandbox := t.TempDir(), t.TempDir()
	dir := filepath.Join(rootfs, "home/app")
	mkdirMode(t, dir, 0o2770)
	if err := os.Chown(dir, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(dir, 0o2770); err != nil { // chown cleared setgid
		t.Fatal(err)
	}
	if _, err := Prepare([]spec.Volume{{Host: "home", Container: "/home/app"}}, sandbox, rootfs); err != nil {
		t.Fatal(err)
	}
	m, uid, gid := rawMode(t, filepath.Join(sandbox, "home"))
	if m != 0o2770 || uid != 1234 || gid != 5678 {
		t.Fatalf("sandbox dir %#o %d:%d, want 02770 1234:5678", m, uid, gid)
	}
}
