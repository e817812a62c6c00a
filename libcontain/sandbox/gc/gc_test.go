package gc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contain-runtime/contain/libcontain/sandbox"
)

func TestMaxAge(t *testing.T) {
	week := 168 * time.Hour
	tests := []struct {
		name            string
		headroom, usage float64
		want            time.Duration
	}{
		{"empty disk, default headroom", 0.1, 0, time.Duration(0.9 * float64(week))},
		{"empty disk, headroom 0", 0, 0, week},
		{"half full, headroom 0", 0, 0.5, week / 2},
		{"full disk", 0.1, 1, 0},
		{"full disk, headroom 0", 0, 1, 0},
		{"headroom 1, empty disk", 1, 0, 0},
		{"headroom 1, half full", 1, 0.5, 0},
		{"past the headroom", 0.1, 0.95, 0},
	}
	for _, tc := range tests {
		if got := MaxAge(week, tc.headroom, tc.usage); got != tc.want {
			t.Errorf("%s: MaxAge(week, %v, %v) = %v, want %v", tc.name, tc.headroom, tc.usage, got, tc.want)
		}
	}
}

// fakeState is a state root: the ids in it and the sandboxes they use.
type fakeState struct {
	ids       []string
	sandboxes []string
}

func (f *fakeState) IDs() ([]string, error)       { return f.ids, nil }
func (f *fakeState) Sandboxes() ([]string, error) { return f.sandboxes, nil }

// world is a work dir with:
//
//	gone:  two runs, its container deleted
//	live:  an older run and the latest one, the container still in the state root
//	held:  one run the container uses, though latest points elsewhere (a later run)
type world struct {
	workDir string
	state   *fakeState
	runs    map[string]*sandbox.Sandbox // by name: gone1 gone2 liveOld liveLatest heldUsed heldLatest
	made    time.Time                   // when the runs were made (their ctimes are about now)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{workDir: t.TempDir(), runs: map[string]*sandbox.Sandbox{}, made: time.Now()}
	mk := func(name, id string, sec int64) {
		sb, err := sandbox.Create(w.workDir, id, time.Unix(sec, 0))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sb.Dir, "stdout"), []byte(strings.Repeat(name, 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
		// mtimes far in the past must not matter: a container sets those at will.
		old := time.Unix(1000, 0)
		if err := os.Chtimes(filepath.Join(sb.Dir, "stdout"), old, old); err != nil {
			t.Fatal(err)
		}
		w.runs[name] = sb
	}
	mk("gone1", "gone", 100)
	mk("gone2", "gone", 200)
	mk("liveOld", "live", 100)
	mk("liveLatest", "live", 200)
	mk("heldUsed", "held", 100)
	mk("heldLatest", "held", 200)
	w.state = &fakeState{ids: []string{"held", "live"}, sandboxes: []string{w.runs["heldUsed"].Dir, w.runs["liveLatest"].Dir}}
	return w
}

// collect runs a collection at now = made+after with the given disk usage and headroom.
func (w *world) collect(t *testing.T, after time.Duration, usage, headroom float64, dryRun bool) *Result {
	t.Helper()
	res, err := Collect(Config{
		WorkDir: w.workDir, Delay: 168 * time.Hour, Headroom: headroom, DryRun: dryRun,
		Containers: w.state,
		Now:        func() time.Time { return w.made.Add(after) },
		DiskUsage:  func(string) (float64, error) { return usage, nil },
		Mountinfo:  func() ([]byte, error) { return nil, nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	return res
}

// remaining names the runs still on disk.
func (w *world) remaining() []string {
	var out []string
	for name, sb := range w.runs {
		if _, err := os.Stat(sb.Dir); err == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func removedNames(w *world, res *Result) []string {
	var out []string
	for _, r := range res.Removed {
		for name, sb := range w.runs {
			if sb.Dir == r.Dir {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestCollectEdges(t *testing.T) {
	all := []string{"gone1", "gone2", "heldLatest", "heldUsed", "liveLatest", "liveOld"}
	// What may ever go: the dead container's runs and the live ones' history.
	collectable := []string{"gone1", "gone2", "liveOld"}
	survivors := []string{"heldLatest", "heldUsed", "liveLatest"}
	const slack = time.Minute // the runs were made a moment before w.made
	tests := []struct {
		name            string
		usage, headroom float64
		after           time.Duration
		wantMaxAge      time.Duration
		removed         []string
	}{
		// Empty disk: 168h × 0.9 = 151.2h.
		{"empty disk, younger than the age", 0, 0.1, 151*time.Hour - slack, 151*time.Hour + 12*time.Minute, nil},
		{"empty disk, older than the age", 0, 0.1, 151*time.Hour + 12*time.Minute + slack, 151*time.Hour + 12*time.Minute, collectable},
		// Full disk: no age at all; everything dead goes at once.
		{"full disk", 1, 0.1, slack, 0, collectable},
		{"full disk, headroom 0", 1, 0, slack, 0, collectable},
		// Headroom 0: the whole delay on an empty disk, half of it half full.
		{"headroom 0, empty disk, young", 0, 0, 167 * time.Hour, 168 * time.Hour, nil},
		{"headroom 0, empty disk, old", 0, 0, 168*time.Hour + slack, 168 * time.Hour, collectable},
		{"headroom 0, half full", 0.5, 0, 84*time.Hour + slack, 84 * time.Hour, collectable},
		// Headroom 1: always age 0.
		{"headroom 1", 0, 1, slack, 0, collectable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			res := w.collect(t, tc.after, tc.usage, tc.headroom, false)
			if res.MaxAge != tc.wantMaxAge {
				t.Errorf("max age %v, want %v", res.MaxAge, tc.wantMaxAge)
			}
			if got := removedNames(w, res); !slices.Equal(got, tc.removed) {
				t.Errorf("removed %v, want %v", got, tc.removed)
			}
			want := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(tc.removed, n) })
			if got := w.remaining(); !slices.Equal(got, want) {
				t.Errorf("left %v, want %v", got, want)
			}
			for _, s := range survivors {
				if !slices.Contains(w.remaining(), s) {
					t.Errorf("live sandbox %s was collected", s)
				}
			}
			for _, r := range res.Removed {
				if r.Age <= res.MaxAge || r.Bytes == 0 {
					t.Errorf("removal %+v: age not over %v or no bytes counted", r, res.MaxAge)
				}
			}
			if len(tc.removed) > 0 {
				// The dead container's directory went with its last run.
				if _, err := os.Lstat(filepath.Join(w.workDir, "containers", "gone")); !os.IsNotExist(err) {
					t.Errorf("containers/gone left behind: %v", err)
				}
			}
		})
	}
}

func TestDryRunRemovesNothing(t *testing.T) {
	w := newWorld(t)
	var seen []string
	res, err := Collect(Config{
		WorkDir: w.workDir, Delay: time.Hour, Headroom: 0.1, DryRun: true, Containers: w.state,
		Now:       func() time.Time { return w.made.Add(1000 * time.Hour) },
		DiskUsage: func(string) (float64, error) { return 1, nil },
		Mountinfo: func() ([]byte, error) { return nil, nil },
	}, func(r Removal) { seen = append(seen, r.Run) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 3 || len(seen) != 3 {
		t.Errorf("dry run reported %d removals (%d callbacks), want 3", len(res.Removed), len(seen))
	}
	if got := w.remaining(); len(got) != 6 {
		t.Errorf("dry run removed runs: left %v", got)
	}
}

func TestMountedRunKept(t *testing.T) {
	w := newWorld(t)
	mp := filepath.Join(w.runs["gone1"].Dir, "vol")
	// A mountinfo line with a mount point inside gone1's sandbox.
	mi := "99 1 0:50 / " + mp + " rw,relatime - tmpfs tmpfs rw\n"
	res, err := Collect(Config{
		WorkDir: w.workDir, Delay: 0, Headroom: 0, Containers: w.state,
		Now:       func() time.Time { return w.made.Add(time.Hour) },
		DiskUsage: func(string) (float64, error) { return 0, nil },
		Mountinfo: func() ([]byte, error) { return []byte(mi), nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := removedNames(w, res); !slices.Equal(got, []string{"gone2", "liveOld"}) {
		t.Errorf("removed %v, want gone2 and liveOld", got)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "mounted") {
		t.Errorf("errors %v, want one about the mount", res.Errors)
	}
}

func TestCreatedMeanwhileKept(t *testing.T) {
	w := newWorld(t)
	// The dead id comes back between the first look at the state root and the removal.
	calls := 0
	st := &flipState{fakeState: w.state, after: 1, extra: "gone", calls: &calls}
	res, err := Collect(Config{
		WorkDir: w.workDir, Delay: 0, Headroom: 0, Containers: st,
		Now:       func() time.Time { return w.made.Add(time.Hour) },
		DiskUsage: func(string) (float64, error) { return 0, nil },
		Mountinfo: func() ([]byte, error) { return nil, nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := removedNames(w, res); !slices.Equal(got, []string{"liveOld"}) {
		t.Errorf("removed %v, want only liveOld", got)
	}
}

// flipState adds an id from the (after+1)th IDs call on.
type flipState struct {
	*fakeState
	after int
	extra string
	calls *int
}

func (f *flipState) IDs() ([]string, error) {
	*f.calls++
	if *f.calls > f.after {
		return append(slices.Clone(f.ids), f.extra), nil
	}
	return f.ids, nil
}

func TestCheck(t *testing.T) {
	base := Config{WorkDir: "/w", Delay: time.Hour, Headroom: 0.1, Containers: &fakeState{}}
	bad := []func(*Config){
		func(c *Config) { c.WorkDir = "rel" },
		func(c *Config) { c.Delay = -time.Second },
		func(c *Config) { c.Headroom = -0.1 },
		func(c *Config) { c.Headroom = 1.5 },
		func(c *Config) { c.Containers = nil },
	}
	if err := base.Check(); err != nil {
		t.Fatal(err)
	}
	for i, f := range bad {
		c := base
		f(&c)
		if c.Check() == nil {
			t.Errorf("case %d: accepted %+v", i, c)
		}
	}
}

func TestEmptyWorkDir(t *testing.T) {
	res, err := Collect(Config{WorkDir: filepath.Join(t.TempDir(), "none"), Containers: &fakeState{}}, nil)
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("collect of a missing work dir: %+v, %v", res, err)
	}
}
