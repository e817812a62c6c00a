package seccomp

import (
	"encoding/binary"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// sockFilterSize is sizeof(struct sock_filter): u16 code, u8 jt, u8 jf, u32 k.
const sockFilterSize = 8

// parseBPF decodes struct sock_filter records in the host's byte order.
func parseBPF(raw []byte) ([]unix.SockFilter, error) {
	if len(raw) == 0 || len(raw)%sockFilterSize != 0 {
		return nil, fmt.Errorf("export seccomp filter: %d bytes is not a whole BPF program", len(raw))
	}
	prog := make([]unix.SockFilter, len(raw)/sockFilterSize)
	for i := range prog {
		r := raw[i*sockFilterSize:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(r[0:]),
			Jt:   r[2],
			Jf:   r[3],
			K:    binary.NativeEndian.Uint32(r[4:]),
		}
	}
	return prog, nil
}

// Offsets into struct seccomp_data, the packet a seccomp filter reads.
const (
	dataNr   = 0
	dataArch = 4
)

// x32SyscallBit marks x32 syscalls on an x86_64 kernel (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// nativeAudit is the AUDIT_ARCH_* value the kernel reports for this binary's own architecture,
// or 0 where we do not add the ENOSYS stub.
func nativeAudit() uint32 {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	return 0
}

// withENOSYSStub puts a short prologue in front of prog that makes native syscalls numbered
// above maxNr — calls newer than anything the profile names — fail with ENOSYS instead of the
// profile's default errno.
//
// Why: a profile with defaultAction SCMP_ACT_ERRNO (EPERM) written before a syscall existed
// denies it with EPERM, and libc treats EPERM as "the kernel has it and refused", so it does not
// fall back to the older call. The textbook case is clone3: glibc 2.34+ tries clone3 first and
// only falls back to clone on ENOSYS, so under an old profile every pthread_create failed.
// ENOSYS for calls the profile cannot know about is what a kernel without them would say. runc
// does the same. Only calls above the profile's highest known number are touched, so nothing the
// profile mentions changes its answer; other architectures (x86 compat, x32) are left to the
// profile.
func withENOSYSStub(prog []unix.SockFilter, maxNr int) []unix.SockFilter {
	audit := nativeAudit()
	if audit == 0 {
		return prog
	}
	// Jump offsets are relative to the next instruction; "toProg" is filled in per instruction
	// once the stub's length is known. libseccomp's program starts by loading the arch itself,
	// so it does not care what the stub left in the accumulator.
	type insn struct {
		f              unix.SockFilter
		jtProg, jfProg bool
	}
	stub := []insn{
		{f: bpfInsn(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, dataArch)},
		{f: bpfInsn(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, audit), jfProg: true},
		{f: bpfInsn(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, dataNr)},
	}
	if runtime.GOARCH == "amd64" {
		// x32 calls share AUDIT_ARCH_X86_64 but carry bit 30; they are the profile's business.
		stub = append(stub, insn{f: bpfInsn(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, x32SyscallBit), jtProg: true})
	}
	stub = append(stub,
		insn{f: bpfInsn(unix.BPF_JMP|unix.BPF_JGT|unix.BPF_K, uint32(maxNr)), jfProg: true},
		insn{f: bpfInsn(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS))},
	)
	out := make([]unix.SockFilter, 0, len(stub)+len(prog))
	for i, in := range stub {
		toProg := uint8(len(stub) - i - 1)
		if in.jtProg {
			in.f.Jt = toProg
		}
		if in.jfProg {
			in.f.Jf = toProg
		}
		out = append(out, in.f)
	}
	return append(out, prog...)
}

// bpfInsn is one instruction with its jump offsets left at zero.
func bpfInsn(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
