package spec

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate/seccomp"
	"golang.org/x/sys/unix"
)

// QuickSeccomp is quick mode's seccomp profile: quick mode plays the container engine, and an
// engine applies a default profile (containerd, podman and Docker all do; `contain spec`, like
// `runc spec`, leaves it to them).
//
// Source: runtime-tools' generate/seccomp.DefaultProfile, the OCI project's port of Docker's
// default profile (what `oci-runtime-tool generate` writes). It allows a fixed list of syscalls,
// more with the capabilities that need them (unshare, setns, mount and clone's namespace flags
// only with CAP_SYS_ADMIN, ptrace only with CAP_SYS_PTRACE...), and refuses the rest with EPERM:
// keyctl, add_key, bpf, perf_event_open, kexec_load, open_by_handle_at, userfaultfd and so on.
//
// The list is older than some syscalls today's libc calls first and falls back from only on
// ENOSYS, so two rules are added, as Docker's current profile has them:
//   - syscalls a container may use like their older forms (rseq, faccessat2, close_range,
//     epoll_pwait2, openat2, pidfd_open, pidfd_send_signal, futex_waitv, fchmodat2) are allowed;
//   - clone3 without CAP_SYS_ADMIN returns ENOSYS: seccomp cannot look into clone3's flags (they
//     are in a struct), so libc must fall back to clone, whose namespace flags the profile checks.
func QuickSeccomp(s *specs.Spec) *specs.LinuxSeccomp {
	p := seccomp.DefaultProfile(s)
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
		Names: []string{
			"rseq", "faccessat2", "close_range", "epoll_pwait2", "openat2", "pidfd_open",
			"pidfd_send_signal", "futex_waitv", "fchmodat2",
		},
		Action: specs.ActAllow,
	})
	if !hasCap(s, "CAP_SYS_ADMIN") {
		enosys := uint(unix.ENOSYS)
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys,
		})
	}
	return p
}

func hasCap(s *specs.Spec, c string) bool {
	if s.Process == nil || s.Process.Capabilities == nil {
		return false
	}
	for _, have := range s.Process.Capabilities.Bounding {
		if have == c {
			return true
		}
	}
	return false
}
