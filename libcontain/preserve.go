package libcontain

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
)

// MaxPreservedFds bounds --preserve-fds well below any fd limit a container starts with.
const MaxPreservedFds = protocol.MaxPreservedFds

// preservedFiles returns the caller's fds 3..3+n-1, which must all be open, to hand to the child
// as its first extra files. They are marked close-on-exec in this process (main does that to
// every inherited fd); the child gets them as plain fds.
func preservedFiles(n int) ([]*os.File, error) {
	if n < 0 || n > MaxPreservedFds {
		return nil, fmt.Errorf("--preserve-fds %d: must be between 0 and %d", n, MaxPreservedFds)
	}
	files := make([]*os.File, n)
	for i := range files {
		fd := 3 + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("--preserve-fds %d: fd %d is not open", n, fd)
		}
		files[i] = os.NewFile(uintptr(fd), "preserved-fd-"+strconv.Itoa(fd))
	}
	return files, nil
}
