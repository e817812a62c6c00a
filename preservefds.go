package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain"
)

// inheritedFdsKey is the app metadata entry holding how many fds from 3 on were open when
// contain started: only those are the caller's to pass on with --preserve-fds.
const inheritedFdsKey = "inheritedFds"

// inheritedFds counts the caller's fds from 3 up: open and not close-on-exec (they survived
// our execve), up to the first that is not. The Go runtime opens files before main (the cgroup
// CPU limit files it watches for GOMAXPROCS) and may take a number the caller left free; those
// are close-on-exec, so they end the count instead of joining it.
func inheritedFds() int {
	n := 0
	for n <= libcontain.MaxPreservedFds { // one past the bound: enough to refuse more
		flags, err := unix.FcntlInt(uintptr(3+n), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			break
		}
		n++
	}
	return n
}

// preserveFds is the --preserve-fds value, checked against what the caller really passed: fds
// the runtime opened itself by then (its log, its state dir) must not go into the container.
func preserveFds(c *cli.Context) (int, error) {
	n := c.Int("preserve-fds")
	if n <= 0 {
		if n < 0 {
			return 0, fmt.Errorf("--preserve-fds %d: must not be negative", n)
		}
		return 0, nil
	}
	inherited, _ := c.App.Metadata[inheritedFdsKey].(int)
	if n > inherited {
		return 0, fmt.Errorf("--preserve-fds %d: fd %d was not passed to contain", n, 3+inherited)
	}
	return n, nil
}
