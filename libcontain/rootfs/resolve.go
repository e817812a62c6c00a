package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// inRoot resolves container paths inside one directory tree, never outside it.
//
// Every path in the config that names something inside the container (mount destinations,
// devices, masked and read-only paths) is attacker-controlled in the sense that the rootfs image
// can hold symlinks: "evil -> /etc" must make a mount on "/evil" land on <rootfs>/etc, not on the
// host's /etc (CVE-2015-3629, a symlinked mount destination; CVE-2021-30465 swapped a component between
// check and mount). So paths are walked with pathrs-lite relative to an O_PATH handle of the root,
// and the mount is made on the resulting fd through /proc/thread-self/fd/N: the kernel follows
// that magic link to the very inode we resolved, so nothing can swap the path after we checked
// it (the technique runc adopted in 1.1.12 for CVE-2024-21626).
type inRoot struct {
	f    *os.File // O_PATH|O_DIRECTORY handle on the root
	path string   // the root's path in this mount namespace, for messages and the escape check
}

func openRoot(path string) (*inRoot, error) {
	f, err := os.OpenFile(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", path, err)
	}
	return &inRoot{f: f, path: path}, nil
}

func (r *inRoot) Close() error { return r.f.Close() }

// cleanPath makes a config path absolute and lexically clean, so "../../etc" and "/../../etc"
// both become "/etc". Lexical cleaning only ever picks a different path inside the root: the
// walk that follows is what keeps symlinks from leaving it.
func cleanPath(p string) string {
	return filepath.Join("/", p)
}

// procFd is the magic link to fd f of the calling thread. thread-self rather than self: it is
// the fd table of this thread, which is what matters once the thread has unshared its files.
func procFd(f *os.File) string {
	return "/proc/thread-self/fd/" + strconv.Itoa(int(f.Fd()))
}

// open resolves an existing path inside the root and returns an O_PATH handle on it.
func (r *inRoot) open(p string) (*os.File, error) {
	f, err := openat2InRoot(r.f, cleanPath(p))
	if errors.Is(err, unix.ENOSYS) {
		f, err = pathrs.OpenatInRoot(r.f, cleanPath(p))
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s in %s: %w", p, r.path, err)
	}
	return f, nil
}

// openat2InRoot is the lookup pathrs-lite's OpenatInRoot makes on a kernel with openat2(2)
// (5.6 and later): RESOLVE_IN_ROOT, so that ".." and absolute symlinks stop at the root, and
// RESOLVE_NO_MAGICLINKS, so that no /proc magic link leads out; the kernel itself guarantees the
// result lies in the root. What pathrs-lite adds there is only a name for the handle, read back
// through its hardened procfs: 35 of the 37 us each lookup took here, for a name nothing of
// ours uses, on some seventy lookups per container start. Retried like pathrs-lite's on EAGAIN
// and EXDEV, which a rename or mount anywhere on the system can cause. ENOSYS: no openat2.
func openat2InRoot(root *os.File, p string) (*os.File, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(int(root.Fd()), p, how)
		if (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EXDEV)) && tries < 128 {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
		return os.NewFile(uintptr(fd), p), nil
	}
}

// resolveDangling returns p with every symlink in it resolved inside the root, dangling ones
// included, and the parts that do not exist taken as they are: "/etc/hosts" where hosts ->
// /run/hosts and /run does not exist yet is "/run/hosts". runc creates mountpoints there, and
// images rely on it. The result is only a better path to operate on: it is still resolved by
// pathrs-lite, never used as a host path, so a symlink swapped in meanwhile cannot escape.
func (r *inRoot) resolveDangling(p string) (string, error) {
	joined, err := securejoin.SecureJoin(r.path, cleanPath(p))
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", p, r.path, err)
	}
	rel, ok := within(filepath.Clean(r.path), joined)
	if !ok {
		return "", fmt.Errorf("resolve %s in %s: got %s, outside the root", p, r.path, joined)
	}
	return rel, nil
}

// throughDangling retries an operation that failed with err on p (retry) on the path a dangling
// symlink in p leads to (resolveDangling), when that is what failed: pathrs-lite stops at a
// dangling symlink with ENOTDIR (a component) or ENOENT (the last element). Nothing else is
// retried: a procfs magic link (ELOOP from pathrs-lite) must never be read as a path, which
// would make directories named after the runtime's open files (process.cwd /proc/self/fd/N).
func throughDangling[T any](r *inRoot, p string, err error, retry func(string) (T, error)) (T, error) {
	var zero T
	if !errors.Is(err, unix.ENOTDIR) && !errors.Is(err, unix.ENOENT) {
		return zero, err
	}
	real, rerr := r.resolveDangling(p)
	if rerr != nil || real == cleanPath(p) {
		return zero, err
	}
	return retry(real)
}

// mkdirAll creates the directory p and its parents inside the root (mode 0755) and returns a
// handle on it. A dangling symlink on the way is followed, inside the root (throughDangling).
func (r *inRoot) mkdirAll(p string) (*os.File, error) {
	f, err := r.mkdirAllAt(p)
	if err != nil {
		return throughDangling(r, p, err, r.mkdirAllAt)
	}
	return f, nil
}

// openDirInRoot is openat2InRoot for a directory: ENOTDIR when p is something else.
func openDirInRoot(root *os.File, p string) (*os.File, error) {
	f, err := openat2InRoot(root, p)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: unix.ENOTDIR}
	}
	return f, nil
}

// mkdirUnder creates the last component of p (mode 0755) under its parent, which must exist as a
// directory, and returns a handle on it. Any failure is the caller's to retry another way.
func mkdirUnder(root *os.File, p string) (*os.File, error) {
	dir, base := filepath.Split(p)
	if base == "" || base == "." || base == ".." {
		return nil, unix.EINVAL
	}
	parent, err := openDirInRoot(root, dir)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	if err := unix.Mkdirat(int(parent.Fd()), base, 0o755); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

func (r *inRoot) mkdirAllAt(p string) (*os.File, error) {
	// Most directories asked for exist (/proc, /dev, /sys of an image): a plain lookup finds
	// them at a fraction of MkdirAllHandle's cost, which resolves each component through
	// pathrs-lite. Anything else (missing, not a directory, no openat2) is left to it.
	if f, err := openDirInRoot(r.f, cleanPath(p)); err == nil {
		return f, nil
	} else if errors.Is(err, unix.ENOENT) {
		// A missing last component under an existing directory (/dev/pts on a fresh /dev):
		// mkdirat by name under the parent's handle creates nothing anywhere else (mkdir never
		// follows the last component; a dangling symlink there fails with EEXIST), and the new
		// directory is opened by name without following anything.
		if f, err := mkdirUnder(r.f, cleanPath(p)); err == nil {
			return f, nil
		}
	}
	f, err := pathrs.MkdirAllHandle(r.f, cleanPath(p), 0o755)
	if err != nil {
		return nil, fmt.Errorf("create directory %s in %s: %w", p, r.path, err)
	}
	return f, nil
}

// openOrMkdir returns a handle on whatever p resolves to inside the root, creating it as a
// directory (and its parents) if nothing is there; existed says whether it was there before.
func (r *inRoot) openOrMkdir(p string) (f *os.File, existed bool, err error) {
	f, err = r.open(p)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	f, err = r.mkdirAll(p)
	return f, false, err
}

// mkfile makes sure p exists inside the root, creating its parents and an empty file (0644) if
// nothing is there, and returns a handle on whatever p resolves to (an existing directory stays a
// directory: the mount then fails with ENOTDIR, which is the right answer). A dangling symlink
// on the way, or as p itself, is followed inside the root (throughDangling).
func (r *inRoot) mkfile(p string) (*os.File, error) {
	f, err := r.mkfileAt(p)
	if err != nil {
		return throughDangling(r, p, err, r.mkfileAt)
	}
	return f, nil
}

func (r *inRoot) mkfileAt(p string) (*os.File, error) {
	p = cleanPath(p)
	dir, base := filepath.Split(p)
	if base == "" {
		return nil, fmt.Errorf("create file %s in %s: path has no file name", p, r.path)
	}
	parent, err := r.mkdirAllAt(dir)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	// O_NOFOLLOW|O_EXCL: never create through a symlink (that is how a file would be created
	// outside the root); an existing entry is resolved in-root below instead.
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	switch {
	case err == nil:
		unix.Close(fd)
	case !errors.Is(err, unix.EEXIST):
		return nil, fmt.Errorf("create file %s in %s: %w", p, r.path, &os.PathError{Op: "openat", Path: p, Err: err})
	}
	return r.open(p)
}

// ordinaryDir fails unless p, if it exists, is a directory and not a symlink: the parent is
// resolved inside the root, the last component is not followed. A missing p is fine (it is
// created as a directory).
func (r *inRoot) ordinaryDir(p string) error {
	dir, base := filepath.Split(cleanPath(p))
	if base == "" {
		return nil
	}
	parent, err := r.open(dir)
	if isNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	defer parent.Close()
	var st unix.Stat_t
	err = unix.Fstatat(int(parent.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return &os.PathError{Op: "fstatat", Path: p, Err: err}
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%s is not a directory (mode %#o)", p, st.Mode&unix.S_IFMT)
	}
	return nil
}

// check confirms that handle f, which resolving p produced, lies inside the root. pathrs-lite
// already guarantees this; the check is a cheap second line of defence on a security boundary,
// using the kernel's own idea of the path (readlink of the fd's magic link).
func (r *inRoot) check(p string, f *os.File) (string, error) {
	real, err := os.Readlink(procFd(f))
	if err != nil {
		return "", fmt.Errorf("read path of %s: %w", p, err)
	}
	rel, ok := within(r.path, real)
	if !ok {
		return "", fmt.Errorf("%s resolves to %s, outside the container root %s", p, real, r.path)
	}
	return rel, nil
}

// within reports whether path p lies in dir (or is dir), and p relative to dir as an absolute
// container path.
func within(dir, p string) (string, bool) {
	if dir == "/" {
		return p, strings.HasPrefix(p, "/")
	}
	if p == dir {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

// mountID is the id of the mount that f is on (statx STATX_MNT_ID).
func mountID(f *os.File) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil {
		return 0, os.NewSyscallError("statx", err)
	}
	return st.Mnt_id, nil
}

// isNotExist reports whether a resolve error means the path is simply not there (a missing
// component, or a file where a directory was expected), which masked and read-only paths ignore.
func isNotExist(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)
}
