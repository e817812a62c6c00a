package initproc

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// buildFilters compiles the seccomp filters to load: contain's jail first, then the spec's
// profile. Loading the jail first means it is in force whatever the profile allows (a profile
// that forbids seccomp(2) itself cannot lock it out); every call either filter refuses stays
// refused.
func buildFilters(s *specs.Spec, jail bool) ([]*seccomp.Filter, error) {
	var fs []*seccomp.Filter
	if jail {
		f, err := seccomp.Jail()
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	if s.Linux != nil && s.Linux.Seccomp != nil {
		// Nobody could answer a notify profile without a listener: every notified syscall would
		// hang the container forever.
		if seccomp.UsesNotify(s.Linux.Seccomp) && s.Linux.Seccomp.ListenerPath == "" {
			return nil, errors.New("seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath, a socket to hand the listener to")
		}
		f, err := seccomp.Build(s.Linux.Seccomp)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// loadFilters loads the filters in order. A profile with SCMP_ACT_NOTIFY yields a listener fd,
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
