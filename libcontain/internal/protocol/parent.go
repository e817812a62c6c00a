package protocol

import (
	"fmt"
	"os"
)

// Parent is the runtime's end. Its methods say which rendezvous they are.
type Parent struct{ conn }

// NewParent wraps the parent's end of the socket for a child of kind k. terminal and
// seccompNotify say whether the child will send a console and a seccomp listener.
func NewParent(f *os.File, k Kind, terminal, seccompNotify bool) *Parent {
	return &Parent{conn{f: f, order: ParentOrder(k, terminal, seccompNotify), parent: true}}
}

func (p *Parent) SendConfig(cfg *InitConfig) error {
	return p.send(&message{Type: MsgConfig, Config: cfg})
}
func (p *Parent) SendHooksDone() error { return p.send(&message{Type: MsgHooksDone}) }
func (p *Parent) SendReadyAck() error  { return p.send(&message{Type: MsgReadyAck}) }

// Next returns the next message from the child: hooks, console or seccomp (with their fd), ready,
// EOF, or error (as an *InitError). The caller owns a returned fd.
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
	return m.Type, f, nil
}
