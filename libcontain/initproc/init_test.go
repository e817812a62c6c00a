package initproc

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
)

// TestFifoFileExec: exec's child has no exec.fifo, so the fd number create's fifo would have
// belongs to someone else; it must be left exactly as it is (the old init marked it
// close-on-exec and wrapped it in an *os.File, whose finalizer would close it).
func TestFifoFileExec(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// A plain fd (no close-on-exec) at a number where a fifo could be expected.
	fd, err := unix.Dup(int(r.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	base := fd - protocol.FifoFd
	if f := fifoFile(base, true); f != nil {
		t.Fatalf("exec got a fifo file: %v", f.Name())
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC != 0 {
		t.Errorf("exec's init marked fd %d (base+FifoFd, not its own) close-on-exec", fd)
	}
	f := fifoFile(base, false)
	if f == nil || f.Fd() != uintptr(fd) {
		unix.Close(fd)
		t.Fatalf("create's fifo: %v", f)
	}
	defer f.Close()
	if flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("create's fifo fd is not close-on-exec")
	}
}
