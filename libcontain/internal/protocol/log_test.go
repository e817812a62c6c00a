package protocol

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// lowerLevel stands in for the runtime's level renderer (libcontain.LowerLevel).
func lowerLevel(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		l := strings.ToLower(a.Value.Any().(slog.Level).String())
		if l == "warn" {
			l = "warning"
		}
		a.Value = slog.StringValue(l)
	}
	return a
}

// TestReplayLogs: init's JSON lines come out of the parent's logger at their own level.
func TestReplayLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: lowerLevel}))
	in := `{"time":"x","level":"warning","msg":"careful"}` + "\n" + `not json` + "\n" + `{"level":"error","msg":"boom"}` + "\n"
	ReplayLogs(log, strings.NewReader(in), nil)
	out := buf.String()
	for _, want := range []string{`"level":"warning","msg":"careful"`, `"level":"info","msg":"not json"`, `"level":"error","msg":"boom"`} {
		if !strings.Contains(out, want) {
			t.Errorf("replayed log lacks %s:\n%s", want, out)
		}
	}
}

// TestChildLoggerReplays: what the child's logger writes comes out of the runtime's logger at the
// same level, and progress lines go to progress only.
func TestChildLoggerReplays(t *testing.T) {
	var pipe, out bytes.Buffer
	child := NewChildLogger(&pipe, true)
	child.Debug("d")
	child.Warn("w")
	child.Error("e")
	Progress(child, "step")
	parent := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: lowerLevel}))
	var steps []string
	ReplayLogs(parent, &pipe, func(s string) { steps = append(steps, s) })
	for _, want := range []string{`"level":"debug","msg":"d"`, `"level":"warning","msg":"w"`, `"level":"error","msg":"e"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("replayed log lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "step") || len(steps) != 1 || steps[0] != "step" {
		t.Errorf("progress went to the log or got lost: steps %q, log:\n%s", steps, out.String())
	}
}

// TestReplayLogsKeepsTime: a line is replayed at the child's time, so a --debug log orders the
// runtime's and its init's steps as they happened; one without a valid time gets the replay's.
func TestReplayLogsKeepsTime(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	in := `{"time":"2001-02-03T04:05:06.123456789Z","level":"debug","msg":"step"}` + "\n" + `{"time":"x","level":"debug","msg":"later"}` + "\n"
	ReplayLogs(log, strings.NewReader(in), nil)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"time":"2001-02-03T04:05:06.123456789Z"`) {
		t.Fatalf("want the first line at the child's time:\n%s", buf.String())
	}
	if strings.Contains(lines[1], `"time":"x"`) || strings.Contains(lines[1], "2001-") {
		t.Errorf("a line without a valid time must get the replay's: %s", lines[1])
	}
}
