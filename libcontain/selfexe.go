package libcontain

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/initexe"
)

// selfExeMinFd is the lowest fd the sealed binary may have: above the few fds a child inherits
// besides the preserved ones.
const selfExeMinFd = 100

// sealedSelf returns the runtime binary, protected against writes, to start the child from.
//
// CVE-2019-5736: while the child runs inside the container, /proc/<child>/exe points at the
// binary it was started from. A container process can open that link and, once the child has
// exec'd, write through it — overwriting the host's runtime binary. So the child is never started
// from the binary itself but from a handle that cannot be written:
//   - the binary seen through a private, read-only overlayfs mount that is attached nowhere
//     (sealedOverlay): it costs one superblock, about 0.1 ms, and shares the binary's page cache;
//   - where that cannot be made (no overlayfs, no privilege, the binary deleted or replaced since
//     we started), a sealed memfd copy (sealedCopy): 11 MB copied per start, 5-8 ms here.
//
// dummyDir is a directory the overlay may use as its second layer (see sealedOverlay), preserved
// the number of the caller's fds the child gets first (--preserve-fds).
func sealedSelf(log *slog.Logger, dummyDir string, preserved int) (*os.File, error) {
	f, err := sealedOverlay(dummyDir)
	if err != nil {
		log.Debug("sealed binary: no overlay, copying to a memfd", "err", err)
		if f, err = sealedCopy("/proc/self/exe"); err != nil {
			return nil, err
		}
	}
	return aboveChildFds(f, preserved)
}

// sealedInit returns the small init binary (package initexe) installed under dir, sealed the
// way sealedSelf seals contain: through an overlay of dir, or a memfd copy, a quarter of
// contain's size. nil: this build embeds none, or it could not be installed or sealed (logged);
// the caller seals contain itself instead.
func sealedInit(log *slog.Logger, dir, dummyDir string, preserved int) *os.File {
	path, st, err := initexe.Install(dir)
	if err != nil {
		log.Debug("small init binary not installed, init is contain itself", "err", err)
	}
	if path == "" {
		return nil
	}
	f, err := overlayOf(path, st, dummyDir)
	if err != nil {
		log.Debug("small init binary: no overlay, copying to a memfd", "err", err)
		if f, err = sealedCopy(path); err != nil {
			log.Debug("small init binary not sealed, init is contain itself", "err", err)
			return nil
		}
	}
	if f, err = aboveChildFds(f, preserved); err != nil {
		log.Debug("small init binary not sealed, init is contain itself", "err", err)
		return nil
	}
	return f
}

// aboveChildFds moves the sealed handle f above the fds the child is given. The child is started
// as /proc/self/fd/N, resolved after the child's fds 3.. were laid out from ExtraFiles (the
// caller's preserved ones first): N must be above any number those can take.
func aboveChildFds(f *os.File, preserved int) (*os.File, error) {
	high, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, selfExeMinFd+preserved)
	name := f.Name()
	f.Close()
	if err != nil {
		return nil, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	return os.NewFile(uintptr(high), name), nil
}

// sealedOverlay opens the running binary through a new overlayfs mount whose top layer is the
// binary's directory. The mount has no upper layer, so the file system itself is read-only: an
// open for writing fails with EROFS whatever the opener's privileges, and unlike a read-only bind
// mount there is no mount flag a container process could clear. The mount is never attached to
// any namespace (fsmount): it lives as long as the returned O_PATH handle, and the exec'd child,
// hold it. Overlayfs wants two layers when there is no upper one; the second, dummyDir (or /dev
// when dummyDir overlaps the binary's directory), is never read, because the binary's name is
// found in the top layer.
func sealedOverlay(dummyDir string) (*os.File, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(exe, " (deleted)") {
		return nil, errors.New("own binary was deleted")
	}
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &self); err != nil {
		return nil, os.NewSyscallError("stat", err)
	}
	return overlayOf(exe, &self, dummyDir)
}

// overlayOf opens exe through the overlay if it is still the file self describes (lstat or stat
// of it: its inode number, size and modification time).
func overlayOf(exe string, self *unix.Stat_t, dummyDir string) (*os.File, error) {
	dir, name := filepath.Split(exe)
	var lastErr error
	for _, dummy := range []string{dummyDir, "/dev"} {
		// Overlayfs refuses layers that overlap (ELOOP), after a walk of both trees that cost
		// 0.3-0.9 ms here: a state root under the binary's directory (build/ beside the binary)
		// goes straight to /dev. Overlaps hidden by symlinks still fail, and /dev is tried then.
		if dummy != "/dev" && pathsOverlap(dir, dummy) {
			continue
		}
		f, err := openThroughOverlay(dir, dummy, name)
		if err != nil {
			lastErr = err
			continue
		}
		// The path may name another binary by now (an upgrade replaced it): the child must be
		// the same program as the parent it talks to. Overlayfs reports the lower file's inode
		// number, size and times.
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Ino != self.Ino || st.Size != self.Size || st.Mtim != self.Mtim {
			f.Close()
			return nil, fmt.Errorf("%s was replaced", exe)
		}
		return f, nil
	}
	return nil, lastErr
}

// pathsOverlap tells whether one of two paths is the other or lies below it, lexically (a
// relative path is taken from the working directory).
func pathsOverlap(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return false
	}
	below := func(p, dir string) bool {
		return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
	}
	return below(a, b) || below(b, a)
}

func openThroughOverlay(top, dummy, name string) (*os.File, error) {
	ctx, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("fsopen overlay", err)
	}
	defer unix.Close(ctx)
	// A ':' or '\' in a layer path would be taken as a separator or an escape.
	esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`)
	if err := unix.FsconfigSetString(ctx, "lowerdir", esc.Replace(top)+":"+esc.Replace(dummy)); err != nil {
		return nil, os.NewSyscallError("fsconfig lowerdir", err)
	}
	// xino would only matter for inode numbers across layers; it also logs to dmesg when the
	// layers are on different file systems. Older kernels may not know the option.
	_ = unix.FsconfigSetString(ctx, "xino", "off")
	if err := unix.FsconfigCreate(ctx); err != nil {
		return nil, os.NewSyscallError("fsconfig create", err)
	}
	mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, os.NewSyscallError("fsmount", err)
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name + " through overlay", Err: err}
	}
	return os.NewFile(uintptr(fd), "contain-init"), nil
}

// sealedCopy is a memfd copy of the binary at path sealed against writes, growing and
// shrinking: the container has nothing to write to.
func sealedCopy(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open binary: %w", err)
	}
	defer src.Close()
	// MFD_EXEC (Linux 6.3+) keeps the memfd executable where vm.memfd_noexec asks for
	// non-executable memfds by default; older kernels refuse the flag, so retry without it.
	fd, err := unix.MemfdCreate("contain-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("contain-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	mem := os.NewFile(uintptr(fd), "contain-init")
	if _, err := io.Copy(mem, src); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy binary: %w", err)
	}
	if err := seal(mem); err != nil {
		mem.Close()
		return nil, err
	}
	return mem, nil
}

// seal adds the seals. F_SEAL_WRITE fails with EBUSY while the kernel still holds references to
// the memfd's pages from the copy (it waits a while for them first, in memfd_wait_for_pins):
// under load that happened to one create in a thousand (make stress), so it is tried again a few
// times before the create fails.
func seal(mem *os.File) error {
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	var err error
	for wait := time.Millisecond; ; wait *= 4 {
		if _, err = unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != unix.EBUSY || wait > 300*time.Millisecond {
			break
		}
		time.Sleep(wait)
	}
	if err != nil {
		return os.NewSyscallError("fcntl F_ADD_SEALS", err)
	}
	return nil
}
