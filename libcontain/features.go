package libcontain

import (
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/contain-runtime/contain/libcontain/seccomp"
	"github.com/contain-runtime/contain/spec"
)

// Features is `contain features`: the config layer's document (spec.Features) with the seccomp
// part, which only the runtime, linking libseccomp, can tell.
func Features() *features.Features {
	f := spec.Features()
	f.Linux.Seccomp = seccomp.Features()
	return f
}
