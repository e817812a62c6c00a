//go:build linux

package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contain-runtime/contain/tests/bundle"
)

// TestSpecBundleRuns: the runtime's own `spec` output and runc's (`runc spec`, whose
// capabilities list ambient ones the kernel will not raise), with only the process edited (args,
// no terminal) and the rootfs copied to the default relative "rootfs", run as they are.
func TestSpecBundleRuns(t *testing.T) {
	t.Run("own spec", func(t *testing.T) { specBundleRuns(t, binary) })
	t.Run("runc spec", func(t *testing.T) {
		runc, err := exec.LookPath("runc")
		if err != nil {
			t.Skip("needs runc on PATH to generate its spec (tests/deps.sh installs it)")
		}
		specBundleRuns(t, runc)
	})
}

func specBundleRuns(t *testing.T, generator string) {
	r := newRunner(t)
	dir := t.TempDir()
	cmd := exec.Command(generator, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("spec: %v\n%s", err, out)
	}
	s, err := bundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root == nil || filepath.IsAbs(s.Root.Path) {
		t.Fatalf("spec's root %+v: want a relative path", s.Root)
	}
	bundle.CopyRootfs(t, filepath.Join(dir, s.Root.Path))
	s.Process.Args = []string{"echo", "hello"}
	s.Process.Terminal = false
	// A cgroup under ours rather than the runtime's default, which may be at the top of each hierarchy.
	cg := bundle.UniqueName("contain-test-")
	s.Linux.CgroupsPath = cg
	if err := bundle.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	id := bundle.UniqueName("e2e-")
	t.Cleanup(func() {
		r.run("delete", "--force", id)
		removeLeftoverCgroups(t, cg, id)
	})
	res := r.must("run", "--bundle", dir, id)
	if strings.TrimSpace(res.stdout) != "hello" {
		t.Fatalf("want stdout hello: %s", res)
	}
}
