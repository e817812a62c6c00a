// Package sandbox owns the per-container work directories, laid out like a Mesos agent's:
//
//	<work-dir>/containers/<id>/runs/<run-id>/   one per run of the container
//	<work-dir>/containers/<id>/runs/latest       symlink to the newest run
//
// A run's directory holds what the container's isolators make (volumes, the overlay's writable
// layer) and, when asked, its stdout and stderr. Deleting a container leaves it in place.
package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DefaultWorkDir is where sandboxes live unless --work-dir says otherwise.
const DefaultWorkDir = "/var/lib/contain"

// Sandbox is one run's directory.
type Sandbox struct {
	ID, RunID string
	Dir       string
}

// Create makes a new run directory for container id and points latest at it. The id must
// already be validated (state.ValidateID): it becomes a path element.
func Create(workDir, id string, now time.Time) (*Sandbox, error) {
	sb, err := Plan(workDir, id, now)
	if err != nil {
		return nil, err
	}
	return sb, sb.Make()
}

// Plan names the run directory Create would make, without making it: create records it first,
// so that whatever kills create half-way, delete --force knows which run to remove.
func Plan(workDir, id string, now time.Time) (*Sandbox, error) {
	if !filepath.IsAbs(workDir) {
		return nil, fmt.Errorf("work dir %q must be absolute", workDir)
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	runID := now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(rnd[:])
	return &Sandbox{ID: id, RunID: runID, Dir: filepath.Join(workDir, "containers", id, "runs", runID)}, nil
}

// Make creates the planned run directory and points latest at it.
func (s *Sandbox) Make() error {
	runs, runID, dir := filepath.Dir(s.Dir), s.RunID, s.Dir
	if err := os.MkdirAll(runs, 0o711); err != nil {
		return fmt.Errorf("make sandbox: %w", err)
	}
	if err := os.Mkdir(dir, 0o711); err != nil {
		return fmt.Errorf("make sandbox: %w", err)
	}
	// Repoint latest atomically: a new link beside it, renamed over it.
	tmp := filepath.Join(runs, ".latest-"+runID)
	if err := os.Symlink(runID, tmp); err != nil {
		return fmt.Errorf("link latest sandbox: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(runs, "latest")); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link latest sandbox: %w", err)
	}
	return nil
}

// Latest returns the newest run directory of container id.
func Latest(workDir, id string) (string, error) {
	runs := filepath.Join(workDir, "containers", id, "runs")
	target, err := os.Readlink(filepath.Join(runs, "latest"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("container %s has no sandbox", id)
		}
		return "", err
	}
	return filepath.Join(runs, target), nil
}

// Runs lists every run directory of the work dir, sorted by container id and run id. Nothing is
// followed: the latest link (and the temporary links made while it is repointed) are not runs,
// and neither is a container directory that is a symlink. A work dir with no containers yet has
// none.
func Runs(workDir string) ([]Sandbox, error) {
	root := filepath.Join(workDir, "containers")
	ids, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	var out []Sandbox
	for _, id := range ids {
		if !id.IsDir() { // DirEntry types come from getdents: a symlink is not a directory here
			continue
		}
		runsDir := filepath.Join(root, id.Name(), "runs")
		runs, err := os.ReadDir(runsDir)
		if err != nil {
			continue // removed meanwhile, or a container dir with no runs
		}
		for _, run := range runs {
			if run.IsDir() {
				out = append(out, Sandbox{ID: id.Name(), RunID: run.Name(), Dir: filepath.Join(runsDir, run.Name())})
			}
		}
	}
	return out, nil
}

// Mkdir makes a directory inside the sandbox for a relative path the caller validated (no
// "..", not absolute) and returns its absolute path.
func (s *Sandbox) Mkdir(rel string, mode os.FileMode) (string, error) {
	if filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("sandbox path %q must be relative and stay inside the sandbox", rel)
	}
	p := filepath.Join(s.Dir, rel)
	if err := os.MkdirAll(p, mode); err != nil {
		return "", fmt.Errorf("make sandbox dir: %w", err)
	}
	return p, nil
}

// Remove deletes a run directory that never held a container (a failed create), and the
// container's directories above it when nothing else is left in them.
func (s *Sandbox) Remove(workDir string) error {
	if err := os.RemoveAll(s.Dir); err != nil {
		return err
	}
	runs := filepath.Dir(s.Dir)
	os.Remove(filepath.Join(runs, ".latest-"+s.RunID)) // a create killed between link and rename
	if latest, err := os.Readlink(filepath.Join(runs, "latest")); err == nil && latest == s.RunID {
		os.Remove(filepath.Join(runs, "latest"))
	}
	removeEmptyAbove(runs)
	return nil
}

// removeEmptyAbove removes a container's runs dir and the container's dir above it, each only
// if empty: another run of the same id keeps its history. Each is tried whatever happened to the
// other: a delete killed between the two left the upper one for the next to remove.
func removeEmptyAbove(runs string) {
	os.Remove(runs)
	os.Remove(filepath.Dir(runs))
}

// RemoveIfEmpty removes a run directory that holds nothing (a container no isolator, volume or
// stdio file used, or whose overlay recorded no change), with the container's directories above
// it when they are left empty. A run that holds anything stays, for the people and tools that
// look at it later.
func RemoveIfEmpty(dir string) {
	removeUnchangedOverlay(dir)
	// rmdir: fails unless empty. Already gone: a delete killed half-way removed it, and what it
	// did not get to above it is still to go.
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
	runs := filepath.Dir(dir)
	if latest, err := os.Readlink(filepath.Join(runs, "latest")); err == nil && latest == filepath.Base(dir) {
		os.Remove(filepath.Join(runs, "latest"))
	}
	removeEmptyAbove(runs)
}

// OverlayDir is where a run keeps its copy-on-write layer: upper (the changes) and work (the
// kernel's scratch space).
const OverlayDir = ".overlay"

// removeUnchangedOverlay removes a run's overlay dirs when its upper layer is empty: the
// container changed nothing. Only empty dirs are removed (the kernel leaves work/work behind).
func removeUnchangedOverlay(dir string) {
	ov := filepath.Join(dir, OverlayDir)
	if os.Remove(filepath.Join(ov, "upper")) != nil {
		return
	}
	os.Remove(filepath.Join(ov, "work", "work"))
	os.Remove(filepath.Join(ov, "work"))
	os.Remove(ov)
}
