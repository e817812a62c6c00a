package spec

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SubIDRange is one line of /etc/subuid or /etc/subgid that applies to a user: Count ids from
// Start that the user may map into a user namespace through newuidmap/newgidmap.
type SubIDRange struct {
	Start, Count uint32
}

// ParseSubIDs returns the ranges of /etc/subuid (or /etc/subgid) contents b that belong to the
// user, named in the file by name or by numeric id ("name:start:count" lines, as shadow-utils
// writes them; comments and malformed lines are skipped, as newuidmap skips them).
func ParseSubIDs(b []byte, name string, id uint32) []SubIDRange {
	var out []SubIDRange
	num := strconv.FormatUint(uint64(id), 10)
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 || (f[0] != name && f[0] != num) || f[0] == "" {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 || start+count > 1<<32 {
			continue
		}
		out = append(out, SubIDRange{Start: uint32(start), Count: uint32(count)})
	}
	return out
}

// RootlessMappings maps the caller's own id to 0 in the container and then, from 1 up, its
// subordinate ranges in order: the shape podman and rootlesskit use, so files a rootless engine
// wrote keep their owners.
func RootlessMappings(own uint32, ranges []SubIDRange) ([]specs.LinuxIDMapping, error) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: own, Size: 1}}
	next := uint64(1)
	for _, r := range ranges {
		if next+uint64(r.Count) > 1<<32-1 {
			return nil, fmt.Errorf("subordinate ids: %d ranges add up to more ids than a user namespace holds", len(ranges))
		}
		maps = append(maps, specs.LinuxIDMapping{ContainerID: uint32(next), HostID: r.Start, Size: r.Count})
		next += uint64(r.Count)
	}
	return maps, nil
}
