package cgfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ParsePids parses cgroup.procs: one decimal pid per line.
func ParsePids(b []byte) ([]int, error) {
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("parse pid %q", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// AllPids returns the pids in dir and in every cgroup below it, sorted and without duplicates. A
// container may create child cgroups of its own (systemd in a container does), and their
// processes belong to the container too.
func AllPids(dir string) ([]int, error) {
	seen := make(map[int]bool)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A child cgroup removed while we walk is not an error.
			if os.IsNotExist(err) && path != dir {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			if os.IsNotExist(err) && path != dir {
				return nil
			}
			return err
		}
		pids, err := ParsePids(b)
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(path, "cgroup.procs"), err)
		}
		for _, p := range pids {
			seen[p] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pids in %s: %w", dir, err)
	}
	out := make([]int, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Ints(out)
	return out, nil
}

// Join moves pid into the cgroup dir.
func Join(dir string, pid int) error {
	if err := Write(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join %s: %w", dir, err)
	}
	return nil
}
