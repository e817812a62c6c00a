package systemd

import (
	"fmt"
	"strings"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/cgroups/devicerules"
)

// deviceAllow is one DeviceAllow= entry, D-Bus type (ss): a device ("/dev/char/1:3",
// "char-136", "block-*") and its access ("rwm").
type deviceAllow struct {
	Path  string
	Perms string
}

// devEntry is one allowed device set while the rules are folded: typ 'c' or 'b', -1 numbers
// are wildcards, perms a subset of "rwm".
type devEntry struct {
	typ          byte
	major, minor int64
	perms        string
}

// deviceProperties maps the spec's device rules (runc's defaults appended, evaluated as the
// fs drivers do: the last matching rule decides, no rule means allowed) to DevicePolicy= and
// DeviceAllow=. systemd only knows an allow list, so the rules are folded into one. Where the
// list cannot say exactly what the rules mean (a deny carved out of a wider allow, a
// wildcard-major rule, a deny-list), the two hierarchies need opposite choices:
//   - v2: every attached device program must allow an access, and ours (fs2) always enforces the
//     exact rules, so systemd's view is made wider rather than narrower: it then never denies
//     what the container should have, now or after a daemon-reload re-attaches systemd's program;
//   - v1: there is one devices.list; our writes come after systemd's and win, and a later
//     daemon-reload rewrites it from systemd's view, so that view is made narrower: a reload may
//     take a device away, never grant one (runc does the same).
func deviceProperties(rules []specs.LinuxDeviceCgroup, v2 bool, version int) []sdbus.Property {
	allowAll, entries := foldDeviceRules(devicerules.WithDefaults(rules), v2)
	if allowAll {
		// DevicePolicy=auto with an empty list lets everything through.
		return []sdbus.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}
	}
	list := []deviceAllow{}
	for _, e := range entries {
		if e.perms == "" {
			continue
		}
		p, ok := e.path(version)
		if !ok {
			if !v2 {
				continue // narrower on v1
			}
			p = map[byte]string{'c': "char-*", 'b': "block-*"}[e.typ] // wider on v2
		}
		list = append(list, deviceAllow{Path: p, Perms: e.perms})
	}
	// The first, empty DeviceAllow= resets the unit's list; the second sets the new one. strict
	// allows nothing beyond the list (not even /dev/null: runc's defaults list those).
	return []sdbus.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllow{}),
		prop("DeviceAllow", list)}
}

// path names the entry the way systemd takes it; ok is false for what systemd cannot name (a
// wildcard major with a fixed minor, or "char-MAJOR" before systemd 240).
func (e devEntry) path(version int) (string, bool) {
	group := map[byte]string{'c': "char-", 'b': "block-"}[e.typ]
	kind := map[byte]string{'c': "char", 'b': "block"}[e.typ]
	switch {
	case e.major < 0 && e.minor < 0:
		return group + "*", true
	case e.major < 0:
		return "", false
	case e.minor < 0:
		return fmt.Sprintf("%s%d", group, e.major), version >= versionDeviceMajor
	}
	return fmt.Sprintf("/dev/%s/%d:%d", kind, e.major, e.minor), true
}

// foldDeviceRules evaluates the rules in order into allowAll or an allow list (see
// deviceProperties for how the inexpressible cases lean).
func foldDeviceRules(rules []specs.LinuxDeviceCgroup, v2 bool) (allowAll bool, entries []devEntry) {
	allowAll = true // no rule: the cgroup keeps what its parent allows
	for _, r := range rules {
		access := r.Access
		if access == "" {
			access = "rwm"
		}
		typs := []byte{'c', 'b'}
		if r.Type == "c" || r.Type == "b" {
			typs = []byte{r.Type[0]}
		}
		major, minor := number(r.Major), number(r.Minor)
		everything := len(typs) == 2 && major < 0 && minor < 0 && covers(access, "rwm")
		switch {
		case r.Allow && everything:
			allowAll, entries = true, nil
		case !r.Allow && everything:
			allowAll, entries = false, nil
		case r.Allow && allowAll:
			// already allowed
		case r.Allow:
			for _, t := range typs {
				entries = addEntry(entries, devEntry{typ: t, major: major, minor: minor, perms: access})
			}
		case allowAll:
			// A deny-list: systemd has none. v2 stays allow-all (ours denies); v1 falls back
			// to allowing nothing, as runc does.
			if !v2 {
				allowAll, entries = false, nil
			}
		default:
			deny := devEntry{major: major, minor: minor, perms: access}
			for i := range entries {
				e := &entries[i]
				if !containsByte(typs, e.typ) || !overlaps(deny, *e) {
					continue
				}
				if within(*e, deny) || !v2 {
					e.perms = without(e.perms, access)
				}
			}
		}
	}
	return allowAll, entries
}

func number(n *int64) int64 {
	if n == nil || *n < 0 {
		return -1
	}
	return *n
}

// addEntry merges an allow into the list: the same device set gains the access.
func addEntry(entries []devEntry, n devEntry) []devEntry {
	for i := range entries {
		e := &entries[i]
		if e.typ == n.typ && e.major == n.major && e.minor == n.minor {
			e.perms = union(e.perms, n.perms)
			return entries
		}
	}
	n.perms = union("", n.perms)
	return append(entries, n)
}

// within reports whether every device of e is one of d's (type checked by the caller).
func within(e, d devEntry) bool {
	return (d.major < 0 || d.major == e.major) && (d.minor < 0 || d.minor == e.minor)
}

// overlaps reports whether e and d share a device (type checked by the caller).
func overlaps(e, d devEntry) bool {
	return (d.major < 0 || e.major < 0 || d.major == e.major) && (d.minor < 0 || e.minor < 0 || d.minor == e.minor)
}

func containsByte(s []byte, b byte) bool {
	for _, c := range s {
		if c == b {
			return true
		}
	}
	return false
}

func covers(have, want string) bool {
	for _, c := range want {
		if !strings.ContainsRune(have, c) {
			return false
		}
	}
	return true
}

// union and without keep access strings in "rwm" order.
func union(a, b string) string {
	var out []byte
	for _, c := range "rwm" {
		if strings.ContainsRune(a, c) || strings.ContainsRune(b, c) {
			out = append(out, byte(c))
		}
	}
	return string(out)
}

func without(a, b string) string {
	var out []byte
	for _, c := range "rwm" {
		if strings.ContainsRune(a, c) && !strings.ContainsRune(b, c) {
			out = append(out, byte(c))
		}
	}
	return string(out)
}
