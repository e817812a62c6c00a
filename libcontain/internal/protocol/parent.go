package protocol

import (
	"fmt"
	"os"
)

// Parent is the runtime's end. Its methods say which rendezvous they are.
type Parent struct {
	conn
	source int // the Index of the last mount-source request
}

// NewParent wraps the parent's end of the socket for a child of kind k. hooks, terminal and
// seccompNotify say whether the child will ask for the runtime's hooks (RuntimeHooks of the
// spec it is sent) and send a console and a seccomp listener.
func NewParent(f *os.File, k Kind, hooks, terminal, seccompNotify bool) *Parent {
	return &Parent{conn: conn{f: f, order: ParentOrder(k, hooks, terminal, seccompNotify), parent: true, sources: k == KindInit}}
}

func (p *Parent) SendConfig(cfg *InitConfig) error {
	return p.send(&message{Type: MsgConfig, Config: cfg})
}
func (p *Parent) SendHooksDone() error { return p.send(&message{Type: MsgHooksDone}) }
func (p *Parent) SendReadyAck() error  { return p.send(&message{Type: MsgReadyAck}) }

// SourceIndex is which mount the last mount-source request asked for.
func (p *Parent) SourceIndex() int { return p.source }

// SendMountSource answers a mount-source request with the source f.
func (p *Parent) SendMountSource(f *os.File, detached bool) error {
	return p.sendFd(&message{Type: MsgMountSourceFd, Source: &MountSource{Detached: detached}}, int(f.Fd()))
}

// Next returns the next message from the child: mount-source (SourceIndex says which), hooks,
// console or seccomp (with their fd), ready, EOF, or error (as an *InitError). The caller owns a
// returned fd.
func (p *Parent) Next() (Msg, *os.File, error) {
	m, err := p.recv()
	if err != nil {
		return "", nil, err
	}
	var f *os.File
	if m.fd >= 0 {
		f = os.NewFile(uintptr(m.fd), string(m.Type)+"-fd")
	}
	if (m.Type == MsgConsole || m.Type == MsgSeccomp) && f == nil {
		return "", nil, fmt.Errorf("sync: %s message without its fd", m.Type)
	}
	if m.Type != MsgConsole && m.Type != MsgSeccomp && f != nil {
		f.Close()
		f = nil
	}
	if m.Type == MsgError {
		return MsgError, nil, m.Error
	}
	if m.Type == MsgMountSource {
		if m.Source == nil {
			return "", nil, fmt.Errorf("sync: %s message without an index", m.Type)
		}
		p.source = m.Source.Index
	}
	return m.Type, f, nil
}
