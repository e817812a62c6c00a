package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// suiteBugSuffix marks, in expected-pass.txt and the baseline, a program of the second pass
// (built from the older runtime-tools commit) rather than of the pinned suite.
const suiteBugSuffix = "@suite-bug"

// listEntry is one line of expected-pass.txt or cannot-pass.txt: a program name and, for
// cannot-pass.txt, why it cannot pass.
type listEntry struct {
	Name   string
	Reason string
	Line   int
}

var programName = regexp.MustCompile(`^[a-z0-9_]+(` + regexp.QuoteMeta(suiteBugSuffix) + `)?$`)

// parseList reads a program list: one entry per line, "#" starts a comment line, blank lines
// are ignored, the first field is the program name and the rest of the line its reason. With
// needReason, an entry without a reason is an error (cannot-pass.txt must say why). A name
// listed twice is an error, so a list never silently says two things about one program.
func parseList(r io.Reader, needReason bool) ([]listEntry, error) {
	var out []listEntry
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
		reason = strings.TrimSpace(reason)
		if !programName.MatchString(name) {
			return nil, fmt.Errorf("line %d: %q is not a program name", n, name)
		}
		if needReason && reason == "" {
			return nil, fmt.Errorf("line %d: %s has no reason", n, name)
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: %s already listed on line %d", n, name, prev)
		}
		seen[name] = n
		out = append(out, listEntry{Name: name, Reason: reason, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read list: %w", err)
	}
	return out, nil
}
