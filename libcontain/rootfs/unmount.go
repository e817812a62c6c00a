package rootfs

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// MountsUnder lists the mount points at or below dir in a mountinfo table, deepest first. The
// parser takes bytes: callers read /proc/self/mountinfo.
func MountsUnder(mountinfo []byte, dir string) []string {
	dir = filepath.Clean(dir)
	return mountPoints(mountinfo, func(m mountLine) bool { return under(m.point, dir) })
}

// mountLine is what the parsers here need of one mountinfo line.
type mountLine struct {
	root, point, fstype string
}

// mountPoints returns the mount points of the lines keep accepts, deepest first.
func mountPoints(mountinfo []byte, keep func(mountLine) bool) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		m := mountLine{root: unescapeMountinfo(f[3]), point: unescapeMountinfo(f[4])}
		// The filesystem type follows the "-" that ends the optional fields.
		for i := 5; i+1 < len(f); i++ {
			if f[i] == "-" {
				m.fstype = f[i+1]
				break
			}
		}
		if keep(m) {
			out = append(out, m.point)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// unescapeMountinfo undoes the octal escapes (\040 for space ...) the kernel writes.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, ok := octal(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var v int
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}

// UnmountShared removes what a container without a mount namespace left mounted in the
// caller's namespace: every mount at or below its rootfs, deepest first, detached.
func UnmountShared(rootfs string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var first error
	for _, mp := range MountsUnder(b, rootfs) {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL && first == nil {
			first = &os.PathError{Op: "umount", Path: mp, Err: err}
		}
	}
	return first
}

// FullProcSysMounts lists, deepest first, the mount points of whole procfs and sysfs mounts
// (the filesystem's root is what is mounted) outside dir. The kernel lets a process mount a new
// procfs or sysfs only where a full, uncovered one is already visible in its mount namespace
// (fs/namespace.c, mount_too_revealing): --no-pivot leaves the host's reachable, so they are
// taken away first.
func FullProcSysMounts(mountinfo []byte, dir string) []string {
	dir = filepath.Clean(dir)
	return mountPoints(mountinfo, func(m mountLine) bool {
		return m.root == "/" && (m.fstype == "proc" || m.fstype == "sysfs") && !under(m.point, dir)
	})
}
