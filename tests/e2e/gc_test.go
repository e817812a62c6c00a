//go:build linux

package e2e

// `contain gc` and `serve --gc-interval` on real sandboxes (issue 12). The formula's edges (an
// empty or full disk, headroom 0 and 1) are unit-tested in libcontain/sandbox/gc with a fake
// clock and disk; here the real disk's usage decides, so the ages are chosen to be on one side
// of any usage: --delay 0s removes every gone sandbox, a huge delay with headroom 0 none.

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// gcWorld is a state root with:
//
//	gone:    ran, exited and was deleted: its sandbox is garbage
//	stopped: ran and exited, still in the state root: kept
//	live:    running: kept
//	again:   an id deleted and created anew: its older run is garbage, the running one is not
type gcWorld struct {
	w                                       *wdRunner
	gone, stopped, live, againOld, againNew string // sandbox dirs
	goneID, stoppedID, liveID, againID      string
}

func newGCWorld(t *testing.T) *gcWorld {
	w := newWDRunner(t)
	containOnly(t, "gc is contain's own command")
	g := &gcWorld{w: w}
	stdio := annotate("io.contain.stdio", "sandbox")
	// Detached, so the container stays in the state root once it exits, until deleted.
	runOnce := func(c *container) string {
		w.must("run", "-d", "--bundle", c.bundle, c.id)
		w.waitStopped(c.id, statusTimeout)
		return w.sandboxOf(c.id)
	}
	gone := w.newContainer(compose(stdio, args("echo", "gone")))
	g.goneID, g.gone = gone.id, runOnce(gone)
	w.must("delete", gone.id)
	stopped := w.newContainer(compose(stdio, args("echo", "stopped")))
	g.stoppedID, g.stopped = stopped.id, runOnce(stopped)
	live := w.newContainer(compose(stdio, args("sleep", "1000")))
	w.must("run", "-d", "--bundle", live.bundle, live.id)
	g.liveID, g.live = live.id, w.sandboxOf(live.id)
	again := w.newContainer(compose(stdio, args("echo", "first")))
	g.againID, g.againOld = again.id, runOnce(again)
	w.must("delete", again.id)
	// Run ids have a one-second stamp: let the second run get a later one.
	time.Sleep(1100 * time.Millisecond)
	rewrite(t, again.bundle, args("sleep", "1000"))
	w.must("run", "-d", "--bundle", again.bundle, again.id)
	g.againNew = w.sandboxOf(again.id)
	if g.againNew == g.againOld {
		t.Fatalf("the second run of %s reused the first sandbox %s", again.id, g.againOld)
	}
	return g
}

func (g *gcWorld) exists(dir string) bool {
	_, err := os.Stat(dir)
	return err == nil
}

// check fails the test unless exactly the named sandboxes are gone.
func (g *gcWorld) check(t *testing.T, removed ...string) {
	t.Helper()
	for name, dir := range map[string]string{"gone": g.gone, "stopped": g.stopped, "live": g.live, "againOld": g.againOld, "againNew": g.againNew} {
		want := true
		for _, r := range removed {
			if r == name {
				want = false
			}
		}
		if got := g.exists(dir); got != want {
			t.Errorf("sandbox %s (%s) exists: %v, want %v", name, dir, got, want)
		}
	}
}

func TestGC(t *testing.T) {
	g := newGCWorld(t)
	w := g.w

	// Dry run: says what would go, removes nothing.
	res := w.must("gc", "--dry-run", "--delay", "0s")
	for _, id := range []string{g.goneID + "/runs/" + filepath.Base(g.gone), g.againID + "/runs/" + filepath.Base(g.againOld)} {
		if !strings.Contains(res.stderr, "[contain] gc: would remove sandbox "+id+":") {
			t.Errorf("dry run does not name %s: %s", id, res)
		}
	}
	if !strings.Contains(res.stderr, "[contain] gc: would remove 2 sandbox(es)") {
		t.Errorf("dry run summary: %s", res)
	}
	g.check(t)

	// Young enough for any disk usage short of full: nothing goes.
	res = w.must("gc", "--delay", "100000h", "--disk-headroom", "0")
	if !strings.Contains(res.stderr, "[contain] gc: removed 0 sandbox(es)") {
		t.Errorf("summary: %s", res)
	}
	g.check(t)

	// No delay: every sandbox no container holds goes; the others stay.
	res = w.must("gc", "--delay", "0s")
	if !strings.Contains(res.stderr, "[contain] gc: removed sandbox "+g.goneID+"/runs/"+filepath.Base(g.gone)+": last changed ") ||
		!strings.Contains(res.stderr, "[contain] gc: removed 2 sandbox(es)") {
		t.Errorf("gc output: %s", res)
	}
	g.check(t, "gone", "againOld")
	if _, err := os.Lstat(filepath.Join(w.work, "containers", g.goneID)); !os.IsNotExist(err) {
		t.Errorf("the gone container's directory is left: %v", err)
	}
	if latest, err := os.Readlink(filepath.Join(w.work, "containers", g.againID, "runs", "latest")); err != nil || latest != filepath.Base(g.againNew) {
		t.Errorf("latest of %s = %q, %v; want %s", g.againID, latest, err, filepath.Base(g.againNew))
	}

	for _, bad := range [][]string{
		{"gc", "--disk-headroom", "1.5"},
		{"gc", "--disk-headroom", "-0.1"},
		{"gc", "--delay", "-1s"},
		{"gc", "extra-arg"},
	} {
		oneLineError(t, w.run(bad...), "")
	}
}

func TestServeGCInterval(t *testing.T) {
	g := newGCWorld(t)
	logFile := filepath.Join(g.w.tmp, "serve.log")
	s := g.w.startServeWith([]string{"--log", logFile, "--log-format", "json"},
		"--gc-interval", "200ms", "--gc-delay", "0s")
	if !poll(10*time.Second, func() bool { return !g.exists(g.gone) && !g.exists(g.againOld) }) {
		t.Fatalf("serve --gc-interval did not collect within 10s: %s", s.out)
	}
	g.check(t, "gone", "againOld")
	s.stop()
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logged := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Level string  `json:"level"`
			Msg   string  `json:"msg"`
			ID    string  `json:"id"`
			Run   string  `json:"run"`
			Age   string  `json:"age"`
			Bytes float64 `json:"bytes"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Msg != "gc: removed sandbox" {
			continue
		}
		if rec.Level != "info" || rec.Age == "" || rec.Bytes <= 0 {
			t.Errorf("removal record %s lacks level, age or bytes", sc.Bytes())
		}
		logged[rec.ID+"/"+rec.Run] = true
	}
	for _, dir := range []string{g.gone, g.againOld} {
		id := filepath.Base(filepath.Dir(filepath.Dir(dir)))
		if !logged[id+"/"+filepath.Base(dir)] {
			b, _ := os.ReadFile(logFile)
			t.Errorf("removal of %s not logged; log has %v:\n%s", dir, logged, b)
		}
	}
}

// rewrite changes a bundle's config.json with mutate.
func rewrite(t *testing.T, dir string, mutate func(*specs.Spec)) {
	t.Helper()
	s, err := bundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	mutate(s)
	if err := bundle.Write(dir, s); err != nil {
		t.Fatal(err)
	}
}
