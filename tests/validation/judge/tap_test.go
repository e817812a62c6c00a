package main

import (
	"strings"
	"testing"
)

func TestParseTAP(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		segments int
		plans    []int
		tests    []int // tests per segment
		orphans  []int // orphan YAML blocks per segment
		empty    bool
	}{
		{name: "empty", in: "", empty: true},
		{name: "blank lines only", in: "\n\n", empty: true},
		{
			name: "plan last", in: "TAP version 13\nok 1 - a\nnot ok 2 - b\n1..2\n",
			segments: 1, plans: []int{2}, tests: []int{2}, orphans: []int{0},
		},
		{
			name: "plan first", in: "TAP version 13\n1..1\nok 1 # SKIP linux-specific\n",
			segments: 1, plans: []int{1}, tests: []int{1}, orphans: []int{0},
		},
		{
			// linux_cgroups_cpus: two tap.T one after the other.
			name: "two streams", in: "TAP version 13\nok 1 - a\n# expect: 1, actual: 1\n1..1\nTAP version 13\n1..0\n",
			segments: 2, plans: []int{1, 0}, tests: []int{1, 0}, orphans: []int{0, 0},
		},
		{
			// hooks: the failure is a YAML block under no test.
			name: "orphan yaml", in: "TAP version 13\n  ---\n  {\n    \"error\": \"Hooks MUST be called\"\n  }\n  ...\n1..0\n",
			segments: 1, plans: []int{0}, tests: []int{0}, orphans: []int{1},
		},
		{
			// state: a description continues on a "Refer to:" line before its YAML block.
			name:     "multi-line description keeps its yaml",
			in:       "TAP version 13\nok 1 - state MUST fail\nRefer to: https://x\n  ---\n  {\n    \"error\": \"exit status 1\"\n  }\n  ...\n1..1\n",
			segments: 1, plans: []int{1}, tests: []int{1}, orphans: []int{0},
		},
		{
			// linux_ns_nopath prints a test's YAML before the test line.
			name: "yaml before its test", in: "TAP version 13\n  ---\n  {\"actual\": \"\"}\n  ...\nnot ok 1 - cannot run\n1..1\n",
			segments: 1, plans: []int{1}, tests: []int{1}, orphans: []int{1},
		},
		{
			name:     "second yaml after a test is an orphan",
			in:       "TAP version 13\nok 1 - a\n  ---\n  {}\n  ...\n  ---\n  {\"error\": \"x\"}\n  ...\n1..1\n",
			segments: 1, plans: []int{1}, tests: []int{1}, orphans: []int{1},
		},
		{
			name: "no header", in: "ok 1 - a\n1..1\n",
			segments: 1, plans: []int{1}, tests: []int{1}, orphans: []int{0},
		},
		{
			name: "died inside yaml", in: "TAP version 13\nok 1 - a\n  ---\n  {\"error\":",
			segments: 1, plans: []int{-1}, tests: []int{1}, orphans: []int{1},
		},
		{
			name: "stray output is not a test", in: "okay then\nTAP version 13\nnot okay\n1..0\n",
			segments: 1, plans: []int{0}, tests: []int{0}, orphans: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := parseTAP(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("parseTAP: %v", err)
			}
			if rep.Empty != tt.empty {
				t.Errorf("Empty = %v, want %v", rep.Empty, tt.empty)
			}
			if len(rep.Segments) != tt.segments {
				t.Fatalf("%d segments, want %d: %+v", len(rep.Segments), tt.segments, rep.Segments)
			}
			for i, seg := range rep.Segments {
				if seg.Plan != tt.plans[i] {
					t.Errorf("segment %d plan %d, want %d", i, seg.Plan, tt.plans[i])
				}
				if len(seg.Tests) != tt.tests[i] {
					t.Errorf("segment %d has %d tests, want %d", i, len(seg.Tests), tt.tests[i])
				}
				if len(seg.Orphans) != tt.orphans[i] {
					t.Errorf("segment %d has %d orphan YAML blocks, want %d", i, len(seg.Orphans), tt.orphans[i])
				}
			}
		})
	}
}

func TestParseTestLine(t *testing.T) {
	tests := []struct {
		line      string
		ok        bool
		number    int
		desc      string
		directive string
	}{
		{"ok 1 - has expected hostname", true, 1, "has expected hostname", ""},
		{"not ok 7 - exit status 1", false, 7, "exit status 1", ""},
		{"ok 1 # SKIP root.readonly is false", true, 1, "root.readonly is false", "SKIP"},
		{"ok 3 # skip", true, 3, "", "SKIP"},
		{"not ok 2 # TODO later", false, 2, "later", "TODO"},
		{"not ok 2 - desc # TODO later", false, 2, "desc", "TODO"},
		{"ok 4 - issue #12 fixed", true, 4, "issue #12 fixed", ""},
		{"ok", true, -1, "", ""},
		{"not ok - unnumbered", false, -1, "unnumbered", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := parseTestLine(tt.line)
			if got.OK != tt.ok || got.Number != tt.number || got.Description != tt.desc || got.Directive != tt.directive {
				t.Errorf("parseTestLine(%q) = %+v, want ok=%v number=%d desc=%q directive=%q",
					tt.line, got, tt.ok, tt.number, tt.desc, tt.directive)
			}
		})
	}
}

func TestDecodeYAMLKeepsNonJSON(t *testing.T) {
	got := decodeYAML([]string{"  message: plain yaml"})
	if got["text"] != "message: plain yaml" {
		t.Errorf("decodeYAML = %v, want the body under \"text\"", got)
	}
}

func FuzzParseTAP(f *testing.F) {
	f.Add("TAP version 13\nok 1 - a\n  ---\n  {\"error\": \"x\"}\n  ...\n1..1\n")
	f.Add("TAP version 13\n  ---\n  {\n  ...\n1..0\nTAP version 13\nnot ok 99999999999999999999 - x\n1..99999999999999999999\n")
	f.Add("ok # SKIP\nnot ok # todo\n  ---\n")
	f.Fuzz(func(t *testing.T, in string) {
		rep, err := parseTAP(strings.NewReader(in))
		if err != nil {
			return // only a read error, e.g. a line over the scanner's limit
		}
		for _, seg := range rep.Segments {
			if seg.Plan < -1 {
				t.Fatalf("plan %d below -1", seg.Plan)
			}
			for _, tt := range seg.Tests {
				if tt.Directive != "" && tt.Directive != "SKIP" && tt.Directive != "TODO" {
					t.Fatalf("directive %q", tt.Directive)
				}
			}
		}
	})
}
