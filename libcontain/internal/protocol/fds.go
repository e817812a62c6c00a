package protocol

import (
	"fmt"
	"os"
	"strconv"
)

// The fds the child finds open at start (exec.Cmd's ExtraFiles order), as offsets from its fd
// base: 3, plus the number of preserved fds, which come first. exec has no fifo.
const (
	SyncFd = iota
	LogFd
	FifoFd
)

// preservedFdsEnv tells the child how many of its fds, from 3, are the caller's
// (--preserve-fds): the protocol fds follow them, and they stay open into the container's
// process.
const preservedFdsEnv = "_CONTAIN_PRESERVED_FDS"

// MaxPreservedFds bounds --preserve-fds well below any fd limit a container starts with.
const MaxPreservedFds = 512

// ChildEnv is the child's whole environment, for n preserved fds. Nothing inherits it: the
// container's process gets exactly process.env, and hooks exactly their own env (hooks.Run).
// Never nil: exec.Cmd would give the child our environment.
//
// GOMAXPROCS=1: the child's work is sequential, on its main thread (namespace joins,
// capabilities and execve are per thread). Read by the Go runtime as it starts, this costs
// nothing; runtime.GOMAXPROCS(1) in main's init stopped and restarted the world, about 2% of
// init's CPU time in a profile of `run`.
func ChildEnv(n int) []string {
	env := []string{"GOMAXPROCS=1"}
	if n == 0 {
		return env
	}
	return append(env, preservedFdsEnv+"="+strconv.Itoa(n))
}

// FdBase is, in the child, the first of its protocol fds: 3 plus the preserved ones. It takes
// the variable out of the environment, so the container's process never sees it.
func FdBase() (int, error) {
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
