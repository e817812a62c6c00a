package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// ProcCgroup is one line of /proc/<pid>/cgroup: "hierarchy-id:controllers:path". On the v2
// (unified) hierarchy the id is 0 and the controller list is empty; named v1 hierarchies list
// "name=<name>".
type ProcCgroup struct {
	ID          int
	Controllers []string
	Path        string
}

// ParseProcCgroup parses the contents of /proc/<pid>/cgroup.
func ParseProcCgroup(b []byte) ([]ProcCgroup, error) {
	var out []ProcCgroup
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		// The path is last and may itself contain ':' (cgroup names are free-form).
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: want id:controllers:path", n+1, line)
		}
		id, err := strconv.Atoi(f[0])
		if err != nil || id < 0 {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: bad hierarchy id", n+1, line)
		}
		if !strings.HasPrefix(f[2], "/") {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: path is not absolute", n+1, line)
		}
		var ctrls []string
		if f[1] != "" {
			ctrls = strings.Split(f[1], ",")
		}
		out = append(out, ProcCgroup{ID: id, Controllers: ctrls, Path: f[2]})
	}
	return out, nil
}

// otherNamed reports whether a v1 hierarchy is a named one (no resource controller) other than
// name=systemd; we neither create cgroups in nor join those. name=systemd we join, as runc
// does: systemd in a container needs its own cgroup there, and tools place processes by it.
func (p ProcCgroup) otherNamed() bool {
	for _, c := range p.Controllers {
		if !strings.HasPrefix(c, "name=") || c == systemdHierarchy {
			return false
		}
	}
	return true
}

// systemdHierarchy is the controller key of systemd's named v1 hierarchy.
const systemdHierarchy = "name=systemd"

// unified reports whether the line is the cgroup v2 hierarchy ("0::/path").
func (p ProcCgroup) unified() bool { return p.ID == 0 && len(p.Controllers) == 0 }
