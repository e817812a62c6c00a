// Package files gives read-only access to the sandboxes of a work dir under the virtual paths a
// Mesos agent serves them at:
//
//	/containers/<id>/runs/<run>/...   one run's sandbox
//	/containers/<id>/latest/...       the newest run's sandbox (the runs/latest link)
//
// Only sandboxes are reachable. Every lookup below a run directory is made by the kernel with
// openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV) relative to a handle on that
// directory, so "..", absolute paths and symlinks that lead out of the sandbox fail (EXDEV)
// however they are spelled, and a container that swaps a directory for a symlink while we look
// cannot steer the lookup out: there is no string check to race. Files are opened O_PATH first
// and reopened for reading only once fstat says they are regular, so a fifo never blocks the
// server and a device node's driver is never opened.
package files

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/state"
)

// The errors a lookup can end with, wrapped with the virtual path; servers map them to HTTP
// statuses with errors.Is.
var (
	ErrNotFound   = errors.New("no such file or directory")
	ErrOutside    = errors.New("path leads outside the sandbox")
	ErrInvalid    = errors.New("invalid path")
	ErrLoop       = errors.New("too many levels of symbolic links")
	ErrNotRegular = errors.New("not a regular file or directory")
	ErrIsDir      = errors.New("is a directory")
	ErrDenied     = errors.New("permission denied")
)

// Tree is the virtual file tree over one work dir.
type Tree struct {
	workDir string
}

// New returns the tree of workDir's sandboxes. workDir must be absolute; it need not exist yet
// (a work dir with no container yet has no sandboxes to show).
func New(workDir string) (*Tree, error) {
	if !filepath.IsAbs(workDir) {
		return nil, fmt.Errorf("work dir %q must be absolute", workDir)
	}
	return &Tree{workDir: filepath.Clean(workDir)}, nil
}

// WorkDir is the directory the tree shows.
func (t *Tree) WorkDir() string { return t.workDir }

// level says how deep a virtual path reaches.
type level int

const (
	levelRoot       level = iota // /
	levelContainers              // /containers
	levelContainer               // /containers/<id>
	levelRuns                    // /containers/<id>/runs
	levelSandbox                 // /containers/<id>/latest/... or /containers/<id>/runs/<run>/...
)

// location is a parsed virtual path.
type location struct {
	vpath string // as asked, for messages
	level level
	id    string
	run   string // "" with latest
	// rest is what follows the run inside the sandbox, handed to the kernel unchanged.
	rest string
}

// parse splits a virtual path into its fixed part (checked here, element by element, since those
// elements become directory names we open) and the rest inside a sandbox (left to openat2).
func parse(vpath string) (location, error) {
	loc := location{vpath: vpath}
	if strings.IndexByte(vpath, 0) >= 0 {
		return loc, fmt.Errorf("%q: %w: NUL byte", vpath, ErrInvalid)
	}
	p := strings.TrimPrefix(vpath, "/")
	if p == "" {
		return loc, nil
	}
	head, tail, _ := strings.Cut(p, "/")
	if head != "containers" {
		return loc, fmt.Errorf("%s: %w (only /containers/<id>/latest/... and /containers/<id>/runs/<run>/... are served)", vpath, ErrNotFound)
	}
	loc.level = levelContainers
	if tail == "" {
		return loc, nil
	}
	id, tail, _ := strings.Cut(tail, "/")
	if state.ValidateID(id) != nil {
		return loc, fmt.Errorf("%s: %w: %q is not a container id", vpath, ErrInvalid, id)
	}
	loc.id, loc.level = id, levelContainer
	if tail == "" {
		return loc, nil
	}
	what, tail, _ := strings.Cut(tail, "/")
	switch what {
	case "latest":
		loc.level, loc.rest = levelSandbox, tail
		return loc, nil
	case "runs":
	default:
		return loc, fmt.Errorf("%s: %w (a container has latest and runs)", vpath, ErrNotFound)
	}
	loc.level = levelRuns
	if tail == "" {
		return loc, nil
	}
	run, rest, _ := strings.Cut(tail, "/")
	if run == "latest" {
		loc.level, loc.rest = levelSandbox, rest
		return loc, nil
	}
	if !validRun(run) {
		return loc, fmt.Errorf("%s: %w: %q is not a run id", vpath, ErrInvalid, run)
	}
	loc.level, loc.run, loc.rest = levelSandbox, run, rest
	return loc, nil
}

// validRun accepts the names sandbox.Create gives runs: one path element, not hidden (the
// runs dir also holds ".latest-*" links while latest is repointed).
func validRun(name string) bool {
	return name != "" && name != "latest" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/\x00")
}

// handle is an O_PATH descriptor of what a virtual path names, with its stat.
type handle struct {
	f  *os.File
	st unix.Stat_t
	// loc is the parsed path; vpath is its canonical virtual form (latest kept as latest).
	loc location
}

func (h *handle) Close() error { return h.f.Close() }

func (h *handle) isDir() bool { return h.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (h *handle) isReg() bool { return h.st.Mode&unix.S_IFMT == unix.S_IFREG }

// strict is how the fixed part of a path is opened: no symlink at all, no mount crossing,
// nothing outside the directory it starts from.
const strict = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// beneath is how a path inside a sandbox is resolved: symlinks are followed while they stay in
// the sandbox; a mount point (a volume bind-mounted in the host's namespace, say) is a boundary.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// open resolves vpath to an O_PATH handle.
func (t *Tree) open(vpath string) (*handle, error) {
	loc, err := parse(vpath)
	if err != nil {
		return nil, err
	}
	wd, err := openat2(unix.AT_FDCWD, t.workDir, 0)
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	if loc.level == levelRoot {
		return stat(wd, loc)
	}
	rel := "containers"
	switch loc.level {
	case levelContainer:
		rel += "/" + loc.id
	case levelRuns, levelSandbox:
		rel += "/" + loc.id + "/runs"
	}
	dir, err := openat2(int(wd.Fd()), rel, strict)
	wd.Close()
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	if loc.level != levelSandbox {
		return stat(dir, loc)
	}
	run := loc.run
	if run == "" {
		if run, err = latest(dir); err != nil {
			dir.Close()
			return nil, fmt.Errorf("%s: %w", vpath, err)
		}
	}
	sb, err := openat2(int(dir.Fd()), run, strict)
	dir.Close()
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	if loc.rest == "" {
		return stat(sb, loc)
	}
	f, err := openat2(int(sb.Fd()), loc.rest, beneath)
	sb.Close()
	if err != nil {
		return nil, lookupError(vpath, err)
	}
	return stat(f, loc)
}

// latest reads the runs/latest link of an open runs dir. Its target is read, not followed, and
// must be one plain run name: a link rewritten to point anywhere else is refused.
func latest(runs *os.File) (string, error) {
	buf := make([]byte, unix.NAME_MAX+1)
	n, err := unix.Readlinkat(int(runs.Fd()), "latest", buf)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return "", fmt.Errorf("%w (the container has no latest run)", ErrNotFound)
		}
		return "", fmt.Errorf("read latest link: %w", err)
	}
	target := string(buf[:n])
	if !validRun(target) {
		return "", fmt.Errorf("%w: latest points to %q, not to a run", ErrOutside, target)
	}
	return target, nil
}

// openat2 opens path relative to dirfd as an O_PATH handle under the resolve flags, retrying the
// EAGAIN the kernel returns when a rename raced a ".." lookup.
func openat2(dirfd int, path string, resolve uint64) (*os.File, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolve}
	for range 16 {
		fd, err := unix.Openat2(dirfd, path, how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
	return nil, &os.PathError{Op: "openat2", Path: path, Err: unix.EAGAIN}
}

func stat(f *os.File, loc location) (*handle, error) {
	h := &handle{f: f, loc: loc}
	if err := unix.Fstat(int(f.Fd()), &h.st); err != nil {
		f.Close()
		return nil, lookupError(loc.vpath, err)
	}
	return h, nil
}

// lookupError turns the kernel's answer into one of the package's errors.
func lookupError(vpath string, err error) error {
	var why error
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		why = ErrNotFound
	case errors.Is(err, unix.EXDEV):
		why = ErrOutside
	case errors.Is(err, unix.ELOOP):
		why = ErrLoop
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		why = ErrDenied
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENAMETOOLONG):
		why = ErrInvalid
	default:
		return fmt.Errorf("%s: %w", vpath, err)
	}
	return fmt.Errorf("%s: %w", vpath, why)
}
