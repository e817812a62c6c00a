package initexe

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// withImage installs bin through Install as though it were embedded.
func withImage(t *testing.T, dir, bin string) (string, *unix.Stat_t, error) {
	t.Helper()
	return install(dir, bin, "0123456789abcdef0123")
}

func TestInstallWritesOnceAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	path, st, err := withImage(t, dir, "binary")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "contain-init-0123456789abcdef" {
		t.Fatalf("name %s", path)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "binary" {
		t.Fatalf("content %q, %v", b, err)
	}
	if st.Mode&0o777 != 0o555 {
		t.Fatalf("mode %o, want 0555", st.Mode&0o777)
	}
	var d unix.Stat_t
	if err := unix.Stat(dir, &d); err != nil || d.Mode&0o777 != 0o700 {
		t.Fatalf("dir mode %o, %v", d.Mode&0o777, err)
	}
	again, st2, err := withImage(t, dir, "binary")
	if err != nil || again != path || st2.Ino != st.Ino {
		t.Fatalf("second install %s ino %d, %v: want the same file (ino %d)", again, st2.Ino, err, st.Ino)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries in %s, want 1", len(ents), dir)
	}
}

// A file at the name that is short, writable or not a regular file is replaced, not used.
func TestInstallReplacesUnfitFile(t *testing.T) {
	for name, plant := range map[string]func(path string) error{
		"short":      func(p string) error { return os.WriteFile(p, []byte("bin"), 0o500) },
		"writable":   func(p string) error { return os.WriteFile(p, []byte("BINARY"), 0o700) },
		"owner only": func(p string) error { return os.WriteFile(p, []byte("binary"), 0o500) },
		"symlink":    func(p string) error { return os.Symlink("/bin/sh", p) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "contain-init-0123456789abcdef")
			if err := plant(p); err != nil {
				t.Fatal(err)
			}
			path, _, err := withImage(t, dir, "binary")
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != "binary" {
				t.Fatalf("content %q, %v", b, err)
			}
		})
	}
}

// A directory others may write is refused: the file could be swapped after its check.
func TestInstallRefusesSharedDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, _, err := withImage(t, dir, "binary"); err == nil {
		t.Fatal("installed into a world-writable directory")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("%d entries left in %s", len(ents), dir)
	}
}

// A new build's install removes the binaries of others.
func TestInstallRemovesOtherBuilds(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "contain-init-ffffffffffffffff")
	if err := os.WriteFile(old, []byte("old"), 0o500); err != nil {
		t.Fatal(err)
	}
	if _, _, err := withImage(t, dir, "binary"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(old); !os.IsNotExist(err) {
		t.Fatalf("the other build's binary is still there: %v", err)
	}
}

func TestInstallWithoutImage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	path, _, err := install(dir, "", "")
	if path != "" || err != nil {
		t.Fatalf("%q, %v: want nothing", path, err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatal("made the directory without an image to put in it")
	}
}

// A directory on a noexec mount is refused: init's execve of the file would fail.
func TestInstallRefusesNoexecMount(t *testing.T) {
	needs.Root(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOEXEC, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	if _, _, err := withImage(t, filepath.Join(dir, "bin"), "binary"); err == nil {
		t.Fatal("installed on a noexec mount")
	}
}
