package fs1

import (
	"os"
	"path/filepath"
	"testing"
)

// JoinThread moves the writer only: "0" in every hierarchy's tasks file (not cgroup.procs, which
// would move the whole runtime and wait for an RCU grace period).
func TestJoinThreadWritesTasks(t *testing.T) {
	m, _ := fakeManager(t)
	for _, dir := range m.dirs() {
		for _, f := range []string{"tasks", "cgroup.procs"} {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := m.JoinThread(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range m.dirs() {
		if got := readFile(t, filepath.Join(dir, "tasks")); got != "0" {
			t.Errorf("%s/tasks = %q, want 0", dir, got)
		}
		if got := readFile(t, filepath.Join(dir, "cgroup.procs")); got != "" {
			t.Errorf("%s/cgroup.procs = %q, want nothing written", dir, got)
		}
	}
	// A hierarchy that refuses the thread (no tasks file here) fails the join, naming the dir.
	if err := os.Remove(filepath.Join(m.paths["pids"], "tasks")); err != nil {
		t.Fatal(err)
	}
	if err := m.JoinThread(); err == nil {
		t.Error("JoinThread succeeded without a tasks file in the pids hierarchy")
	}
}
