package libcontain

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// preservedFdsEnv tells init how many of its fds, from 3, are the caller's (--preserve-fds):
// init's protocol fds follow them, and they stay open into the container's process.
const preservedFdsEnv = "_CONTAIN_PRESERVED_FDS"

// MaxPreservedFds bounds --preserve-fds well below any fd limit a container starts with.
const MaxPreservedFds = 512

// preservedFiles returns the caller's fds 3..3+n-1, which must all be open, to hand to init as
// its first extra files. They are marked close-on-exec in this process (main does that to every
// inherited fd); the child gets them as plain fds.
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

// preservedEnv is init's environment entry for n preserved fds.
func preservedEnv(n int) []string {
	if n == 0 {
		return []string{}
	}
	return []string{preservedFdsEnv + "=" + strconv.Itoa(n)}
}

// initFdBase is, in init, the first of its protocol fds: 3 plus the preserved ones.
func initFdBase() (int, error) {
	v, ok := os.LookupEnv(preservedFdsEnv)
	if !ok {
		return 3, nil
	}
	os.Unsetenv(preservedFdsEnv)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > MaxPreservedFds {
		return 0, fmt.Errorf("bad %s=%q", preservedFdsEnv, v)
	}
	return 3 + n, nil
}
