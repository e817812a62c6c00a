package cgroups

import (
	"fmt"
	"strings"
)

// Mount is a cgroup or cgroup2 mount from /proc/<pid>/mountinfo.
type Mount struct {
	// Mountpoint is where the hierarchy is mounted.
	Mountpoint string
	// Root is the cgroup of the hierarchy shown at Mountpoint: "/" normally, deeper for a bind
	// mount of a sub-cgroup or inside a cgroup namespace.
	Root string
	// FSType is "cgroup" (v1) or "cgroup2".
	FSType string
	// Options are the super-block options; for v1 they name the controllers ("rw,cpu,cpuacct").
	Options []string
}

// ParseCgroupMounts returns the cgroup and cgroup2 mounts listed in mountinfo contents, in order.
// Line format (proc(5)): id parent major:minor root mountpoint options [optional...] - fstype
// source super-options.
func ParseCgroupMounts(b []byte) ([]Mount, error) {
	var out []Mount
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) {
			return nil, fmt.Errorf("parse mountinfo line %d %q: too few fields", n+1, line)
		}
		fstype := f[sep+1]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		var opts []string
		if sep+3 < len(f) {
			opts = strings.Split(f[sep+3], ",")
		}
		out = append(out, Mount{
			Mountpoint: unescapeOctal(f[4]),
			Root:       unescapeOctal(f[3]),
			FSType:     fstype,
			Options:    opts,
		})
	}
	return out, nil
}

// unescapeOctal undoes the kernel's mangling of space, tab, newline and backslash in mountinfo
// paths ("\040").
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func (m Mount) hasOption(o string) bool {
	for _, x := range m.Options {
		if x == o {
			return true
		}
	}
	return false
}
