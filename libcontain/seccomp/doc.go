// Package seccomp turns an OCI linux.seccomp profile into a kernel filter, and compiles contain's
// own "jail" filter (no new namespaces after exec).
//
// Profiles are compiled with libseccomp through github.com/seccomp/libseccomp-golang, the
// well-kept binding runc and crun build on: libseccomp knows every architecture's syscall table,
// the x32/x86 quirks and the multiplexed socketcall/ipc calls, which we have no business
// re-deriving. The package needs cgo and links libseccomp (statically in release builds).
//
// Build does all the libseccomp work and keeps only the resulting BPF program and the seccomp(2)
// flags. Load is then a single raw seccomp(2) call that makes no cgo call and allocates nothing
// of note, so the container's init can load the filter as its last step before execve without
// re-entering libseccomp, and with flags we choose (TSYNC, NEW_LISTENER, LOG, SPEC_ALLOW,
// WAIT_KILLABLE_RECV) rather than what the installed libseccomp version happens to support.
package seccomp
