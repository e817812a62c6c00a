package protocol

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func pair(t *testing.T) (*Parent, *Child) {
	t.Helper()
	p, c, err := NewSocketPair()
	if err != nil {
		t.Fatal(err)
	}
	pc, ic := NewParent(p, KindInit, true, false, false), NewChild(c)
	t.Cleanup(func() { pc.Close(); ic.Close() })
	return pc, ic
}

// TestSyncOrder runs the whole happy path over a real socketpair, with the init side in a goroutine.
func TestSyncOrder(t *testing.T) {
	pc, ic := pair(t)
	big := strings.Repeat("x", 300<<10) // larger than the default socket buffer
	done := make(chan error, 1)
	go func() {
		cfg, err := ic.RecvConfig()
		if err == nil && cfg.Rootfs != big {
			err = errors.New("config mangled")
		}
		if err == nil {
			err = ic.Hooks()
		}
		if err == nil {
			err = ic.Ready()
		}
		ic.Close()
		done <- err
	}()
	if err := pc.SendConfig(&InitConfig{Spec: hooksSpec, Rootfs: big}); err != nil {
		t.Fatal(err)
	}
	answer(t, pc, MsgHooks, MsgReady, MsgEOF)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// answer is the parent's side: it expects wants in order and answers each (a mount source is
// an empty pipe).
func answer(t *testing.T, pc *Parent, wants ...Msg) {
	t.Helper()
	for _, want := range wants {
		got, _, err := pc.Next()
		if err != nil || got != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
		switch got {
		case MsgHooks:
			err = pc.SendHooksDone()
		case MsgReady:
			err = pc.SendReadyAck()
		case MsgMountSource:
			r, w, perr := os.Pipe()
			if perr != nil {
				t.Fatal(perr)
			}
			w.Close()
			err = pc.SendMountSource(r, false)
			r.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyncOutOfOrder: a message that skips a step is refused on both ends.
func TestSyncOutOfOrder(t *testing.T) {
	t.Run("parent gets ready before hooks", func(t *testing.T) {
		pc, ic := pair(t)
		if err := ic.send(&message{Type: MsgReady}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.Next(); err == nil || !strings.Contains(err.Error(), `got "ready", want "hooks"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("init gets ack before config", func(t *testing.T) {
		pc, ic := pair(t)
		if err := pc.SendReadyAck(); err != nil {
			t.Fatal(err)
		}
		if _, err := ic.RecvConfig(); err == nil || !strings.Contains(err.Error(), `want "config"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("early EOF", func(t *testing.T) {
		pc, ic := pair(t)
		ic.Close()
		if _, _, err := pc.Next(); err == nil || !strings.Contains(err.Error(), `got "EOF", want "hooks"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSyncErrorCarriesErrno: the parent can errors.Is the child's errno.
func TestSyncErrorCarriesErrno(t *testing.T) {
	pc, ic := pair(t)
	ic.Fail("mount /proc", fmt.Errorf("mount: %w", syscall.Errno(unix.EPERM)))
	_, _, err := pc.Next()
	if !errors.Is(err, unix.EPERM) {
		t.Fatalf("err = %v, want EPERM", err)
	}
	if !strings.Contains(err.Error(), "mount /proc") {
		t.Fatalf("err = %v lacks the op", err)
	}
}

// TestSyncConsoleFd: with a terminal the console message must come, and it carries a usable fd.
func TestSyncConsoleFd(t *testing.T) {
	p, c, err := NewSocketPair()
	if err != nil {
		t.Fatal(err)
	}
	pc, ic := NewParent(p, KindInit, true, true, false), NewChild(c)
	defer pc.Close()
	defer ic.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := ic.send(&message{Type: MsgHooks}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pc.Next(); err != nil {
		t.Fatal(err)
	}
	if err := ic.Console(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	typ, f, err := pc.Next()
	if err != nil || typ != MsgConsole || f == nil {
		t.Fatalf("Next = %q, %v, %v", typ, f, err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := make([]byte, 1)
	if n, _ := r.Read(b); n != 1 || b[0] != 'x' {
		t.Fatalf("read %q through the passed fd", b[:n])
	}
	// Skipping the console message is an order error.
	pc2, ic2 := pair(t)
	_ = pc2
	pcT := NewParent(pc2.f, KindInit, true, true, false)
	if err := ic2.send(&message{Type: MsgHooks}); err != nil {
		t.Fatal(err)
	}
	pcT.Next()
	if err := ic2.send(&message{Type: MsgReady}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pcT.Next(); err == nil || !strings.Contains(err.Error(), `want "console"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestSyncEOFCarriesNoFd: the EOF "message" must carry no fd. It once carried fd 0, and Next,
// closing an fd that came with a non-console message, closed the runtime's own stdin — a
// terminal run then read no keys at all.
func TestSyncEOFCarriesNoFd(t *testing.T) {
	pc, ic := pair(t)
	ic.Close()
	m, err := pc.read()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != MsgEOF || m.fd != -1 {
		t.Fatalf("read = {%q, fd %d}, want EOF with fd -1", m.Type, m.fd)
	}
}

// TestSyncSeccompListener: with a notify profile the seccomp message, carrying the listener fd,
// comes after ready and before EOF; without one it is an order error.
func TestSyncSeccompListener(t *testing.T) {
	for _, notify := range []bool{true, false} {
		p, c, err := NewSocketPair()
		if err != nil {
			t.Fatal(err)
		}
		pc, ic := NewParent(p, KindInit, true, false, notify), NewChild(c)
		for _, m := range []Msg{MsgHooks, MsgReady} {
			if err := ic.send(&message{Type: m}); err != nil {
				t.Fatal(err)
			}
			if typ, _, err := pc.Next(); err != nil || typ != m {
				t.Fatalf("Next = %q, %v; want %q", typ, err, m)
			}
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := ic.SeccompListener(int(w.Fd())); err != nil {
			t.Fatal(err)
		}
		w.Close()
		typ, f, err := pc.Next()
		if notify && (err != nil || typ != MsgSeccomp || f == nil) {
			t.Fatalf("notify: Next = %q, %v, %v; want the seccomp message with its fd", typ, f, err)
		}
		if !notify && err == nil {
			t.Fatalf("no notify: Next = %q, want an order error", typ)
		}
		if f != nil {
			f.Close()
		}
		r.Close()
		pc.Close()
		ic.Close()
	}
}

// hooksSpec has a hook the runtime runs (RuntimeHooks), so init's order has the hooks step.
var hooksSpec = &specs.Spec{Hooks: &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}}}}

// TestSyncOrderWithoutHooks: a spec without prestart or createRuntime hooks leaves the hooks step
// out on both ends, and mount-source requests still come before the first step (ready here).
func TestSyncOrderWithoutHooks(t *testing.T) {
	p, c, err := NewSocketPair()
	if err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Hooks: &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}}
	pc, ic := NewParent(p, KindInit, RuntimeHooks(spec), false, false), NewChild(c)
	t.Cleanup(func() { pc.Close(); ic.Close() })
	done := make(chan error, 1)
	go func() {
		_, err := ic.RecvConfig()
		if err == nil {
			var f *os.File
			if f, _, err = ic.MountSource(2); err == nil {
				f.Close()
			}
		}
		if err == nil {
			err = ic.Ready()
		}
		ic.Close()
		done <- err
	}()
	if err := pc.SendConfig(&InitConfig{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	answer(t, pc, MsgMountSource, MsgReady, MsgEOF)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
