package libcontain

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// sendConsole passes the pty master to the client's --console-socket, as runc does: one
// message whose data is the pty name and whose SCM_RIGHTS carry the fd.
func sendConsole(socketPath string, master *os.File) error {
	return sendFd(socketPath, "console", master.Name(), int(master.Fd()))
}

// sendPidfd passes a pidfd of pid to the client's --pidfd-socket (runc 1.2+'s): the client can
// then signal and wait for the process without racing a reused pid.
func sendPidfd(socketPath string, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("open pidfd: %w", os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(fd)
	return sendFd(socketPath, "pidfd", "pidfd", fd)
}

// sendFd sends fd over a connection to the unix socket at socketPath, with name as the data.
func sendFd(socketPath, what, name string, fd int) error {
	conn, err := net.Dial("unix", socketPath)
	if err != nil {
		return fmt.Errorf("connect to %s socket: %w", what, err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("%s socket is not a unix socket", what)
	}
	if _, _, err := uc.WriteMsgUnix([]byte(name), unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("send %s to its socket: %w", what, err)
	}
	return nil
}

// consoleProxy joins the user's terminal to the container's pty for a foreground run.
type consoleProxy struct {
	master  *os.File
	restore func()
	out     chan struct{}
	once    sync.Once
}

func startConsoleProxy(master *os.File) *consoleProxy {
	p := &consoleProxy{master: master, restore: func() {}, out: make(chan struct{})}
	userTerm := term.IsTerminal(int(os.Stdin.Fd()))
	if userTerm {
		if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			p.restore = func() { _ = term.Restore(int(os.Stdin.Fd()), st) }
			keepOutputProcessing(os.Stdin)
		}
		p.resize()
	}
	go func() {
		_, _ = io.Copy(master, os.Stdin)
		// A user's terminal that returns EOF or EIO in raw mode is gone: hang the pty up, so
		// the container's shell reads EOF and exits instead of living on with nobody at its
		// terminal. (EOF of a pipe or /dev/null is just the end of input: keep the pty.)
		if userTerm {
			p.hangup()
		}
	}()
	go func() { _, _ = io.Copy(os.Stdout, master); close(p.out) }()
	return p
}

// hangup closes the pty master: the container's side sees a hangup.
func (p *consoleProxy) hangup() { p.once.Do(func() { p.master.Close() }) }

// resize copies the user's window size onto the pty; the kernel then sends SIGWINCH to the
// container's foreground process group.
func (p *consoleProxy) resize() {
	ws, err := unix.IoctlGetWinsize(int(os.Stdin.Fd()), unix.TIOCGWINSZ)
	if err == nil {
		_ = unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// finish waits for the container's last output (EIO once every slave fd is closed), then gives
// the user back their terminal.
func (p *consoleProxy) finish() {
	select {
	case <-p.out:
	case <-time.After(2 * time.Second):
	}
	p.restore()
	p.hangup()
}

// keepOutputProcessing turns output processing (OPOST) back on for the user's terminal, which
// raw mode turned off: the container's pty no longer adds a CR to each newline (clearONLCR), the
// user's terminal does, as with runc.
func keepOutputProcessing(f *os.File) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return
	}
	t.Oflag |= unix.OPOST
	_ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

// clearONLCR stops the pty from turning the container's "\n" into "\r\n" on the way out: the
// proxy's own output is the user's terminal (which adds its own CR) or a file (which should get
// the bytes the process wrote), as runc's proxy does it. A master sent to --console-socket is
// left as it is, as runc leaves it.
func clearONLCR(master *os.File) {
	t, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		return
	}
	t.Oflag &^= unix.ONLCR
	_ = unix.IoctlSetTermios(int(master.Fd()), unix.TCSETS, t)
}
