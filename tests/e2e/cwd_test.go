//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// TestMissingCwdIsCreated: a process.cwd the image lacks is created before the process starts,
// as runc does (Kubernetes' workingDir and images' WorkingDir often name one): owned by root,
// mode 0755, whatever the process's user, and before root.readonly takes effect. It is made
// inside the rootfs: a symlink of the image pointing at a host path leads it to that path under
// the rootfs, never onto the host.
func TestMissingCwdIsCreated(t *testing.T) {
	hostDir := t.TempDir()
	// pwd prints the physical path: through the symlink, <hostDir>/sub as the container sees it.
	for _, tc := range []struct{ name, cwd, pwd string }{
		{"plain", "/work/dir", "/work/dir"},
		{"through a symlink", "/escape/sub", filepath.Join(hostDir, "sub")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			rootfs := filepath.Join(t.TempDir(), "rootfs")
			bundle.CopyRootfs(t, rootfs)
			// Absolute, as an image's symlink would be: inside the container it means
			// <rootfs><hostDir>, which exists there too (runc, whose MkdirAll follows it, fails
			// on a dangling one).
			if err := os.Symlink(hostDir, filepath.Join(rootfs, "escape")); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(rootfs, hostDir), 0o755); err != nil {
				t.Fatal(err)
			}
			c := r.newContainer(func(s *specs.Spec) {
				s.Root.Path = rootfs
				s.Process.Cwd = tc.cwd
				s.Process.User = specs.User{UID: 1000, GID: 1000}
				s.Process.Args = []string{"pwd"}
			})
			res := r.must("run", "--bundle", c.bundle, c.id)
			if got := strings.TrimSpace(res.stdout); got != tc.pwd {
				t.Errorf("pwd = %q, want %q", got, tc.pwd)
			}
			st, err := os.Stat(filepath.Join(rootfs, tc.pwd))
			if err != nil {
				t.Fatalf("the cwd was not made in the rootfs: %v", err)
			}
			if sys := st.Sys().(*syscall.Stat_t); !st.IsDir() || st.Mode().Perm() != 0o755 || sys.Uid != 0 || sys.Gid != 0 {
				t.Errorf("made %v owned %d:%d, want a root-owned 0755 directory", st.Mode(), sys.Uid, sys.Gid)
			}
			if entries, _ := os.ReadDir(hostDir); len(entries) != 0 {
				t.Errorf("the cwd was made on the host, in %s", hostDir)
			}
		})
	}
}
