//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestParityListDuringChurn: list never fails, nor prints a row it should not, while containers
// are created, started and deleted beside it: a dir without state yet, a state dir half removed,
// and a container killed between list's reads are skipped or shown as they were, never an error.
// Each row is a container of the test, with a status, and a pid unless stopped.
func TestParityListDuringChurn(t *testing.T) {
	w := newWDRunner(t)
	// No cgroupsPath: each container gets its own cgroup, named by its id.
	c := w.newContainer(compose(args("sleep", "600"), func(s *specs.Spec) { s.Linux.CgroupsPath = "" }))
	// The first container makes the root, which list needs to exist.
	w.must("create", "--bundle", c.bundle, c.id)
	deadline := time.Now().Add(3 * time.Second)
	var made atomic.Int64
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%s-%d-%d", c.id, g, i)
				if res := w.runQuiet("create", "--bundle", c.bundle, id); res.code != 0 {
					t.Errorf("churn: %s", res)
					return
				}
				if i%2 == 0 {
					w.runQuiet("start", id)
				}
				if res := w.runQuiet("delete", "--force", id); res.code != 0 {
					t.Errorf("churn: %s", res)
					return
				}
				made.Add(1)
			}
		})
	}
	lists := 0
	for ; time.Now().Before(deadline); lists++ {
		res := w.runQuiet("list", "--format", "json")
		if res.code != 0 {
			t.Errorf("list during churn: %s", res)
			break
		}
		var rows []specs.State
		if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
			t.Errorf("list during churn printed %q: %v", res.stdout, err)
			break
		}
		for _, r := range rows {
			ok := strings.HasPrefix(r.ID, c.id) && (r.Status == specs.StateStopped) == (r.Pid == 0) &&
				slices.Contains([]specs.ContainerState{specs.StateCreated, specs.StateRunning, specs.StateStopped}, r.Status)
			if !ok {
				t.Errorf("list during churn printed the row %+v", r)
			}
		}
	}
	wg.Wait()
	t.Logf("%d lists while %d containers were made and deleted", lists, made.Load())
	if lists < 3 || made.Load() < 3 {
		t.Errorf("only %d lists and %d containers: the test tested little", lists, made.Load())
	}
}
