package libcontain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// The parent ↔ init protocol: one SOCK_SEQPACKET socketpair, one JSON message per packet.
// Every rendezvous has a name; the order is fixed and checked on both ends.
//
//	message      direction       reply        meaning
//	config       parent → init   —            everything init needs (spec, rootfs, state for hooks)
//	hooks        init → parent   hooks-done   mounts are done: parent runs prestart + createRuntime hooks
//	console      init → parent   —            the pty master (SCM_RIGHTS), only when process.terminal
//	ready        init → parent   ready-ack    pre-exec setup done: parent applies rlimits, saves state
//	seccomp      init → parent   —            the seccomp notify listener fd (SCM_RIGHTS), only when
//	                                          the profile uses SCMP_ACT_NOTIFY: parent passes it on
//	error        init → parent   —            setup failed (op, message, errno); init exits
//	(EOF)        init → parent   —            init closed its end: it is blocked on exec.fifo, create succeeded
type msgType string

const (
	msgConfig    msgType = "config"
	msgHooks     msgType = "hooks"
	msgHooksDone msgType = "hooks-done"
	msgConsole   msgType = "console"
	msgReady     msgType = "ready"
	msgReadyAck  msgType = "ready-ack"
	msgSeccomp   msgType = "seccomp"
	msgError     msgType = "error"
	msgEOF       msgType = "" // not sent: what a closed peer reads as
)

type message struct {
	Type   msgType     `json:"type"`
	Config *initConfig `json:"config,omitempty"`
	Error  *InitError  `json:"error,omitempty"`
	fd     int         // passed alongside by SCM_RIGHTS; -1 when none
}

// parentOrder and initOrder are what each end must receive, in order. An error message may
// replace any step of the parent's list.
var (
	parentOrder         = []msgType{msgHooks, msgReady, msgEOF}
	parentOrderTerminal = []msgType{msgHooks, msgConsole, msgReady, msgEOF}
	initOrder           = []msgType{msgConfig, msgHooksDone, msgReadyAck}
	// exec: no mounts, no hooks; the new process joins a running container.
	parentExecOrder         = []msgType{msgReady, msgEOF}
	parentExecOrderTerminal = []msgType{msgConsole, msgReady, msgEOF}
	initExecOrder           = []msgType{msgConfig, msgReadyAck}
)

// maxMessage bounds one packet. Specs with big seccomp profiles run to tens of KiB.
const maxMessage = 4 << 20

// newSocketPair returns the parent's and the child's ends of the sync socket.
func newSocketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	for _, fd := range fds {
		// One spec is one packet: make sure the socket can carry the largest we allow. FORCE needs
		// CAP_NET_ADMIN; without it the default (wmem_max) still holds ordinary specs.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, maxMessage) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, maxMessage)
		}
	}
	return os.NewFile(uintptr(fds[0]), "sync-parent"), os.NewFile(uintptr(fds[1]), "sync-init"), nil
}

// conn is one end of the sync socket with its order check.
type conn struct {
	f      *os.File
	order  []msgType
	next   int
	parent bool // the runtime's end: init may report an error at any step
}

func (c *conn) send(m *message) error { return c.sendFd(m, -1) }

// sendFd sends m, with fd attached by SCM_RIGHTS when fd >= 0.
func (c *conn) sendFd(m *message, fd int) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("sync: encode %s: %w", m.Type, err)
	}
	if len(b) > maxMessage {
		return fmt.Errorf("sync: %s message is %d bytes, over the %d limit", m.Type, len(b), maxMessage)
	}
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	if err := unix.Sendmsg(int(c.f.Fd()), b, oob, nil, 0); err != nil {
		return fmt.Errorf("sync: send %s: %w", m.Type, os.NewSyscallError("sendmsg", err))
	}
	return nil
}

// recv reads the next message and checks that it is the one the protocol expects now.
func (c *conn) recv() (*message, error) {
	m, err := c.read()
	if err != nil {
		return nil, err
	}
	if m.Type == msgError && c.parent {
		if m.Error == nil {
			m.Error = &InitError{Msg: "init failed without a reason"}
		}
		return m, nil
	}
	if c.next >= len(c.order) {
		return nil, fmt.Errorf("sync: unexpected %q after the protocol ended", m.Type)
	}
	if want := c.order[c.next]; m.Type != want {
		return nil, fmt.Errorf("sync: got %q, want %q", describe(m.Type), describe(want))
	}
	c.next++
	return m, nil
}

func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if f, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func describe(t msgType) string {
	if t == msgEOF {
		return "EOF"
	}
	return string(t)
}

func (c *conn) read() (*message, error) {
	fd := int(c.f.Fd())
	// Peek with MSG_TRUNC for the packet's real length, so any size up to the limit is read whole.
	n, _, err := unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
	for err == unix.EINTR {
		n, _, err = unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
	}
	if err != nil {
		return nil, fmt.Errorf("sync: receive: %w", os.NewSyscallError("recvfrom", err))
	}
	if n == 0 {
		_, _, _ = unix.Recvfrom(fd, make([]byte, 1), 0)
		return &message{Type: msgEOF, fd: -1}, nil
	}
	if n > maxMessage {
		return nil, fmt.Errorf("sync: %d-byte message over the limit", n)
	}
	buf, oob := make([]byte, n), make([]byte, unix.CmsgSpace(4))
	// MSG_CMSG_CLOEXEC: a received fd must never leak into anything we start.
	_, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sync: receive: %w", os.NewSyscallError("recvmsg", err))
	}
	m := &message{fd: -1}
	if fds := parseRights(oob[:oobn]); len(fds) > 0 {
		m.fd = fds[0]
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
	}
	if err := json.Unmarshal(buf, m); err != nil {
		if m.fd >= 0 {
			unix.Close(m.fd)
		}
		return nil, fmt.Errorf("sync: decode: %w", err)
	}
	if m.Type == msgEOF {
		return nil, errors.New("sync: message without a type")
	}
	return m, nil
}

func (c *conn) Close() error { return c.f.Close() }

// parentConn is the runtime's end. Its methods say which rendezvous they are.
type parentConn struct{ conn }

func newParentConn(f *os.File, terminal, notify bool) *parentConn {
	order := parentOrder
	if terminal {
		order = parentOrderTerminal
	}
	return &parentConn{conn{f: f, order: withSeccomp(order, notify), parent: true}}
}

func newParentExecConn(f *os.File, terminal, notify bool) *parentConn {
	order := parentExecOrder
	if terminal {
		order = parentExecOrderTerminal
	}
	return &parentConn{conn{f: f, order: withSeccomp(order, notify), parent: true}}
}

// withSeccomp adds the seccomp message before the final EOF when the profile uses notify.
func withSeccomp(order []msgType, notify bool) []msgType {
	if !notify {
		return order
	}
	out := append([]msgType(nil), order[:len(order)-1]...)
	return append(out, msgSeccomp, msgEOF)
}

func (p *parentConn) SendConfig(cfg *initConfig) error {
	return p.send(&message{Type: msgConfig, Config: cfg})
}
func (p *parentConn) SendHooksDone() error { return p.send(&message{Type: msgHooksDone}) }
func (p *parentConn) SendReadyAck() error  { return p.send(&message{Type: msgReadyAck}) }

// Next returns the next message from init: hooks, console (with the pty master), ready, EOF, or
// error (as an *InitError).
func (p *parentConn) Next() (msgType, *os.File, error) {
	m, err := p.recv()
	if err != nil {
		return "", nil, err
	}
	var f *os.File
	if m.fd >= 0 {
		f = os.NewFile(uintptr(m.fd), string(m.Type)+"-fd")
	}
	if (m.Type == msgConsole || m.Type == msgSeccomp) && f == nil {
		return "", nil, fmt.Errorf("sync: %s message without its fd", m.Type)
	}
	if m.Type != msgConsole && m.Type != msgSeccomp && f != nil {
		f.Close()
		f = nil
	}
	if m.Type == msgError {
		return msgError, nil, m.Error
	}
	return m.Type, f, nil
}

// initConn is the container init's end.
type initConn struct{ conn }

// UseExecOrder switches to exec's shorter protocol, once the config said so.
func (c *initConn) UseExecOrder() { c.order = initExecOrder }

func newInitConn(f *os.File) *initConn {
	return &initConn{conn{f: f, order: initOrder}}
}

func (c *initConn) RecvConfig() (*initConfig, error) {
	m, err := c.recv()
	if err != nil {
		return nil, err
	}
	if m.Config == nil {
		return nil, errors.New("sync: config message without a config")
	}
	return m.Config, nil
}

// Hooks asks the parent to run the runtime-namespace hooks and waits until they have run.
func (c *initConn) Hooks() error {
	if err := c.send(&message{Type: msgHooks}); err != nil {
		return err
	}
	_, err := c.recv()
	return err
}

// Console hands the pty master to the parent, which passes it to --console-socket or proxies it.
func (c *initConn) Console(master *os.File) error {
	return c.sendFd(&message{Type: msgConsole}, int(master.Fd()))
}

// SeccompListener hands the seccomp notify listener fd to the parent, for listenerPath.
func (c *initConn) SeccompListener(fd int) error {
	return c.sendFd(&message{Type: msgSeccomp}, fd)
}

// Ready tells the parent setup is done and waits until it has saved the state.
func (c *initConn) Ready() error {
	if err := c.send(&message{Type: msgReady}); err != nil {
		return err
	}
	_, err := c.recv()
	return err
}

// Fail reports err to the parent. The parent sees op, message and errno.
func (c *initConn) Fail(op string, err error) {
	_ = c.send(&message{Type: msgError, Error: newInitError(op, err)})
}

// parent reads nothing after the last ack: make sure a hung-up parent is noticed as an error
// instead of a silent EOF at the init side.
var _ io.Closer = (*conn)(nil)
