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

// Joins returns the namespaces the spec gives a path for: they are joined before init's Go
// runtime starts (package nsenter), because Go cannot setns(2) into a mount or user namespace
// once it runs threads, and a pid namespace join only applies to children.
func Joins(ns []specs.LinuxNamespace) []specs.LinuxNamespace {
	var out []specs.LinuxNamespace
	for _, n := range ns {
		if n.Path != "" {
			out = append(out, n)
		}
	}
	return out
}

// NewTypes returns the types of the namespaces the spec wants created.
func NewTypes(ns []specs.LinuxNamespace) []specs.LinuxNamespaceType {
	var out []specs.LinuxNamespaceType
	for _, n := range ns {
		if n.Path == "" {
			out = append(out, n.Type)
		}
	}
	return out
}
