package protocol

import (
	"os"
	"strings"
	"testing"
)

// TestSyncMountSource: before hooks, init asks for any number of bind sources; each comes back
// at once with its fd (usable) and whether it is a detached mount. Then the protocol goes on.
func TestSyncMountSource(t *testing.T) {
	pc, ic := pair(t)
	type got struct {
		index    int
		detached bool
		data     string
	}
	done := make(chan []got, 1)
	errc := make(chan error, 1)
	go func() {
		if _, err := ic.RecvConfig(); err != nil {
			errc <- err
			return
		}
		var gots []got
		for _, i := range []int{0, 4, 4, 7} {
			f, detached, err := ic.MountSource(i)
			if err != nil {
				errc <- err
				return
			}
			b := make([]byte, 8)
			n, _ := f.Read(b)
			f.Close()
			gots = append(gots, got{i, detached, string(b[:n])})
		}
		if err := ic.Hooks(); err != nil {
			errc <- err
			return
		}
		done <- gots
	}()
	if err := pc.SendConfig(&InitConfig{Spec: hooksSpec}); err != nil {
		t.Fatal(err)
	}
	for n := 0; ; n++ {
		typ, _, err := pc.Next()
		if err != nil {
			t.Fatal(err)
		}
		if typ == MsgHooks {
			if err := pc.SendHooksDone(); err != nil {
				t.Fatal(err)
			}
			break
		}
		if typ != MsgMountSource {
			t.Fatalf("Next = %q, want mount-source or hooks", typ)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte{byte('a' + pc.SourceIndex())})
		w.Close()
		err = pc.SendMountSource(r, n%2 == 1)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	case gots := <-done:
		want := []got{{0, false, "a"}, {4, true, "e"}, {4, false, "e"}, {7, true, "h"}}
		for i := range want {
			if i >= len(gots) || gots[i] != want[i] {
				t.Fatalf("child got %+v, want %+v", gots, want)
			}
		}
	}
}

// TestSyncMountSourceOutOfOrder: a mount-source request after the hooks step, or from an exec'd
// process (which mounts nothing), is an order error; a reply the child did not ask for is too.
func TestSyncMountSourceOutOfOrder(t *testing.T) {
	t.Run("after hooks", func(t *testing.T) {
		pc, ic := pair(t)
		if err := ic.send(&message{Type: MsgHooks}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.Next(); err != nil {
			t.Fatal(err)
		}
		if err := ic.send(&message{Type: MsgMountSource, Source: &MountSource{Index: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.Next(); err == nil || !strings.Contains(err.Error(), `got "mount-source", want "ready"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("exec", func(t *testing.T) {
		p, c, err := NewSocketPair()
		if err != nil {
			t.Fatal(err)
		}
		pc, ic := NewParent(p, KindExec, true, false, false), NewChild(c)
		defer pc.Close()
		defer ic.Close()
		if err := ic.send(&message{Type: MsgMountSource, Source: &MountSource{}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.Next(); err == nil || !strings.Contains(err.Error(), `got "mount-source", want "ready"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no index", func(t *testing.T) {
		pc, ic := pair(t)
		if err := ic.send(&message{Type: MsgMountSource}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.Next(); err == nil || !strings.Contains(err.Error(), "without an index") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reply without request", func(t *testing.T) {
		pc, ic := pair(t)
		if err := pc.SendConfig(&InitConfig{Spec: hooksSpec}); err != nil {
			t.Fatal(err)
		}
		if _, err := ic.RecvConfig(); err != nil {
			t.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		if err := pc.SendMountSource(r, false); err != nil {
			t.Fatal(err)
		}
		if err := ic.Hooks(); err == nil || !strings.Contains(err.Error(), `got "mount-source-fd", want "hooks-done"`) {
			t.Fatalf("err = %v", err)
		}
	})
}
