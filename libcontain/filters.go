package libcontain

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// buildFilters compiles the seccomp filters init loads: contain's jail first, then the spec's
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
		if err := checkSeccompNotify(s); err != nil {
			return nil, err
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
// sent to the parent at once: until the agent holds it, a notified syscall would block init
// forever (the profile may not notify the write and sendmsg that send it, see seccomp.Build).
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
