package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var closingLine = regexp.MustCompile(`^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$`)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRun drives the command over testdata/runc as if run.sh had just produced it.
func TestRun(t *testing.T) {
	const programs = "create,kill,hooks,linux_cgroups_blkio,linux_cgroups_hugetlb,prestart_fail,delete_timeout"
	dir := t.TempDir()
	cannot := writeFile(t, dir, "cannot-pass.txt",
		"linux_cgroups_blkio host-feature: no blkio.weight\nlinux_cgroups_hugetlb host-feature: hugetlb on cgroup2 only\n")

	tests := []struct {
		name     string
		expected string
		race     string // known-race.txt, when not empty
		extra    []string
		wantCode int
		wantOut  []string
		wantErr  []string
		noErr    []string // stderr must not contain these
	}{
		{
			name:     "report",
			wantCode: exitOK,
			wantOut: []string{
				"create  ", "PASS", "4/4 ok",
				"linux_cgroups_hugetlb", "SKIP", "hugetlb on cgroup2 only",
				"[cannot pass here: host-feature: no blkio.weight]",
				"delete_timeout", "TIMEOUT", "[left a container behind]",
				"\n3 passed, 3 failed, 1 skipped\n",
			},
		},
		{
			name:     "ratchet holds",
			expected: "# header\ncreate\nkill\n",
			extra:    []string{"-ratchet"},
			wantCode: exitOK,
			wantErr:  []string{"all 2 program(s) in expected-pass.txt passed", "not yet in expected-pass.txt: prestart_fail"},
		},
		{
			name:     "ratchet catches a regression",
			expected: "create\nhooks\ndelete_timeout\n",
			extra:    []string{"-ratchet"},
			wantCode: exitRegression,
			wantOut:  []string{"\n3 passed, 3 failed, 1 skipped\n"},
			wantErr:  []string{"2 program(s) in expected-pass.txt did not pass", "hooks (FAIL: Hooks MUST", "delete_timeout (TIMEOUT"},
		},
		{
			name:     "ratchet without the suite-bug pass",
			expected: "create@suite-bug\n",
			extra:    []string{"-ratchet"},
			wantCode: exitRegression,
			wantErr:  []string{"create@suite-bug (suite-bug pass not run)"},
		},
		{
			name:     "suite-bug pass",
			expected: "create@suite-bug\n",
			extra:    []string{"-ratchet", "-suite-bug-logs", "testdata/runc", "-suite-bug-programs", "create,kill", "-suite-bug-version", "v0"},
			wantCode: exitOK,
			wantOut:  []string{"suite-bug pass (runtime-tools v0", "suite-bug pass: 2 passed, 0 failed, 0 skipped", "\n3 passed, 3 failed, 1 skipped\n"},
		},
		{
			name:     "only a subset",
			expected: "create\nhooks\n",
			extra:    []string{"-ratchet", "-only", "create"},
			wantCode: exitOK,
			wantOut:  []string{"1 passed, 0 failed, 0 skipped"},
		},
		{
			name:     "a known race that fails does not fail the ratchet, and is reported",
			expected: "create\nkill\n",
			race:     "# header\nhooks race: two shells append to one file\n",
			extra:    []string{"-ratchet"},
			wantCode: exitOK,
			wantOut: []string{
				"hooks ", "FAIL", "[known race, not counted by the ratchet: race: two shells append to one file]",
				"known races (known-race.txt), run and reported, not counted by the ratchet: hooks FAIL\n",
				"\n3 passed, 3 failed, 1 skipped\n",
			},
			wantErr: []string{"all 2 program(s) in expected-pass.txt passed"},
		},
		{
			name:     "a known race that passes is not offered to the ratchet",
			expected: "create\nkill\n",
			race:     "prestart_fail race: whatever\n",
			extra:    []string{"-ratchet"},
			wantCode: exitOK,
			wantOut:  []string{"not counted by the ratchet: prestart_fail PASS\n"},
			wantErr:  []string{"all 2 program(s) in expected-pass.txt passed"},
			noErr:    []string{"not yet in expected-pass.txt"},
		},
		{
			name:     "a known race in the ratchet too",
			expected: "create\nhooks\n",
			race:     "hooks race: two shells\n",
			wantCode: exitUsage,
			wantErr:  []string{"hooks is also in"},
		},
		{
			name:     "a known race without a reason",
			race:     "hooks\n",
			wantCode: exitUsage,
			wantErr:  []string{"hooks has no reason"},
		},
		{
			name:     "expected program that cannot pass",
			expected: "linux_cgroups_blkio\n",
			wantCode: exitUsage,
			wantErr:  []string{"linux_cgroups_blkio is also in"},
		},
		{
			name:     "unknown program",
			expected: "nosuch\n",
			wantCode: exitUsage,
			wantErr:  []string{"no program named nosuch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expected := writeFile(t, t.TempDir(), "expected-pass.txt", tt.expected)
			args := []string{"-logs", "testdata/runc", "-programs", programs, "-cannot-pass", cannot, "-expected", expected}
			if tt.race != "" {
				args = append(args, "-known-race", writeFile(t, t.TempDir(), "known-race.txt", tt.race))
			}
			args = append(args, tt.extra...)
			var out, errOut bytes.Buffer
			code := run(args, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			for _, w := range tt.noErr {
				if strings.Contains(errOut.String(), w) {
					t.Errorf("stderr has %q:\n%s", w, errOut.String())
				}
			}
			if code != exitUsage {
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				if last := lines[len(lines)-1]; !closingLine.MatchString(last) {
					t.Errorf("last line %q is not the closing line", last)
				}
			}
		})
	}
}

func TestRunMissingLogIsAFailure(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-logs", t.TempDir(), "-programs", "create"}, &out, &errOut)
	if code != exitOK || !strings.Contains(out.String(), "did not run") || !strings.Contains(out.String(), "0 passed, 1 failed, 0 skipped") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}

func TestWriteBaseline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.txt")
	var out, errOut bytes.Buffer
	code := run([]string{"-logs", "testdata/runc", "-programs", "create,hooks,kill", "-write-baseline", path,
		"-label", "runtime runc", "-suite-bug-logs", "testdata/runc", "-suite-bug-programs", "create"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseList(bytes.NewReader(b), false)
	if err != nil {
		t.Fatalf("baseline does not parse as a list: %v", err)
	}
	var names []string
	for _, e := range l {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, ","); got != "create,kill,create@suite-bug" {
		t.Errorf("baseline names %s", got)
	}
	if !strings.Contains(string(b), "# runtime runc\n") {
		t.Errorf("baseline lacks the label:\n%s", b)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-logs", "x"}, &out, &errOut); code != exitUsage {
		t.Errorf("exit %d without -programs, want %d", code, exitUsage)
	}
}
