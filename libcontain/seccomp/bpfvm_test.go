//go:build cgo

package seccomp

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// call is one struct seccomp_data, the packet a filter sees for a syscall.
type call struct {
	nr   int
	arch uint32
	args [6]uint64
}

// seccompData lays the call out as the kernel does (nr, arch, instruction_pointer, args).
func (c call) seccompData() []byte {
	b := make([]byte, 64)
	binary.NativeEndian.PutUint32(b[0:], uint32(c.nr))
	binary.NativeEndian.PutUint32(b[4:], c.arch)
	for i, a := range c.args {
		binary.NativeEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// runBPF interprets the subset of classic BPF that libseccomp and the ENOSYS stub emit, so
// filter semantics can be tested without loading anything into the kernel. Any other opcode
// fails the test rather than being guessed at.
func runBPF(t *testing.T, prog []unix.SockFilter, c call) uint32 {
	t.Helper()
	data := c.seccompData()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K+4 > uint32(len(data)) || in.K%4 != 0 {
				t.Fatalf("pc %d: load at offset %d", pc, in.K)
			}
			a = binary.NativeEndian.Uint32(data[in.K:])
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			a &= in.K
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += jump(in, a == in.K)
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			pc += jump(in, a > in.K)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += jump(in, a >= in.K)
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += jump(in, a&in.K != 0)
		default:
			t.Fatalf("pc %d: opcode %#x not interpreted", pc, in.Code)
		}
	}
	t.Fatal("program fell off its end")
	return 0
}

func jump(in unix.SockFilter, cond bool) int {
	if cond {
		return int(in.Jt)
	}
	return int(in.Jf)
}

// verdict names a filter's return value the way the tests state expectations.
func verdict(ret uint32) string {
	data := ret & unix.SECCOMP_RET_DATA
	switch ret & unix.SECCOMP_RET_ACTION_FULL {
	case unix.SECCOMP_RET_KILL_PROCESS:
		return "kill_process"
	case unix.SECCOMP_RET_KILL_THREAD:
		return "kill_thread"
	case unix.SECCOMP_RET_TRAP:
		return "trap"
	case unix.SECCOMP_RET_ERRNO:
		return fmt.Sprintf("errno %d", data)
	case unix.SECCOMP_RET_USER_NOTIF:
		return "notify"
	case unix.SECCOMP_RET_TRACE:
		return fmt.Sprintf("trace %d", data)
	case unix.SECCOMP_RET_LOG:
		return "log"
	case unix.SECCOMP_RET_ALLOW:
		return "allow"
	}
	return fmt.Sprintf("%#x", ret)
}

// allNewNamespaceFlags is spelled out here, not taken from jail.go, so that a flag dropped from
// the jail fails the tests instead of quietly leaving them.
var allNewNamespaceFlags = []uint64{
	unix.CLONE_NEWNS, unix.CLONE_NEWCGROUP, unix.CLONE_NEWUTS, unix.CLONE_NEWIPC,
	unix.CLONE_NEWUSER, unix.CLONE_NEWPID, unix.CLONE_NEWNET, unix.CLONE_NEWTIME,
}
