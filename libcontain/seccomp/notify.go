package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// UsesNotify reports whether the profile sends any syscall to a notify listener
// (SCMP_ACT_NOTIFY): the filter's loader then gets a listener fd, which the runtime passes to
// linux.seccomp.listenerPath.
func UsesNotify(s *specs.LinuxSeccomp) bool {
	if s == nil {
		return false
	}
	for _, sc := range s.Syscalls {
		if sc.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
