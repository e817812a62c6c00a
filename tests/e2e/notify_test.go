package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// TestNotifySocketPassthrough: under a Type=notify unit (NOTIFY_SOCKET set), the container's
// process gets a socket of its own, and `start` relays its READY=1 to the host's socket with
// the container's pid as MAINPID, returning only then.
func TestNotifySocketPassthrough(t *testing.T) {
	r := newRunner(t)
	containOnly(t, "runc's relay is part of its own systemd integration; this checks contain's")
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, rootfs)
	build := exec.Command("go", "build", "-o", filepath.Join(rootfs, "payload"), "github.com/contain-runtime/contain/tests/payload")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build payload: %v\n%s", err, out)
	}
	host := filepath.Join(t.TempDir(), "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: host, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	dir := bundle.New(t, func(s *specs.Spec) {
		s.Root.Path = rootfs
		s.Root.Readonly = false
		s.Process.Args = []string{"sh", "-c", `echo "$NOTIFY_SOCKET" > /notify-env; /payload notify READY=1; sleep 30`}
	})
	id := bundle.UniqueName("e2e-")
	t.Setenv("NOTIFY_SOCKET", host)
	if res := r.run("create", "--bundle", dir, id); res.code != 0 {
		t.Fatal(res)
	}
	t.Cleanup(func() { r.run("delete", "--force", id) })
	if res := r.run("start", id); res.code != 0 {
		t.Fatal(res)
	}
	// start has returned: the relayed message must already be there.
	_ = l.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 256)
	n, err := l.Read(buf)
	if err != nil {
		t.Fatalf("no message on the host's notify socket after start: %v", err)
	}
	msg := string(buf[:n])
	pid := statePid(t, r, id)
	if !strings.Contains(msg, "READY=1") || !strings.Contains(msg, "MAINPID="+strconv.Itoa(pid)) {
		t.Fatalf("host socket got %q, want READY=1 and MAINPID=%d", msg, pid)
	}
	env, err := os.ReadFile(filepath.Join(rootfs, "notify-env"))
	if err != nil || strings.TrimSpace(string(env)) != "/run/notify/notify.sock" {
		t.Fatalf("container's NOTIFY_SOCKET = %q (%v), want its own /run/notify/notify.sock, never the host's", env, err)
	}
}

func statePid(t *testing.T, r *runner, id string) int {
	t.Helper()
	res := r.run("state", id)
	if res.code != 0 {
		t.Fatal(res)
	}
	i := strings.Index(res.stdout, `"pid": `)
	if i < 0 {
		t.Fatalf("no pid in state: %s", res.stdout)
	}
	f := strings.FieldsFunc(res.stdout[i+7:], func(r rune) bool { return r < '0' || r > '9' })
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// TestNotifyWaitDoesNotBlock (issue 16): `start` waits for the container's READY=1, which may
// never come; while it waits, state, kill and delete must not block behind it. The old binary
// held the container's lock through the wait, so kill and delete hung for as long as start did.
func TestNotifyWaitDoesNotBlock(t *testing.T) {
	r := newRunner(t)
	containOnly(t, "runc keeps no lock between commands; this checks contain's")
	host := filepath.Join(t.TempDir(), "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: host, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := r.newContainer(args("sleep", "600")) // never says READY=1
	t.Setenv("NOTIFY_SOCKET", host)
	r.must("create", "--bundle", c.bundle, c.id)
	start := exec.Command(binary, r.global("start", c.id)...)
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var startErr error
	go func() { startErr = start.Wait(); close(done) }()
	t.Cleanup(func() { _ = start.Process.Kill(); <-done })
	r.waitStatus(c.id, specs.StateRunning)
	for _, cmd := range [][]string{{"state", c.id}, {"kill", c.id, "KILL"}, {"delete", "--force", c.id}} {
		t0 := time.Now()
		res := r.run(cmd...)
		if took := time.Since(t0); took > 5*time.Second {
			t.Errorf("%s took %v while start waited for READY=1", cmd[0], took)
		}
		if res.code != 0 {
			t.Errorf("%s while start waited for READY=1: %s", cmd[0], res)
		}
	}
	select {
	case <-done:
		if startErr == nil {
			t.Errorf("start reported success for a container that died before READY=1")
		}
	case <-time.After(10 * time.Second):
		t.Errorf("start still waits for READY=1 after the container was deleted")
	}
}
