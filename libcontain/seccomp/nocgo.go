//go:build !cgo

package seccomp

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// errNoCgo: profiles are compiled by libseccomp, which a CGO_ENABLED=0 build cannot link. Such a
// build still compiles (cross-builds, tools), and refuses seccomp profiles instead of ignoring them.
var errNoCgo = errors.New("seccomp: contain was built without cgo, so without libseccomp")

// Build needs libseccomp; without cgo it refuses every profile.
func Build(*specs.LinuxSeccomp) (*Filter, error) { return nil, errNoCgo }

// Jail needs libseccomp; without cgo it refuses.
func Jail() (*Filter, error) { return nil, errNoCgo }

// Supported is false without cgo: there is nothing to compile profiles with.
func Supported() bool { return false }

// Features says seccomp is not available: nothing here can compile a profile.
func Features() *features.Seccomp {
	no := false
	return &features.Seccomp{Enabled: &no}
}
