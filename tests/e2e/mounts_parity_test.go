//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
)

// Mounts and the rootfs as runc 1.5 makes them (issue 14). Each test states a runc behaviour and
// passes against runc too: make test-parity.

// TestParityTmpfsMode: without mode= a tmpfs takes the mode of the directory it covers; mode=
// overrides that without touching the directory; a tmpfs on a new directory keeps the tmpfs
// default (1777) and the directories made for it are 0755.
func TestParityTmpfsMode(t *testing.T) {
	tests := []struct {
		name     string
		dest     string
		options  []string
		wantMode string
		wantOpt  string // the mode= option /proc/self/mounts shows, "" for none
	}{
		{"inherits the directory's mode", "/tmpfs", []string{"rw", "nodev", "nosuid"}, "710", "mode=710"},
		{"explicit mode wins", "/tmpfs", []string{"rw", "nodev", "nosuid", "mode=1500"}, "1500", "mode=1500"},
		{"new directory keeps the default", "/non-existent/foo/bar", []string{"rw", "nodev", "nosuid"}, "1777", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := privateRootfs(t, -1)
			if err := os.Mkdir(filepath.Join(rootfs, "tmpfs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(rootfs, "tmpfs"), 0o710); err != nil {
				t.Fatal(err)
			}
			out := runOutput(t, func(s *specs.Spec) {
				withRootfs(rootfs)(s)
				s.Mounts = append(s.Mounts, specs.Mount{Destination: tt.dest, Type: "tmpfs", Source: "tmpfs", Options: tt.options})
				s.Process.Args = []string{"sh", "-c", "stat -c %a " + tt.dest + "; cat /proc/self/mounts"}
			})
			mode, mounts, _ := strings.Cut(out, "\n")
			if mode != tt.wantMode {
				t.Errorf("mode of the tmpfs on %s = %s, want %s", tt.dest, mode, tt.wantMode)
			}
			opts := mountOptions(mounts, tt.dest)
			if opts == nil {
				t.Fatalf("no tmpfs on %s in the container's mounts:\n%s", tt.dest, mounts)
			}
			gotOpt := ""
			for _, o := range opts {
				if strings.HasPrefix(o, "mode=") {
					gotOpt = o
				}
			}
			if gotOpt != tt.wantOpt {
				t.Errorf("tmpfs options %v: mode option %q, want %q", opts, gotOpt, tt.wantOpt)
			}
			// The covered directory keeps its mode; directories made for the mount are 0755.
			if fi, err := os.Stat(filepath.Join(rootfs, "tmpfs")); err != nil || fi.Mode().Perm() != 0o710 {
				t.Errorf("the covered directory changed: %v %v", fi.Mode(), err)
			}
			if tt.wantOpt == "" {
				for _, d := range []string{"non-existent", "non-existent/foo", "non-existent/foo/bar"} {
					if fi, err := os.Stat(filepath.Join(rootfs, d)); err != nil || fi.Mode().Perm() != 0o755 {
						t.Errorf("created directory %s: %v %v, want 0755", d, fi.Mode(), err)
					}
				}
			}
		})
	}
}

// TestParityReadonlyTmpfs: a read-only /dev works (its mountpoints and device nodes are made
// before it turns read-only), and so does a read-only tmpfs with a mount below it.
func TestParityReadonlyTmpfs(t *testing.T) {
	t.Run("read-only /dev", func(t *testing.T) {
		out := runOutput(t, func(s *specs.Spec) {
			for i := range s.Mounts {
				if s.Mounts[i].Destination == "/dev" {
					s.Mounts[i].Options = append(s.Mounts[i].Options, "ro")
				}
			}
			s.Process.Args = []string{"sh", "-c", "echo x >/dev/null && test -c /dev/zero && test -e /dev/pts/ptmx && cat /proc/self/mounts"}
		})
		if opts := mountOptions(out, "/dev"); !slices.Contains(opts, "ro") {
			t.Errorf("/dev options %v, want ro", opts)
		}
		if opts := mountOptions(out, "/dev/pts"); opts == nil {
			t.Errorf("no devpts on /dev/pts:\n%s", out)
		}
	})
	t.Run("read-only tmpfs with a mount below", func(t *testing.T) {
		out := runOutput(t, func(s *specs.Spec) {
			withRootfs(privateRootfs(t, -1))(s)
			s.Mounts = append(s.Mounts,
				specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nodev", "nosuid", "mode=755"}},
				specs.Mount{Destination: "/mnt/sub", Type: "tmpfs", Source: "tmpfs", Options: []string{"nodev"}})
			s.Process.Args = []string{"sh", "-c", "cat /proc/self/mounts; touch /mnt/sub/ok; touch /mnt/no 2>/dev/null && echo wrote-ro; true"}
		})
		if opts := mountOptions(out, "/mnt"); !slices.Contains(opts, "ro") || !slices.Contains(opts, "nosuid") {
			t.Errorf("/mnt options %v, want ro and nosuid", opts)
		}
		if opts := mountOptions(out, "/mnt/sub"); !slices.Contains(opts, "rw") {
			t.Errorf("/mnt/sub options %v, want rw", opts)
		}
		if strings.Contains(out, "wrote-ro") {
			t.Errorf("a file was written to the read-only tmpfs")
		}
	})
}

// TestParityMountOrder: mounts are made in the order given, and a bind source inside the
// container (named by the rootfs's host path, as runc's users do) is resolved when its turn
// comes, seeing the mounts before it. The tree is runc's own test's: the last file read comes
// from a/x through five binds. In a user namespace the sources outside the rootfs are closed to
// the container's root (only the runtime can open them); idmap id-maps the binds of sources
// inside the container.
func TestParityMountOrder(t *testing.T) {
	for _, tt := range []struct {
		name          string
		userns, idmap bool
	}{
		{"plain", false, false},
		{"user namespace", true, false},
		{"idmap", false, true},
		{"idmap, user namespace", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var src string
			if tt.idmap {
				src = filepath.Join(idmapDir(t), "bind-src")
			}
			src = mountOrderTree(t, src)
			r := newRunner(t)
			rootfs, root := privateRoot(t, tt.userns)
			c := r.newContainer(func(s *specs.Spec) {
				root(s)
				s.Mounts = append(s.Mounts, mountOrderMounts(rootfs, src, tt.idmap)...)
				s.Process.Args = []string{"cat", "/final/x/y/z/z/x/y/z/x/file"}
			})
			res := r.must("run", "--bundle", c.bundle, c.id)
			if strings.TrimSpace(res.stdout) != "a/x" {
				t.Fatalf("read %q, want a/x (from the first bind)", res.stdout)
			}
		})
	}
}

// mountOrderTree makes runc's bind-src at src (a new directory when ""): a/x, b/y, c/z each with
// a file naming itself, and the symlinks sym-a, sym-b, sym-c to a, b and c. Others may not enter
// it (in a user namespace only the runtime can open it).
func mountOrderTree(t *testing.T, src string) string {
	if src == "" {
		src = filepath.Join(openDir(t), "bind-src")
	}
	for _, sub := range []string{"a/x", "b/y", "c/z"} {
		if err := os.MkdirAll(filepath.Join(src, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, sub, "file"), []byte(sub+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		top := filepath.Dir(sub)
		if err := os.Symlink(top, filepath.Join(src, "sym-"+top)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(src, 0o750); err != nil {
		t.Fatal(err)
	}
	return src
}

// mountOrderMounts are runc's mounts over mountOrderTree; with idmap the binds whose sources are
// in the container are id-mapped (0..65535 to userNSHostID).
func mountOrderMounts(rootfs, src string, idmap bool) []specs.Mount {
	bind := func(from, to, opt string) specs.Mount {
		return specs.Mount{Source: from, Destination: to, Type: "bind", Options: []string{opt, "rprivate"}}
	}
	inCtr := func(from, to string) specs.Mount {
		m := bind(from, to, "rbind")
		if idmap {
			m.UIDMappings, m.GIDMappings = basicMap, basicMap
		}
		return m
	}
	return []specs.Mount{
		bind(src+"/a", "/mnt", "bind"),
		bind(src+"/sym-b", "/mnt/x", "bind"),
		bind(src+"/c", "/mnt/x/y", "bind"),
		bind(src+"/sym-a", "/mnt/x/y/z", "bind"),
		inCtr(rootfs+"/mnt/x", rootfs+"/mnt/x/y/z/x"),
		inCtr(rootfs+"/mnt/x/y", rootfs+"/mnt/x/y/z"),
		inCtr(rootfs+"/mnt", rootfs+"/final"),
	}
}

// TestParityDanglingSymlink: a bind mount whose destination goes through a dangling symlink, as a
// component or as the last element, lands where the symlink points inside the rootfs (created
// there), never on the host path of the same name.
func TestParityDanglingSymlink(t *testing.T) {
	host := "/tmp/" + bundle.UniqueName("e2e-dangling-") // an absolute symlink target
	tests := []struct {
		name   string
		links  map[string]string // rootfs path -> symlink target
		source string            // "file" or "dir"
		real   string            // where the mount must be, in the container
	}{
		{"component", map[string]string{"jump": host + "/bar", "etc/hosts": "/jump/baz/hosts"}, "file", host + "/bar/baz/hosts"},
		{"trailing, file", map[string]string{"etc/hosts": host + "/hosts"}, "file", host + "/hosts"},
		{"trailing, directory", map[string]string{"etc/hosts": host + "/hosts"}, "dir", host + "/hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := privateRootfs(t, -1)
			for link, target := range tt.links {
				os.Remove(filepath.Join(rootfs, link))
				if err := os.Symlink(target, filepath.Join(rootfs, link)); err != nil {
					t.Fatal(err)
				}
			}
			src := filepath.Join(openDir(t), "src")
			if tt.source == "dir" {
				if err := os.Mkdir(src, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(src, []byte("src\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var want unix.Stat_t
			if err := unix.Stat(src, &want); err != nil {
				t.Fatal(err)
			}
			out := runOutput(t, func(s *specs.Spec) {
				withRootfs(rootfs)(s)
				s.Mounts = append(s.Mounts, specs.Mount{Source: src, Destination: "/etc/hosts", Options: []string{"bind"}})
				s.Process.Args = []string{"sh", "-c", "stat -c %i " + tt.real + "; cat /proc/self/mounts"}
			})
			ino, mounts, _ := strings.Cut(out, "\n")
			if ino != fmt.Sprint(want.Ino) {
				t.Errorf("%s in the container is inode %s, want the source's %d", tt.real, ino, want.Ino)
			}
			if mountOptions(mounts, tt.real) == nil {
				t.Errorf("no mount on %s:\n%s", tt.real, mounts)
			}
			if _, err := os.Lstat(host); err == nil {
				os.RemoveAll(host)
				t.Errorf("the symlink's target %s was created on the host", host)
			}
			if _, err := os.Lstat(filepath.Join(rootfs, tt.real)); err != nil {
				t.Errorf("the mountpoint was not created inside the rootfs: %v", err)
			}
		})
	}
}

// TestParityRecursiveFlags: "ro" on an rbind makes only its top mount read-only, "rro" every
// mount below it too (mount_setattr AT_RECURSIVE), and the recursive access-time options set the
// mode of the whole tree.
func TestParityRecursiveFlags(t *testing.T) {
	vol := filepath.Join(openDir(t), "vol")
	hostTmpfs(t, vol, "")
	hostTmpfs(t, filepath.Join(vol, "subvol"), "")
	// noatime on the host, so every recursive atime option below changes something.
	for _, d := range []string{vol, filepath.Join(vol, "subvol")} {
		if err := unix.Mount("", d, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOATIME, ""); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("read-only", func(t *testing.T) {
		for _, tt := range []struct {
			options     []string
			subReadonly bool
		}{
			{[]string{"rbind", "ro"}, false},
			{[]string{"rbind", "rro"}, true},
			{[]string{"rbind", "ro", "rro"}, true},
		} {
			out := runOutput(t, func(s *specs.Spec) {
				withRootfs(privateRootfs(t, -1))(s)
				s.Mounts = append(s.Mounts, specs.Mount{Source: vol, Destination: "/mnt", Options: tt.options})
				s.Process.Args = []string{"sh", "-c", "cat /proc/self/mounts"}
			})
			if opts := mountOptions(out, "/mnt"); !slices.Contains(opts, "ro") {
				t.Errorf("%v: /mnt options %v, want ro", tt.options, opts)
			}
			if opts := mountOptions(out, "/mnt/subvol"); slices.Contains(opts, "ro") != tt.subReadonly {
				t.Errorf("%v: /mnt/subvol options %v, want read-only %v", tt.options, opts, tt.subReadonly)
			}
		}
	})
	t.Run("nosuid nodev noexec nosymfollow", func(t *testing.T) {
		out := runOutput(t, func(s *specs.Spec) {
			withRootfs(privateRootfs(t, -1))(s)
			s.Mounts = append(s.Mounts, specs.Mount{Source: vol, Destination: "/mnt",
				Options: []string{"rbind", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"}})
			s.Process.Args = []string{"sh", "-c", "cat /proc/self/mounts"}
		})
		for _, mp := range []string{"/mnt", "/mnt/subvol"} {
			opts := mountOptions(out, mp)
			for _, w := range []string{"rw", "nosuid", "nodev", "noexec", "nosymfollow"} {
				if !slices.Contains(opts, w) {
					t.Errorf("%s options %v, want %s", mp, opts, w)
				}
			}
		}
	})
	t.Run("access time", func(t *testing.T) {
		atime := []struct{ option, want string }{
			{"ratime", "relatime"}, {"rnoatime", "noatime"}, {"rstrictatime", ""},
			{"rnostrictatime", "relatime"}, {"rrelatime", "relatime"}, {"rnorelatime", "relatime"},
		}
		out := runOutput(t, func(s *specs.Spec) {
			withRootfs(privateRootfs(t, -1))(s)
			for i, a := range atime {
				s.Mounts = append(s.Mounts, specs.Mount{Source: vol, Destination: fmt.Sprintf("/mnt%d", i), Options: []string{"rbind", a.option}})
			}
			s.Process.Args = []string{"sh", "-c", "cat /proc/self/mounts"}
		})
		for i, a := range atime {
			for _, mp := range []string{fmt.Sprintf("/mnt%d", i), fmt.Sprintf("/mnt%d/subvol", i)} {
				opts := mountOptions(out, mp)
				var got string
				for _, o := range opts {
					if o == "relatime" || o == "noatime" {
						got = o
					}
				}
				if opts == nil || got != a.want {
					t.Errorf("%s: %s options %v, want access time %q", a.option, mp, opts, a.want)
				}
			}
		}
	})
}

// TestParityProcSymlink: a rootfs whose /proc is a symlink is refused with runc's words: procfs
// must not be mounted through a path the image controls (CVE-2019-19921, CVE-2023-27561).
func TestParityProcSymlink(t *testing.T) {
	rootfs := privateRootfs(t, -1)
	if err := os.Remove(filepath.Join(rootfs, "proc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(rootfs, "bad-proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bad-proc", filepath.Join(rootfs, "proc")); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t)
	c := r.newContainer(withRootfs(rootfs))
	res := r.run("run", "--bundle", c.bundle, c.id)
	oneLineError(t, res, "must be mounted on ordinary directory")
}

// TestParityRelativeDestination: a relative mount destination is accepted (runc warns) and
// taken from the container's "/".
func TestParityRelativeDestination(t *testing.T) {
	out := runOutput(t, func(s *specs.Spec) {
		withRootfs(privateRootfs(t, -1))(s)
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "mnt/rel", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=16k"}})
		s.Process.Args = []string{"cat", "/proc/self/mounts"}
	})
	if opts := mountOptions(out, "/mnt/rel"); opts == nil {
		t.Fatalf("no tmpfs on /mnt/rel:\n%s", out)
	}
}

// TestParityDefaultSpec: the default `spec` has runc's namespaces, so a config that adds a cgroup
// namespace to it (as tools written for runc do) runs.
func TestParityDefaultSpec(t *testing.T) {
	r := newRunner(t)
	dir := t.TempDir()
	r.must("spec", "--bundle", dir)
	gen, err := bundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := r.newContainer(func(s *specs.Spec) {
		root, cg := s.Root, s.Linux.CgroupsPath
		*s = *gen
		s.Root, s.Linux.CgroupsPath = root, cg
		s.Process.Terminal = false
		s.Process.Args = []string{"true"}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	})
	r.must("run", "--bundle", c.bundle, c.id)
}

// TestParityMaskedPaths: a masked path listed twice is masked once, and the masked directories
// share one read-only tmpfs (one st_dev), as in runc.
func TestParityMaskedPaths(t *testing.T) {
	rootfs := privateRootfs(t, -1)
	for _, d := range []string{"testdir", "testdir2", "testdir3"} {
		if err := os.Mkdir(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "testfile"), []byte("Forbidden information!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runOutput(t, func(s *specs.Spec) {
		withRootfs(rootfs)(s)
		s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/testdir", "/testfile", "/testdir", "/testfile", "/testdir2", "/testdir3")
		s.Process.Args = []string{"sh", "-c", `stat -c %d /testdir /testdir2 /testdir3; wc -c </testfile
touch /testdir2/foo 2>/dev/null && echo wrote-mask; cat /proc/self/mounts`}
	})
	lines := strings.Split(out, "\n")
	if len(lines) < 4 {
		t.Fatalf("output: %q", out)
	}
	if lines[0] != lines[1] || lines[1] != lines[2] {
		t.Errorf("masked directories on devices %v, want one shared tmpfs", lines[:3])
	}
	if strings.TrimSpace(lines[3]) != "0" {
		t.Errorf("masked file reads %s bytes, want 0", lines[3])
	}
	if strings.Contains(out, "wrote-mask") {
		t.Error("a masked directory took a write")
	}
	for _, p := range []string{"/testdir", "/testfile"} {
		if n := mountLines(out, p); n != 1 {
			t.Errorf("%s has %d mounts, want 1:\n%s", p, n, out)
		}
	}
}
