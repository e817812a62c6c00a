//go:build linux

package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// consoleSocket receives the pty masters of --console-socket.
type consoleSocket struct {
	path    string
	masters <-chan *os.File
}

func newConsoleSocket(t *testing.T) *consoleSocket {
	t.Helper()
	path, files := fdSocket(t)
	return &consoleSocket{path: path, masters: files}
}

// master waits for the next pty master.
func (cs *consoleSocket) master(t *testing.T) *os.File {
	t.Helper()
	return received(t, cs.masters, "pty master")
}

// readAll reads what the container wrote to its terminal until it hangs up (EIO once the last
// slave is closed) or the timeout passes.
func readAll(t *testing.T, master *os.File) string {
	t.Helper()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(&out, master)
	}()
	select {
	case <-done:
	case <-time.After(statusTimeout):
		t.Errorf("terminal did not hang up; read so far: %q", out.String())
	}
	return out.String()
}

// TestParityTerminalOwner: the pty slave belongs to the process's user (the group stays the
// devpts mount's gid=5), for init and for an exec.
func TestParityTerminalOwner(t *testing.T) {
	r := newRunner(t)
	cs := newConsoleSocket(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.User = specs.User{UID: 1000, GID: 100}
		s.Process.Args = []string{"sh", "-c", "stat -c %u:%g $(tty); exec sleep 60"}
	})
	r.must("run", "-d", "--console-socket", cs.path, "--bundle", c.bundle, c.id)
	m := cs.master(t)
	buf := make([]byte, 64)
	_ = m.SetReadDeadline(time.Now().Add(statusTimeout))
	n, _ := m.Read(buf)
	if got := strings.TrimSpace(string(buf[:n])); got != "1000:5" {
		t.Errorf("init's terminal owner %q, want 1000:5", got)
	}
	r.must("exec", "-d", "-t", "--console-socket", cs.path, c.id, "sh", "-c", "stat -c %u:%g $(tty)")
	if got := strings.TrimSpace(readAll(t, cs.master(t))); got != "1000:5" {
		t.Errorf("exec's terminal owner %q, want 1000:5", got)
	}
}

// TestParityExecConsoleSize: process.consoleSize of an exec -p is the size of its terminal.
func TestParityExecConsoleSize(t *testing.T) {
	r := newRunner(t)
	cs := newConsoleSocket(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	proc := filepath.Join(t.TempDir(), "process.json")
	err := os.WriteFile(proc, []byte(`{"terminal": true, "consoleSize": {"height": 10, "width": 110},
		"args": ["stty", "size"], "cwd": "/", "env": ["PATH=/bin"]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r.must("exec", "-d", "--console-socket", cs.path, "-p", proc, c.id)
	if got := strings.TrimSpace(readAll(t, cs.master(t))); got != "10 110" {
		t.Errorf("stty size %q, want 10 110", got)
	}
}

// TestParityTerminalNoCR: the runtime proxying a terminal clears ONLCR on it, so the
// container's "\n" reaches its stdout as "\n", not "\r\n" (runc and exec -t). The runtime gets
// a controlling terminal, as it would from a shell, but writes to a file.
func TestParityTerminalNoCR(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.Args = []string{"echo", "hi"}
	})
	if out := r.runWithTerminal(t, "run", "--bundle", c.bundle, c.id); out != "hi\n" {
		t.Errorf("run -t output %q, want %q", out, "hi\n")
	}
	c2 := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c2.bundle, c2.id)
	if out := r.runWithTerminal(t, "exec", "-t", c2.id, "echo", "hi"); out != "hi\n" {
		t.Errorf("exec -t output %q, want %q", out, "hi\n")
	}
}

// runWithTerminal runs the runtime in a new session whose controlling terminal (and stdin) is a
// fresh pty, with stdout to a file, and returns that stdout.
func (r *runner) runWithTerminal(t *testing.T, args ...string) string {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	go func() { _, _ = io.Copy(io.Discard, ptmx) }()
	out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	full := r.global(args...)
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, full...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, out, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v; stderr %q", binary, strings.Join(full, " "), err, stderr.String())
	}
	return readFile(t, out.Name())
}
