// Package nsenter makes a newly started copy of the runtime join existing namespaces before its Go
// runtime starts. Package main imports it for its side effect:
//
//	import _ "github.com/contain-runtime/contain/libcontain/nsenter"
//
// # Why C
//
// By the time Go code runs a process has several threads, and the kernel refuses some joins to
// such a process or applies them to one thread only: setns(2) into a user namespace fails with
// EINVAL for a multi-threaded caller, into a mount namespace with EINVAL while the threads share
// one fs_struct, into a time namespace with EUSERS; into a pid namespace it succeeds but moves
// only the caller's future children. So nsenter.c holds a constructor
// (__attribute__((constructor))) that libc runs before main, while the process has one thread.
//
// It runs in every invocation of the binary. Unless the environment variable _CONTAIN_NSENTER is
// set it returns after a single getenv, which costs nothing measurable.
//
// # Protocol
//
// Prepare opens everything in the parent and hands the child only file descriptors:
//
//   - a SOCK_SEQPACKET socketpair; the child's end is inherited and _CONTAIN_NSENTER holds its
//     fd number. Prepare writes the request into the parent's end before the child starts, so
//     the child's one recv never waits.
//   - one inherited fd per join: an nsfs file opened and type-checked (NS_GET_NSTYPE) in the
//     parent, or a pidfd (Linux 5.8+) for Request.Pid, which joins all the chosen namespaces of
//     that process in one setns(2) call, atomically, with the kernel doing the ordering.
//
// Passing fds instead of paths means the parent resolves every path in its own mount namespace,
// where it validated them, and the child never resolves a path after it has entered the
// container's mount namespace (a container could plant a symlink there). The request (nsenter.h)
// is a fixed header (magic, unshare flags, count) and count (fd, CLONE_NEW* flags) entries in
// native byte order; the constructor rejects anything whose size, magic, flags or fds are off.
//
// The child answers with exactly one fixed-size reply: success, with the pid of the process now
// in the namespaces, or the failing step and its errno, after which it exits with status 1. It
// never writes to stdio, which may already be the container's; only a malformed variable, which
// Prepare never sets, is reported on stderr. Handle.Wait turns the errno back into a
// syscall.Errno, so errors.Is(err, unix.EPERM) works.
//
// # Order
//
// The constructor enters everything but the user namespace first, then the user namespace, then
// retries whatever was refused with EPERM before (see join in nsenter.c): host root can enter a
// host-owned network namespace only before it enters the container's user namespace, and an
// unprivileged owner of a user namespace can enter the namespaces it owns only after. Having
// entered a user namespace it becomes that namespace's root (uid and gid 0, no supplementary
// groups), as runc does: the host's root is not mapped in a container's user namespace, and
// files made by an unmapped user fail with EOVERFLOW. Because
// the child gets fds, the mount namespace need not come last. Then it unshares Request.Unshare,
// so new namespaces are created inside (and owned by) the joined user namespace, which clone
// flags on the exec.Cmd cannot do: they act before the joins.
//
// # Pid namespaces
//
// When a pid namespace is joined or unshared, the constructor forks with CLONE_PARENT: the new
// process is a child of the runtime parent (not of cmd.Process), in the pid namespace, and it
// continues into the Go program; the forked-from process reports the new pid, in the parent's
// pid namespace, and exits 0. Handle.Wait returns that pid; the caller reaps cmd.Process with
// cmd.Wait and the new process with os.FindProcess(pid) and Process.Wait. Time namespaces need
// no fork: unlike pid, setns(CLONE_NEWTIME) switches the caller itself.
//
// The fork is a raw clone3 (clone where seccomp refuses clone3), so libc's fork handlers do not
// run and glibc's TCB keeps the old thread id; nothing before or in the Go runtime depends on
// either in a single-threaded process.
//
// # For callers
//
//   - Whatever cmd.SysProcAttr sets applies to the process Go starts, not to a forked one:
//     Pdeathsig is not inherited, and on cgroup v1 the pid to write to cgroup.procs is the one
//     Wait returns (CLONE_INTO_CGROUP on v2 is inherited). The forked process runs Go code until
//     its own protocol stops it, so join it to the cgroup before releasing it, not before Wait.
//   - Entering a user namespace keeps the caller's kuid, possibly unmapped there (overflow uid),
//     with every capability in it; the program sets its uid and gid itself.
//   - The program starts in the joined mount namespace: its /proc is that namespace's, if any.
//     Glibc and the Go runtime cope with a missing /proc (tested).
package nsenter

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/namespaces"
)

// Request says which namespaces the child joins.
type Request struct {
	// Namespaces are joined by path; entries without a path are ignored. A user namespace that
	// is the caller's own is skipped: the kernel refuses to re-enter it (EINVAL) and the child
	// is in it already.
	Namespaces []specs.LinuxNamespace
	// Pid, if not 0, joins the namespaces of that process through a pidfd (Linux 5.8+): those of
	// Types whose namespace differs from the caller's, or when Types is empty every type that
	// differs and Namespaces does not join by path. This is what `exec` wants.
	Pid   int
	Types []specs.LinuxNamespaceType
	// Unshare are the types to create fresh after the joins, inside the joined user namespace.
	// User and time namespaces cannot be unshared here (their maps and offsets need the parent).
	Unshare []specs.LinuxNamespaceType
}

// nsGetNSType is NS_GET_NSTYPE, _IO(0xb7, 0x3) from linux/nsfs.h; x/sys/unix has no constant.
const nsGetNSType = 0xb703

// userNS is the one flag Prepare treats specially.
const userNS = unix.CLONE_NEWUSER

// allTypes are the namespace types Request.Pid considers, in no significant order (the kernel
// orders a pidfd join itself).
var allTypes = []specs.LinuxNamespaceType{
	specs.UserNamespace, specs.MountNamespace, specs.PIDNamespace, specs.NetworkNamespace,
	specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

// Prepare makes cmd, an exec.Cmd of a binary that imports this package, join the namespaces in
// r before its Go runtime starts. It opens and checks everything now, writes the request, and
// adds the request socket and the namespace fds to cmd.ExtraFiles and the variable to cmd.Env, so
// it must be the last change to either before cmd.Start. Cmd's own Cloneflags act before the
// joins and may not create a namespace that r joins.
//
// If r asks for nothing that differs from the caller's namespaces, cmd is left as it is and Wait
// returns cmd.Process.Pid. After cmd.Start, call Wait; if Start fails or is never called, call
// Close.
func Prepare(cmd *exec.Cmd, r Request) (*Handle, error) {
	h := &Handle{cmd: cmd}
	ok := false
	defer func() {
		if !ok {
			h.Close()
		}
	}()
	var joins []join
	var joined uint32
	add := func(f *os.File, flags uint32) {
		h.child = append(h.child, f)
		joins = append(joins, join{flags: flags}) // send fills in the fd number
		joined |= flags
	}
	for _, ns := range r.Namespaces {
		if ns.Path == "" {
			continue
		}
		flag, err := namespaces.Type(ns.Type)
		if err != nil {
			return nil, err
		}
		if joined&uint32(flag) != 0 {
			return nil, fmt.Errorf("%s namespace: listed twice", ns.Type)
		}
		f, own, err := openNamespace(ns.Path, flag)
		if err != nil {
			return nil, fmt.Errorf("%s namespace: %w", ns.Type, err)
		}
		if own && flag == userNS {
			f.Close()
			continue
		}
		add(f, uint32(flag))
	}
	if r.Pid != 0 {
		types := r.Types
		if len(types) == 0 {
			// Every type not joined by path.
			for _, t := range allTypes {
				if flag, _ := namespaces.Type(t); joined&uint32(flag) == 0 {
					types = append(types, t)
				}
			}
		}
		for _, t := range types {
			if flag, err := namespaces.Type(t); err != nil {
				return nil, err
			} else if joined&uint32(flag) != 0 {
				return nil, fmt.Errorf("%s namespace: joined both by path and by pid", t)
			}
		}
		f, flags, err := openPid(r.Pid, types, len(r.Types) == 0)
		if err != nil {
			return nil, fmt.Errorf("namespaces of pid %d: %w", r.Pid, err)
		}
		if flags == 0 {
			f.Close() // the process shares all our namespaces: nothing to join
		} else {
			add(f, flags)
		}
	}
	var unshare uint32
	for _, t := range r.Unshare {
		flag, err := namespaces.Type(t)
		if err != nil {
			return nil, err
		}
		if flag == userNS || flag == unix.CLONE_NEWTIME {
			return nil, fmt.Errorf("cannot unshare a %s namespace before the Go runtime starts", t)
		}
		unshare |= uint32(flag)
	}
	if cmd.SysProcAttr != nil && uint32(cmd.SysProcAttr.Cloneflags)&(joined|unshare) != 0 {
		return nil, errors.New("command's clone flags create a namespace the request joins or unshares")
	}
	if len(joins) == 0 && unshare == 0 {
		// Nothing differs (an exec into a container that shares all our namespaces): leave cmd
		// alone, so the constructor is not involved, and let Wait report cmd's own pid.
		ok = true
		return h, nil
	}

	err := h.send(cmd, func(fds []int32) ([]byte, error) {
		for i := range joins {
			joins[i].fd = fds[i]
		}
		return encodeRequest(unshare, joins)
	})
	if err != nil {
		return nil, err
	}
	ok = true
	return h, nil
}

// openNamespace opens an nsfs file and checks its type; own reports that it is the caller's own
// namespace of that type.
func openNamespace(path string, flag uintptr) (f *os.File, own bool, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, false, err
	}
	got, err := unix.IoctlRetInt(int(f.Fd()), nsGetNSType)
	if err != nil {
		f.Close()
		if errors.Is(err, unix.ENOTTY) {
			return nil, false, fmt.Errorf("%s is not a namespace file", path)
		}
		return nil, false, &os.PathError{Op: "ioctl NS_GET_NSTYPE", Path: path, Err: err}
	}
	if uintptr(got) != flag {
		f.Close()
		return nil, false, fmt.Errorf("%s is a namespace of another type (%#x)", path, got)
	}
	own, err = sameFile(f, "/proc/self/ns/"+procName(flag))
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, own, nil
}

// openPid opens a pidfd for pid and works out which of types to join: those whose namespace
// differs from ours. any means the caller named no types, so one the kernel lacks is no error. Comparing through /proc/<pid> races with the pid being
// reused, so the pidfd is opened first and checked to be alive last: if the process was alive
// after the comparisons, /proc/<pid> was that process during them.
func openPid(pid int, types []specs.LinuxNamespaceType, any bool) (*os.File, uint32, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, 0, os.NewSyscallError("pidfd_open", err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	var flags uint32
	for _, t := range types {
		flag, err := namespaces.Type(t)
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		name := namespaces.ProcName(t)
		theirs, err := os.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, name))
		if errors.Is(err, os.ErrNotExist) && any {
			continue // a namespace type this kernel lacks, and the caller did not ask for it
		}
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		ours, err := os.Stat("/proc/self/ns/" + name)
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		if !os.SameFile(theirs, ours) {
			flags |= uint32(flag)
		}
	}
	if err := unix.PidfdSendSignal(fd, 0, nil, 0); err != nil {
		f.Close()
		return nil, 0, os.NewSyscallError("pidfd_send_signal", err)
	}
	return f, flags, nil
}

func procName(flag uintptr) string {
	for _, t := range allTypes {
		if f, _ := namespaces.Type(t); f == flag {
			return namespaces.ProcName(t)
		}
	}
	return ""
}

func sameFile(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// OpenPid opens a pidfd for pid and returns it with the CLONE_NEW* flags of every namespace of
// that process that differs from the caller's: what Request.Pid without Types joins, for a
// caller that joins by itself (a runtime thread, which can enter all but user and time
// namespaces with setns(2)).
func OpenPid(pid int) (*os.File, uint32, error) {
	return openPid(pid, allTypes, true)
}
