package nsenter

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Handle is the parent's end of one Prepare'd command.
type Handle struct {
	cmd  *exec.Cmd
	sock *os.File
	mu   sync.Mutex // guards child: Close may run while Wait does
	// child are the files the child inherits; the parent closes its copies once it started.
	child []*os.File
	done  bool
	pid   int
	err   error
}

// send makes the socketpair, writes the request that encode builds from the fd numbers the child
// will see h.child at, and adds the fds and the variable to cmd.
func (h *Handle) send(cmd *exec.Cmd, encode func(fds []int32) ([]byte, error)) error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socketpair", err)
	}
	// Non-blocking, so the poller serves it and Close can interrupt a Wait stuck in Read.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return os.NewSyscallError("set nonblock", err)
	}
	h.sock = os.NewFile(uintptr(fds[0]), "nsenter")
	childSock := os.NewFile(uintptr(fds[1]), "nsenter-child")
	// ExtraFiles[i] is fd 3+i in the child: the socket first, then the namespace fds.
	base := 3 + len(cmd.ExtraFiles)
	nsfds := make([]int32, len(h.child))
	for i := range nsfds {
		nsfds[i] = int32(base + 1 + i)
	}
	h.child = append([]*os.File{childSock}, h.child...)
	msg, err := encode(nsfds)
	if err != nil {
		return err
	}
	if _, err := h.sock.Write(msg); err != nil {
		return fmt.Errorf("write nsenter request: %w", err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, h.child...)
	env := cmd.Env
	if env == nil {
		env = os.Environ() // nil means "inherit"; appending to nil would clear it instead
	}
	cmd.Env = append(withoutVar(env), envName+"="+strconv.Itoa(base))
	return nil
}

// withoutVar drops any _CONTAIN_NSENTER the environment already has, so ours is the only one.
func withoutVar(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, envName+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Wait waits for the child's reply and returns the pid of the process that is now in the
// namespaces: cmd.Process.Pid, or the forked child's pid when a pid namespace was joined or
// unshared (that process is the caller's child too, thanks to CLONE_PARENT). Call it after
// cmd.Start. If the child failed, the error names the step and wraps its errno.
//
// Wait blocks until the child replies or exits; Close from another goroutine gives up.
func (h *Handle) Wait() (int, error) {
	if h.done {
		return h.pid, h.err
	}
	h.done = true
	if h.sock == nil { // Prepare had nothing to ask
		if h.cmd.Process == nil {
			h.err = errors.New("nsenter: wait for a command that was not started")
			return 0, h.err
		}
		h.pid = h.cmd.Process.Pid
		return h.pid, nil
	}
	// Our copies of the child's fds must go, or a child that dies without replying would leave
	// the socket open and the read below would never see EOF.
	h.closeChild()
	buf := make([]byte, replySize+1)
	n, err := h.sock.Read(buf)
	h.sock.Close()
	switch {
	case errors.Is(err, os.ErrClosed):
		h.err = errors.New("nsenter: handle closed before the child replied")
	case n == 0 && (err == nil || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		h.err = errors.New("nsenter: child exited without replying (does the binary import package nsenter?)")
	case err != nil:
		h.err = fmt.Errorf("read nsenter reply: %w", err)
	default:
		r, err := decodeReply(buf[:n])
		switch {
		case err != nil:
			h.err = err
		case r.err != 0:
			h.err = &Error{Op: r.op, Err: syscall.Errno(r.err)}
		case r.pid > 0:
			h.pid = int(r.pid)
		case h.cmd.Process != nil:
			h.pid = h.cmd.Process.Pid
		default:
			h.err = errors.New("nsenter: reply for a command that was not started")
		}
	}
	return h.pid, h.err
}

// Close releases the handle's files. After a successful Wait there is nothing left to release.
func (h *Handle) Close() error {
	h.closeChild()
	if h.sock == nil {
		return nil
	}
	if err := h.sock.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

func (h *Handle) closeChild() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.child {
		f.Close()
	}
	h.child = nil
}

// Error is a failure in the child, before its Go runtime started.
type Error struct {
	Op  string // the failing step: "setns mnt", "parse request", "clone" ...
	Err error  // a syscall.Errno
}

func (e *Error) Error() string { return "nsenter: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }
