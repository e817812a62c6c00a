package seccomp

import "golang.org/x/sys/unix"

// Filter is a compiled filter, ready to load in the container's init. It holds only the BPF
// program and the seccomp(2) flags, so it needs no cleanup and loading it makes no cgo call.
type Filter struct {
	prog   []unix.SockFilter
	flags  uintptr // SECCOMP_FILTER_FLAG_* asked for by the profile; Load adds TSYNC
	notify bool    // some rule returns SCMP_ACT_NOTIFY: Load must ask for a listener fd
}

// Notify reports whether the filter uses SCMP_ACT_NOTIFY, so a listener fd will come out of
// LoadWithNotify and must be handed to the profile's listenerPath.
func (f *Filter) Notify() bool { return f.notify }

// Len is the number of BPF instructions in the filter.
func (f *Filter) Len() int { return len(f.prog) }
