package bundle

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

func needBusybox(t *testing.T) {
	t.Helper()
	if err := checkStatic(Busybox()); err != nil {
		t.Skipf("needs busybox-static: %v", err)
	}
}

func TestRootfsLayout(t *testing.T) {
	needBusybox(t)
	dir := Rootfs(t)
	if again := Rootfs(t); again != dir {
		t.Fatalf("Rootfs built twice: %s then %s", dir, again)
	}
	checks := []struct {
		path string
		mode os.FileMode
	}{
		{"bin/busybox", 0o755},
		{"bin", os.ModeDir | 0o755},
		{"tmp", os.ModeDir | os.ModeSticky | 0o777},
		{"proc", os.ModeDir | 0o755},
		{"sys", os.ModeDir | 0o755},
		{"dev", os.ModeDir | 0o755},
		{"root", os.ModeDir | 0o700},
		{"etc/passwd", 0o644},
		{"etc/group", 0o644},
	}
	for _, c := range checks {
		t.Run(c.path, func(t *testing.T) {
			fi, err := os.Lstat(filepath.Join(dir, c.path))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != c.mode {
				t.Fatalf("mode %v, want %v", fi.Mode(), c.mode)
			}
		})
	}
	for _, applet := range []string{"sh", "ls", "hostname", "sleep", "touch", "tail"} {
		link, err := os.Readlink(filepath.Join(dir, "bin", applet))
		if err != nil || link != "busybox" {
			t.Errorf("bin/%s: link %q, %v; want busybox", applet, link, err)
		}
	}
	// Building again into the same dir must succeed (idempotent).
	if err := Build(dir); err != nil {
		t.Fatalf("second Build: %v", err)
	}
}

func TestCopyRootfs(t *testing.T) {
	needBusybox(t)
	dst := filepath.Join(t.TempDir(), "rootfs")
	CopyRootfs(t, dst)
	fi, err := os.Stat(filepath.Join(dst, "bin", "sh"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("copied bin/sh: %v, %v", fi, err)
	}
	fi, err = os.Stat(filepath.Join(dst, "tmp"))
	if err != nil || fi.Mode()&os.ModeSticky == 0 {
		t.Fatalf("copied tmp lost its sticky bit: %v, %v", fi, err)
	}
}

func TestNewWritesConfig(t *testing.T) {
	needBusybox(t)
	dir := New(t, func(s *specs.Spec) { s.Process.Args = []string{"echo", "hi"} })
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Process.Args; len(got) != 2 || got[0] != "echo" {
		t.Fatalf("args %q", got)
	}
	if !filepath.IsAbs(s.Root.Path) || !s.Root.Readonly {
		t.Fatalf("root %+v: want absolute and read-only", s.Root)
	}
	if s.Process.Terminal {
		t.Fatal("terminal must default to false")
	}
	if filepath.IsAbs(s.Linux.CgroupsPath) || s.Linux.CgroupsPath == "" {
		t.Fatalf("cgroupsPath %q: want a unique relative name", s.Linux.CgroupsPath)
	}
	want := map[specs.LinuxNamespaceType]bool{
		specs.PIDNamespace: true, specs.IPCNamespace: true, specs.UTSNamespace: true,
		specs.MountNamespace: true, specs.NetworkNamespace: true,
	}
	for _, ns := range s.Linux.Namespaces {
		delete(want, ns.Type)
	}
	if len(want) != 0 {
		t.Fatalf("namespaces missing: %v", want)
	}
}

func TestUniqueName(t *testing.T) {
	a, b := UniqueName("x-"), UniqueName("x-")
	if a == b || len(a) != len("x-")+8 {
		t.Fatalf("UniqueName gave %q and %q", a, b)
	}
}
