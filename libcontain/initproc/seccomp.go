package initproc

import (
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// loadFilters loads the filters the runtime compiled (InitConfig.Seccomp), in order. A profile with SCMP_ACT_NOTIFY yields a listener fd,
// sent to the parent at once: until the agent holds it, a notified syscall would block us forever
// (the profile may not notify the write and sendmsg that send it, see seccomp.Build).
func (in *initProc) loadFilters(fs []*seccomp.Filter) error {
	for _, f := range fs {
		fd, err := f.LoadWithNotify()
		if err != nil {
			return err
		}
		if fd >= 0 {
			err := in.c.SeccompListener(fd)
			unix.Close(fd)
			if err != nil {
				return err
			}
		}
	}
	return nil
}
