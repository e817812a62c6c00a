package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RootfsPath returns the absolute path of the container's root filesystem with every symlink
// resolved: root.path as is when absolute (podman, CRI-O), else relative to the bundle (runc
// spec, containerd). The directory must exist.
//
// Symlinks are resolved once, here, so that everything later (mounts, pivot_root, hooks' state)
// works on the same directory even if a link in the path is changed afterwards.
func RootfsPath(s *specs.Spec, bundle string) (string, error) {
	if s.Root == nil || s.Root.Path == "" {
		return "", errors.New("root.path must be set")
	}
	p := s.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	p, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("rootfs path: %w", err)
	}
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("rootfs (%q) does not exist", p)
	}
	if err != nil {
		return "", fmt.Errorf("resolve rootfs: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("rootfs (%q) is not a directory", p)
	}
	return real, nil
}
