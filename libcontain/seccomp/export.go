//go:build cgo

package seccomp

import (
	"fmt"
	"io"
	"os"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// exportBPF asks libseccomp for the filter's BPF program. libseccomp 2.5 can only write it to
// an fd (seccomp_export_bpf_mem is 2.6), so it goes through a memfd, which unlike a pipe cannot
// fill up and block on a large profile.
func exportBPF(lf *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("contain-seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("export seccomp filter: %w", os.NewSyscallError("memfd_create", err))
	}
	mf := os.NewFile(uintptr(fd), "contain-seccomp")
	defer mf.Close()
	if err := lf.ExportBPF(mf); err != nil {
		return nil, fmt.Errorf("export seccomp filter: %w", err)
	}
	if _, err := mf.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export seccomp filter: %w", err)
	}
	raw, err := io.ReadAll(mf)
	if err != nil {
		return nil, fmt.Errorf("export seccomp filter: %w", err)
	}
	return parseBPF(raw)
}
