//go:build linux

package cri

import (
	"os"
	"strings"
	"testing"
	"time"
)

// logLine is one line of a container log in the CRI format the kubelet reads:
// "<RFC 3339 nano time> <stdout|stderr> <F|P> <content>", where P marks a partial line whose
// content continues on the stream's next line.
type logLine struct {
	time    time.Time
	stream  string
	tag     string
	content string
}

type containerLog []logLine

// parseLog parses a CRI log; a line that is not in the format is an error.
func parseLog(data string) (containerLog, []string) {
	var log containerLog
	var bad []string
	for _, raw := range strings.SplitAfter(data, "\n") {
		if raw == "" {
			continue
		}
		if !strings.HasSuffix(raw, "\n") {
			bad = append(bad, "unterminated line "+raw)
			continue
		}
		f := strings.SplitN(strings.TrimSuffix(raw, "\n"), " ", 4)
		if len(f) < 3 {
			bad = append(bad, raw)
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, f[0])
		if err != nil || (f[1] != "stdout" && f[1] != "stderr") || (f[2] != "F" && f[2] != "P") {
			bad = append(bad, raw)
			continue
		}
		l := logLine{time: ts, stream: f[1], tag: f[2]}
		if len(f) == 4 {
			l.content = f[3]
		}
		log = append(log, l)
	}
	return log, bad
}

// logs reads and parses the container's log file.
func (c *container) logs(t *testing.T) containerLog {
	t.Helper()
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		t.Fatalf("read log of %s: %v", c.name, err)
	}
	log, bad := parseLog(string(data))
	for _, b := range bad {
		t.Errorf("log of %s: line not in the CRI format: %q", c.name, b)
	}
	return log
}

// stream joins one stream's content: a full line ends with a newline, a partial one does not.
func (l containerLog) stream(name string) string {
	var b strings.Builder
	for _, line := range l {
		if line.stream != name {
			continue
		}
		b.WriteString(line.content)
		if line.tag == "F" {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (l containerLog) stdout() string { return l.stream("stdout") }
func (l containerLog) stderr() string { return l.stream("stderr") }

// text is the log for an error message.
func (l containerLog) text() string {
	var b strings.Builder
	for _, line := range l {
		b.WriteString(line.stream + ": " + line.content + "\n")
	}
	return b.String()
}
