//go:build cgo

package seccomp

import (
	"maps"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go/features"
	"golang.org/x/sys/unix"
)

// Features is the seccomp part of the OCI features document: what Build accepts, and which
// filter flags this kernel supports.
func Features() *features.Seccomp {
	enabled := Supported()
	f := &features.Seccomp{Enabled: &enabled}
	for _, a := range slices.Sorted(maps.Keys(actions)) {
		f.Actions = append(f.Actions, string(a))
	}
	for _, o := range slices.Sorted(maps.Keys(ops)) {
		f.Operators = append(f.Operators, string(o))
	}
	for _, a := range slices.Sorted(maps.Keys(archs)) {
		f.Archs = append(f.Archs, string(a))
	}
	for _, fl := range slices.Sorted(maps.Keys(flagBits)) {
		f.KnownFlags = append(f.KnownFlags, string(fl))
		if enabled && kernelHasFlag(flagBits[fl]) {
			f.SupportedFlags = append(f.SupportedFlags, string(fl))
		}
	}
	return f
}

// kernelHasFlag asks the kernel whether it knows a seccomp(2) filter flag without installing
// anything: with no program it fails EFAULT once the flags passed its check, EINVAL before.
// WAIT_KILLABLE_RECV is valid only with NEW_LISTENER, so it is asked with it.
func kernelHasFlag(flag uintptr) bool {
	if flag == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
		flag |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flag, 0)
	return errno == unix.EFAULT
}
