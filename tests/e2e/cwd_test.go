//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
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

// TestCwdCheckedBeforeSeccomp: the working-directory check (getcwd after chdir, CVE-2024-21626)
// runs before the profile is loaded, so a profile that refuses getcwd does not stop the process
// from starting (runtime-tools' linux_seccomp). Without no_new_privs the profile is loaded
// before the capabilities are dropped, and so before the cwd check unless the chdir comes
// first: run and exec then failed with "getcwd: operation not permitted", as runc 1.5.3 does.
// With no_new_privs the profile is loaded last and never stood in the way.
func TestCwdCheckedBeforeSeccomp(t *testing.T) {
	containOnly(t, "runc 1.5.3 loads the profile before its cwd check and fails on getcwd")
	refuseGetcwd := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
	}
	for _, nnp := range []bool{false, true} {
		t.Run("noNewPrivileges="+strconv.FormatBool(nnp), func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Linux.Seccomp = refuseGetcwd
				s.Process.NoNewPrivileges = nnp
				s.Process.Cwd = "/tmp"
				s.Process.Args = []string{"sleep", "600"}
			})
			r.must("run", "--detach", "--bundle", c.bundle, c.id)
			defer r.runQuiet("delete", "--force", c.id)
			// The profile is in force (seccomp mode 2) and "." is /tmp (the same inode).
			res := r.must("exec", c.id, "sh", "-c", "grep -c '^Seccomp:.2' /proc/self/status; ls -di . /tmp")
			if f := strings.Fields(res.stdout); len(f) != 5 || f[0] != "1" || f[1] != f[3] {
				t.Errorf("want the exec'd process under the profile, in /tmp (seccomp mode 2, ls -di . /tmp): %s", res)
			}
		})
	}
}
