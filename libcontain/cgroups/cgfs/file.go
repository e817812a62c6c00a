// Package cgfs reads and writes the interface files of one cgroup directory. It is shared by the
// fs1 and fs2 drivers so both report errors the same way: "set <file> to <value>: <errno>", which
// is what a user needs to see when the kernel rejects a limit.
package cgfs

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Write writes value to dir/file in a single write(2). Cgroup files take one value (or one rule)
// per write; the kernel parses each write on its own, so rules must never be batched. Like
// readFile it uses the file descriptor directly: through an *os.File each write also registered
// the kernfs file with the runtime's poller and removed it again (six system calls instead of
// three; a container's device rules alone are a dozen writes).
func Write(dir, file, value string) error {
	// O_TRUNC is ignored by kernfs but makes writes to plain files (unit tests) exact.
	fd, err := unix.Open(filepath.Join(dir, file), unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return &SetError{File: file, Value: value, Err: err}
	}
	defer unix.Close(fd)
	for value != "" { // as (*os.File).Write: nothing to write is no write(2)
		n, err := unix.Write(fd, []byte(value))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err == nil && n < len(value) {
			err = unix.EIO // a cgroup file takes a value whole or not at all
		}
		if err != nil {
			return &SetError{File: file, Value: value, Err: err}
		}
		return nil
	}
	return nil
}

// SetError reports a rejected write. errors.Is(err, unix.EBUSY) and errors.Is(err, fs.ErrNotExist)
// keep working through it.
type SetError struct {
	File  string
	Value string
	Err   error
}

func (e *SetError) Error() string {
	return fmt.Sprintf("set %s to %s: %v", e.File, strings.TrimSpace(e.Value), e.Err)
}

func (e *SetError) Unwrap() error { return e.Err }

// unwrapPath drops the *os.PathError layer so that the message names the file once (SetError
// already does) while the errno is kept for errors.Is.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Exists reports whether dir/file exists. Optional interface files (memory.memsw.*, cgroup.kill,
// memory.peak) exist only when the kernel was built or booted with the feature.
func Exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// Read returns the contents of dir/file with surrounding white space removed.
func Read(dir, file string) (string, error) {
	b, err := readFile(filepath.Join(dir, file))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, unwrapPath(err))
	}
	return strings.TrimSpace(string(b)), nil
}

// readFile is os.ReadFile in three syscalls instead of nine: an *os.File of a kernfs file is
// registered with (and later removed from) the runtime's poller and its flags read and set,
// which doubles the cost of a read of one cgroup file (a list of 1,000 stopped containers reads
// one each for the OOM killer's verdict). Errors are *os.PathError, as os.ReadFile's.
func readFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// ReadUint reads a file holding one unsigned number; "max" (v2) reads as math.MaxUint64, as runc
// reports it.
func ReadUint(dir, file string) (uint64, error) {
	s, err := Read(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(s)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", file, err)
	}
	return v, nil
}

// ParseUint parses one cgroup value. "max" is unlimited. v1 reports some unlimited values as
// negative numbers (cpu.cfs_quota_us -1) and limits as huge page-rounded numbers; a negative
// value is read as 0 rather than failing the whole stats call.
func ParseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return v, nil
}

// ReadKeyValues reads a flat-keyed file ("key value" per line: memory.stat, cpu.stat,
// memory.events, memory.oom_control).
func ReadKeyValues(dir, file string) (map[string]uint64, error) {
	b, err := readFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, unwrapPath(err))
	}
	m, err := ParseKeyValues(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return m, nil
}

// ParseKeyValues parses a flat-keyed cgroup file: one "key value" pair per line.
func ParseKeyValues(b []byte) (map[string]uint64, error) {
	m := make(map[string]uint64)
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"key value\", got %q", n+1, line)
		}
		v, err := ParseUint(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		m[f[0]] = v
	}
	return m, nil
}

// ParseUints parses white-space separated numbers (cpuacct.usage_percpu).
func ParseUints(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := ParseUint(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ValidPageSize checks a hugetlb page size ("2MB", "1GB", "64KB") before it becomes part of a
// file name, so a spec cannot steer a write to another file.
func ValidPageSize(s string) error {
	n := len(s)
	if n < 3 || s[n-1] != 'B' || !strings.ContainsRune("KMGTPE", rune(s[n-2])) {
		return fmt.Errorf("hugepage size %q: want <number><K|M|G...>B", s)
	}
	for _, c := range s[:n-2] {
		if c < '0' || c > '9' {
			return fmt.Errorf("hugepage size %q: want <number><K|M|G...>B", s)
		}
	}
	return nil
}

// PidsMax is the pids.max value of a spec's pids limit: a negative limit is none ("max"), and 0
// means 1, as runtime-spec 1.2 says and runc writes it (systemd's TasksMax cannot be 0, and
// both of runc's drivers agree on 1).
func PidsMax(limit int64) string {
	switch {
	case limit < 0:
		return "max"
	case limit == 0:
		return "1"
	}
	return strconv.FormatInt(limit, 10)
}

// ErrV1Unified is runc's refusal of linux.resources.unified on a cgroup v1 host.
var ErrV1Unified = errors.New("invalid configuration: cannot use unified on cgroup v1")
