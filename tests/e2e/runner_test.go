//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// commandTimeout bounds one runtime command; a hung create must fail the test, not the run.
const commandTimeout = 60 * time.Second

// statusTimeout bounds waiting for a container to reach a status. CONTAIN_E2E_SLOW=N multiplies
// it, for machines N times slower than this one (the cgroup v2 VM runs under emulation).
var statusTimeout = 5 * time.Second * time.Duration(slowFactor())

func slowFactor() int {
	if n, err := strconv.Atoi(os.Getenv("CONTAIN_E2E_SLOW")); err == nil && n > 1 {
		return n
	}
	return 1
}

// runner runs the runtime under test with a --root of its own.
type runner struct {
	t    *testing.T
	root string
	tmp  string // holds the captured output of each command
}

// result is what one runtime command did.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("`%s` exited %d\nstdout: %q\nstderr: %q", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// newRunner skips unless root, and gives the test a fresh, empty state root that must be empty
// again once every container of the test has been deleted.
func newRunner(t *testing.T) *runner {
	t.Helper()
	needs.Root(t)
	if binary == "" {
		t.Fatal("no runtime binary: TestMain did not build one and CONTAIN_BINARY is unset")
	}
	tmp := t.TempDir()
	r := &runner{t: t, root: filepath.Join(tmp, "state"), tmp: tmp}
	// Registered first, so it runs last: after every container's delete --force.
	t.Cleanup(func() {
		entries, err := os.ReadDir(r.root)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("read state root: %v", err)
		}
		for _, e := range entries {
			t.Errorf("state root %s still holds %q after cleanup", r.root, e.Name())
		}
	})
	return r
}

// run runs the runtime with --root and args; stdout and stderr go to files, not pipes, because a
// detached container inherits them and would keep a pipe open long after create returns.
func (r *runner) run(args ...string) result {
	r.t.Helper()
	return r.runWithFds(nil, args...)
}

// runQuiet is run without logging the command: for goroutines, which may not use t.Helper's
// caller logic, and for races run many times.
func (r *runner) runQuiet(args ...string) result {
	return r.exec(nil, false, args...)
}

// runWithFds is run with extra open files: fds 3, 4... of the runtime (--preserve-fds).
func (r *runner) runWithFds(extra []*os.File, args ...string) result {
	r.t.Helper()
	return r.exec(extra, true, args...)
}

// global is args after the runner's global flags: --root, and --work-dir, so that sandboxes go
// to a dir of the test's, never /var/lib/contain (runc has no such flag: it gets only --root).
func (r *runner) global(args ...string) []string {
	full := []string{"--root", r.root}
	if !isRunc() {
		full = append(full, "--work-dir", filepath.Join(filepath.Dir(r.root), "work"))
	}
	return append(full, args...)
}

func (r *runner) exec(extra []*os.File, log bool, args ...string) result {
	r.t.Helper()
	full := r.global(args...)
	res := result{args: append([]string{filepath.Base(binary)}, full...), code: -1}

	outF, err := os.CreateTemp(r.tmp, "stdout-")
	if err != nil {
		r.t.Fatal(err)
	}
	defer outF.Close()
	errF, err := os.CreateTemp(r.tmp, "stderr-")
	if err != nil {
		r.t.Fatal(err)
	}
	defer errF.Close()

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, full...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = outF, errF, extra
	runCommand(r.t, ctx, cmd, &res)
	res.stdout = readFile(r.t, outF.Name())
	res.stderr = readFile(r.t, errF.Name())
	if log {
		r.t.Logf("%s", res)
	}
	return res
}

// must runs args and fails the test unless the command exits 0.
func (r *runner) must(args ...string) result {
	r.t.Helper()
	res := r.run(args...)
	if res.code != 0 {
		r.t.Fatalf("want exit 0: %s", res)
	}
	return res
}

// state returns the container's OCI state; ok is false when the state command failed.
func (r *runner) state(id string) (st specs.State, res result, ok bool) {
	r.t.Helper()
	res = r.run("state", id)
	if res.code != 0 {
		return st, res, false
	}
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		r.t.Fatalf("decode state of %s: %v\n%s", id, err, res.stdout)
	}
	return st, res, true
}

// waitStatus polls state until the container reaches want, failing the test after statusTimeout.
func (r *runner) waitStatus(id string, want specs.ContainerState) specs.State {
	r.t.Helper()
	deadline := time.Now().Add(statusTimeout)
	for {
		st, res, ok := r.state(id)
		if ok && st.Status == want {
			return st
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("container %s did not reach %q within %v; last: %s", id, want, statusTimeout, res)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// container is one container of a test: its id, bundle and spec.
type container struct {
	id     string
	bundle string
	spec   *specs.Spec
}

// newContainer makes a bundle (bundle.New + mutate) and a unique id, and registers the cleanup:
// delete --force, then a check that no cgroup dir of the container is left (removing any that is,
// so one failure does not leak into the machine).
func (r *runner) newContainer(mutate func(*specs.Spec)) *container {
	r.t.Helper()
	dir := bundle.New(r.t, mutate)
	s, err := bundle.Load(dir)
	if err != nil {
		r.t.Fatal(err)
	}
	c := &container{id: bundle.UniqueName("e2e-"), bundle: dir, spec: s}
	r.t.Cleanup(func() {
		if res := r.run("delete", "--force", c.id); res.code != 0 {
			r.t.Errorf("cleanup: %s", res)
		}
		removeLeftoverCgroups(r.t, c.cgroupsPath(), c.id)
	})
	return c
}

func (c *container) cgroupsPath() string {
	if c.spec.Linux == nil {
		return ""
	}
	return c.spec.Linux.CgroupsPath
}

// args sets the process arguments; for use in a mutate function.
func args(a ...string) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Process.Args = a }
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oneLineError checks the contract for a failed command: non-zero exit and exactly one non-empty
// line on stderr, containing want (case-insensitive) when want is not empty.
func oneLineError(t *testing.T, res result, want string) {
	t.Helper()
	if res.code == 0 {
		t.Errorf("want a non-zero exit: %s", res)
		return
	}
	msg := strings.TrimSpace(res.stderr)
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("want exactly one line on stderr: %s", res)
	}
	if want != "" && !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("stderr does not mention %q: %s", want, res)
	}
}

// containOnly skips a check where runc is known to deviate from the OCI runtime spec, so the
// suite can still be proven against runc; reason says how runc deviates.
func containOnly(t *testing.T, reason string) {
	t.Helper()
	if filepath.Base(binary) == "runc" {
		t.Skipf("contain only: %s", reason)
	}
}

// runCommand runs cmd (made with ctx) and sets res.code to its exit status; a command that could
// not run, or ran past ctx's deadline (commandTimeout), fails the test.
func runCommand(t *testing.T, ctx context.Context, cmd *exec.Cmd, res *result) {
	t.Helper()
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.code = 0
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run %s: %v", strings.Join(res.args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s timed out after %v", strings.Join(res.args, " "), commandTimeout)
	}
}
