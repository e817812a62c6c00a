//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// TestHalfCreated (issue 16, F3): a create killed half-way (here: with SIGKILL while its
// createRuntime hook runs, when the cgroups, the sandbox and init exist) leaves a state dir
// without a state. delete --force must then remove every piece create made — cgroups in every
// hierarchy, the sandbox, init — and a later create of the same id must do the same before it
// makes the container anew. The old binary's delete --force exited 0 and left it all.
func TestHalfCreated(t *testing.T) {
	containOnly(t, "runc leaks the same way (issue 16: 13 of 50 kills)")
	for _, recover := range []string{"delete --force", "create again"} {
		t.Run(recover, func(t *testing.T) {
			w := newWDRunner(t)
			marker := filepath.Join(t.TempDir(), "hook-ran")
			c := w.newContainer(compose(args("sleep", "600"), annotate("io.contain.volumes", "tmp:/tmp"), func(s *specs.Spec) {
				s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + marker + "; exec sleep 2"}}}}
			}))
			pids := livePids(t)
			killInHook(t, exec.Command(binary, w.global("create", "--bundle", c.bundle, c.id)...), marker)
			var made []string
			for _, d := range cgroupDirs(t, c.cgroupsPath()) {
				if _, err := os.Stat(d); err == nil {
					made = append(made, d)
				}
			}
			runs, _ := filepath.Glob(filepath.Join(w.work, "containers", c.id, "runs", "2*"))
			if len(made) == 0 || len(runs) != 1 {
				t.Fatalf("the killed create left cgroups %v and runs %v: the test does not test what it should", made, runs)
			}
			switch recover {
			case "delete --force":
				w.must("delete", "--force", c.id)
			case "create again":
				// Without the hook this time: the same id, a fresh container.
				s := c.spec
				s.Hooks = nil
				writeSpec(t, c.bundle, s)
				w.must("create", "--bundle", c.bundle, c.id)
				w.must("delete", "--force", c.id)
			}
			time.Sleep(2500 * time.Millisecond) // the orphaned hook ends by itself
			raceLeftovers(t, w.runner, c, pids)
			// The half-created run's sandbox goes; a new run of the id keeps its own, as delete
			// leaves a sandbox that holds something (its volume here).
			if _, err := os.Stat(runs[0]); !os.IsNotExist(err) {
				t.Errorf("the half-created run's sandbox %s is left (%v)", runs[0], err)
			}
		})
	}
}

// killInHook starts create and kills it once its hook has made marker.
func killInHook(t *testing.T, create *exec.Cmd, marker string) {
	t.Helper()
	if err := create.Start(); err != nil {
		t.Fatal(err)
	}
	ran := poll(statusTimeout, func() bool { _, err := os.Stat(marker); return err == nil })
	_ = create.Process.Kill()
	_ = create.Wait()
	if !ran {
		t.Fatal("the createRuntime hook never ran")
	}
}

func writeSpec(t *testing.T, dir string, s *specs.Spec) {
	t.Helper()
	if err := bundle.Write(dir, s); err != nil {
		t.Fatal(err)
	}
}
