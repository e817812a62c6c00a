package libcontain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/state"
)

// A create can be killed at any point (kill -9, OOM, a machine going down). Until it saves
// state.json, nothing but its state dir says a container was being made, and a delete --force
// that found only the dir used to remove it and exit 0 while the cgroups (in every v1
// hierarchy), the sandbox and any mounts stayed behind (issue 16, F3: 16 of 50 kills leaked).
//
// So create writes down what it is about to make, before making it, in the state dir
// (state.Dir.SaveCreating): the sandbox run, the cgroup dirs and which of them do not exist yet,
// and the rootfs whose mounts land in our namespace when the container has no mount namespace.
// delete --force and a later create of the same id undo exactly that (undoHalfCreated).

// record saves the record so far. A create that cannot write it does not go on: a piece made
// unrecorded is a piece a kill can leak.
func (b *builder) record(update func(r *state.CreateRecord)) error {
	b.recMu.Lock()
	defer b.recMu.Unlock()
	update(&b.rec)
	b.recUnsaved = false
	if err := b.dir.SaveCreating(&b.rec); err != nil {
		return fmt.Errorf("record what create makes: %w", err)
	}
	return nil
}

// note changes the record without saving it: the next record saves it, which must come before
// what was noted is made (build saves it at once if nothing else did).
func (b *builder) note(update func(r *state.CreateRecord)) {
	b.recMu.Lock()
	defer b.recMu.Unlock()
	update(&b.rec)
	b.recUnsaved = true
}

// saveNoted saves what was noted and not saved since.
func (b *builder) saveNoted() error {
	b.recMu.Lock()
	unsaved := b.recUnsaved
	b.recMu.Unlock()
	if !unsaved {
		return nil
	}
	return b.record(func(*state.CreateRecord) {})
}

// missingDirs lists the dirs of paths that do not exist yet, with their missing parents,
// outermost first.
func missingDirs(paths map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		for d := filepath.Clean(p); d != "/" && !seen[d]; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil {
				break
			}
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) < len(out[j]) })
	return out
}

// undoHalfCreated removes everything the record of a create that never finished names, then the
// state dir. d must be locked exclusively, and hold no state.json. Whatever cannot be removed is
// reported: the caller must not say the container is gone when it is not.
func (c *Container) undoHalfCreated(d *state.Dir) error {
	rec, err := d.LoadCreating()
	if errors.Is(err, fs.ErrNotExist) {
		return d.Remove() // killed before it made anything
	}
	if err != nil {
		return fmt.Errorf("remove half-created container %s: %w", c.ID, err)
	}
	var errs []error
	if len(rec.CgroupPaths) > 0 {
		if err := removeCgroups(rec); err != nil {
			errs = append(errs, err)
		}
	}
	if rec.SharedRootfs != "" {
		if err := rootfs.UnmountShared(rec.SharedRootfs); err != nil {
			errs = append(errs, fmt.Errorf("unmount container mounts: %w", err))
		}
	}
	if rec.Sandbox != "" {
		sb := &sandbox.Sandbox{ID: c.ID, RunID: filepath.Base(rec.Sandbox), Dir: rec.Sandbox}
		if err := sb.Remove(c.rt.WorkDir); err != nil {
			errs = append(errs, fmt.Errorf("remove sandbox: %w", err))
		}
	}
	if len(errs) > 0 {
		// The dir and its record stay, so a later delete --force can try again.
		return fmt.Errorf("remove half-created container %s: %w", c.ID, errors.Join(errs...))
	}
	return d.Remove()
}

// removeCgroups kills whatever runs in the recorded cgroups (init, if create got that far;
// anything it started), waits for them to be empty, and removes the dirs create made.
func removeCgroups(rec *state.CreateRecord) error {
	if rec.SystemdUnit != "" {
		return stopHalfStartedUnit(rec)
	}
	existing := map[string]string{}
	for k, p := range rec.CgroupPaths {
		if _, err := os.Lstat(p); err == nil {
			existing[k] = p
		}
	}
	if len(existing) > 0 {
		if m, err := cgroups.Load(existing); err == nil {
			if err := emptyCgroup(m); err != nil {
				return err
			}
		}
	}
	m, err := cgroups.LoadWithCreated(rec.CgroupPaths, rec.CgroupNew)
	if err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	if err := m.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	if rec.CgroupGroup {
		for _, p := range rec.CgroupPaths {
			_ = unix.Rmdir(filepath.Dir(p)) // the shared group goes with its last member
		}
	}
	return nil
}

// stopHalfStartedUnit kills what runs in a killed create's unit and stops it (a unit that never
// started, or that systemd collected when its last process died, is already gone), then
// removes the v1 dirs made beside systemd's.
func stopHalfStartedUnit(rec *state.CreateRecord) error {
	m, err := cgroups.LoadSystemd(rec.SystemdUnit, rec.SystemdUser, rec.CgroupPaths, rec.CgroupNew)
	if err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	if err := emptyCgroup(m); err != nil {
		return err
	}
	if err := m.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}

// removeHalfCreated is create's way past the remains of an earlier create of the same id that
// died: if the id's dir holds no state and no live create holds its lock, undo it. It reports
// whether the id is free again.
func (rt *Runtime) removeHalfCreated(id string) bool {
	d, err := rt.Store.TryOpen(id)
	if err != nil {
		return false // gone meanwhile (the retry sees that), or a create still runs
	}
	defer d.Close()
	if _, err := d.Load(); !errors.Is(err, fs.ErrNotExist) {
		return false // a real container
	}
	// Without a record the dir may be a create's that has made it and not yet locked it (or one
	// that died before making anything, which delete --force removes): leave it.
	if _, err := d.LoadCreating(); err != nil {
		return false
	}
	if err := (&Container{rt: rt, ID: id}).undoHalfCreated(d); err != nil {
		rt.Log.Warn(err.Error())
		return false
	}
	return true
}
