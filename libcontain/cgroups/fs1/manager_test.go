package fs1

import (
	"os"
	"path/filepath"
	"slices"
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

// CreateUnified makes only the hybrid unified dir (what a child is cloned into); Create then makes
// the others, not the unified one again, and Created lists each dir once, outermost first.
// ThreadDirs are the dirs a thread joins itself: all but the unified one.
func TestCreateUnifiedFirst(t *testing.T) {
	root := t.TempDir()
	mounts, paths := map[string]string{}, map[string]string{}
	for _, ctrl := range []string{"", "memory", "pids"} {
		mnt := filepath.Join(root, "mnt-"+ctrl)
		if err := os.Mkdir(mnt, 0o755); err != nil {
			t.Fatal(err)
		}
		mounts[ctrl], paths[ctrl] = mnt, filepath.Join(mnt, "pod", "c1")
	}
	m, err := New(mounts, paths)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CreateUnified(); err != nil {
		t.Fatal(err)
	}
	for ctrl, dir := range paths {
		_, err := os.Stat(dir)
		if made := err == nil; made != (ctrl == "") {
			t.Errorf("after CreateUnified, %q dir made: %v", ctrl, made)
		}
	}
	if got, want := m.ThreadDirs(), []string{paths["memory"], paths["pids"]}; !slices.Equal(got, want) {
		t.Errorf("ThreadDirs = %v, want %v", got, want)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, ctrl := range []string{"", "memory", "pids"} {
		want = append(want, filepath.Dir(paths[ctrl]), paths[ctrl])
	}
	if got := m.Created(); !slices.Equal(got, want) {
		t.Errorf("Created = %v, want %v", got, want)
	}
}
