package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// readCase loads one program's captured logs from testdata/runc, which holds real output of
// runc 1.1.5 under tests/validation/run.sh (runtime-tools v0.9.1-0.20251114084447-edf4cb3d2116).
func readCase(t *testing.T, name string) (stdout, stderr []byte, rc int) {
	t.Helper()
	dir := filepath.Join("testdata", "runc")
	stdout, err := os.ReadFile(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err = os.ReadFile(filepath.Join(dir, name+".err"))
	if err != nil {
		t.Fatal(err)
	}
	rcText, err := os.ReadFile(filepath.Join(dir, name+".rc"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err = strconv.Atoi(strings.TrimSpace(string(rcText)))
	if err != nil {
		t.Fatal(err)
	}
	return stdout, stderr, rc
}

func TestJudgeCapturedRuncOutput(t *testing.T) {
	tests := []struct {
		program string
		verdict Verdict
		reason  string // a substring of the reason
	}{
		{"create", Pass, "4/4 ok"},
		// ok tests whose YAML carries an "error" (the expected failure of a bad call) and whose
		// description continues on a "Refer to:" line.
		{"state", Pass, "3/3 ok"},
		{"kill", Pass, "5/5 ok"},
		{"delete", Fail, "not ok 2 - attempting to `delete` a container that is not `stopped` MUST generate an error"},
		// hooks: the only failure signal is an "error" YAML block under "1..0".
		{"hooks", Fail, "Hooks MUST be called in the listed order"},
		{"poststart_fail", Fail, "if any poststart hook fails, the runtime MUST log a warning"},
		{"poststop", Pass, "plan 1..0"},
		// The runtime rejected the failing hook as it must; its error on stderr does not count.
		{"prestart_fail", Pass, "plan 1..0"},
		// No output at all, exit 0: judged by the exit status.
		{"process_rlimits_fail", Pass, "exit 0, no output"},
		// Two TAP streams, each with its own plan.
		{"linux_cgroups_cpus", Pass, "112/112 ok"},
		// util.Fatal after "1..0": the runtime's last error-level message is the reason.
		{"linux_cgroups_blkio", Fail, "blkio.leaf_weight: no such file or directory"},
		{"linux_mount_label", Fail, "exit 1: failed to create the container"},
		// "not ok 1 - exit status 1" says nothing; stderr fills in.
		{"linux_cgroups_relative_blkio", Fail, "not ok 1 - exit status 1: failed to create the container"},
		{"hooks_stdin", Fail, `wrong status "creating" in the stdin of prestart hook`},
		{"linux_uid_mappings", Pass, "(38 skipped)"},
		// Every TAP line ok, but util.Fatal exited 1.
		{"process_capabilities_fail", Fail, "exit 1: Any value which cannot be mapped"},
		{"process_rlimits", Fail, `has expected soft RLIMIT_NOFILE (expected "3000", actual "3999")`},
		{"linux_ns_nopath_userns_denied", Fail, "permission denied"},
		{"delete_timeout", Timeout, "exit 124"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			out, errOut, rc := readCase(t, tt.program)
			got := judge(out, errOut, rc)
			if got.Verdict != tt.verdict || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("judge = %s %q, want %s with %q", got.Verdict, got.Reason, tt.verdict, tt.reason)
			}
		})
	}
}

func TestJudgeSynthetic(t *testing.T) {
	tests := []struct {
		name    string
		stdout  string
		stderr  string
		rc      int
		verdict Verdict
		reason  string
	}{
		{"killed after the grace period", "TAP version 13\nok 1 - a\n", "", 137, Timeout, "exit 137"},
		{"no output, non-zero exit", "", "", 2, Fail, "exit 2"},
		{"no output, exit 0", "", "", 0, Pass, "no output"},
		{"stopped before its plan", "TAP version 13\nok 1 - a\n", "", 0, Fail, "no plan after 1 tests"},
		{"fewer tests than planned", "TAP version 13\n1..3\nok 1 - a\n", "", 0, Fail, "planned 3 tests but ran 1"},
		{"second stream short", "TAP version 13\nok 1 - a\n1..1\nTAP version 13\n1..2\nok 1 - b\n", "", 0, Fail, "stream 2 planned 2"},
		{"todo failure does not fail", "TAP version 13\nnot ok 1 - x # TODO later\n1..1\n", "", 0, Pass, "1/1 ok"},
		{"all skipped", "TAP version 13\n1..1\nok 1 # SKIP linux-specific test\n", "", 0, Skip, "skipped by the suite: linux-specific test"},
		{"empty orphan error", "TAP version 13\n  ---\n  {\"error\": \"\"}\n  ...\n1..0\n", "", 0, Pass, "plan 1..0"},
		{"bare header", "TAP version 13\n", "", 0, Pass, "no failure reported"},
		{"not ok with expected/actual", "TAP version 13\nnot ok 1 - x\n  ---\n  {\"expected\": 1, \"actual\": 2}\n  ...\n1..1\n", "", 0, Fail, `(expected "1", actual "2")`},
		{"json log line on stderr", "", `{"level":"error","msg":"container does not exist"}`, 1, Fail, "container does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge([]byte(tt.stdout), []byte(tt.stderr), tt.rc)
			if got.Verdict != tt.verdict || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("judge = %s %q, want %s with %q", got.Verdict, got.Reason, tt.verdict, tt.reason)
			}
		})
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 150) + " tail: no such file or directory"
	got := clip(long)
	if len(got) > maxReason+len("…") || !utf8.ValidString(got) {
		t.Errorf("clip gave %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasSuffix(got, "no such file or directory") || !strings.HasPrefix(got, "é") {
		t.Errorf("clip(%q) = %q, want both ends kept", long, got)
	}
	if s := clip("a\n  b"); s != "a b" {
		t.Errorf("clip joins lines: got %q", s)
	}
}

func FuzzJudge(f *testing.F) {
	f.Add("TAP version 13\nnot ok 1 - x\n1..1\n", "time=x level=error msg=\"boom\"", 0)
	f.Add("", "", 124)
	f.Add("TAP version 13\n  ---\n  {\"error\": \"e\"}\n  ...\n1..0\n", "", 0)
	f.Fuzz(func(t *testing.T, stdout, stderr string, rc int) {
		got := judge([]byte(stdout), []byte(stderr), rc)
		switch got.Verdict {
		case Pass, Fail, Timeout, Skip:
		default:
			t.Fatalf("verdict %q", got.Verdict)
		}
		if strings.Contains(got.Reason, "\n") {
			t.Fatalf("reason spans lines: %q", got.Reason)
		}
		if rc != 0 && rc != exitTimedOut && rc != exitKilled && got.Verdict != Fail {
			t.Fatalf("exit %d judged %s", rc, got.Verdict)
		}
	})
}
