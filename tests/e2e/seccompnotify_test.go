//go:build linux

package e2e

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompNotif and seccompNotifResp are the kernel's struct seccomp_notif and
// seccomp_notif_resp (linux/seccomp.h), for the SECCOMP_IOCTL_NOTIF_* ioctls.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// seccompAgent is a minimal seccomp agent on a unix socket: for every listener fd a runtime
// hands it, it records the container process state that came with it and answers every
// notified syscall with errno.
type seccompAgent struct {
	path   string
	errno  unix.Errno
	mu     sync.Mutex
	states []specs.ContainerProcessState
	done   chan struct{}
	wg     sync.WaitGroup
}

func newSeccompAgent(t *testing.T, errno unix.Errno) *seccompAgent {
	t.Helper()
	a := &seccompAgent{path: filepath.Join(t.TempDir(), "agent.sock"), errno: errno, done: make(chan struct{})}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: a.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			a.wg.Add(1)
			go func() { defer a.wg.Done(); a.serve(t, c) }()
		}
	}()
	t.Cleanup(func() { close(a.done); l.Close(); a.wg.Wait() })
	return a
}

func (a *seccompAgent) serve(t *testing.T, c *net.UnixConn) {
	defer c.Close()
	buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Errorf("agent: read: %v", err)
		return
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		t.Errorf("agent: decode %q: %v", buf[:n], err)
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Errorf("agent: want one control message with the listener fd: %v", err)
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Errorf("agent: want one fd: %v", err)
		return
	}
	fd := fds[0]
	defer unix.Close(fd)
	a.mu.Lock()
	a.states = append(a.states, st)
	a.mu.Unlock()
	for {
		select {
		case <-a.done:
			return
		default:
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(pfd, 100); err != nil && err != unix.EINTR {
			return
		} else if n == 0 {
			continue
		}
		if pfd[0].Revents&unix.POLLHUP != 0 {
			return // every process under the filter is gone
		}
		var req seccompNotif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req))); e != 0 {
			continue // the process went away meanwhile (ENOENT) or a signal interrupted
		}
		resp := seccompNotifResp{ID: req.ID, Error: -int32(a.errno)}
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
	}
}

func (a *seccompAgent) received() []specs.ContainerProcessState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]specs.ContainerProcessState(nil), a.states...)
}

// notifyProfile allows everything but sends mkdir to the agent at path.
func notifyProfile(path string) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, ListenerPath: path, ListenerMetadata: "from-the-test",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
}

// TestSeccompNotify: SCMP_ACT_NOTIFY hands the listener fd to linux.seccomp.listenerPath with the
// container process state; the agent then decides the notified syscalls, for the container's
// process and for an exec'd one (each gets a listener of its own).
func TestSeccompNotify(t *testing.T) {
	r := newRunner(t)
	agent := newSeccompAgent(t, unix.EXDEV)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "mkdir /from-init 2>/dev/null; echo init=$?; exec sleep 1000"}
		s.Linux.Seccomp = notifyProfile(agent.path)
	})
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	res := r.run("exec", c.id, "sh", "-c", "mkdir /from-exec; echo exec=$?; test -d /from-exec || echo absent")
	if res.code != 0 || !strings.Contains(res.stdout, "exec=1") || !strings.Contains(res.stdout, "absent") ||
		!strings.Contains(res.stderr, "cross-device") {
		t.Errorf("exec'd mkdir: want the agent's EXDEV: %s", res)
	}
	got := agent.received()
	if len(got) != 2 {
		t.Fatalf("agent got %d listener fds, want 2 (create, exec): %+v", len(got), got)
	}
	for i, ps := range got {
		if len(ps.Fds) != 1 || ps.Fds[0] != specs.SeccompFdName || ps.Metadata != "from-the-test" || ps.State.ID != c.id || ps.Pid <= 0 {
			t.Errorf("container process state %d: %+v", i, ps)
		}
	}
	if got[0].Pid != st.Pid {
		t.Errorf("create's listener came with pid %d, want init's %d", got[0].Pid, st.Pid)
	}
}

// TestSeccompNotifyRefused: a profile that notifies without a listenerPath, or notifies write
// (init needs it to hand the listener out), fails create with one line and leaves nothing.
func TestSeccompNotifyRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*specs.LinuxSeccomp)
		want   string
	}{
		"no listenerPath": {func(p *specs.LinuxSeccomp) { p.ListenerPath = "" }, "listenerPath"},
		"notify write":    {func(p *specs.LinuxSeccomp) { p.Syscalls[0].Names = []string{"write"} }, "write"},
	} {
		t.Run(name, func(t *testing.T) {
			containOnly(t, "runc's errors differ; this checks contain's")
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				p := notifyProfile(filepath.Join(t.TempDir(), "none.sock"))
				tc.mutate(p)
				s.Linux.Seccomp = p
			})
			oneLineError(t, r.run("create", "--bundle", c.bundle, c.id), tc.want)
		})
	}
}
