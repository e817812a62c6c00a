//go:build linux

package e2e

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupLine is one line of /proc/<pid>/cgroup: "hierarchy-id:controllers:path".
type cgroupLine struct {
	controllers []string // empty for the cgroup v2 line "0::/path"
	path        string
}

func readCgroupLines(t *testing.T, pid string) []cgroupLine {
	t.Helper()
	f, err := os.Open("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatalf("read cgroups of %s: %v", pid, err)
	}
	defer f.Close()
	var lines []cgroupLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		l := cgroupLine{path: parts[2]}
		if parts[1] != "" {
			l.controllers = strings.Split(parts[1], ",")
		}
		lines = append(lines, l)
	}
	return lines
}

// unified reports whether /sys/fs/cgroup itself is cgroup v2 (no v1 hierarchies).
func unified() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// mountFor returns where the hierarchy of l is mounted, or "" if it is not found at the usual
// place: /sys/fs/cgroup (v2), /sys/fs/cgroup/unified (hybrid v2), /sys/fs/cgroup/<ctrls> or
// /sys/fs/cgroup/<ctrl> (v1, "name=systemd" at /sys/fs/cgroup/systemd).
func mountFor(l cgroupLine) string {
	if len(l.controllers) == 0 {
		if unified() {
			return "/sys/fs/cgroup"
		}
		if _, err := os.Stat("/sys/fs/cgroup/unified/cgroup.controllers"); err == nil {
			return "/sys/fs/cgroup/unified"
		}
		return ""
	}
	names := []string{strings.TrimPrefix(strings.Join(l.controllers, ","), "name=")}
	for _, c := range l.controllers {
		names = append(names, strings.TrimPrefix(c, "name="))
	}
	for _, n := range names {
		p := filepath.Join("/sys/fs/cgroup", n)
		if _, err := os.Stat(filepath.Join(p, "cgroup.procs")); err == nil {
			return p
		}
	}
	return ""
}

// cgroupDirs returns, for every hierarchy, the directory a runtime makes for the relative
// cgroupsPath rel: the caller's own cgroup joined with rel on v1, its parent's on v2 (runc's
// rules for relative paths, so test cgroups nest under this test's cgroup, or beside it on v2,
// and never touch a cgroup we did not create).
func cgroupDirs(t *testing.T, rel string) []string {
	t.Helper()
	if rel == "" || filepath.IsAbs(rel) || strings.Contains(rel, ":") {
		t.Fatalf("cgroupsPath %q: the tests use only relative paths", rel)
	}
	var dirs []string
	for _, l := range readCgroupLines(t, "self") {
		if m := mountFor(l); m != "" {
			dirs = append(dirs, filepath.Join(m, relBase(l), rel))
		}
	}
	return dirs
}

// relBase is the cgroup a relative cgroupsPath is taken from: the caller's own on v1, its
// parent on v2 (the caller's own holds processes, so v2 gives its children no controllers).
func relBase(l cgroupLine) string {
	if len(l.controllers) == 0 {
		return filepath.Dir(l.path)
	}
	return l.path
}

// controllerDir returns the directory of controller ctrl ("memory", "pids", "cpu") for the
// relative cgroupsPath rel, and whether it is a v2 dir (whose file names differ).
func controllerDir(t *testing.T, ctrl, rel string) (dir string, v2 bool) {
	t.Helper()
	for _, l := range readCgroupLines(t, "self") {
		for _, c := range l.controllers {
			if c == ctrl {
				return filepath.Join(mountFor(l), l.path, rel), false
			}
		}
	}
	for _, l := range readCgroupLines(t, "self") {
		if len(l.controllers) == 0 && unified() {
			return filepath.Join("/sys/fs/cgroup", relBase(l), rel), true
		}
	}
	t.Skipf("needs the %s cgroup controller", ctrl)
	return "", false
}

// pidControllerDir is controllerDir for a running process, read from /proc/<pid>/cgroup.
func pidControllerDir(t *testing.T, pid int, ctrl string) (dir string, v2 bool) {
	t.Helper()
	lines := readCgroupLines(t, strconv.Itoa(pid))
	for _, l := range lines {
		for _, c := range l.controllers {
			if c == ctrl {
				return filepath.Join(mountFor(l), l.path), false
			}
		}
	}
	for _, l := range lines {
		if len(l.controllers) == 0 && unified() {
			return filepath.Join("/sys/fs/cgroup", l.path), true
		}
	}
	t.Fatalf("pid %d is in no %s cgroup", pid, ctrl)
	return "", false
}

// readKeyed returns the value of key in a flat keyed cgroup file ("key value" lines), such as
// memory.oom_control, memory.events or pids.events.
func readKeyed(t *testing.T, path, key string) int64 {
	t.Helper()
	for _, line := range strings.Split(readFile(t, path), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			return n
		}
	}
	t.Fatalf("%s has no %q", path, key)
	return 0
}

// removeLeftoverCgroups fails the test if a cgroup dir of the container (its cgroupsPath, or one
// named for its id) is still there, and removes it: processes in it are ours (the container's),
// so they are killed by pid first, then the dir is removed with rmdir, which the kernel refuses
// for a cgroup that still has tasks or children.
func removeLeftoverCgroups(t *testing.T, rel, id string) {
	t.Helper()
	var dirs []string
	if rel != "" {
		dirs = cgroupDirs(t, rel)
	}
	dirs = append(dirs, cgroupDirs(t, id)...)
	for _, d := range dirs {
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			continue
		}
		t.Errorf("cgroup dir %s left behind", d)
		if procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
			for _, p := range strings.Fields(string(procs)) {
				if pid, err := strconv.Atoi(p); err == nil && pid > 0 {
					unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
		deadline := time.Now().Add(statusTimeout)
		for {
			err := unix.Rmdir(d)
			if err == nil || errors.Is(err, unix.ENOENT) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("remove leftover cgroup %s: %v", d, err)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
