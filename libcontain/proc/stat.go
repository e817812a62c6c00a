// Package proc parses the few /proc files the runtime reads about a process. Parsers take bytes;
// callers open the files, so the parsers are tested and fuzzed without a live /proc.
package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// Stat is what the runtime needs from /proc/<pid>/stat.
type Stat struct {
	State     byte   // field 3: R, S, D, Z, X, T …
	PPid      int    // field 4
	StartTime uint64 // field 22: clock ticks since boot; with the pid it names one process for good
}

// ParseStat parses /proc/<pid>/stat. The comm field (2) is in parentheses and may itself contain
// spaces and ')' (a process can name itself anything), so fields are counted from the LAST ')'.
func ParseStat(b []byte) (Stat, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return Stat{}, errors.New("parse stat: no comm field")
	}
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state); field 22 (starttime) is fields[19].
	if len(fields) < 20 {
		return Stat{}, fmt.Errorf("parse stat: %d fields after comm, want at least 20", len(fields))
	}
	if len(fields[0]) != 1 {
		return Stat{}, fmt.Errorf("parse stat: bad state %q", fields[0])
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return Stat{}, fmt.Errorf("parse stat: ppid: %w", err)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return Stat{}, fmt.Errorf("parse stat: starttime: %w", err)
	}
	return Stat{State: fields[0][0], PPid: ppid, StartTime: start}, nil
}

// ReadStat reads and parses /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

// Dead reports whether the state is a zombie or a dead task: it will never run again.
func (s Stat) Dead() bool { return s.State == 'Z' || s.State == 'X' }
