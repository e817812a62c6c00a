package cgfs

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestReadPids: the four values of a pids controller's files; "max" is unlimited, and a file
// the kernel lacks (pids.peak before Linux 6.1) reads as 0 without an error.
func TestReadPids(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{"pids.current": "3\n", "pids.max": "max\n", "pids.events": "max 7\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ReadPids(dir)
	if err != nil || p.Current != 3 || p.Limit != math.MaxUint64 || p.Peak != 0 || p.LimitHits != 7 {
		t.Fatalf("ReadPids = %+v, %v; want current 3, limit max, peak 0, limit hits 7", p, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte("bogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPids(dir); err == nil {
		t.Error("a pids.max that is not a number must be an error")
	}
}
