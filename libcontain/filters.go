package libcontain

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

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
		f, err := seccomp.Build(s.Linux.Seccomp)
		if err != nil {
			return nil, err
		}
		if f.Notify() {
			return nil, errors.New("seccomp notify (SCMP_ACT_NOTIFY) is not supported yet")
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func loadFilters(fs []*seccomp.Filter) error {
	for _, f := range fs {
		if err := f.Load(); err != nil {
			return err
		}
	}
	return nil
}
