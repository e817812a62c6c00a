//go:build cgo

package seccomp

import (
	"errors"
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// archs maps every architecture the runtime spec names to libseccomp's.
var archs = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86:         libseccomp.ArchX86,
	specs.ArchX86_64:      libseccomp.ArchAMD64,
	specs.ArchX32:         libseccomp.ArchX32,
	specs.ArchARM:         libseccomp.ArchARM,
	specs.ArchAARCH64:     libseccomp.ArchARM64,
	specs.ArchMIPS:        libseccomp.ArchMIPS,
	specs.ArchMIPS64:      libseccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      libseccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         libseccomp.ArchPPC,
	specs.ArchPPC64:       libseccomp.ArchPPC64,
	specs.ArchPPC64LE:     libseccomp.ArchPPC64LE,
	specs.ArchS390:        libseccomp.ArchS390,
	specs.ArchS390X:       libseccomp.ArchS390X,
	specs.ArchPARISC:      libseccomp.ArchPARISC,
	specs.ArchPARISC64:    libseccomp.ArchPARISC64,
	specs.ArchRISCV64:     libseccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K:        libseccomp.ArchM68K,
	specs.ArchSH:          libseccomp.ArchSH,
	specs.ArchSHEB:        libseccomp.ArchSHEB,
}

// addArchs adds the profile's architectures to the filter. libseccomp always includes the
// native one. An architecture the spec names but the linked libseccomp cannot add here (2.5
// lacks loongarch64, m68k and sh; no filter mixes byte orders) is skipped rather than refused: this kernel cannot run
// that architecture's syscalls anyway, and if it somehow did, a syscall from an architecture the
// filter does not list hits the bad-arch action (kill), which is the strictest outcome.
func addArchs(f *libseccomp.ScmpFilter, list []specs.Arch) error {
	for _, a := range list {
		sa, ok := archs[a]
		if !ok {
			return fmt.Errorf("unknown architecture %q", a)
		}
		present, err := f.IsArchPresent(sa)
		if err != nil {
			continue // not implemented by this libseccomp: see above
		}
		if present {
			continue
		}
		if err := f.AddArch(sa); err != nil {
			if errors.Is(err, syscall.EDOM) {
				// libseccomp cannot put architectures of opposite byte order in one
				// filter (big-endian MIPS next to x86_64). Such an architecture is
				// not one this kernel runs: skipped as above.
				continue
			}
			return fmt.Errorf("add architecture %s: %w", a, err)
		}
	}
	return nil
}
