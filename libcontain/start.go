package libcontain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/hooks"
	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/libcontain/timerslack"
)

// Start releases a created container's init: opening exec.fifo for reading unblocks init's
// open for writing; init then writes one byte and goes on to execve.
func (c *Container) Start() error {
	d, st, err := c.open(true)
	if err != nil {
		return err
	}
	defer d.Close()
	if status := statusOf(d, st); status != Created {
		return statusError("start", status)
	}
	var notify *net.UnixConn
	if host := st.Extra[extraNotifySocket]; host != "" {
		if notify, err = listenNotify(d.Path); err != nil {
			return err
		}
		defer notify.Close()
	}
	// The pidfd first: opening the fifo releases init, and a short-lived process (/bin/true) can
	// be gone and reaped by its parent (conmon, the shim) before a later pidfd_open.
	pidfd, err := proc.OpenPidfd(st.Pid)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return fmt.Errorf("open init pidfd: %w", os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(pidfd)
	// Non-blocking open: if init died, a blocking open would wait forever for a writer.
	fd, err := unix.Open(d.FifoPath(), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", &os.PathError{Op: "open", Path: d.FifoPath(), Err: err})
	}
	defer unix.Close(fd)
	if err := awaitFifoByte(fd, pidfd); err != nil {
		return err
	}
	c.rt.Log.Debug("start: init released", "id", c.ID)
	if err := os.Remove(d.FifoPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove exec fifo: %w", err)
	}
	awaitExec(fd)
	c.rt.Log.Debug("start: the process is exec'd")
	cfg, err := c.loadConfig(d)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if notify != nil {
		// The container is started: release its lock before waiting for READY=1, which may
		// take as long as the service likes or never come. Held, it blocked state, kill and
		// delete for as long (issue 16).
		d.Close()
		// Like runc, start returns once the container said READY=1: that is what a
		// Type=notify unit running `contain start` waits for. It gives up when init exits.
		if err := relayReady(notify, st.Extra[extraNotifySocket], st.Pid, func() bool {
			return !pidfdExited(pidfd)
		}); err != nil {
			return err
		}
	}
	if cfg.Hooks != nil && len(cfg.Hooks.Poststart) > 0 {
		hs := st.State
		hs.Status = "running"
		hs.Annotations = cfg.Annotations
		// A failing poststart hook is a warning: the container is already running (spec 1.3.0).
		for _, err := range hooks.RunAll(context.Background(), "poststart", cfg.Hooks.Poststart, &hs, timerslack.Caller()) {
			c.rt.Log.Warn(err.Error())
		}
	}
	return nil
}

// awaitExec waits until init has exec'd the user's process: init's write end of the fifo is
// close-on-exec, so EOF on the read side comes with the execve (or with init's death).
func awaitExec(fifo int) {
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}}
	var b [16]byte
	for {
		fds[0].Revents = 0
		if _, err := unix.Poll(fds, 5000); err != nil && err != unix.EINTR {
			return
		} else if fds[0].Revents == 0 {
			return // bounded: a startContainer hook that hangs must not hang start forever
		}
		if n, err := unix.Read(fifo, b[:]); n == 0 && err == nil {
			return
		}
	}
}

// awaitFifoByte waits until init writes its byte, or dies.
func awaitFifoByte(fifo, pidfd int) error {
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return os.NewSyscallError("poll", err)
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0 {
			var b [1]byte
			n, err := unix.Read(fifo, b[:])
			if n == 1 {
				return nil
			}
			if err == unix.EAGAIN {
				continue
			}
			return errors.New("container init exited before start")
		}
		if fds[1].Revents != 0 {
			return ErrNotRunning
		}
	}
}

// pidfdExited reports whether the process behind pidfd has exited (its pidfd polls readable).
func pidfdExited(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}
