//go:build cgo

package seccomp

import (
	"fmt"
	"runtime"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// newNamespaceFlags are the clone(2) flags that create a namespace. CLONE_NEWTIME (0x80) lies
// inside clone's CSIGNAL byte, where legacy clone carries the exit signal; signals stop at 64
// (0x40), so a valid fork never has that bit and blocking it costs nothing.
var newNamespaceFlags = []uint64{
	unix.CLONE_NEWNS,
	unix.CLONE_NEWCGROUP,
	unix.CLONE_NEWUTS,
	unix.CLONE_NEWIPC,
	unix.CLONE_NEWUSER,
	unix.CLONE_NEWPID,
	unix.CLONE_NEWNET,
	unix.CLONE_NEWTIME,
}

// jailArchs are the architectures a process on this machine can issue syscalls in besides the
// native one. They are in the jail so 32-bit programs still run (a syscall of an architecture
// missing from a filter is killed) and are filtered the same way, rather than being a way around
// the jail through int 0x80.
func jailArchs() []libseccomp.ScmpArch {
	switch runtime.GOARCH {
	case "amd64":
		return []libseccomp.ScmpArch{libseccomp.ArchX86, libseccomp.ArchX32}
	case "arm64":
		return []libseccomp.ScmpArch{libseccomp.ArchARM}
	case "s390x":
		return []libseccomp.ScmpArch{libseccomp.ArchS390}
	}
	return nil
}

// cloneFlagsArg is the index of clone(2)'s flags argument. It is the first argument everywhere
// (x86_64 included: clone(flags, stack, ptid, ctid, tls)) except s390, which swaps the first two.
func cloneFlagsArg() uint {
	if runtime.GOARCH == "s390x" {
		return 1
	}
	return 0
}

// Jail compiles contain's jail: from exec on, the container cannot make new namespaces.
// unshare(2) and setns(2) fail with EPERM, as does clone(2) with any CLONE_NEW* flag; clone3(2)
// fails with ENOSYS. Everything else is allowed. It is meant to be layered on top of the spec's
// profile: the kernel runs every filter a process has and the strictest answer wins, so a call
// either profile denies stays denied.
//
// clone3 cannot be filtered by flags: its flags live in a struct in user memory, and seccomp
// only sees the pointer (reading user memory from a filter would be a TOCTOU race, so the kernel
// never will). Failing it with ENOSYS — not EPERM — is what makes this safe to do to ordinary
// programs: glibc (2.34+) and musl treat ENOSYS from clone3 as "old kernel" and fall back to
// clone, whose flags the jail does check.
func Jail() (*Filter, error) {
	lf, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil, fmt.Errorf("create jail filter: %w", err)
	}
	defer lf.Release()
	for _, a := range jailArchs() {
		if err := lf.AddArch(a); err != nil {
			return nil, fmt.Errorf("jail: add architecture %s: %w", a, err)
		}
	}
	eperm := libseccomp.ActErrno.SetReturnCode(int16(unix.EPERM))
	for _, name := range []string{"unshare", "setns"} {
		if err := addJailRule(lf, name, eperm, nil); err != nil {
			return nil, err
		}
	}
	// One rule per flag: a masked compare tests (arg & mask) == value, so "any of these bits"
	// is an OR of single-bit tests, which libseccomp expresses as separate rules.
	for _, fl := range newNamespaceFlags {
		c, err := libseccomp.MakeCondition(cloneFlagsArg(), libseccomp.CompareMaskedEqual, fl, fl)
		if err != nil {
			return nil, fmt.Errorf("jail: clone condition %#x: %w", fl, err)
		}
		if err := addJailRule(lf, "clone", eperm, []libseccomp.ScmpCondition{c}); err != nil {
			return nil, err
		}
	}
	if err := addJailRule(lf, "clone3", libseccomp.ActErrno.SetReturnCode(int16(unix.ENOSYS)), nil); err != nil {
		return nil, err
	}
	prog, err := exportBPF(lf)
	if err != nil {
		return nil, fmt.Errorf("jail: %w", err)
	}
	return &Filter{prog: prog}, nil
}

func addJailRule(lf *libseccomp.ScmpFilter, name string, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	nr, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		// clone3 is the only one a libseccomp could lack (it arrived in 2.5.0); 2.5.4 and
		// later know it. Without it we cannot name it, and refusing to run is better than
		// a jail with a hole.
		return fmt.Errorf("jail: resolve syscall %s: %w", name, err)
	}
	if err := addRule(lf, nr, act, conds); err != nil {
		return fmt.Errorf("jail: add rule for %s: %w", name, err)
	}
	return nil
}
