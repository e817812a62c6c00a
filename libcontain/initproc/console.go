package initproc

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// console makes our stdio a new pty and hands the master to the parent. create binds the pty on
// /dev/console too; exec leaves the container's /dev/console to its init.
func (in *initProc) console(bindDevConsole bool) (op string, err error) {
	master, err := openConsole(bindDevConsole)
	if err != nil {
		return "set up console", err
	}
	defer master.Close()
	// process.consoleSize (exec -p gives one): the size before the client attaches.
	if cs := in.cfg.Spec.Process.ConsoleSize; cs != nil && cs.Height != 0 && cs.Width != 0 {
		ws := &unix.Winsize{Row: uint16(cs.Height), Col: uint16(cs.Width)}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return "set console size", os.NewSyscallError("ioctl TIOCSWINSZ", err)
		}
	}
	if err := in.c.Console(master); err != nil {
		return "send console", err
	}
	return "", nil
}

// openConsole runs after pivot_root (or, for exec, after joining the container): it opens a pty
// from the container's own devpts instance, makes the slave our controlling terminal and stdio,
// optionally bind-mounts it on /dev/console, and returns the master for the parent.
func openConsole(bindDevConsole bool) (*os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open pty master: %w", err)
	}
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, os.NewSyscallError("ioctl TIOCSPTLCK", err)
	}
	// TIOCGPTPEER opens the slave from the master itself: no path lookup in /dev/pts that the
	// container could race with a symlink.
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY))
	if errno != 0 {
		master.Close()
		return nil, os.NewSyscallError("ioctl TIOCGPTPEER", errno)
	}
	slave := int(sfd)
	defer unix.Close(slave)
	if bindDevConsole {
		if err := bindConsole(slave); err != nil {
			master.Close()
			return nil, err
		}
	}
	// We lead a session of our own (Init), with no terminal yet: the slave becomes it.
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			master.Close()
			return nil, os.NewSyscallError("dup3", err)
		}
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		master.Close()
		return nil, os.NewSyscallError("ioctl TIOCSCTTY", err)
	}
	return master, nil
}

// bindConsole makes /dev/console the pty slave, as consoles of containers are by convention.
func bindConsole(slave int) error {
	f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	f.Close()
	src := "/proc/self/fd/" + strconv.Itoa(slave)
	if err := unix.Mount(src, "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind pty on /dev/console: %w", os.NewSyscallError("mount", err))
	}
	return nil
}
