package protocol

import (
	"errors"
	"fmt"
	"os"
)

// Child is the end of the process the runtime started (init or exec).
type Child struct{ conn }

// NewChild wraps the child's end of the socket. It expects init's order with hooks until
// RecvConfig has seen the config that says which.
func NewChild(f *os.File) *Child {
	return &Child{conn{f: f, order: childOrder(KindInit, true)}}
}

// RecvConfig receives the config, and with it which kind of child this is.
func (c *Child) RecvConfig() (*InitConfig, error) {
	m, err := c.recv()
	if err != nil {
		return nil, err
	}
	if m.Config == nil {
		return nil, errors.New("sync: config message without a config")
	}
	if m.Config.Exec {
		c.order = childOrder(KindExec, false)
	} else if !RuntimeHooks(m.Config.Spec) {
		c.order = childOrder(KindInit, false)
	}
	return m.Config, nil
}

// Hooks asks the parent to run the runtime-namespace hooks and waits until they have run.
func (c *Child) Hooks() error {
	if err := c.send(&message{Type: MsgHooks}); err != nil {
		return err
	}
	_, err := c.recv()
	return err
}

// MountSource asks the runtime for bind source number index of the spec and returns it: an
// O_PATH handle, or (detached) an open_tree(2) copy to attach with move_mount(2).
func (c *Child) MountSource(index int) (f *os.File, detached bool, err error) {
	if err := c.send(&message{Type: MsgMountSource, Source: &MountSource{Index: index}}); err != nil {
		return nil, false, err
	}
	m, err := c.read()
	if err != nil {
		return nil, false, err
	}
	if m.Type != MsgMountSourceFd || m.fd < 0 || m.Source == nil {
		if m.fd >= 0 {
			os.NewFile(uintptr(m.fd), "").Close()
		}
		return nil, false, fmt.Errorf("sync: got %q, want %q with its fd", describe(m.Type), MsgMountSourceFd)
	}
	return os.NewFile(uintptr(m.fd), fmt.Sprintf("mount-source-%d", index)), m.Source.Detached, nil
}

// Console hands the pty master to the parent, which passes it to --console-socket or proxies it.
func (c *Child) Console(master *os.File) error {
	return c.sendFd(&message{Type: MsgConsole}, int(master.Fd()))
}

// SeccompListener hands the seccomp notify listener fd to the parent, for listenerPath.
func (c *Child) SeccompListener(fd int) error {
	return c.sendFd(&message{Type: MsgSeccomp}, fd)
}

// Ready tells the parent setup is done and waits until it has done its part (rlimits; for init
// cgroup limits and the saved state).
func (c *Child) Ready() error {
	if err := c.send(&message{Type: MsgReady}); err != nil {
		return err
	}
	_, err := c.recv()
	return err
}

// Fail reports err to the parent. The parent sees op, message and errno.
func (c *Child) Fail(op string, err error) {
	_ = c.send(&message{Type: MsgError, Error: NewInitError(op, err)})
}
