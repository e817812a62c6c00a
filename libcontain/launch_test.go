package libcontain

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/libcontain/rootfs"
)

// A fake child: it follows the protocol from the child's end in a goroutine, over a real
// socketpair, and can report an error, skip a step or hang up at any step.
type childScript struct {
	failAt, skipAt, closeAt int // step index, or -1
}

var noFault = childScript{-1, -1, -1}

// run plays the child's side of order (the messages the parent must receive).
func (cs childScript) run(c *protocol.Child, order []protocol.Msg, wantRootfs string) error {
	defer c.Close()
	cfg, err := c.RecvConfig()
	if err != nil {
		return err
	}
	if cfg.Rootfs != wantRootfs {
		return fmt.Errorf("config mangled: rootfs %q", cfg.Rootfs)
	}
	for i, m := range order {
		switch i {
		case cs.failAt:
			c.Fail("step "+string(m), fmt.Errorf("mount: %w", syscall.Errno(unix.EPERM)))
			return nil
		case cs.closeAt:
			return nil
		case cs.skipAt:
			continue
		}
		switch m {
		case protocol.MsgHooks:
			err = c.Hooks()
		case protocol.MsgConsole:
			err = sendPipe(func(f *os.File) error { return c.Console(f) })
		case protocol.MsgReady:
			err = c.Ready()
		case protocol.MsgSeccomp:
			err = sendPipe(func(f *os.File) error { return c.SeccompListener(int(f.Fd())) })
		case protocol.MsgEOF:
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sendPipe sends the write end of a fresh pipe that carries "x", as the stand-in of a pty
// master or a seccomp listener.
func sendPipe(send func(*os.File) error) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	defer w.Close()
	return send(w)
}

// recorder is the parent's handlers; it notes which ran and fails the one at failAt.
type recorder struct {
	called []protocol.Msg
	failAt protocol.Msg
	fds    []*os.File
}

var errHandler = errors.New("handler failed")

func (r *recorder) step(m protocol.Msg) error {
	r.called = append(r.called, m)
	if m == r.failAt {
		return errHandler
	}
	return nil
}

func (r *recorder) handlers(k protocol.Kind) handlers {
	h := handlers{
		console: func(f *os.File) error { r.fds = append(r.fds, f); return r.step(protocol.MsgConsole) },
		ready:   func() error { return r.step(protocol.MsgReady) },
		seccomp: func(f *os.File) error {
			// The loop closes the listener after the handler: it must be usable here.
			if _, err := f.Stat(); err != nil {
				return err
			}
			return r.step(protocol.MsgSeccomp)
		},
	}
	if k == protocol.KindInit {
		h.hooks = func() error { return r.step(protocol.MsgHooks) }
	}
	return h
}

// drive runs driveChild against the scripted child and returns the parent's error, the
// handlers that ran, and the child's error.
func drive(t *testing.T, k protocol.Kind, hooks, terminal, notify bool, cs childScript, failHandler protocol.Msg) (error, []protocol.Msg, error) {
	t.Helper()
	p, c, err := protocol.NewSocketPair()
	if err != nil {
		t.Fatal(err)
	}
	order := protocol.ParentOrder(k, hooks, terminal, notify)
	rootfs := strings.Repeat("r", 300<<10) // larger than a default socket buffer
	childErr := make(chan error, 1)
	go func() { childErr <- cs.run(protocol.NewChild(c), order, rootfs) }()

	rec := &recorder{failAt: failHandler}
	cfg := &protocol.InitConfig{Spec: &specs.Spec{Process: &specs.Process{Terminal: terminal}}, Rootfs: rootfs, Exec: k == protocol.KindExec}
	if hooks {
		cfg.Spec.Hooks = runtimeHooks
	}
	err = driveChild(protocol.NewParent(p, k, protocol.RuntimeHooks(cfg.Spec), terminal, notify), cfg, rec.handlers(k), func() {})
	p.Close() // what launch does: the child, if it still waits, reads EOF
	select {
	case cerr := <-childErr:
		for _, f := range rec.fds {
			f.Close()
		}
		return err, rec.called, cerr
	case <-time.After(10 * time.Second):
		t.Fatal("the fake child hangs after the parent returned")
		return nil, nil, nil
	}
}

// runtimeHooks makes a spec's init ask for the hooks step (protocol.RuntimeHooks).
var runtimeHooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}}}

// TestDriveChild: for both kinds, with and without the runtime's hooks, a terminal and a seccomp
// listener, every message arrives in order and reaches its handler; an error at any step — from the child, from
// a handler, a skipped step, an early hang-up — ends the loop with that error, after exactly the
// handlers of the steps before it.
func TestDriveChild(t *testing.T) {
	for _, k := range []protocol.Kind{protocol.KindInit, protocol.KindExec} {
		for _, hooks := range []bool{false, true} {
			for _, terminal := range []bool{false, true} {
				for _, notify := range []bool{false, true} {
					order := protocol.ParentOrder(k, hooks, terminal, notify)
					steps := order[:len(order)-1] // all but the final EOF
					name := fmt.Sprintf("%s/hooks=%v/terminal=%v/notify=%v", k, hooks, terminal, notify)
					t.Run(name+"/ok", func(t *testing.T) {
						err, called, cerr := drive(t, k, hooks, terminal, notify, noFault, "")
						if err != nil || cerr != nil {
							t.Fatalf("parent: %v, child: %v", err, cerr)
						}
						if !slices.Equal(called, steps) {
							t.Fatalf("handlers ran %q, want %q", called, steps)
						}
					})
					for i, m := range order {
						t.Run(fmt.Sprintf("%s/child error at %s", name, describeMsg(m)), func(t *testing.T) {
							err, called, _ := drive(t, k, hooks, terminal, notify, childScript{i, -1, -1}, "")
							var ie *protocol.InitError
							if !errors.As(err, &ie) || !errors.Is(err, unix.EPERM) || ie.Op != "step "+string(m) {
								t.Fatalf("parent error %v, want the child's InitError with EPERM", err)
							}
							if !slices.Equal(called, steps[:i]) {
								t.Fatalf("handlers ran %q, want %q", called, steps[:i])
							}
						})
						if m == protocol.MsgEOF {
							continue
						}
						t.Run(fmt.Sprintf("%s/handler error at %s", name, m), func(t *testing.T) {
							err, called, cerr := drive(t, k, hooks, terminal, notify, noFault, m)
							if !errors.Is(err, errHandler) {
								t.Fatalf("parent error %v, want the handler's", err)
							}
							if !slices.Equal(called, steps[:i+1]) {
								t.Fatalf("handlers ran %q, want %q", called, steps[:i+1])
							}
							if m == protocol.MsgHooks || m == protocol.MsgReady {
								// The child waits for the reply that never comes: it must see the hang-up.
								if cerr == nil {
									t.Fatal("child went on without the parent's reply")
								}
							}
						})
						t.Run(fmt.Sprintf("%s/child skips %s", name, m), func(t *testing.T) {
							err, called, _ := drive(t, k, hooks, terminal, notify, childScript{-1, i, -1}, "")
							if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("want %q", describeMsg(m))) {
								t.Fatalf("parent error %v, want an order error naming %s", err, m)
							}
							if !slices.Equal(called, steps[:i]) {
								t.Fatalf("handlers ran %q, want %q", called, steps[:i])
							}
						})
						t.Run(fmt.Sprintf("%s/child hangs up at %s", name, m), func(t *testing.T) {
							err, called, _ := drive(t, k, hooks, terminal, notify, childScript{-1, -1, i}, "")
							if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(`got "EOF", want %q`, m)) {
								t.Fatalf("parent error %v, want an early-EOF error at %s", err, m)
							}
							if !slices.Equal(called, steps[:i]) {
								t.Fatalf("handlers ran %q, want %q", called, steps[:i])
							}
						})
					}
				}
			}
		}
	}
}

// TestDriveChildRefusesOtherKindsMessages: exec's child cannot ask for hooks, and init's cannot
// leave them out.
func TestDriveChildRefusesOtherKindsMessages(t *testing.T) {
	for _, tt := range []struct {
		kind protocol.Kind
		want string
	}{
		{protocol.KindExec, `got "hooks", want "ready"`},
		{protocol.KindInit, `got "ready", want "hooks"`},
	} {
		t.Run(tt.kind.String(), func(t *testing.T) {
			p, c, err := protocol.NewSocketPair()
			if err != nil {
				t.Fatal(err)
			}
			child := protocol.NewChild(c)
			done := make(chan struct{})
			defer func() { p.Close(); <-done; child.Close() }()
			go func() {
				defer close(done)
				if _, err := child.RecvConfig(); err != nil {
					return
				}
				if tt.kind == protocol.KindExec {
					_ = child.Hooks() // exec's child has no hooks to ask for
				} else {
					_ = child.Ready() // init's must ask for hooks first
				}
			}()
			cfg := &protocol.InitConfig{Spec: &specs.Spec{Process: &specs.Process{}}, Exec: tt.kind == protocol.KindExec}
			rec := &recorder{}
			err = driveChild(protocol.NewParent(p, tt.kind, true, false, false), cfg, rec.handlers(tt.kind), func() {})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if len(rec.called) != 0 {
				t.Fatalf("handlers ran: %q", rec.called)
			}
		})
	}
}

func describeMsg(m protocol.Msg) string {
	if m == protocol.MsgEOF {
		return "EOF"
	}
	return string(m)
}

// TestDriveChildMountSource: init's mount-source requests reach the handler with their index and
// are answered with its fd, which the loop then closes; a handler error ends the launch, and the
// waiting child sees the hang-up.
func TestDriveChildMountSource(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("handler fails=%v", fail), func(t *testing.T) {
			p, c, err := protocol.NewSocketPair()
			if err != nil {
				t.Fatal(err)
			}
			childErr := make(chan error, 1)
			go func() {
				child := protocol.NewChild(c)
				defer child.Close()
				if _, err := child.RecvConfig(); err != nil {
					childErr <- err
					return
				}
				for _, i := range []int{3, 1} {
					f, detached, err := child.MountSource(i)
					if err != nil {
						childErr <- err
						return
					}
					f.Close()
					if detached != (i == 1) {
						childErr <- fmt.Errorf("source %d: detached %v", i, detached)
						return
					}
				}
				if err := child.Hooks(); err != nil {
					childErr <- err
					return
				}
				childErr <- child.Ready()
			}()
			var asked []int
			var sent []*os.File
			h := handlers{
				mountSource: func(i int) (*rootfs.MountSource, error) {
					asked = append(asked, i)
					if fail {
						return nil, errHandler
					}
					r, w, err := os.Pipe()
					if err != nil {
						return nil, err
					}
					w.Close()
					sent = append(sent, r)
					return &rootfs.MountSource{File: r, Detached: i == 1}, nil
				},
				hooks: func() error { return nil },
				ready: func() error { return nil },
			}
			cfg := &protocol.InitConfig{Spec: &specs.Spec{Process: &specs.Process{}, Hooks: runtimeHooks}}
			err = driveChild(protocol.NewParent(p, protocol.KindInit, true, false, false), cfg, h, func() {})
			p.Close()
			cerr := <-childErr
			if fail {
				if !errors.Is(err, errHandler) || cerr == nil || !slices.Equal(asked, []int{3}) {
					t.Fatalf("parent %v, child %v, asked %v: want the handler's error, the child's hang-up, one request", err, cerr, asked)
				}
				return
			}
			if err != nil || cerr != nil || !slices.Equal(asked, []int{3, 1}) {
				t.Fatalf("parent %v, child %v, asked %v", err, cerr, asked)
			}
			for _, f := range sent {
				if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
					t.Errorf("the loop left source %s open (%v)", f.Name(), err)
				}
			}
		})
	}
}
