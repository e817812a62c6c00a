//go:build linux

package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestParityExecCap: exec --cap adds the capability to the bounding, effective and permitted
// sets only: not to the inheritable set, and so not to the ambient one of a process that has no
// inheritable set.
func TestParityExecCap(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	res := r.must("exec", "--cap", "CAP_NET_ADMIN", c.id, "grep", "^Cap", "/proc/self/status")
	// The bundle's CAP_KILL (bit 5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29), and
	// CAP_NET_ADMIN (12).
	checkCapSets(t, capSets(t, res.stdout), map[string]string{
		"CapBnd": "0000000020001420",
		"CapEff": "0000000020001420",
		"CapPrm": "0000000020001420",
		"CapInh": "0000000000000000",
		"CapAmb": "0000000000000000",
	})
}

// TestParityExecPaused: exec into a paused container is refused with exit status 255, unless
// --ignore-paused, where it runs once the container is resumed.
func TestParityExecPaused(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	r.must("pause", c.id)
	if res := r.run("exec", c.id, "true"); res.code != 255 || !strings.Contains(res.stderr, "paused") {
		t.Errorf("exec into a paused container: want exit 255 naming the pause: %s", res)
	}
	// The exec'd process starts frozen: exec returns once the container is resumed.
	done := make(chan result, 1)
	go func() { done <- r.run("exec", "--ignore-paused", c.id, "echo", "ok") }()
	select {
	case res := <-done:
		t.Fatalf("exec --ignore-paused returned while the container was paused: %s", res)
	case <-time.After(500 * time.Millisecond):
	}
	r.must("resume", c.id)
	select {
	case res := <-done:
		if res.code != 0 || strings.TrimSpace(res.stdout) != "ok" {
			t.Errorf("exec --ignore-paused: want ok: %s", res)
		}
	case <-time.After(commandTimeout):
		t.Fatal("exec --ignore-paused did not return after resume")
	}
}

// TestParityCgroupExecSubCgroup: exec --cgroup runs the process in an existing sub-cgroup of
// the container's (v2: a path; v1: controller:path).
func TestParityCgroupExecSubCgroup(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	dir, v2 := controllerDir(t, "pids", c.cgroupsPath())
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Rmdir(sub) })
	flag := "pids:sub"
	if v2 {
		flag = "sub"
	}
	out := r.must("exec", "--cgroup", flag, c.id, "cat", "/proc/self/cgroup").stdout
	found := false
	for _, l := range strings.Split(out, "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) == 3 && strings.HasSuffix(parts[2], "/sub") &&
			(v2 && parts[1] == "" || !v2 && strings.Contains(parts[1], "pids")) {
			found = true
		}
	}
	if !found {
		t.Errorf("exec --cgroup %s: process not in the sub-cgroup:\n%s", flag, out)
	}
	if res := r.run("exec", "--cgroup", "nosuch", c.id, "true"); res.code == 0 {
		t.Errorf("exec into a sub-cgroup that does not exist succeeded: %s", res)
	}
}

// TestParityPidfdSocket: --pidfd-socket sends a pidfd of the container's process (create, run
// -d) or of the exec'd one; signalling through it reaches that process.
func TestParityPidfdSocket(t *testing.T) {
	for _, cmd := range []string{"create", "run"} {
		t.Run(cmd, func(t *testing.T) {
			r := newRunner(t)
			sock, fds := fdSocket(t)
			c := r.newContainer(args("sleep", "60"))
			full := []string{cmd, "--pidfd-socket", sock, "--bundle", c.bundle, c.id}
			if cmd == "run" {
				full = append([]string{"run", "-d"}, full[1:]...)
			}
			r.must(full...)
			pidfd := received(t, fds, "pidfd")
			if err := unix.PidfdSendSignal(int(pidfd.Fd()), unix.SIGKILL, nil, 0); err != nil {
				t.Fatal(err)
			}
			r.waitStatus(c.id, specs.StateStopped)
		})
	}
	t.Run("exec", func(t *testing.T) {
		r := newRunner(t)
		sock, fds := fdSocket(t)
		c := r.newContainer(args("sleep", "60"))
		r.must("run", "-d", "--bundle", c.bundle, c.id)
		pidFile := filepath.Join(t.TempDir(), "pid")
		r.must("exec", "-d", "--pid-file", pidFile, "--pidfd-socket", sock, c.id, "sleep", "60")
		pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.PidfdSendSignal(int(received(t, fds, "pidfd").Fd()), unix.SIGKILL, nil, 0); err != nil {
			t.Fatal(err)
		}
		if !poll(statusTimeout, func() bool { return processGone(pid) }) {
			t.Errorf("exec'd pid %d survived SIGKILL through its pidfd", pid)
		}
		r.waitStatus(c.id, specs.StateRunning)
	})
}

// fdSocket listens on a new unix socket (--console-socket, --pidfd-socket) and delivers every
// fd a runtime sends on it, in order; the fds are closed when the test ends.
func fdSocket(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sock-") // short: sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	files := make(chan *os.File, 4)
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
			_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
			c.Close()
			if err != nil {
				continue
			}
			msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
			for _, m := range msgs {
				fds, err := unix.ParseUnixRights(&m)
				if err != nil {
					continue
				}
				for _, fd := range fds {
					f := os.NewFile(uintptr(fd), "received")
					t.Cleanup(func() { f.Close() })
					files <- f
				}
			}
		}
	}()
	return path, files
}

// received waits for the next fd on a fdSocket.
func received(t *testing.T, files <-chan *os.File, what string) *os.File {
	t.Helper()
	select {
	case f := <-files:
		return f
	case <-time.After(statusTimeout):
		t.Fatalf("no %s arrived on the socket", what)
		return nil
	}
}
