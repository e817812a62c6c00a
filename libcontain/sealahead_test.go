package libcontain

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// TestUseSelfReseals: once create knows init must be contain (needsContain), useSelf replaces
// the small init binary sealed ahead with contain itself, sealed, and closes the small one, so
// the launch does not seal again.
func TestUseSelfReseals(t *testing.T) {
	needs.Root(t)
	small, err := os.Create(filepath.Join(t.TempDir(), "small"))
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	p := &pendingSeal{done: first, f: small, small: true, log: slog.New(slog.DiscardHandler), dummyDir: t.TempDir()}
	close(first)
	p.useSelf()
	<-p.done
	if p.small || p.err != nil {
		t.Fatalf("after useSelf: small %v, err %v", p.small, p.err)
	}
	if _, err := small.Stat(); err == nil {
		t.Error("the small binary's handle is still open")
	}
	f, err := p.take(true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got, self unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &got); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat("/proc/self/exe", &self); err != nil {
		t.Fatal(err)
	}
	if got.Ino != self.Ino || got.Size != self.Size {
		t.Fatalf("take gave inode %d (%d bytes), want the running binary's %d (%d bytes)", got.Ino, got.Size, self.Ino, self.Size)
	}
}
