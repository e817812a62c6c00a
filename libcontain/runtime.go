package libcontain

import (
	"log/slog"
	"path/filepath"

	"github.com/contain-runtime/contain/state"
)

// Runtime is what every command needs, passed explicitly: there is no global state.
type Runtime struct {
	Store *state.Store
	Log   *slog.Logger
	Debug bool
	// WorkDir holds the per-container sandboxes (see package sandbox).
	WorkDir string
	// SystemdCgroup makes new containers' cgroups systemd units (--systemd-cgroup).
	SystemdCgroup bool
	// Rootless: the caller is unprivileged on the host (see Rootless()). Its containers get a
	// user namespace, and cgroups only where delegated to it.
	Rootless bool
}

// NewRuntime opens the state root (made by the first create).
func NewRuntime(root, workDir string, log *slog.Logger, debug bool) (*Runtime, error) {
	st, err := state.NewStore(root)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runtime{Store: st, Log: log, Debug: debug, WorkDir: workDir}, nil
}

// initDir is where the small init binary is installed (package initexe): beside the sandboxes'
// directory in the work dir, which is the runtime user's and outlives reboots, so the binary is
// written once per build of contain. "" without a work dir.
func (rt *Runtime) initDir() string {
	if rt.WorkDir == "" {
		return ""
	}
	return filepath.Join(rt.WorkDir, "bin")
}
