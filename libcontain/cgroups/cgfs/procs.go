package cgfs

import (
	"errors"
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

// ErrFrozen is runc's refusal of a cgroup that is frozen before the container is made in it:
// init would be frozen as soon as it joined, and create would wait for it forever.
var ErrFrozen = errors.New("container's cgroup unexpectedly frozen")

// CheckEmpty refuses a cgroup dir that exists and holds processes (in it or below it), as runc
// does: a second container made in another's cgroup would share its limits and be killed
// with it. A dir that does not exist yet is fine.
func CheckEmpty(dir string) error {
	pids, err := AllPids(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pids) > 0 {
		return fmt.Errorf("container's cgroup is not empty: %d process(es) found", len(pids))
	}
	return nil
}
