package seccomp

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the filter on the calling process. All threads get it (TSYNC): the init is a Go
// program whose runtime threads would otherwise escape the filter, and any of them may be the
// one that ends up calling execve. The caller must have set no_new_privs or hold CAP_SYS_ADMIN;
// the kernel refuses with EACCES otherwise, because an unprivileged filter could otherwise
// confuse a setuid program it goes on to exec.
func (f *Filter) Load() error {
	if f.notify {
		return errors.New("load seccomp filter: the profile uses SCMP_ACT_NOTIFY: load it with LoadWithNotify")
	}
	fd, err := f.load()
	if fd >= 0 {
		unix.Close(fd) // cannot happen without NEW_LISTENER; never leak it all the same
	}
	return err
}

// LoadWithNotify loads the filter like Load and, if the profile uses SCMP_ACT_NOTIFY, returns
// the listener fd (close-on-exec, owned by the caller); otherwise it returns -1.
func (f *Filter) LoadWithNotify() (int, error) {
	return f.load()
}

func (f *Filter) load() (int, error) {
	if len(f.prog) == 0 {
		return -1, errors.New("load seccomp filter: empty filter")
	}
	flags := f.flags | unix.SECCOMP_FILTER_FLAG_TSYNC
	if flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		// Plain TSYNC reports a thread it could not synchronise by returning that thread's
		// id, which collides with returning the listener fd; the kernel therefore refuses
		// TSYNC|NEW_LISTENER unless TSYNC_ESRCH (5.7) turns that case into ESRCH.
		flags |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	prog := unix.SockFprog{Len: uint16(len(f.prog)), Filter: &f.prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(f.prog)
	if errno != 0 {
		err := os.NewSyscallError("seccomp", errno)
		if errno == unix.EACCES {
			return -1, fmt.Errorf("load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN): %w", err)
		}
		return -1, fmt.Errorf("load seccomp filter: %w", err)
	}
	if flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
		return int(r), nil
	}
	if r != 0 {
		// TSYNC without ESRCH: r is a thread that is already under a filter we do not
		// descend from, and nothing was loaded.
		return -1, fmt.Errorf("load seccomp filter: thread %d could not be synchronised", r)
	}
	return -1, nil
}

// kernelSupported reports whether the kernel has seccomp filter mode, which
// SECCOMP_GET_ACTION_AVAIL probes without changing anything.
func kernelSupported() bool {
	act := uint32(unix.SECCOMP_RET_ALLOW)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act)))
	return errno == 0
}
