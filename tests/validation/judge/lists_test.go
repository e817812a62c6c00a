package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		needReason bool
		want       []string // names, in order
		wantErr    string
	}{
		{name: "comments and blanks", in: "# header\n\ncreate\n  kill  \n", want: []string{"create", "kill"}},
		{name: "suite-bug entry", in: "delete_resources@suite-bug\n", want: []string{"delete_resources@suite-bug"}},
		{name: "reason with tab", in: "hooks\tsuite-bug: x\n", needReason: true, want: []string{"hooks"}},
		{name: "missing reason", in: "hooks\n", needReason: true, wantErr: "line 1: hooks has no reason"},
		{name: "duplicate", in: "a\n#\na\n", wantErr: "line 3: a already listed on line 1"},
		{name: "bad name", in: "../etc/passwd\n", wantErr: "is not a program name"},
		{name: "bad suffix", in: "create@other\n", wantErr: "is not a program name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseList(strings.NewReader(tt.in), tt.needReason)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, e.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("names %v, want %v", names, tt.want)
			}
		})
	}
}

// TestCheckedInLists keeps the lists next to run.sh well-formed: cannot-pass.txt holds the 11
// host-feature and 10 suite-bug programs (the validation note's 9, and process_capabilities_fail,
// which runtime-spec 1.3.0 contradicts), and nothing is both expected to pass and unable to.
func TestCheckedInLists(t *testing.T) {
	load := func(name string, needReason bool) []listEntry {
		f, err := os.Open("../" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l, err := parseList(f, needReason)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return l
	}
	cannot := load("cannot-pass.txt", true)
	counts := map[string]int{}
	banned := map[string]bool{}
	for _, e := range cannot {
		cat, _, _ := strings.Cut(e.Reason, ":")
		counts[cat]++
		banned[e.Name] = true
	}
	if counts["host-feature"] != 11 || counts["suite-bug"] != 10 || len(cannot) != 21 {
		t.Errorf("cannot-pass.txt categories %v (%d entries), want 11 host-feature + 10 suite-bug", counts, len(cannot))
	}
	for _, file := range []string{"expected-pass.txt", "runc-baseline.txt"} {
		for _, e := range load(file, false) {
			if banned[e.Name] {
				t.Errorf("%s line %d: %s is in cannot-pass.txt", file, e.Line, e.Name)
			}
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add("# c\ncreate reason\nhooks@suite-bug\n", true)
	f.Fuzz(func(t *testing.T, in string, needReason bool) {
		l, err := parseList(strings.NewReader(in), needReason)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range l {
			if !programName.MatchString(e.Name) || seen[e.Name] || (needReason && e.Reason == "") {
				t.Fatalf("accepted bad entry %+v", e)
			}
			seen[e.Name] = true
		}
	})
}
