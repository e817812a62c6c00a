// Package gc removes the sandboxes of containers that no longer exist, the way a Mesos agent
// collects old executor directories: a sandbox goes once its last change is older than an age
// that shrinks as the work dir's disk fills,
//
//	age = delay × max(0, 1 − headroom − usage)
//
// where usage is the fraction of the filesystem in use. With the defaults (a week, 10%
// headroom) an empty disk keeps sandboxes for 6.3 days and a disk 90% full keeps none.
//
// Never collected: the sandbox a container in the state root uses, and the latest run of an id
// in the state root (or a run made after it: a create in progress). Older runs of a live id are
// history like any other and go by age.
package gc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/isolators/disk"
	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/sandbox"
)

// Defaults, Mesos' --gc_delay and --gc_disk_headroom.
const (
	DefaultDelay    = 7 * 24 * time.Hour
	DefaultHeadroom = 0.1
)

// Containers is what gc asks of the state root.
type Containers interface {
	// IDs lists every id with a state dir: created, running, stopped, or half-made by a create
	// still running.
	IDs() ([]string, error)
	// Sandboxes lists the sandbox directories the containers in the state root use.
	Sandboxes() ([]string, error)
}

// Config is one collection.
type Config struct {
	WorkDir  string
	Delay    time.Duration
	Headroom float64
	// DryRun reports what would go and removes nothing.
	DryRun     bool
	Containers Containers

	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// DiskUsage is the fraction (0..1) of path's filesystem in use; nil reads statfs(2).
	DiskUsage func(path string) (float64, error)
	// Mountinfo is /proc/self/mountinfo; nil reads it. A run with a mount point inside is
	// never removed: RemoveAll would delete what the mount shows.
	Mountinfo func() ([]byte, error)
}

// Removal is one run collected (or, with DryRun, that would be).
type Removal struct {
	ID, Run string
	Dir     string
	// Age is how long ago the run last changed (the newest ctime in it).
	Age time.Duration
	// Bytes is what it took on disk (allocated, as du counts).
	Bytes uint64
}

// Result is what a collection did.
type Result struct {
	DiskUsage float64       // fraction of the work dir's filesystem in use
	MaxAge    time.Duration // the age a run had to exceed
	Runs      int           // runs looked at
	Removed   []Removal
	Kept      int     // runs left
	Errors    []error // runs that could not be judged or removed; the rest went on
}

// MaxAge is Mesos' formula: delay × max(0, 1 − headroom − usage).
func MaxAge(delay time.Duration, headroom, usage float64) time.Duration {
	f := max(0, 1-headroom-usage)
	return time.Duration(float64(delay) * f)
}

// Check validates the flags' values.
func (c *Config) Check() error {
	switch {
	case !filepath.IsAbs(c.WorkDir):
		return fmt.Errorf("work dir %q must be absolute", c.WorkDir)
	case c.Delay < 0:
		return fmt.Errorf("gc delay %v must not be negative", c.Delay)
	case !(c.Headroom >= 0 && c.Headroom <= 1): // NaN fails too
		return fmt.Errorf("gc disk headroom %v must be between 0 and 1", c.Headroom)
	case c.Containers == nil:
		return errors.New("gc needs the state root's containers")
	}
	return nil
}

// Collect removes every run of the work dir older than the allowed age that no container in the
// state root holds on to, calling onRemove (if not nil) after each removal, or for each run
// that would go with DryRun.
func Collect(c Config, onRemove func(Removal)) (*Result, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	now, usage, mountinfo := c.Now, c.DiskUsage, c.Mountinfo
	if now == nil {
		now = time.Now
	}
	if usage == nil {
		usage = StatfsUsage
	}
	if mountinfo == nil {
		mountinfo = func() ([]byte, error) { return os.ReadFile("/proc/self/mountinfo") }
	}
	// The runs first, then who holds them: a create that starts after the listing of its id
	// makes a run we never saw; one that started before has its state dir already (create
	// makes it before the sandbox), so its runs are protected.
	runs, err := listRuns(c.WorkDir)
	if err != nil {
		return nil, err
	}
	res := &Result{Runs: len(runs)}
	if len(runs) == 0 {
		return res, nil
	}
	if res.DiskUsage, err = usage(c.WorkDir); err != nil {
		return nil, fmt.Errorf("disk usage of %s: %w", c.WorkDir, err)
	}
	res.MaxAge = MaxAge(c.Delay, c.Headroom, res.DiskUsage)
	held, err := holders(c.Containers, c.WorkDir)
	if err != nil {
		return nil, err
	}
	mi, err := mountinfo()
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	t := now()
	var doomed []Removal
	for _, r := range runs {
		if held.keeps(r) {
			res.Kept++
			continue
		}
		changed, err := lastChange(r.Dir)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("sandbox %s/%s: %w", r.ID, r.Run, err))
			res.Kept++
			continue
		}
		age := t.Sub(changed)
		if age <= res.MaxAge {
			res.Kept++
			continue
		}
		if mps := rootfs.MountsUnder(mi, r.Dir); len(mps) > 0 {
			res.Errors = append(res.Errors, fmt.Errorf("sandbox %s/%s: not removed: %s is mounted there", r.ID, r.Run, mps[len(mps)-1]))
			res.Kept++
			continue
		}
		r.Age = age
		doomed = append(doomed, r)
	}
	// One more look at the state root just before removing: an id created meanwhile keeps its
	// runs (its new run was not listed, but its latest link may point at an old one).
	if len(doomed) > 0 && !c.DryRun {
		ids, err := c.Containers.IDs()
		if err != nil {
			return nil, fmt.Errorf("list containers: %w", err)
		}
		doomed = slices.DeleteFunc(doomed, func(r Removal) bool {
			if _, before := held.latest[r.ID]; !before && slices.Contains(ids, r.ID) {
				res.Kept++
				return true
			}
			return false
		})
	}
	for _, r := range doomed {
		u, _ := disk.Measure(r.Dir) // a lower bound if part of the walk failed: it is only reported
		r.Bytes = u.Allocated
		if !c.DryRun {
			sb := &sandbox.Sandbox{ID: r.ID, RunID: r.Run, Dir: r.Dir}
			if err := sb.Remove(c.WorkDir); err != nil {
				res.Errors = append(res.Errors, fmt.Errorf("remove sandbox %s/%s: %w", r.ID, r.Run, err))
				continue
			}
		}
		res.Removed = append(res.Removed, r)
		if onRemove != nil {
			onRemove(r)
		}
	}
	return res, nil
}

// StatfsUsage is the fraction of path's filesystem in use, as df counts it (blocks not free).
func StatfsUsage(path string) (float64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	if st.Blocks == 0 {
		return 0, nil
	}
	return float64(st.Blocks-st.Bfree) / float64(st.Blocks), nil
}

// listRuns lists every run directory of the work dir, as removals to judge.
func listRuns(workDir string) ([]Removal, error) {
	runs, err := sandbox.Runs(workDir)
	if err != nil {
		return nil, err
	}
	out := make([]Removal, len(runs))
	for i, r := range runs {
		out[i] = Removal{ID: r.ID, Run: r.RunID, Dir: r.Dir}
	}
	return out, nil
}

// held is what the state root holds on to.
type held struct {
	sandboxes map[string]bool
	// latest maps each live id to its latest run ("" when it has no latest link yet).
	latest map[string]string
}

func holders(c Containers, workDir string) (*held, error) {
	ids, err := c.IDs()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	sbs, err := c.Sandboxes()
	if err != nil {
		return nil, fmt.Errorf("list sandboxes in use: %w", err)
	}
	h := &held{sandboxes: map[string]bool{}, latest: map[string]string{}}
	for _, s := range sbs {
		h.sandboxes[filepath.Clean(s)] = true
	}
	for _, id := range ids {
		target, _ := os.Readlink(filepath.Join(workDir, "containers", id, "runs", "latest"))
		h.latest[id] = target
	}
	return h, nil
}

// keeps reports whether the run is protected: in use, or the latest (or newer) run of a live id.
func (h *held) keeps(r Removal) bool {
	if h.sandboxes[r.Dir] {
		return true
	}
	latest, live := h.latest[r.ID]
	if !live {
		return false
	}
	if latest == "" || latest == r.Run {
		return true // no latest yet (a create between mkdir and link): keep them all
	}
	// Run ids begin with their UTC creation time (sandbox.Create), so a run stamped at or
	// after the latest's second was made by a create still linking it.
	return stamp(r.Run) != "" && stamp(r.Run) >= stamp(latest)
}

// stamp is the time prefix of a run id ("20060102T150405"), or "" for a name of another form.
func stamp(run string) string {
	ts, _, ok := strings.Cut(run, "-")
	if !ok || len(ts) != len("20060102T150405") {
		return ""
	}
	return ts
}

// lastChange is the newest ctime in the tree at dir: the last time anything in it changed.
// ctime, not mtime: a container can set its files' mtimes to any date (utimensat), but only
// the kernel sets ctime, so a dead container cannot make its sandbox look fresh forever.
// Symlinks are not followed and the walk stays on dir's filesystem.
func lastChange(dir string) (time.Time, error) {
	var newest time.Time
	var dev uint64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walk
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("stat %s: no ctime", p)
		}
		if p == dir {
			dev = st.Dev
		} else if d.IsDir() && st.Dev != dev {
			return fs.SkipDir
		}
		if c := time.Unix(st.Ctim.Sec, st.Ctim.Nsec); c.After(newest) {
			newest = c
		}
		return nil
	})
	return newest, err
}
