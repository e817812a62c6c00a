package libcontain

import "log/slog"

// LowerLevel renders slog levels the way containerd and podman expect in JSON logs: lower
// case, with "warning" for warn.
func LowerLevel(_ []string, a slog.Attr) slog.Attr {
	if a.Key != slog.LevelKey {
		return a
	}
	switch l := a.Value.Any().(slog.Level); {
	case l >= slog.LevelError:
		a.Value = slog.StringValue("error")
	case l >= slog.LevelWarn:
		a.Value = slog.StringValue("warning")
	case l >= slog.LevelInfo:
		a.Value = slog.StringValue("info")
	default:
		a.Value = slog.StringValue("debug")
	}
	return a
}
