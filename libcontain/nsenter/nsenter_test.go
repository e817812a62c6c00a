package nsenter

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The test binary links this package, so its constructor runs in it too: started with
// probeEnv set, the binary is the probe the join tests run through Prepare.
const (
	probeEnv    = "NSENTER_TEST_PROBE"
	hostnameEnv = "NSENTER_TEST_SETHOSTNAME"
)

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) == "1" {
		probe()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// probeReport is what the probe saw of itself.
type probeReport struct {
	NS          map[string]string // /proc/self/ns/<name> -> its link
	Hostname    string
	Pid         int
	Uid, Gid    int
	SawVar      bool     // _CONTAIN_NSENTER was in the Go environment
	OpenFds     []string // what fds 3..63 open when the program started are (Go keeps some open)
	SetHostname string
	ProcSelf    bool // /proc/self exists
}

func probe() {
	var r probeReport
	for fd := 3; fd < 64; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			l, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			r.OpenFds = append(r.OpenFds, l)
		}
	}
	r.NS = map[string]string{}
	for _, name := range []string{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"} {
		r.NS[name], _ = os.Readlink("/proc/self/ns/" + name)
	}
	if name := os.Getenv(hostnameEnv); name != "" {
		r.SetHostname = "ok"
		if err := unix.Sethostname([]byte(name)); err != nil {
			r.SetHostname = err.Error()
		}
	}
	r.Hostname, _ = os.Hostname()
	r.Pid, r.Uid, r.Gid = os.Getpid(), os.Getuid(), os.Getgid()
	_, err := os.Stat("/proc/self")
	r.ProcSelf = err == nil
	_, r.SawVar = os.LookupEnv(envName)
	_ = json.NewEncoder(os.Stdout).Encode(&r)
}

// probeCmd is the test binary started as the probe.
func probeCmd(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), append([]string{probeEnv + "=1"}, env...)...)
	return cmd
}

// TestPrepareNothing: a request for nothing that differs leaves the command alone.
func TestPrepareNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Request
	}{
		{"empty", Request{}},
		{"own user namespace", Request{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/self/ns/user"}}}},
		{"own namespaces by pid", Request{Pid: os.Getpid()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("true")
			h, err := Prepare(cmd, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(cmd.ExtraFiles) != 0 || cmd.Env != nil {
				t.Fatal("Prepare changed the command")
			}
			if err := cmd.Start(); err != nil {
				h.Close()
				t.Fatal(err)
			}
			pid, err := h.Wait()
			if err != nil || pid != cmd.Process.Pid {
				t.Errorf("Wait = %d, %v; want %d", pid, err, cmd.Process.Pid)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	tests := []struct {
		name string
		r    Request
		cmd  func(*exec.Cmd)
		want string // part of the error
	}{
		{"missing path", Request{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/nonexistent/ns"}}}, nil, "/nonexistent/ns"},
		{"not a namespace file", Request{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/dev/null"}}}, nil, "/dev/null is not a namespace file"},
		{"wrong type", Request{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace, Path: "/proc/self/ns/net"}}}, nil, "another type"},
		{"unknown type", Request{Namespaces: []specs.LinuxNamespace{{Type: "bogus", Path: "/proc/self/ns/net"}}}, nil, "bogus"},
		{"listed twice", Request{Namespaces: []specs.LinuxNamespace{
			{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"},
			{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}}, nil, "twice"},
		{"unshare user", Request{Unshare: []specs.LinuxNamespaceType{specs.UserNamespace}}, nil, "cannot unshare a user"},
		{"unshare time", Request{Unshare: []specs.LinuxNamespaceType{specs.TimeNamespace}}, nil, "cannot unshare a time"},
		{"clone flags overlap", Request{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}},
			func(c *exec.Cmd) { c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET} }, "clone flags"},
		{"no such pid", Request{Pid: 1 << 30}, nil, "pidfd_open"},
		{"pid and path", Request{Pid: os.Getpid(), Types: []specs.LinuxNamespaceType{specs.NetworkNamespace},
			Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}}, nil, "both by path and by pid"},
		{"unknown type by pid", Request{Pid: 1, Types: []specs.LinuxNamespaceType{"bogus"}}, nil, "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("true")
			if tc.cmd != nil {
				tc.cmd(cmd)
			}
			h, err := Prepare(cmd, tc.r)
			if err == nil {
				h.Close()
				t.Fatal("Prepare succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if len(cmd.ExtraFiles) != 0 || cmd.Env != nil {
				t.Fatal("a failed Prepare changed the command")
			}
		})
	}
}

// TestChildErrors sends requests Prepare would refuse, so the failure happens in the constructor,
// and checks it comes back as an op and errno, with the probe's stdio left untouched.
func TestChildErrors(t *testing.T) {
	devNull := func(t *testing.T) *os.File { return open(t, "/dev/null") }
	tests := []struct {
		name  string
		file  func(*testing.T) *os.File
		flags uint32
		raw   []byte // sent instead of the encoded request
		op    string
		errno syscall.Errno
	}{
		{"not a namespace fd", devNull, unix.CLONE_NEWNET, nil, "setns net", unix.EINVAL},
		{"fd of another type", func(t *testing.T) *os.File { return open(t, "/proc/self/ns/net") }, unix.CLONE_NEWUTS, nil, "setns uts", unix.EINVAL},
		{"own user namespace", func(t *testing.T) *os.File { return open(t, "/proc/self/ns/user") }, unix.CLONE_NEWUSER, nil, "setns user", unix.EINVAL},
		{"malformed request", devNull, unix.CLONE_NEWNET, []byte("garbage"), "parse request", unix.EINVAL},
		{"request names the socket", devNull, unix.CLONE_NEWNET, nil, "parse request", unix.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := probeCmd(t)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			h := &Handle{cmd: cmd, child: []*os.File{tc.file(t)}}
			err := h.send(cmd, func(fds []int32) ([]byte, error) {
				if tc.raw != nil {
					return tc.raw, nil
				}
				fd := fds[0]
				if tc.op == "parse request" {
					fd = fds[0] - 1 // the socket's own fd
				}
				return encodeRequest(0, []join{{fd: fd, flags: tc.flags}})
			})
			if err != nil {
				h.Close()
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				h.Close()
				t.Fatal(err)
			}
			_, err = h.Wait()
			werr := cmd.Wait()
			var e *Error
			if !errors.As(err, &e) || e.Op != tc.op || !errors.Is(err, tc.errno) {
				t.Fatalf("Wait error = %v, want op %q errno %v", err, tc.op, tc.errno)
			}
			var exit *exec.ExitError
			if !errors.As(werr, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("probe exit = %v, want status 1", werr)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Fatalf("the constructor wrote to stdio: stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestMalformedVariable: a variable Prepare did not set must stop the binary, not let it run in
// the wrong namespaces.
func TestMalformedVariable(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"empty", "", "not an fd number"},
		{"letters", "abc", "not an fd number"},
		{"stdio", "1", "not an fd number"},
		{"negative", "-3", "not an fd number"},
		{"huge", "99999999999999999999", "not an fd number"},
		{"closed fd", "63", "not a seqpacket socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := probeCmd(t, envName+"="+tc.value)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit = %v, want status 1", err)
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stdout %q stderr %q, want only stderr mentioning %q", stdout.String(), stderr.String(), tc.want)
			}
		})
	}
}

// TestNoReply: a binary without the constructor never answers; Wait must say so once it exits
// instead of hanging, and Close must end a Wait that would block.
func TestNoReply(t *testing.T) {
	r := Request{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}}
	t.Run("exits", func(t *testing.T) {
		cmd := exec.Command("true")
		h, err := Prepare(cmd, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			h.Close()
			t.Fatal(err)
		}
		_, err = h.Wait()
		cmd.Wait()
		if err == nil || !strings.Contains(err.Error(), "without replying") {
			t.Fatalf("Wait error = %v", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		cmd := exec.Command("sleep", "30")
		h, err := Prepare(cmd, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			h.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		done := make(chan error, 1)
		go func() { _, err := h.Wait(); done <- err }()
		h.Close() // whether Wait is already in Read or not yet: either way it must return
		if err := <-done; err == nil {
			t.Fatal("Wait succeeded after Close")
		}
	})
}
