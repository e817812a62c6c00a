package libcontain

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/rootfs"
)

// openMountSource opens bind source number index of s for init (pid), which asked for it: an
// id-mapped source, or one init cannot open from inside its user namespace. It is opened as the
// runtime (host root: it may enter a 0700 directory of the host's root, make user namespaces and
// id-map mounts) but in init's mount namespace, so that a source inside the container is found
// as the mounts before it left it, and so that the mount can be attached there.
func openMountSource(pid int, s *specs.Spec, index int) (*rootfs.MountSource, error) {
	if index < 0 || index >= len(s.Mounts) {
		return nil, fmt.Errorf("init asked for the source of mount %d; the config has %d", index, len(s.Mounts))
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return nil, fmt.Errorf("open init's mount namespace: %w", err)
	}
	defer ns.Close()
	// Entering the mount namespace moves the thread's working directory to its root: a relative
	// source is made absolute first, as init (which kept the runtime's) resolves it.
	if m := s.Mounts[index]; !filepath.IsAbs(m.Source) {
		abs, err := filepath.Abs(m.Source)
		if err != nil {
			return nil, fmt.Errorf("open bind source: %w", err)
		}
		c := *s
		c.Mounts = slices.Clone(s.Mounts)
		c.Mounts[index].Source = abs
		s = &c
	}
	type result struct {
		src *rootfs.MountSource
		err error
	}
	done := make(chan result, 1)
	go func() {
		// setns(CLONE_NEWNS) needs a thread with an fs_struct of its own. The thread never runs
		// anything of the runtime's again: it stays locked, and Go ends it with this goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			done <- result{err: fmt.Errorf("open bind source: %w", os.NewSyscallError("unshare(CLONE_FS)", err))}
			return
		}
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
			done <- result{err: fmt.Errorf("open bind source: enter init's mount namespace: %w", os.NewSyscallError("setns", err))}
			return
		}
		src, err := rootfs.OpenMountSource(s, index)
		done <- result{src, err}
	}()
	r := <-done
	return r.src, r.err
}
