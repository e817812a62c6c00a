package spec

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"", nil, ""},
		{"0", []int{0}, ""},
		{"0-2,5", []int{0, 1, 2, 5}, ""},
		{" 1 , ,3 ", []int{1, 3}, ""},
		{"3-1", nil, "invalid range: 3-1"},
		{"0-9876543210", nil, "value out of range"},
		{"1024", nil, "values larger than 1023 are not supported"},
		{"x", nil, "invalid syntax"},
	} {
		got, err := ParseCPUList(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCPUList(%q) = %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || (got == nil) != (tc.want == nil) {
			t.Errorf("ParseCPUList(%q) = %v, %v", tc.in, got, err)
			continue
		}
		if got != nil && got.Count() != len(tc.want) {
			t.Errorf("ParseCPUList(%q): %d cpus, want %v", tc.in, got.Count(), tc.want)
		}
		for _, c := range tc.want {
			if !got.IsSet(c) {
				t.Errorf("ParseCPUList(%q): %d not set", tc.in, c)
			}
		}
	}
}

func TestParseMemoryPolicy(t *testing.T) {
	flags := func(f ...specs.MemoryPolicyFlagType) []specs.MemoryPolicyFlagType { return f }
	for _, tc := range []struct {
		name string
		in   specs.LinuxMemoryPolicy
		mode int
		err  string
	}{
		{"interleave", specs.LinuxMemoryPolicy{Mode: "MPOL_INTERLEAVE", Nodes: "0"}, unix.MPOL_INTERLEAVE, ""},
		{"bind static", specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0", Flags: flags("MPOL_F_STATIC_NODES")}, unix.MPOL_BIND | unix.MPOL_F_STATIC_NODES, ""},
		{"default", specs.LinuxMemoryPolicy{Mode: "MPOL_DEFAULT"}, unix.MPOL_DEFAULT, ""},
		{"preferred without nodes", specs.LinuxMemoryPolicy{Mode: "MPOL_PREFERRED"}, unix.MPOL_PREFERRED, ""},
		{"empty", specs.LinuxMemoryPolicy{}, 0, `invalid memory policy mode ""`},
		{"unknown mode", specs.LinuxMemoryPolicy{Mode: "INTERLEAVE", Nodes: "0"}, 0, `invalid memory policy mode "INTERLEAVE"`},
		{"unknown flag", specs.LinuxMemoryPolicy{Mode: "MPOL_PREFERRED", Nodes: "0", Flags: flags("MPOL_F_RELATIVE_NODES", "badflag")}, 0, `invalid memory policy flag "badflag"`},
		{"nodes for default", specs.LinuxMemoryPolicy{Mode: "MPOL_DEFAULT", Nodes: "0-7"}, 0, "memory policy mode requires 0 nodes but got 8"},
		{"no node for bind", specs.LinuxMemoryPolicy{Mode: "MPOL_BIND"}, 0, "memory policy mode requires at least one node but got 0"},
		{"node too large", specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0-9876543210"}, 0, `invalid memory policy nodes "0-9876543210"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMemoryPolicy(&tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got.Mode != tc.mode {
				t.Fatalf("got %+v, %v; want mode %d", got, err, tc.mode)
			}
		})
	}
	if p, err := ParseMemoryPolicy(nil); p != nil || err != nil {
		t.Errorf("nil policy: %v, %v", p, err)
	}
}

func TestPersonality(t *testing.T) {
	for domain, want := range map[specs.LinuxPersonalityDomain]int{"LINUX": 0, "LINUX32": 8} {
		if got, err := Personality(&specs.LinuxPersonality{Domain: domain}); err != nil || got != want {
			t.Errorf("Personality(%s) = %d, %v", domain, got, err)
		}
	}
	if _, err := Personality(&specs.LinuxPersonality{Domain: "LINUX64"}); err == nil || err.Error() != "invalid personality domain LINUX64" {
		t.Errorf("unknown domain: %v", err)
	}
}

func TestParseCPUAffinity(t *testing.T) {
	a, err := ParseCPUAffinity(&specs.CPUAffinity{Initial: "0", Final: "1-2"})
	if err != nil || !a.Initial.IsSet(0) || a.Final.Count() != 2 {
		t.Fatalf("got %+v, %v", a, err)
	}
	if a, err := ParseCPUAffinity(&specs.CPUAffinity{}); a != nil || err != nil {
		t.Errorf("empty affinity: %v, %v", a, err)
	}
	if _, err := ParseCPUAffinity(&specs.CPUAffinity{Final: "2-1"}); err == nil || !strings.HasPrefix(err.Error(), "bad CPUAffinity.Final: ") {
		t.Errorf("bad final: %v", err)
	}
}

func TestSchedAttr(t *testing.T) {
	a, err := SchedAttr(&specs.Scheduler{Policy: "SCHED_DEADLINE", Flags: []specs.LinuxSchedulerFlag{"SCHED_FLAG_RESET_ON_FORK"}, Runtime: 42000, Deadline: 100000, Period: 1000000})
	if err != nil || a.Policy != 6 || a.Flags != 1 || a.Runtime != 42000 {
		t.Fatalf("got %+v, %v", a, err)
	}
	for _, bad := range []specs.Scheduler{
		{}, {Policy: "SCHED_NOPE"}, {Policy: "SCHED_BATCH", Nice: 20}, {Policy: "SCHED_OTHER", Priority: 1},
		{Policy: "SCHED_OTHER", Runtime: 1}, {Policy: "SCHED_OTHER", Flags: []specs.LinuxSchedulerFlag{"x"}},
	} {
		if _, err := SchedAttr(&bad); err == nil {
			t.Errorf("SchedAttr(%+v) accepted", bad)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	f.Add("0-3,7")
	f.Add(" ,1-")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseCPUList(s) })
}
