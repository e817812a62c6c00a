//go:build linux

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestParityListDuringCreate: list neither waits for nor fails on a container whose create is
// still running (here held in its createRuntime hook, before the container has a state): it
// prints the other containers at once and leaves that one out, in every format. runc 1.5.3
// does the same (with a warning on stderr); contain used to wait for create's lock, for as
// long as the hook ran.
func TestParityListDuringCreate(t *testing.T) {
	w := newWDRunner(t)
	done := w.newContainer(args("true"))
	w.must("run", "-d", "--bundle", done.bundle, done.id)
	w.waitStatus(done.id, specs.StateStopped)
	dir := t.TempDir()
	marker, release := filepath.Join(dir, "hook-runs"), filepath.Join(dir, "release")
	// The hook waits for release, for at most 60s, so a list that waited for this create would
	// still be waiting when the test gives up on it.
	hook := "touch " + marker + "; i=0; while [ ! -e " + release + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"
	held := w.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "600"}
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", hook}}}}
	})
	create := exec.Command(binary, w.global("create", "--bundle", held.bundle, held.id)...)
	if err := create.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- create.Wait() }()
	t.Cleanup(func() {
		_ = os.WriteFile(release, nil, 0o644)
		<-exited
	})
	if !poll(statusTimeout, func() bool { _, err := os.Stat(marker); return err == nil }) {
		t.Fatal("the createRuntime hook never ran")
	}

	table := w.must("list").stdout
	quiet := strings.Fields(w.must("list", "-q").stdout)
	var listed []specs.State
	if err := json.Unmarshal([]byte(w.must("list", "--format", "json").stdout), &listed); err != nil {
		t.Fatalf("decode list --format json: %v", err)
	}
	select {
	case err := <-exited:
		t.Fatalf("create ended (%v) before the hook was released: the test tested nothing", err)
	default:
	}
	if !strings.Contains(table, done.id) || strings.Contains(table, held.id) {
		t.Errorf("list during a create shows:\n%s\nwant %s and not %s", table, done.id, held.id)
	}
	if !slices.Equal(quiet, []string{done.id}) {
		t.Errorf("list -q during a create = %q, want only %s", quiet, done.id)
	}
	if len(listed) != 1 || listed[0].ID != done.id || listed[0].Status != specs.StateStopped {
		t.Errorf("list --format json during a create = %+v, want only %s, stopped", listed, done.id)
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("create after the hook: %v", err)
	}
	exited <- nil // for the cleanup
	if got := w.must("list", "-q").stdout; !strings.Contains(got, held.id) {
		t.Errorf("list -q once created = %q, want %s in it", got, held.id)
	}
}
