//go:build cgo

package seccomp

// Supported reports whether seccomp filters can be used here: libseccomp is linked into the
// binary (it is, or the binary would not have started) and the kernel has seccomp filters.
func Supported() bool { return kernelSupported() }
