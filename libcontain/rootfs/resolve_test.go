package rootfs

import (
	"os"
	"path/filepath"
	"testing"
)

// mkdirAll finds an existing directory, creates a missing last component under an existing
// directory by name, and leaves everything else to pathrs-lite: a symlink at the last component
// (absolute, dangling, or ".." out of the root) is followed inside the root, never outside it,
// and a file is refused. open never leaves the root either.
func TestMkdirAllStaysInRoot(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "dev"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"abs": outside + "/made", "up": "../../outside/up", "loop": "loop"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	made := func(p string) {
		t.Helper()
		f, err := r.mkdirAll(p)
		if err != nil {
			t.Fatalf("mkdirAll(%s): %v", p, err)
		}
		defer f.Close()
		real, err := os.Readlink(procFd(f))
		if err != nil {
			t.Fatal(err)
		}
		if rel, ok := within(root, real); !ok {
			t.Errorf("mkdirAll(%s) gave %s, outside the root", p, real)
		} else if st, err := os.Stat(real); err != nil || !st.IsDir() {
			t.Errorf("mkdirAll(%s) gave %s (%s), not a directory: %v", p, real, rel, err)
		}
	}
	made("/dev")
	made("/dev/pts")
	made("/dev/a/b")
	made("/abs")
	made("/up")
	if _, err := r.mkdirAll("/file"); err == nil {
		t.Error("mkdirAll of a file succeeded")
	}
	if _, err := r.mkdirAll("/loop"); err == nil {
		t.Error("mkdirAll through a symlink loop succeeded")
	}
	if ents, err := os.ReadDir(outside); err != nil || len(ents) != 0 {
		t.Errorf("outside the root: %v, %v", ents, err)
	}
	// ".." stops at the root: this is the root's own "outside", which mkdirAll("/up") made.
	f, err := r.open("/../../outside")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if real, err := os.Readlink(procFd(f)); err != nil || real != filepath.Join(root, "outside") {
		t.Errorf("open of /../../outside gave %s (%v), want the root's own", real, err)
	}
}
