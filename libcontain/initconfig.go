package libcontain

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// seccompFilters compiles the filters the container's process gets, in the order init loads
// them: contain's jail first, then the spec's profile. Loading the jail first means it is in
// force whatever the profile allows (a profile that forbids seccomp(2) itself cannot lock it
// out); every call either filter refuses stays refused.
//
// The runtime compiles, init only loads (InitConfig.Seccomp): libseccomp is linked into the
// runtime alone, init can be the small cgo-free binary (package initexe), and the compile overlaps
// init's start instead of following it.
func seccompFilters(s *specs.Spec, jail bool) ([]*seccomp.Filter, error) {
	fs, err := compileFilters(s, jail)
	if err != nil {
		return nil, fmt.Errorf("build seccomp filter: %w", err)
	}
	return fs, nil
}

func compileFilters(s *specs.Spec, jail bool) ([]*seccomp.Filter, error) {
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

// specForInit is the spec as init is sent it: without the parts only the runtime uses, which
// init would otherwise decode for nothing (a client's seccomp profile alone is tens of KB of
// JSON, and each type decoded for the first time costs init's cold JSON decoder more): the
// seccomp profile (init gets it compiled, InitConfig.Seccomp), the cgroup resources and Intel
// RDT settings (the runtime applies them), the annotations (hooks get them in InitConfig.State)
// and other platforms' sections. s itself is not changed.
func specForInit(s *specs.Spec) *specs.Spec {
	c := *s
	c.Annotations = nil
	c.Solaris, c.Windows, c.VM, c.ZOS = nil, nil, nil, nil
	if s.Linux != nil {
		l := *s.Linux
		l.Seccomp, l.Resources, l.IntelRdt = nil, nil, nil
		c.Linux = &l
	}
	return &c
}
