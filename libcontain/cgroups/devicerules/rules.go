// Package devicerules turns the spec's linux.resources.devices list into the rules the kernel
// enforces. The v1 devices controller takes one "type major:minor access" line per write to
// devices.allow or devices.deny; the v2 eBPF filter (added separately) will walk the same list.
package devicerules

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ptr(v int64) *int64 { return &v }

// Defaults returns the rules every container gets after its own: exactly runc 1.5.3's
// specconv.AllowedDevices, in its order. containerd's default spec only says "deny all",
// relying on the runtime to let the container use /dev/null, /dev/zero, /dev/tty, the pty
// devices and tun, and to mknod any device node (mknod alone grants no access: every read or
// write still goes through this list).
//
// /dev/console (c 5:1) is deliberately absent, as in runc since 1.2: with it, a container with
// CAP_MKNOD (containerd, podman and Docker grant it by default) could mknod c 5 1 and read and
// write the host's console. The container's own /dev/console is a bind mount of its pty, whose
// major is 136, so the pts rule covers it.
func Defaults() []specs.LinuxDeviceCgroup {
	c := func(major, minor *int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: major, Minor: minor, Access: access}
	}
	return []specs.LinuxDeviceCgroup{
		c(nil, nil, "m"),
		{Allow: true, Type: "b", Access: "m"},
		c(ptr(1), ptr(3), "rwm"),    // /dev/null
		c(ptr(1), ptr(8), "rwm"),    // /dev/random
		c(ptr(1), ptr(7), "rwm"),    // /dev/full
		c(ptr(5), ptr(0), "rwm"),    // /dev/tty
		c(ptr(1), ptr(5), "rwm"),    // /dev/zero
		c(ptr(1), ptr(9), "rwm"),    // /dev/urandom
		c(ptr(136), nil, "rwm"),     // /dev/pts/*
		c(ptr(5), ptr(2), "rwm"),    // /dev/ptmx
		c(ptr(10), ptr(200), "rwm"), // /dev/net/tun: runc keeps it for Docker-era users
	}
}

// WithDefaults returns rules followed by Defaults, each with its access as the kernel applies
// it (see Access); a rule whose access holds none of r, w and m governs nothing and is left out.
// An empty list stays empty: a cgroup with no rules written keeps the device list it inherited
// from its parent.
func WithDefaults(rules []specs.LinuxDeviceCgroup) []specs.LinuxDeviceCgroup {
	if len(rules) == 0 {
		return nil
	}
	var out []specs.LinuxDeviceCgroup
	for _, r := range rules {
		if r.Access = Access(r.Access); r.Access != "" {
			out = append(out, r)
		}
	}
	return append(out, Defaults()...)
}

// Access is a rule's access as the kernel applies it: the spec's default "rwm" when empty, else
// the r, w and m it holds, in that order. Other letters are dropped, as runc drops them: it reads
// access as a set of those three, and its own tests use "rwa".
func Access(a string) string {
	if a == "" {
		return "rwm"
	}
	out := ""
	for _, c := range "rwm" {
		if strings.ContainsRune(a, c) {
			out += string(c)
		}
	}
	return out
}

// V1 returns the v1 file (devices.allow or devices.deny) and the line to write for one rule:
// "c 1:3 rwm". A missing or negative major/minor is "*", a missing type is "a" (all devices) and
// a missing access is "rwm", as the spec defines.
func V1(r specs.LinuxDeviceCgroup) (file, line string, err error) {
	typ := r.Type
	if typ == "" {
		typ = "a"
	}
	switch typ {
	case "a", "b", "c":
	default:
		return "", "", fmt.Errorf("device rule: type %q is not a, b or c", r.Type)
	}
	access := Access(r.Access)
	if access == "" {
		return "", "", fmt.Errorf("device rule: access %q holds none of r, w and m", r.Access)
	}
	file = "devices.deny"
	if r.Allow {
		file = "devices.allow"
	}
	return file, fmt.Sprintf("%s %s:%s %s", typ, number(r.Major), number(r.Minor), access), nil
}

func number(n *int64) string {
	if n == nil || *n < 0 {
		return "*"
	}
	return strconv.FormatInt(*n, 10)
}
