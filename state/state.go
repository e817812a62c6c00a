// Package state owns contain's per-container state directory: <root>/<id>/ holding state.json,
// config.json (a copy of the spec, so delete works after the bundle is gone) and exec.fifo
// between create and start. Writes are atomic and every access holds a flock on the directory.
package state

import (
	"fmt"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// State is what contain persists per container. Status is NOT trusted from disk: the caller
// derives it from the pid, InitStartTime and the exec fifo, because the process can die (or its
// pid be reused) without anyone rewriting this file.
type State struct {
	Summary
	// CgroupPaths maps a controller to its directory ("" = the unified hierarchy).
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	// NamespacePaths maps a namespace type to /proc/<pid>/ns/<x>.
	NamespacePaths map[string]string `json:"namespacePaths,omitempty"`
	// Extra is room for later features without a format change.
	Extra map[string]string `json:"extra,omitempty"`
}

// Summary is the part of State a listing prints and derives a stopped status from. The maps
// State adds are most of state.json and of the cost of decoding it, so a listing of many
// containers decodes only this (see Scan.Peek). Embedded structs are flattened, so state.json
// has all fields at the top level either way.
type Summary struct {
	specs.State // ociVersion, id, status, pid, bundle, annotations

	// InitStartTime is field 22 of /proc/<pid>/stat of init: with Pid it identifies the
	// process across pid reuse.
	InitStartTime uint64    `json:"initStartTime"`
	Created       time.Time `json:"created"`
	Rootfs        string    `json:"rootfs"`
}

// ParseState decodes state.json. Unknown fields are ignored so an older contain can read a newer
// file; the id must still be a valid one, since callers join it to paths.
func ParseState(data []byte) (*State, error) {
	var st State
	if err := unmarshalState(data, &st); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	return &st, st.check()
}

// parseSummary is ParseState for the Summary alone; the maps stay nil.
func parseSummary(data []byte) (*State, error) {
	var st State
	if err := unmarshalSummary(data, &st.Summary); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	return &st, st.check()
}

func (s *Summary) check() error {
	if err := ValidateID(s.ID); err != nil {
		return fmt.Errorf("decode state: %w", err)
	}
	if s.Pid < 0 {
		return fmt.Errorf("decode state: negative pid %d", s.Pid)
	}
	return nil
}
