package libcontain

import "golang.org/x/sys/unix"

// withoutHugePages runs start with transparent huge pages off for this process, so that the
// child it starts has them off from its first page: prctl(2)'s PR_SET_THP_DISABLE is a flag of
// the address space, copied by fork and kept across execve. The child is charged to the
// container's memory cgroup from its birth, and where THP is "always" (Debian's kernels, the v2
// VM) the Go runtime's first mappings were backed by 2 MiB pages: a 4 MiB limit, applied at the
// ready rendezvous, found init using 4.6 MB, 2 MiB of it anon_thp, and the kernel killed it.
//
// It reports whether the child must turn them back on before it becomes the container's process
// (protocol.InitConfig.HugePages): true unless they were already off here, which is our caller's
// choice and, as under runc, the container's too. The flag is restored as soon as the child runs,
// so nothing else the runtime starts (hooks) sees it.
func withoutHugePages(start func() error) (restore bool, err error) {
	off, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0)
	if err != nil || off != 0 {
		return false, start()
	}
	if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
		return false, start()
	}
	defer func() { _ = unix.Prctl(unix.PR_SET_THP_DISABLE, 0, 0, 0, 0) }()
	return true, start()
}
