//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inputTimeout bounds a command given a file that never ends or never opens: a runtime that
// reads /dev/zero to the end grows by hundreds of MB a second, so it is killed early.
const inputTimeout = 5 * time.Second

// runBounded runs the runtime like runner.run but kills it after inputTimeout; hung says so.
func (r *runner) runBounded(args ...string) (res result, hung bool) {
	r.t.Helper()
	full := r.global(args...)
	ctx, cancel := context.WithTimeout(context.Background(), inputTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, full...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	res = result{args: append([]string{filepath.Base(binary)}, full...), code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	if err == nil {
		res.code = 0
	}
	r.t.Logf("%s", res)
	return res, ctx.Err() != nil
}

// TestCallerFilesBounded (issue 16, F2): every file a caller names — config.json, exec
// --process, update -r — is read only if it is a regular file of bounded size. /dev/zero made the
// old binary read until it held gigabytes; a FIFO made it wait forever for a writer. Now each is
// refused at once with one line that says why.
func TestCallerFilesBounded(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("create", "--bundle", c.bundle, c.id)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zeroBundle := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(zeroBundle, "config.json")); err != nil {
		t.Fatal(err)
	}
	fifoBundle := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(fifoBundle, "config.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		runcHang bool // runc 1.5.3 hangs on it too: checked for contain only
	}{
		{"config.json is /dev/zero", []string{"create", "--bundle", zeroBundle, c.id + "-z"}, false},
		{"config.json is a fifo", []string{"create", "--bundle", fifoBundle, c.id + "-f"}, true},
		{"exec --process /dev/zero", []string{"exec", "--process", "/dev/zero", c.id}, false},
		{"exec --process fifo", []string{"exec", "--process", fifo, c.id}, true},
		{"update -r /dev/zero", []string{"update", "-r", "/dev/zero", c.id}, false},
		{"update -r fifo", []string{"update", "-r", fifo, c.id}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.runcHang {
				containOnly(t, "runc 1.5.3 waits for a writer on a FIFO too")
			}
			start := time.Now()
			res, hung := r.runBounded(tc.args...)
			if hung {
				t.Fatalf("still running after %v: %s", inputTimeout, res)
			}
			if res.code == 0 {
				t.Fatalf("want a failure: %s", res)
			}
			if filepath.Base(binary) != "runc" {
				oneLineError(t, res, "not a regular file")
			}
			t.Logf("refused in %v", time.Since(start).Round(time.Millisecond))
		})
	}
	r.must("delete", "--force", c.id)
}
