// Package systemd is the systemd cgroup driver (--systemd-cgroup): a container's cgroup is a
// transient unit that systemd creates, owns and removes, asked for over D-Bus with go-systemd.
// systemd is told the limits as unit properties (so a daemon-reload re-applies them instead of
// resetting them), and what it cannot express is written to the unit's cgroup files afterwards
// through the fs1/fs2 writers, as runc does.
//
// cgroupsPath is runc's "slice:prefix:name": the unit is the scope "<prefix>-<name>.scope" in
// the slice (system.slice when empty; user.slice for a user instance), or, when name ends in
// ".slice", that slice itself.
package systemd

import (
	"fmt"
	"path"
	"strings"
)

// DefaultPrefix is the scope prefix of a container whose spec gives no cgroupsPath
// ("<DefaultPrefix>-<id>.scope"); runc uses "runc".
const DefaultPrefix = "contain"

// Unit names where a container's cgroup goes: Slice holds the unit, Name is the unit itself
// (a scope, or a slice when the cgroupsPath's name part ends in ".slice").
type Unit struct {
	Slice string // e.g. "system.slice", "machine.slice", "-.slice" (the root)
	Name  string // e.g. "libpod-<id>.scope"
}

// ParsePath reads a cgroupsPath for the systemd driver, as runc does: "" means
// ":<DefaultPrefix>:<id>", anything else must be "slice:prefix:name". An empty slice is
// system.slice, or user.slice when the unit goes to a user's own systemd instance.
func ParsePath(cgroupsPath, id string, user bool) (Unit, error) {
	slice, prefix, name := "", DefaultPrefix, id
	if cgroupsPath != "" {
		parts := strings.Split(cgroupsPath, ":")
		if len(parts) != 3 {
			return Unit{}, fmt.Errorf("expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got %q instead", cgroupsPath)
		}
		slice, prefix, name = parts[0], parts[1], parts[2]
	}
	if slice == "" {
		slice = "system.slice"
		if user {
			slice = "user.slice"
		}
	}
	if _, err := ExpandSlice(slice); err != nil {
		return Unit{}, err
	}
	if name == "" {
		return Unit{}, fmt.Errorf("cgroupsPath %q: the name part is empty", cgroupsPath)
	}
	u := Unit{Slice: slice, Name: name}
	if !strings.HasSuffix(name, ".slice") {
		u.Name = prefix + "-" + name + ".scope"
	} else if _, err := ExpandSlice(name); err != nil {
		return Unit{}, err
	}
	if err := validUnitName(u.Name); err != nil {
		return Unit{}, err
	}
	return u, nil
}

// IsSlice reports whether the unit is a slice (the container's processes then sit directly in
// a slice the runtime made, which is what kubelet's pod cgroups do).
func (u Unit) IsSlice() bool { return strings.HasSuffix(u.Name, ".slice") }

// Dir is the unit's cgroup below the root of the manager's tree ("/system.slice/x.scope"). A
// slice's place follows from its own name, not from the parent it was asked for: systemd puts
// "a-b.slice" below "a.slice" whatever Wants= says.
func (u Unit) Dir() string {
	if u.IsSlice() {
		d, _ := ExpandSlice(u.Name) // checked by ParsePath
		return d
	}
	d, _ := ExpandSlice(u.Slice)
	return path.Join(d, u.Name)
}

// ExpandSlice turns a slice name into its cgroup path: systemd nests slices by the dashes in
// their names, so "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice, and "-.slice" is the root.
// Slices along the way are created by systemd on demand (nested slices need no extra call).
func ExpandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("invalid slice name %q: want NAME.slice without slashes", slice)
	}
	if base == "-" {
		return "/", nil
	}
	var b strings.Builder
	prefix := ""
	for _, part := range strings.Split(base, "-") {
		if part == "" {
			return "", fmt.Errorf("invalid slice name %q: empty part between dashes", slice)
		}
		prefix += part
		b.WriteString("/" + prefix + ".slice")
		prefix += "-"
	}
	return b.String(), nil
}

// validUnitName applies systemd's unit name rules (unit_name_is_valid): at most 255 bytes of
// [A-Za-z0-9:_.\-@\\], so a container id systemd would refuse fails with a clear message here
// instead of a D-Bus "Invalid argument".
func validUnitName(name string) error {
	if len(name) > 255 {
		return fmt.Errorf("systemd unit name %q is longer than 255 bytes", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(":_.-@\\", c) >= 0 {
			continue
		}
		return fmt.Errorf("systemd unit name %q: byte %q is not allowed in unit names", name, c)
	}
	return nil
}
