package libcontain

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLowerLevel: containerd and podman read lower-case levels, "warning" for warn.
func TestLowerLevel(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: LowerLevel}))
	log.Debug("d")
	log.Info("i")
	log.Warn("w")
	log.Error("e")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Level)
	}
	if want := "debug info warning error"; strings.Join(got, " ") != want {
		t.Fatalf("levels %q, want %q", got, want)
	}
}
