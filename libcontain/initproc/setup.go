package initproc

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
)

// applySetup applies what the runtime parsed for the process, in runc's order: scheduler,
// personality, memory policy. They are inherited across execve.
func applySetup(s protocol.ProcessSetup) (op string, err error) {
	if s.Scheduler != nil {
		if err := unix.SchedSetAttr(0, s.Scheduler, 0); err != nil {
			// sched_setattr(2): a deadline policy needs an affinity of every CPU.
			if errors.Is(err, unix.EPERM) && s.CpusetCpus {
				return "set scheduler", errors.New("process scheduler can't be used together with AllowedCPUs")
			}
			return "set scheduler", fmt.Errorf("error setting scheduler: %w", err)
		}
	}
	if s.Personality != nil {
		if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, uintptr(*s.Personality), 0, 0); errno != 0 {
			return "set personality", os.NewSyscallError("personality", errno)
		}
	}
	if mp := s.MemoryPolicy; mp != nil {
		nodes := mp.Nodes
		if nodes == nil {
			nodes = new(unix.CPUSet)
		}
		if err := unix.SetMemPolicy(mp.Mode, nodes); err != nil {
			return "set memory policy", os.NewSyscallError("set_mempolicy", err)
		}
	}
	return "", nil
}

// newTimeNamespace makes the container's time namespace and sets its clocks' offsets. Only
// init's children and its execve enter it, and offsets can be written only before any process
// has: that is why init unshares it here rather than being cloned into it.
func newTimeNamespace(offsets string) (op string, err error) {
	if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
		return "create time namespace", os.NewSyscallError("unshare", err)
	}
	if offsets == "" {
		return "", nil
	}
	if err := os.WriteFile("/proc/self/timens_offsets", []byte(offsets), 0); err != nil {
		return "set time namespace offsets", err
	}
	return "", nil
}

// resetSignals gives back default handling to every signal the runtime's caller ignored (a
// runtime started under nohup): execve keeps an ignored signal ignored, and the container's
// process must start as runc starts it, with default dispositions. Handled signals need
// nothing: execve resets those.
func resetSignals() {
	var dfl [4]uint64 // struct kernel_sigaction, SIG_DFL
	for _, sig := range ignoredSignals() {
		_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
}

// ignoredSignals are the signals whose disposition is SIG_IGN. SIGKILL and SIGSTOP cannot be
// ignored; 32 and 33 are libc's own (thread cancellation and setxid).
func ignoredSignals() []unix.Signal {
	var out []unix.Signal
	var old [4]uint64 // struct kernel_sigaction: handler, flags, restorer, mask (sigsetsize 8)
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) || sig == 32 || sig == 33 {
			continue
		}
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if errno == 0 && old[0] == 1 { // SIG_IGN
			out = append(out, unix.Signal(sig))
		}
	}
	return out
}
