package libcontain

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// selfExeMinFd is the lowest fd the sealed binary may have: above the few fds a child inherits
// besides the preserved ones.
const selfExeMinFd = 100

// sealedSelf returns a sealed, in-memory copy of the runtime binary to start init from.
//
// CVE-2019-5736: while init runs inside the container, /proc/<init>/exe points at the binary it
// was started from. A container process can open that link and, once init has exec'd, write
// through it — overwriting the host's runtime binary. Executing a memfd copy sealed against
// writes, growing and shrinking leaves the container nothing to write to.
//
// preserved is the number of the caller's fds the child gets first (--preserve-fds).
func sealedSelf(preserved int) (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()
	// MFD_EXEC (Linux 6.3+) keeps the memfd executable where vm.memfd_noexec asks for
	// non-executable memfds by default; older kernels refuse the flag, so retry without it.
	fd, err := unix.MemfdCreate("contain-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("contain-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	mem := os.NewFile(uintptr(fd), "contain-init")
	if _, err := io.Copy(mem, src); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy own binary: %w", err)
	}
	if err := seal(mem); err != nil {
		mem.Close()
		return nil, err
	}
	// The child is started as /proc/self/fd/N, resolved after the child's fds 3.. were laid
	// out from ExtraFiles: move the memfd above any number those can take.
	high, err := unix.FcntlInt(mem.Fd(), unix.F_DUPFD_CLOEXEC, selfExeMinFd+preserved)
	mem.Close()
	if err != nil {
		return nil, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	return os.NewFile(uintptr(high), "contain-init"), nil
}

// seal adds the seals. F_SEAL_WRITE fails with EBUSY while the kernel still holds references to
// the memfd's pages from the copy (it waits a while for them first, in memfd_wait_for_pins):
// under load that happened to one create in a thousand (make stress), so it is tried again a few
// times before the create fails.
func seal(mem *os.File) error {
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	var err error
	for wait := time.Millisecond; ; wait *= 4 {
		if _, err = unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != unix.EBUSY || wait > 300*time.Millisecond {
			break
		}
		time.Sleep(wait)
	}
	if err != nil {
		return os.NewSyscallError("fcntl F_ADD_SEALS", err)
	}
	return nil
}
