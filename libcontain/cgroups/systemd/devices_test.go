package systemd

import (
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func rule(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major >= 0 {
		r.Major = &major
	}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

func TestFoldDeviceRules(t *testing.T) {
	denyAll := rule(false, "a", -1, -1, "rwm")
	tests := []struct {
		name   string
		rules  []specs.LinuxDeviceCgroup
		v2, v1 string // "all" for allow-all, else the entries
	}{
		{name: "no rules", v2: "all", v1: "all"},
		{name: "allow list", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rw"), rule(true, "c", 1, 3, "m"),
			rule(true, "b", 8, -1, "r")},
			v2: "c1:3=rwm b8:*=r", v1: "c1:3=rwm b8:*=r"},
		{name: "allow all after deny", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rw"), rule(true, "", -1, -1, "")},
			v2: "all", v1: "all"},
		{name: "type a allow", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "a", 7, -1, "r")},
			v2: "c7:*=r b7:*=r", v1: "c7:*=r b7:*=r"},
		// A deny covering an allowed entry takes the access away, on both.
		{name: "deny exact", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rwm"), rule(false, "c", 1, 3, "w")},
			v2: "c1:3=rm", v1: "c1:3=rm"},
		{name: "deny wider", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rwm"), rule(false, "c", -1, -1, "m")},
			v2: "c1:3=rw", v1: "c1:3=rw"},
		// A deny carved out of a wider allow: v2 keeps the wider entry (our filter denies), v1
		// drops the access from it.
		{name: "deny narrower", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 136, -1, "rwm"), rule(false, "c", 136, 2, "w")},
			v2: "c136:*=rwm", v1: "c136:*=rm"},
		{name: "deny other type", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rwm"), rule(false, "b", 1, 3, "rwm")},
			v2: "c1:3=rwm", v1: "c1:3=rwm"},
		// A deny-list: v2 stays allow-all, v1 allows nothing (runc's fallback).
		{name: "deny list", rules: []specs.LinuxDeviceCgroup{rule(false, "c", 1, 3, "rwm")}, v2: "all", v1: ""},
		{name: "partial deny all", rules: []specs.LinuxDeviceCgroup{denyAll, rule(true, "c", 1, 3, "rwm"), rule(false, "a", -1, -1, "w")},
			v2: "c1:3=rm", v1: "c1:3=rm"},
	}
	show := func(all bool, entries []devEntry) string {
		if all {
			return "all"
		}
		var s []string
		for _, e := range entries {
			if e.perms == "" {
				continue
			}
			n := func(v int64) string {
				if v < 0 {
					return "*"
				}
				return fmt.Sprint(v)
			}
			s = append(s, fmt.Sprintf("%c%s:%s=%s", e.typ, n(e.major), n(e.minor), e.perms))
		}
		return strings.Join(s, " ")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(foldDeviceRules(tt.rules, true)); got != tt.v2 {
				t.Errorf("v2: %q, want %q", got, tt.v2)
			}
			if got := show(foldDeviceRules(tt.rules, false)); got != tt.v1 {
				t.Errorf("v1: %q, want %q", got, tt.v1)
			}
		})
	}
}

func TestDeviceAllowPaths(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{rule(false, "a", -1, -1, "rwm"), rule(true, "c", -1, 5, "r"), rule(true, "b", 8, -1, "r")}
	for _, tt := range []struct {
		v2      bool
		version int
		want    string
	}{
		// Wildcard major with a fixed minor: systemd cannot name it; v2 widens, v1 leaves it out.
		{true, 252, "[{char-* r} {block-8 r} {char-* m} {block-* m}"},
		{false, 252, "[{block-8 r} {char-* m} {block-* m}"},
		// Before 240 "block-8" was not understood.
		{false, 239, "[{char-* m} {block-* m}"},
	} {
		props := deviceProperties(rules, tt.v2, tt.version)
		got := render(props)
		if len(got) != 3 || !strings.HasPrefix(got[2], "DeviceAllow a(ss) "+tt.want) {
			t.Errorf("v2=%v systemd %d: %v, want list starting %s", tt.v2, tt.version, got, tt.want)
		}
	}
	allow := deviceProperties([]specs.LinuxDeviceCgroup{rule(true, "a", -1, -1, "rwm")}, true, 252)
	if got := strings.Join(render(allow), ", "); got != "DevicePolicy s auto, DeviceAllow a(ss) []" {
		t.Errorf("allow all: %s", got)
	}
}
