package namespaces

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsGetNSType is NS_GET_NSTYPE, _IO(0xb7, 0x3) from linux/nsfs.h: on an nsfs file it returns the
// namespace's CLONE_NEW* type, on any other file it fails with ENOTTY. x/sys/unix has no constant.
const nsGetNSType = 0xb703

// joinOrder is the order Join enters namespaces in, whatever order the spec lists them in, so
// that the result does not depend on how a client happened to sort its config. Only the types a
// multi-threaded Go process can enter are here (see needsNsenter).
var joinOrder = []specs.LinuxNamespaceType{
	specs.IPCNamespace,
	specs.UTSNamespace,
	specs.NetworkNamespace,
	specs.CgroupNamespace,
}

// needsNsenter reports the types contain cannot join yet. By the time Go code runs the process
// has several threads, and the kernel refuses or half-applies these joins for such a process:
//   - mount: setns fails with EINVAL because Go's threads share one fs_struct (CLONE_FS), and
//     the kernel will not change the root of a shared fs_struct (fs/namespace.c mntns_install).
//   - user: setns fails with EINVAL for a multi-threaded caller (kernel/user_namespace.c
//     userns_install).
//   - time: setns fails with EUSERS unless the caller is single-threaded
//     (kernel/time/namespace.c timens_install).
//   - pid: setns only changes the namespace of the caller's future children
//     (pid_ns_for_children), never of init itself, so init would run in the wrong namespace.
//
// All four need a small constructor that joins before the Go runtime starts its threads
// (libcontain/nsenter).
func needsNsenter(t specs.LinuxNamespaceType) bool {
	switch t {
	case specs.MountNamespace, specs.UserNamespace, specs.TimeNamespace, specs.PIDNamespace:
		return true
	}
	return false
}

// Validate checks the spec's namespace list: every type known and listed once, and every
// namespace to join an absolute path to an nsfs file of that type that contain can join. It
// reports every problem, one line each.
func Validate(ns []specs.LinuxNamespace) error {
	var errs []error
	seen := make(map[specs.LinuxNamespaceType]bool, len(ns))
	for _, n := range ns {
		flag, err := Type(n.Type)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[n.Type] {
			errs = append(errs, fmt.Errorf("duplicate namespace type %q", n.Type))
			continue
		}
		seen[n.Type] = true
		if n.Path == "" {
			continue
		}
		if needsNsenter(n.Type) {
			errs = append(errs, fmt.Errorf("joining an existing %s namespace is not supported yet (needs nsenter)", n.Type))
			continue
		}
		if err := checkNamespaceFile(n.Path, flag); err != nil {
			errs = append(errs, fmt.Errorf("%s namespace: %w", n.Type, err))
		}
	}
	return errors.Join(errs...)
}

// checkNamespaceFile checks that path is an nsfs file for a namespace of type flag.
func checkNamespaceFile(path string, flag uintptr) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("path %q is not absolute", path)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	got, err := unix.IoctlRetInt(fd, nsGetNSType)
	if errors.Is(err, unix.ENOTTY) {
		return fmt.Errorf("%s is not a namespace file", path)
	}
	if err != nil {
		return &os.PathError{Op: "ioctl NS_GET_NSTYPE", Path: path, Err: err}
	}
	if uintptr(got) != flag {
		return fmt.Errorf("%s is a %s namespace", path, typeName(uintptr(got)))
	}
	return nil
}

// typeName names the namespace type with clone flag flag, for messages.
func typeName(flag uintptr) string {
	for t, k := range kinds {
		if k.flag == flag {
			return string(t)
		}
	}
	return fmt.Sprintf("%#x", flag)
}

// Join enters every namespace the spec gives a path for (net, uts, ipc, cgroup). It must run on
// the thread that will execve the container process, locked with runtime.LockOSThread and never
// unlocked: setns(2) changes only the calling thread, and the Go scheduler would otherwise move
// the goroutine to a thread still in the old namespaces.
//
// All files are opened before the first setns, so a bad path changes nothing. Each setns is
// passed the expected type, so the kernel refuses a file that was swapped for another kind of
// namespace after Validate looked at it.
func Join(ns []specs.LinuxNamespace) error {
	paths := make(map[specs.LinuxNamespaceType]string, len(ns))
	for _, n := range ns {
		if n.Path == "" {
			continue
		}
		if _, err := Type(n.Type); err != nil {
			return err
		}
		if needsNsenter(n.Type) {
			return fmt.Errorf("joining an existing %s namespace is not supported yet (needs nsenter)", n.Type)
		}
		if _, dup := paths[n.Type]; dup {
			return fmt.Errorf("duplicate namespace type %q", n.Type)
		}
		paths[n.Type] = n.Path
	}

	type join struct {
		t    specs.LinuxNamespaceType
		path string
		fd   int
	}
	var joins []join
	defer func() {
		for _, j := range joins {
			unix.Close(j.fd)
		}
	}()
	for _, t := range joinOrder {
		path, ok := paths[t]
		if !ok {
			continue
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s namespace: %w", t, &os.PathError{Op: "open", Path: path, Err: err})
		}
		joins = append(joins, join{t: t, path: path, fd: fd})
	}
	for _, j := range joins {
		if err := unix.Setns(j.fd, int(kinds[j.t].flag)); err != nil {
			return fmt.Errorf("join %s namespace %s: %w", j.t, j.path, os.NewSyscallError("setns", err))
		}
	}
	return nil
}
