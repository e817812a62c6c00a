package protocol

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"time"
)

// The log pipe carries the child's slog JSON lines; the parent replays each into its own logger
// (--log) at the line's level. A line with "progress": true is a step for quick mode's user.

// NewChildLogger is the child's logger on the log pipe w.
func NewChildLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// Progress logs msg as a progress line.
func Progress(log *slog.Logger, msg string) { log.Info(msg, "progress", true) }

// ReplayLogs copies the child's JSON log lines into the runtime's logger at their own level and
// time; progress lines go to progress instead, when there is one. It returns at EOF.
func ReplayLogs(log *slog.Logger, r io.Reader, progress func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e struct {
			Time     string `json:"time"`
			Level    string `json:"level"`
			Msg      string `json:"msg"`
			Progress bool   `json:"progress"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			log.Info(sc.Text(), "source", "init")
			continue
		}
		if e.Progress && progress != nil {
			progress(e.Msg)
			continue
		}
		var lvl slog.Level
		if e.Level == "warning" {
			lvl = slog.LevelWarn
		} else if lvl.UnmarshalText([]byte(e.Level)) != nil {
			lvl = slog.LevelInfo
		}
		// At the child's own time, so that a --debug log shows when each step happened.
		if ctx := context.Background(); log.Enabled(ctx, lvl) {
			t, err := time.Parse(time.RFC3339Nano, e.Time)
			if err != nil {
				t = time.Now()
			}
			r := slog.NewRecord(t, lvl, e.Msg, 0)
			r.AddAttrs(slog.String("source", "init"))
			_ = log.Handler().Handle(ctx, r)
		}
	}
}
