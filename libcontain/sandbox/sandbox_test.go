package sandbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCreateAndLatest(t *testing.T) {
	wd := t.TempDir()
	a, err := Create(wd, "web", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(wd, "web", time.Unix(60, 0))
	if err != nil {
		t.Fatal(err)
	}
	if a.Dir == b.Dir {
		t.Fatal("two runs share a dir")
	}
	got, err := Latest(wd, "web")
	if err != nil || got != b.Dir {
		t.Fatalf("Latest = %q, %v; want %q", got, err, b.Dir)
	}
	if want := filepath.Join(wd, "containers", "web", "runs", b.RunID); b.Dir != want {
		t.Fatalf("dir %q, want %q", b.Dir, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(b.Dir))
	if len(entries) != 3 { // two runs + latest, no temp links left
		t.Fatalf("runs dir has %d entries", len(entries))
	}
	if _, err := Latest(wd, "nope"); err == nil {
		t.Fatal("Latest of a missing container succeeded")
	}
	if _, err := Create("rel", "x", time.Now()); err == nil {
		t.Fatal("relative work dir accepted")
	}
}

func TestMkdirStaysInside(t *testing.T) {
	s, err := Create(t.TempDir(), "c", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../x", "/etc", "a/../../x", ""} {
		if _, err := s.Mkdir(bad, 0o755); err == nil {
			t.Errorf("Mkdir(%q) accepted", bad)
		}
	}
	p, err := s.Mkdir("tmp/a", 0o755)
	if err != nil || filepath.Dir(filepath.Dir(p)) != s.Dir {
		t.Fatalf("Mkdir = %q, %v", p, err)
	}
}

func TestRemoveIfEmpty(t *testing.T) {
	wd := t.TempDir()
	used, err := Create(wd, "c", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := used.Mkdir("tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	empty, err := Create(wd, "c", time.Unix(60, 0))
	if err != nil {
		t.Fatal(err)
	}
	RemoveIfEmpty(empty.Dir)
	if _, err := os.Stat(empty.Dir); !os.IsNotExist(err) {
		t.Fatalf("empty run kept: %v", err)
	}
	RemoveIfEmpty(used.Dir)
	if _, err := os.Stat(used.Dir); err != nil {
		t.Fatalf("run with a volume removed: %v", err)
	}
	unchanged, err := Create(wd, "c", time.Unix(120, 0))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := Create(wd, "c", time.Unix(180, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, sb := range []*Sandbox{unchanged, changed} {
		for _, d := range []string{"upper", "work/work"} {
			if _, err := sb.Mkdir(filepath.Join(OverlayDir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(changed.Dir, OverlayDir, "upper", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	RemoveIfEmpty(unchanged.Dir)
	if _, err := os.Stat(unchanged.Dir); !os.IsNotExist(err) {
		t.Fatalf("run whose overlay recorded no change kept: %v", err)
	}
	RemoveIfEmpty(changed.Dir)
	if _, err := os.Stat(filepath.Join(changed.Dir, OverlayDir, "upper", "f")); err != nil {
		t.Fatalf("run whose overlay holds a change removed: %v", err)
	}
	alone, err := Create(wd, "d", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	RemoveIfEmpty(alone.Dir)
	if _, err := os.Stat(filepath.Join(wd, "containers", "d")); !os.IsNotExist(err) {
		t.Fatalf("container dir of an empty run kept: %v", err)
	}
}

func TestRuns(t *testing.T) {
	wd := t.TempDir()
	if runs, err := Runs(wd); err != nil || len(runs) != 0 {
		t.Fatalf("Runs of an empty work dir = %v, %v", runs, err)
	}
	a, _ := Create(wd, "web", time.Unix(0, 0))
	b, _ := Create(wd, "web", time.Unix(60, 0))
	c, _ := Create(wd, "db", time.Unix(0, 0))
	// Links are not runs: latest, a symlinked container dir, a symlinked run.
	if err := os.Symlink("web", filepath.Join(wd, "containers", "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(wd, "containers", "web", "runs", "rootlink")); err != nil {
		t.Fatal(err)
	}
	runs, err := Runs(wd)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Sandbox{c, a, b} // by id, then run id
	if len(runs) != len(want) {
		t.Fatalf("Runs = %+v, want %d runs", runs, len(want))
	}
	for i, w := range want {
		if runs[i] != *w {
			t.Errorf("run %d = %+v, want %+v", i, runs[i], *w)
		}
	}
}

// TestRemoveIfEmptyAfterKilledDelete: a delete killed half-way through RemoveIfEmpty leaves any
// prefix of run dir, latest link, runs dir and container dir removed; the next delete's
// RemoveIfEmpty must remove the rest (make stress found the container dir left).
func TestRemoveIfEmptyAfterKilledDelete(t *testing.T) {
	for _, gone := range []int{1, 2, 3} { // run dir; + latest; + runs dir
		work := t.TempDir()
		sb, err := Create(work, "c1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		runs := filepath.Dir(sb.Dir)
		for i, p := range []string{sb.Dir, filepath.Join(runs, "latest"), runs}[:gone] {
			if err := os.Remove(p); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		RemoveIfEmpty(sb.Dir)
		if _, err := os.Lstat(filepath.Join(work, "containers", "c1")); !os.IsNotExist(err) {
			t.Errorf("%d pieces gone before: the container's sandbox dir is left (%v)", gone, err)
		}
	}
}
