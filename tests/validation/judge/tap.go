package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// tapTest is one "ok"/"not ok" line and the YAML block that follows it.
type tapTest struct {
	OK          bool
	Number      int
	Description string
	Directive   string // "SKIP" or "TODO", upper-cased; empty when none
	Diagnostic  map[string]any
}

// tapSegment is what one tap.T printed: tap-go starts each with "TAP version 13", and a program
// that runs two tap.T in a row (linux_cgroups_cpus) prints two segments, each with its own
// plan and its own numbering.
type tapSegment struct {
	Plan    int // -1 when the segment printed no plan
	Tests   []tapTest
	Orphans []map[string]any // YAML blocks that follow no test line
}

// tapReport is a program's whole stdout.
type tapReport struct {
	Segments []tapSegment
	Empty    bool // stdout held nothing but blank lines
}

var (
	testLine = regexp.MustCompile(`^(not ok|ok)\b[ \t]*([0-9]+)?[ \t]*(?:- )?(.*)$`)
	planLine = regexp.MustCompile(`^1\.\.([0-9]+)`)
)

// parseTAP reads the TAP 13 dialect that github.com/mndrix/tap-go prints: "TAP version 13"
// headers, "ok N - desc" / "not ok N - desc" lines, "# " diagnostics, plans "1..N" printed
// first (Header(n)) or last (AutoPlan), and YAML blocks between "  ---" and "  ..." whose body
// tap-go writes as indented JSON. A YAML block that is not valid JSON is kept as {"text": body}
// so a diagnostic is never lost; parseTAP itself fails only on a read error.
func parseTAP(r io.Reader) (tapReport, error) {
	var rep tapReport
	rep.Empty = true
	cur := -1 // index into rep.Segments
	startSegment := func() {
		rep.Segments = append(rep.Segments, tapSegment{Plan: -1})
		cur = len(rep.Segments) - 1
	}
	// lastWasTest says the previous non-YAML line was a test line, so a YAML block that comes
	// next belongs to it.
	lastWasTest := false
	var yaml []string
	inYAML := false

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) != "" {
			rep.Empty = false
		}
		if inYAML {
			if strings.TrimSpace(line) == "..." {
				inYAML = false
				diag := decodeYAML(yaml)
				seg := &rep.Segments[cur]
				if lastWasTest && len(seg.Tests) > 0 && seg.Tests[len(seg.Tests)-1].Diagnostic == nil {
					seg.Tests[len(seg.Tests)-1].Diagnostic = diag
				} else {
					seg.Orphans = append(seg.Orphans, diag)
				}
				yaml = nil
				continue
			}
			yaml = append(yaml, line)
			continue
		}
		switch {
		case strings.HasPrefix(line, "TAP version"):
			startSegment()
			lastWasTest = false
		case strings.TrimSpace(line) == "---" && strings.HasPrefix(line, " "):
			if cur < 0 {
				startSegment()
			}
			inYAML = true
		case testLine.MatchString(line):
			if cur < 0 {
				startSegment()
			}
			rep.Segments[cur].Tests = append(rep.Segments[cur].Tests, parseTestLine(line))
			lastWasTest = true
		case planLine.MatchString(line):
			if cur < 0 {
				startSegment()
			}
			n, err := strconv.Atoi(planLine.FindStringSubmatch(line)[1])
			if err != nil {
				n = -1 // does not fit an int: treat as no plan, which fails the program
			}
			rep.Segments[cur].Plan = n
			lastWasTest = false
		default:
			// Diagnostic lines ("# expect: 1024, actual: 1024") and the continuation lines of a
			// multi-line description ("Refer to: https://…", printed by state and others) sit
			// between a test and its YAML block without detaching them.
		}
	}
	if inYAML && cur >= 0 {
		// The program died inside a YAML block; keep what it printed.
		rep.Segments[cur].Orphans = append(rep.Segments[cur].Orphans, decodeYAML(yaml))
	}
	return rep, sc.Err()
}

func parseTestLine(line string) tapTest {
	m := testLine.FindStringSubmatch(line)
	t := tapTest{OK: m[1] == "ok", Number: -1}
	if m[2] != "" {
		if n, err := strconv.Atoi(m[2]); err == nil {
			t.Number = n
		}
	}
	desc := m[3]
	// A directive is "# SKIP ..." or "# TODO ..." (TAP 13, case-insensitive).
	if i := strings.Index(desc, "#"); i >= 0 {
		rest := strings.TrimSpace(desc[i+1:])
		word, _, _ := strings.Cut(rest, " ")
		if w := strings.ToUpper(word); strings.HasPrefix(w, "SKIP") || w == "TODO" {
			t.Directive = w[:4]
			if d := strings.TrimSpace(desc[:i]); d != "" {
				desc = d
			} else {
				desc = strings.TrimSpace(rest[len(word):])
			}
		}
	}
	t.Description = strings.TrimSpace(desc)
	return t
}

func decodeYAML(lines []string) map[string]any {
	body := strings.Join(lines, "\n")
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return map[string]any{"text": strings.TrimSpace(body)}
	}
	return m
}
