package protocol

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxMessage bounds one packet. Specs with big seccomp profiles run to tens of KiB.
const maxMessage = 4 << 20

// NewSocketPair returns the parent's and the child's ends of the sync socket.
func NewSocketPair() (parent, child *os.File, err error) {
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
	return os.NewFile(uintptr(fds[0]), "sync-parent"), os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

// conn is one end of the sync socket with its order check.
type conn struct {
	f      *os.File
	order  []Msg
	next   int
	parent bool // the runtime's end: the child may report an error at any step
	// sources: init's parent, which answers mount-source requests before the first step.
	sources bool
}

func (c *conn) send(m *message) error { return c.sendFd(m, -1) }

// sendFd sends m, with fd attached by SCM_RIGHTS when fd >= 0.
func (c *conn) sendFd(m *message, fd int) error {
	b, err := marshalMessage(m)
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
	if m.Type == MsgError && c.parent {
		if m.Error == nil {
			m.Error = &InitError{Msg: "init failed without a reason"}
		}
		return m, nil
	}
	// A request init may repeat before its first step does not advance the order (the child
	// reads its answer itself, see Child.MountSource).
	if m.Type == MsgMountSource && c.sources && c.next == 0 {
		return m, nil
	}
	if c.next >= len(c.order) {
		return nil, fmt.Errorf("sync: unexpected %q after the protocol ended", m.Type)
	}
	if want := c.order[c.next]; m.Type != want {
		if m.fd >= 0 {
			unix.Close(m.fd)
		}
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
		return &message{Type: MsgEOF, fd: -1}, nil
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
	passed := -1
	if fds := parseRights(oob[:oobn]); len(fds) > 0 {
		passed = fds[0]
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
	}
	m := &message{}
	if err := unmarshalMessage(buf, m); err != nil {
		if passed >= 0 {
			unix.Close(passed)
		}
		return nil, fmt.Errorf("sync: decode: %w", err)
	}
	m.fd = passed // after the decode, which writes the whole message
	if m.Type == MsgEOF {
		return nil, errors.New("sync: message without a type")
	}
	return m, nil
}

// Close closes this end of the socket.
func (c *conn) Close() error { return c.f.Close() }
