//go:build linux

package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// livePids returns the pids now in /proc.
func livePids(t *testing.T) map[int]bool {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	pids := make(map[int]bool)
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids[pid] = true
		}
	}
	return pids
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// leftovers is what a failed command must not leave behind.
type leftovers struct {
	id          string
	bundle      string
	rootfs      string
	cgroupsPath string
	pidsBefore  map[int]bool
	keepIDs     map[string]bool // containers of the test that legitimately exist
	keepPids    map[int]bool
}

// check fails the test for a state dir under --root (other than keepIDs), a cgroup dir for the
// container's cgroupsPath or named for its id, a mount of its bundle or rootfs in our mount
// namespace, or a new process running in its bundle or rootfs.
func (l leftovers) check(t *testing.T, r *runner) {
	t.Helper()
	entries, _ := os.ReadDir(r.root)
	for _, e := range entries {
		if !l.keepIDs[e.Name()] {
			t.Errorf("state root holds %q after the failed command", e.Name())
		}
	}
	// "../x" style ids must not have reached a path outside --root either.
	if strings.Contains(l.id, "/") {
		if _, err := os.Lstat(filepath.Join(r.root, l.id)); err == nil {
			t.Errorf("%s exists: the id escaped --root", filepath.Join(r.root, l.id))
		}
	} else if !l.keepIDs[l.id] {
		var dirs []string
		if l.cgroupsPath != "" && !l.keepIDs[l.id] {
			dirs = append(dirs, cgroupDirs(t, l.cgroupsPath)...)
		}
		dirs = append(dirs, cgroupDirs(t, l.id)...)
		for _, line := range readCgroupLines(t, "self") {
			if m := mountFor(line); m != "" {
				dirs = append(dirs, filepath.Join(m, l.id))
			}
		}
		for _, d := range dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("cgroup dir %s left behind (%v)", d, err)
			}
		}
	}
	mounts := readFile(t, "/proc/self/mountinfo")
	for _, line := range strings.Split(mounts, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		if under(f[4], l.bundle) || (l.rootfs != "" && under(f[4], l.rootfs)) {
			t.Errorf("mount left behind: %s", line)
		}
	}
	for pid := range livePids(t) {
		if l.pidsBefore[pid] || l.keepPids[pid] || pid == os.Getpid() {
			continue
		}
		p := "/proc/" + strconv.Itoa(pid)
		cwd, _ := os.Readlink(p + "/cwd")
		root, _ := os.Readlink(p + "/root")
		if under(cwd, l.bundle) || (l.rootfs != "" && (under(root, l.rootfs) || under(cwd, l.rootfs))) ||
			l.mountsOurRootfs(p) {
			cmdline, _ := os.ReadFile(p + "/cmdline")
			t.Errorf("process %d (%q, cwd %s, root %s) left behind", pid,
				strings.ReplaceAll(string(cmdline), "\x00", " "), cwd, root)
		}
	}
}

// mountsOurRootfs reports whether the process at p (/proc/<pid>) has our rootfs or bundle
// mounted. After pivot_root a container's cwd and root read as "/" from outside, so its own
// mount table, whose root field names the bind-mounted source dir, is what identifies it.
func (l leftovers) mountsOurRootfs(p string) bool {
	data, err := os.ReadFile(p + "/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[3] == "/" {
			continue
		}
		src := f[3] // the mounted dir, relative to its filesystem's root
		if (l.rootfs != "" && strings.Contains(src, filepath.Base(l.rootfs))) ||
			(strings.Count(src, "/") >= 2 && strings.HasSuffix(l.bundle, src)) {
			return true
		}
	}
	return false
}
