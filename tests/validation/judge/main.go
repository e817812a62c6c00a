// Command judge turns the logs of one run of the OCI runtime-tools validation programs into a
// verdict per program, a table, the closing line "N passed, M failed, K skipped", and — with
// -ratchet — a non-zero exit when a program listed in expected-pass.txt did not pass.
//
// tests/validation/run.sh runs the programs and calls judge; for each program it leaves in the
// log dir NAME.out (stdout), NAME.err (stderr), NAME.rc (exit status), NAME.time (seconds) and,
// when the run had to clean up after it, NAME.leaks.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Exit statuses.
const (
	exitOK         = 0
	exitRegression = 1
	exitUsage      = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	logs, cannotPass, knownRace, expected, baseline string
	label                                           string
	programs, only                                  []string
	ratchet                                         bool
	bugLogs, bugVersion                             string
	bugPrograms                                     []string
}

// row is one program's line in the table.
type row struct {
	Name string
	Result
	Seconds string
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	var programs, only, bugPrograms string
	fs := flag.NewFlagSet("judge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.logs, "logs", "", "log dir of the run (NAME.out, NAME.err, NAME.rc per program)")
	fs.StringVar(&programs, "programs", "", "comma-separated names of all the suite's programs")
	fs.StringVar(&only, "only", "", "comma-separated programs selected for this run (default: all)")
	fs.StringVar(&o.cannotPass, "cannot-pass", "", "cannot-pass.txt: programs reported as SKIP, with the reason")
	fs.StringVar(&o.knownRace, "known-race", "", "known-race.txt: programs run and reported that the ratchet does not count")
	fs.StringVar(&o.expected, "expected", "", "expected-pass.txt: the ratchet")
	fs.BoolVar(&o.ratchet, "ratchet", false, "exit 1 if a program in -expected did not pass")
	fs.StringVar(&o.baseline, "write-baseline", "", "write the programs that passed to this file")
	fs.StringVar(&o.label, "label", "", "what was tested (runtime, version, suite), for the baseline's header")
	fs.StringVar(&o.bugLogs, "suite-bug-logs", "", "log dir of the suite-bug pass")
	fs.StringVar(&o.bugVersion, "suite-bug-version", "", "runtime-tools version of the suite-bug pass")
	fs.StringVar(&bugPrograms, "suite-bug-programs", "", "comma-separated programs of the suite-bug pass")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	o.programs, o.only, o.bugPrograms = splitList(programs), splitList(only), splitList(bugPrograms)
	if o.logs == "" || len(o.programs) == 0 {
		fmt.Fprintln(stderr, "judge: -logs and -programs are required")
		return exitUsage
	}
	code, err := report(o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "judge: %v\n", err)
		return exitUsage
	}
	return code
}

func report(o options, stdout, stderr io.Writer) (int, error) {
	known := map[string]bool{}
	for _, p := range o.programs {
		known[p] = true
	}
	cannot, err := loadList(o.cannotPass, true)
	if err != nil {
		return 0, err
	}
	expected, err := loadList(o.expected, false)
	if err != nil {
		return 0, err
	}
	races, err := loadList(o.knownRace, true)
	if err != nil {
		return 0, err
	}
	cannotReason := map[string]string{}
	for _, e := range cannot {
		if !known[e.Name] {
			return 0, fmt.Errorf("%s line %d: no program named %s", o.cannotPass, e.Line, e.Name)
		}
		cannotReason[e.Name] = e.Reason
	}
	raceReason := map[string]string{}
	for _, e := range races {
		if !known[e.Name] {
			return 0, fmt.Errorf("%s line %d: no program named %s", o.knownRace, e.Line, e.Name)
		}
		if _, ok := cannotReason[e.Name]; ok {
			return 0, fmt.Errorf("%s line %d: %s is also in %s", o.knownRace, e.Line, e.Name, o.cannotPass)
		}
		raceReason[e.Name] = e.Reason
	}
	for _, e := range expected {
		base := strings.TrimSuffix(e.Name, suiteBugSuffix)
		if !known[base] {
			return 0, fmt.Errorf("%s line %d: no program named %s", o.expected, e.Line, base)
		}
		if _, ok := cannotReason[e.Name]; ok {
			return 0, fmt.Errorf("%s line %d: %s is also in %s", o.expected, e.Line, e.Name, o.cannotPass)
		}
		if _, ok := raceReason[e.Name]; ok {
			// A race fails some runs whatever the runtime does: the ratchet would flip coins.
			return 0, fmt.Errorf("%s line %d: %s is also in %s", o.expected, e.Line, e.Name, o.knownRace)
		}
	}

	selected := o.programs
	if len(o.only) > 0 {
		selected = o.only
	}
	var rows []row
	for _, name := range selected {
		r, err := programRow(o.logs, name, cannotReason)
		if err != nil {
			return 0, err
		}
		if reason, ok := raceReason[name]; ok && r.Verdict == Pass {
			r.Reason += " [known race]"
		} else if ok && r.Verdict != Skip {
			r.Reason += " [known race, not counted by the ratchet: " + reason + "]"
		}
		rows = append(rows, r)
	}
	printTable(stdout, rows)

	var bugRows []row
	if o.bugLogs != "" {
		for _, name := range o.bugPrograms {
			r, err := programRow(o.bugLogs, name, nil)
			if err != nil {
				return 0, err
			}
			bugRows = append(bugRows, r)
		}
		fmt.Fprintf(stdout, "\nsuite-bug pass (runtime-tools %s, before its *int64 comparison bug):\n", o.bugVersion)
		printTable(stdout, bugRows)
		p, f, s := count(bugRows)
		fmt.Fprintf(stdout, "suite-bug pass: %d passed, %d failed, %d skipped\n\n", p, f, s)
	}

	if o.baseline != "" {
		if err := writeBaseline(o.baseline, o.label, rows, bugRows); err != nil {
			return 0, err
		}
	}

	reportRaces(rows, raceReason, stdout)
	code := exitOK
	if o.ratchet {
		code = ratchet(expected, raceReason, rows, bugRows, o.bugLogs != "", len(o.only) > 0, stderr)
	}
	p, f, s := count(rows)
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", p, f, s)
	return code, nil
}

func loadList(path string, needReason bool) ([]listEntry, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open program list: %w", err)
	}
	defer f.Close()
	l, err := parseList(f, needReason)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// programRow judges one program from its logs. A program that did not run is a SKIP when
// cannot-pass.txt explains why, and a FAIL otherwise, so nothing is silently dropped.
func programRow(dir, name string, cannotReason map[string]string) (row, error) {
	r := row{Name: name, Seconds: "-"}
	rcText, err := os.ReadFile(filepath.Join(dir, name+".rc"))
	if errors.Is(err, os.ErrNotExist) {
		if reason, ok := cannotReason[name]; ok {
			r.Result = Result{Skip, reason}
		} else {
			r.Result = Result{Fail, "did not run (no exit status in the log dir)"}
		}
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("read exit status of %s: %w", name, err)
	}
	rc, err := strconv.Atoi(strings.TrimSpace(string(rcText)))
	if err != nil {
		return r, fmt.Errorf("exit status of %s: %w", name, err)
	}
	out, err := readOptional(filepath.Join(dir, name+".out"))
	if err != nil {
		return r, err
	}
	errOut, err := readOptional(filepath.Join(dir, name+".err"))
	if err != nil {
		return r, err
	}
	r.Result = judge(out, errOut, rc)
	if reason, ok := cannotReason[name]; ok {
		r.Reason += " [cannot pass here: " + reason + "]"
	}
	if leaks, _ := readOptional(filepath.Join(dir, name+".leaks")); bytes.Contains(leaks, []byte("left behind")) {
		r.Reason += " [left a container behind]"
	}
	if t, _ := readOptional(filepath.Join(dir, name+".time")); len(t) > 0 {
		r.Seconds = strings.TrimSpace(string(t))
	}
	return r, nil
}

func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	return b, nil
}

func printTable(w io.Writer, rows []row) {
	width := len("PROGRAM")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%-*s  %-7s  %6s  %s\n", width, "PROGRAM", "VERDICT", "SECS", "REASON")
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s  %-7s  %6s  %s\n", width, r.Name, r.Verdict, r.Seconds, r.Reason)
	}
}

func count(rows []row) (passed, failed, skipped int) {
	for _, r := range rows {
		switch r.Verdict {
		case Pass:
			passed++
		case Skip:
			skipped++
		default: // FAIL and TIMEOUT
			failed++
		}
	}
	return passed, failed, skipped
}

// ratchet reports every program of expected-pass.txt that did not pass. Programs outside an
// --only selection are not judged; a suite-bug entry whose pass did not run counts as not
// passing, since run.sh runs that pass whenever the ratchet names one.
func ratchet(expected []listEntry, races map[string]string, rows, bugRows []row, bugRan, onlySubset bool, w io.Writer) int {
	main, bug := byName(rows), byName(bugRows)
	var missed []string
	inExpected := map[string]bool{}
	for _, e := range expected {
		var r row
		var ok bool
		if base, isBug := strings.CutSuffix(e.Name, suiteBugSuffix); isBug {
			r, ok = bug[base]
			if !ok && !bugRan {
				missed = append(missed, e.Name+" (suite-bug pass not run)")
				continue
			}
		} else {
			r, ok = main[e.Name]
			inExpected[e.Name] = true
		}
		if !ok {
			if !onlySubset {
				missed = append(missed, e.Name+" (not run)")
			}
			continue
		}
		if r.Verdict != Pass {
			missed = append(missed, fmt.Sprintf("%s (%s: %s)", e.Name, r.Verdict, r.Reason))
		}
	}
	var newly []string
	for _, r := range rows {
		if _, race := races[r.Name]; r.Verdict == Pass && !inExpected[r.Name] && !race {
			newly = append(newly, r.Name)
		}
	}
	if len(newly) > 0 {
		fmt.Fprintf(w, "ratchet: passing but not yet in expected-pass.txt: %s\n", strings.Join(newly, " "))
	}
	if len(missed) > 0 {
		fmt.Fprintf(w, "ratchet: %d program(s) in expected-pass.txt did not pass:\n", len(missed))
		for _, m := range missed {
			fmt.Fprintf(w, "  %s\n", m)
		}
		return exitRegression
	}
	fmt.Fprintf(w, "ratchet: all %d program(s) in expected-pass.txt passed\n", len(expected))
	return exitOK
}

// reportRaces says, before the closing line, how each program of known-race.txt did in this run:
// it ran and is reported like any other, but a failure of it alone never fails the ratchet.
func reportRaces(rows []row, races map[string]string, w io.Writer) {
	var ran []string
	for _, r := range rows {
		if _, ok := races[r.Name]; ok && r.Verdict != Skip {
			ran = append(ran, fmt.Sprintf("%s %s", r.Name, r.Verdict))
		}
	}
	if len(ran) > 0 {
		fmt.Fprintf(w, "known races (known-race.txt), run and reported, not counted by the ratchet: %s\n", strings.Join(ran, ", "))
	}
}

func byName(rows []row) map[string]row {
	m := make(map[string]row, len(rows))
	for _, r := range rows {
		m[r.Name] = r
	}
	return m
}

// writeBaseline records what passed, in expected-pass.txt's format, so a line can be moved
// into the ratchet as it is.
func writeBaseline(path, label string, rows, bugRows []row) error {
	var b strings.Builder
	p, f, s := count(rows)
	fmt.Fprintf(&b, "# Programs that passed in one run of tests/validation/run.sh (%d passed, %d failed, %d skipped).\n", p, f, s)
	if label != "" {
		fmt.Fprintf(&b, "# %s\n", label)
	}
	fmt.Fprintf(&b, "# Same format as expected-pass.txt; NAME%s is a program of the --suite-bug-pass.\n", suiteBugSuffix)
	for _, r := range rows {
		if r.Verdict == Pass {
			fmt.Fprintln(&b, r.Name)
		}
	}
	for _, r := range bugRows {
		if r.Verdict == Pass {
			fmt.Fprintln(&b, r.Name+suiteBugSuffix)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
