package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Verdict is the outcome of one validation program.
type Verdict string

const (
	Pass    Verdict = "PASS"
	Fail    Verdict = "FAIL"
	Timeout Verdict = "TIMEOUT"
	Skip    Verdict = "SKIP"
)

// Result is a verdict with a one-line reason: the first failing assertion, the error that
// stopped the program, or what made it pass.
type Result struct {
	Verdict Verdict
	Reason  string
}

// Exit statuses of timeout(1): 124 when the program was signalled at the deadline, 128+9 when
// it ignored that and had to be killed (-k).
const (
	exitTimedOut = 124
	exitKilled   = 137
)

const maxReason = 200

// judge decides a program's verdict from its stdout, stderr and exit status. The suite reports
// in several styles and all of them are handled here:
//   - most programs print TAP; any "not ok" (without a TODO directive) fails;
//   - hook tests print "1..0" and report a failure only as a YAML block carrying "error" that
//     follows no test line;
//   - a tap.T that stops early prints fewer tests than its plan, or no plan at all;
//   - programs that give up call util.Fatal: message on stderr, exit 1;
//   - the *_fail programs may print nothing at all and are judged by their exit status;
//   - linux_cgroups_cpus prints two TAP streams, each with its own plan.
func judge(stdout, stderr []byte, exitCode int) Result {
	if exitCode == exitTimedOut || exitCode == exitKilled {
		return Result{Timeout, fmt.Sprintf("killed at the deadline (exit %d)", exitCode)}
	}
	rep, err := parseTAP(bytes.NewReader(stdout))
	if err != nil {
		return Result{Fail, clip(fmt.Sprintf("read output: %v", err))}
	}

	// The first failing assertion is the most useful reason, whatever the exit status.
	for _, seg := range rep.Segments {
		for _, t := range seg.Tests {
			if !t.OK && t.Directive != "TODO" {
				r := notOKReason(t)
				if !hasDetail(t) {
					// "not ok 1 - exit status 1": the runtime's own message is on stderr.
					if msg := stderrReason(stderr); msg != "" {
						r += ": " + msg
					}
				}
				return Result{Fail, clip(r)}
			}
		}
	}
	if exitCode != 0 {
		if msg := stderrReason(stderr); msg != "" {
			return Result{Fail, clip(fmt.Sprintf("exit %d: %s", exitCode, msg))}
		}
		return Result{Fail, fmt.Sprintf("exit %d", exitCode)}
	}
	for _, seg := range rep.Segments {
		for _, o := range seg.Orphans {
			if e := firstLine(fmt.Sprint(o["error"])); o["error"] != nil && e != "" {
				return Result{Fail, clip(e)}
			}
		}
	}
	if rep.Empty {
		return Result{Pass, "exit 0, no output"}
	}

	ran, skipped := 0, 0
	var skipReason string
	for i, seg := range rep.Segments {
		if seg.Plan < 0 {
			if len(seg.Tests) == 0 && len(seg.Orphans) == 0 {
				continue // a bare "TAP version 13": nothing was asserted
			}
			return Result{Fail, fmt.Sprintf("stream %d has no plan after %d tests: the program stopped early", i+1, len(seg.Tests))}
		}
		if seg.Plan != len(seg.Tests) {
			return Result{Fail, fmt.Sprintf("stream %d planned %d tests but ran %d", i+1, seg.Plan, len(seg.Tests))}
		}
		for _, t := range seg.Tests {
			ran++
			if t.Directive == "SKIP" {
				skipped++
				if skipReason == "" {
					skipReason = t.Description
				}
			}
		}
	}
	if ran > 0 && skipped == ran {
		return Result{Skip, clip("skipped by the suite: " + skipReason)}
	}
	if ran == 0 {
		return Result{Pass, "no failure reported (no tests, plan 1..0)"}
	}
	if skipped > 0 {
		return Result{Pass, fmt.Sprintf("%d/%d ok (%d skipped)", ran-skipped, ran, skipped)}
	}
	return Result{Pass, fmt.Sprintf("%d/%d ok", ran, ran)}
}

// notOKReason names the assertion and, when the diagnostic has one, what went wrong.
func notOKReason(t tapTest) string {
	r := fmt.Sprintf("not ok %d - %s", t.Number, t.Description)
	if t.Number < 0 {
		r = "not ok - " + t.Description
	}
	for _, k := range []string{"error", "stderr"} {
		if v, ok := t.Diagnostic[k]; ok {
			// The whole value, not its first line: a multierror starts "1 error occurred:"
			// and says what went wrong only on the next lines.
			if s := strings.TrimSpace(fmt.Sprint(v)); s != "" {
				return r + ": " + s
			}
		}
	}
	exp, okE := t.Diagnostic["expected"]
	act, okA := t.Diagnostic["actual"]
	if okE || okA {
		return fmt.Sprintf("%s (expected %v, actual %v)", r, compact(exp), compact(act))
	}
	return r
}

func hasDetail(t tapTest) bool {
	for _, k := range []string{"error", "stderr", "expected", "actual"} {
		if _, ok := t.Diagnostic[k]; ok {
			return true
		}
	}
	return false
}

// logMsg finds the message of a logrus/slog text line: msg="..." (runc) or msg=word.
var logMsg = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"|msg=(\S+)`)

// stderrReason summarises why a program gave up. util.Fatal prints the error (often "failed to
// create the container") and the runtime's own stderr follows; the runtime's last error-level
// message says most.
func stderrReason(stderr []byte) string {
	var first, runtimeMsg string
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "exit status 1" {
			continue
		}
		if first == "" {
			first = l
		}
		if strings.Contains(l, "level=error") || strings.Contains(l, `"level":"error"`) {
			if m := logMsg.FindStringSubmatch(l); m != nil {
				runtimeMsg = m[1] + m[2]
				runtimeMsg = strings.ReplaceAll(runtimeMsg, `\"`, `"`)
			}
		}
	}
	switch {
	case runtimeMsg != "" && first != "" && !strings.Contains(first, "level=error") && !strings.Contains(first, `"level"`):
		return first + ": " + runtimeMsg
	case runtimeMsg != "":
		return runtimeMsg
	}
	return first
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

func compact(v any) string {
	return fmt.Sprintf("%q", truncate(strings.Join(strings.Fields(fmt.Sprint(v)), " "), 40))
}

// clip keeps a reason on one table row. It cuts from the middle: a reason starts with the
// assertion and ends with the innermost error of a chain ("…: openat2 …/blkio.leaf_weight: no
// such file or directory"), and both ends say more than the wrapping in between.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxReason {
		return s
	}
	const head = maxReason * 2 / 5
	tail := maxReason - head - len(" … ")
	h := head
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	t := len(s) - tail
	for t < len(s) && !utf8.RuneStart(s[t]) {
		t++
	}
	return s[:h] + " … " + s[t:]
}

// truncate cuts s to at most n bytes plus an ellipsis, never inside a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
