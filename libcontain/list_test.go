package libcontain

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/spec"
	"github.com/contain-runtime/contain/state"
)

func newListRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt, err := NewRuntime(filepath.Join(t.TempDir(), "root"), t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// saveState makes container id with a saved state.json whose init is pid/start, and returns its
// dir still locked exclusively; keep says whether to leave it so (as a create in progress does).
func saveState(t *testing.T, rt *Runtime, id string, pid int, start uint64, keep bool, edit func(*state.State)) *state.Dir {
	t.Helper()
	d, err := rt.Store.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if pid >= 0 {
		st := &state.State{Summary: state.Summary{
			State:         specs.State{ID: id, Pid: pid, Bundle: "/bundle/" + id},
			InitStartTime: start,
			Created:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}}
		if edit != nil {
			edit(st)
		}
		if err := d.Save(st); err != nil {
			t.Fatal(err)
		}
	}
	if !keep {
		d.Close()
	}
	return d
}

// exitedPid is the pid of a process that has ended (and been reaped).
func exitedPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

// listWithin runs list and fails the test if it has not returned after 10s.
func listWithin(t *testing.T, rt *Runtime, o ListOptions, probe probeFunc) []*Info {
	t.Helper()
	type result struct {
		infos []*Info
		err   error
	}
	done := make(chan result, 1)
	go func() {
		infos, err := list(rt, o, probe)
		done <- result{infos, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("List: %v", r.err)
		}
		return r.infos
	case <-time.After(10 * time.Second):
		t.Fatal("List has not returned after 10s")
		return nil
	}
}

// TestListStatuses: stopped containers, a live one, a dir a create is still making (its lock
// held, no state.json yet) and a stray dir without state: List returns at once, in id order,
// with the live one running and the dirs without state left out.
func TestListStatuses(t *testing.T) {
	rt := newListRuntime(t)
	self, err := proc.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	dead := exitedPid(t)
	saveState(t, rt, "d-stopped", dead, 1, false, nil)
	saveState(t, rt, "c-half", -1, 0, true, nil) // a create in progress
	saveState(t, rt, "b-live", os.Getpid(), self.StartTime, false, nil)
	saveState(t, rt, "a-reused", os.Getpid(), self.StartTime+1, false, nil) // pid reused since
	saveState(t, rt, "e-stray", -1, 0, false, nil)                          // a create that died early
	for _, o := range []ListOptions{{}, {OOMVerdict: true}} {
		infos := listWithin(t, rt, o, newScanProbe)
		var got []string
		for _, in := range infos {
			got = append(got, in.ID+" "+string(in.Status))
			if in.Status == specs.StateStopped && in.Pid != 0 {
				t.Errorf("%s: stopped with pid %d, want 0", in.ID, in.Pid)
			}
			if in.Bundle != "/bundle/"+in.ID || in.Version != specs.Version || in.Created.IsZero() {
				t.Errorf("%s: bundle %q, version %q, created %v", in.ID, in.Bundle, in.Version, in.Created)
			}
		}
		want := []string{"a-reused stopped", "b-live running", "d-stopped stopped"}
		if len(got) != len(want) {
			t.Fatalf("List %+v = %q, want %q", o, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("List %+v = %q, want %q", o, got, want)
				break
			}
		}
	}
}

// raceProbe is the lock-free probe, except that pid is gone from its first ProcStat on, which
// first runs during: it stands for a container ended between list's read of state.json and its
// look at init.
type raceProbe struct {
	pid    int
	during func()
}

func (r *raceProbe) probe(sc *state.Scan, id string, st *state.State) statusProbe {
	return raceScanProbe{scanProbe{sc: sc, id: id, st: st}, r}
}

type raceScanProbe struct {
	scanProbe
	r *raceProbe
}

func (p raceScanProbe) ProcStat(pid int) (proc.Stat, error) {
	if pid != p.r.pid {
		return proc.ReadStat(pid)
	}
	if p.r.during != nil {
		p.r.during()
		p.r.during = nil
	}
	return proc.Stat{}, fs.ErrNotExist
}

// TestListRereadsAfterDeath: whoever ends a container for a limitation records it in
// state.json first and then kills (recordLimitation). A list that read state.json before the
// record and looked at init after the kill must not report the container stopped without it.
func TestListRereadsAfterDeath(t *testing.T) {
	rt := newListRuntime(t)
	self, err := proc.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	saveState(t, rt, "c1", os.Getpid(), self.StartTime, false, nil)
	probe := &raceProbe{pid: os.Getpid(), during: func() {
		if err := (&Container{rt: rt, ID: "c1"}).recordLimitation("disk", "over the limit"); err != nil {
			t.Error(err)
		}
	}}
	infos := listWithin(t, rt, ListOptions{}, probe.probe)
	if len(infos) != 1 || infos[0].Status != specs.StateStopped {
		t.Fatalf("List = %+v, want c1 stopped", infos)
	}
	if got := infos[0].Annotations[spec.AnnotationLimitation]; got != "disk" {
		t.Errorf("stopped c1's %s = %q, want the disk limitation recorded before the kill", spec.AnnotationLimitation, got)
	}
}

// TestListOOMVerdict: the OOM killer's verdict on a stopped container (from its cgroup's
// oom_kill counter) is in its annotations when asked for, as in State; the table, which prints
// no annotations, does not pay for the cgroup read.
func TestListOOMVerdict(t *testing.T) {
	rt := newListRuntime(t)
	cg := t.TempDir() // a cgroup v2 dir, as far as the counter goes
	if err := os.WriteFile(filepath.Join(cg, "memory.events"), []byte("low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saveState(t, rt, "c1", exitedPid(t), 1, false, func(st *state.State) {
		st.CgroupPaths = map[string]string{"": cg}
		st.Annotations = map[string]string{"x": "y"}
	})
	for _, o := range []ListOptions{{}, {OOMVerdict: true}} {
		infos := listWithin(t, rt, o, newScanProbe)
		if len(infos) != 1 {
			t.Fatalf("List = %+v, want c1", infos)
		}
		a := infos[0].Annotations
		want := ""
		if o.OOMVerdict {
			want = "memory"
		}
		if a[spec.AnnotationLimitation] != want || a["x"] != "y" {
			t.Errorf("List %+v: annotations %v, want %s=%q and x=y", o, a, spec.AnnotationLimitation, want)
		}
	}
	c, err := Load(rt, "c1")
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.State()
	if err != nil || in.Annotations[spec.AnnotationLimitation] != "memory" {
		t.Errorf("State = %+v, %v; want the memory limitation", in, err)
	}
}

// fifoProbe is the lock-free probe whose ExecFifo first runs during.
type fifoProbe struct{ during func() }

func (f *fifoProbe) probe(sc *state.Scan, id string, st *state.State) statusProbe {
	return fifoScanProbe{scanProbe{sc: sc, id: id, st: st}, f}
}

type fifoScanProbe struct {
	scanProbe
	f *fifoProbe
}

func (p fifoScanProbe) ExecFifo() error {
	if p.f.during != nil {
		p.f.during()
		p.f.during = nil
	}
	return p.scanProbe.ExecFifo()
}

// TestListLive: a live container is created while its exec.fifo exists and running once start
// removed it. One deleted while list looks at it — init killed, then the fifo removed, between
// list's look at init and its look at the fifo — is not reported running: it was never running.
func TestListLive(t *testing.T) {
	rt := newListRuntime(t)
	initProc := exec.Command("sleep", "60")
	if err := initProc.Start(); err != nil {
		t.Skipf("cannot run sleep: %v", err)
	}
	t.Cleanup(func() { _ = initProc.Process.Kill(); _ = initProc.Wait() })
	ps, err := proc.ReadStat(initProc.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	d := saveState(t, rt, "c1", initProc.Process.Pid, ps.StartTime, false, nil)
	fifo := filepath.Join(d.Path, "exec.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	status := func(probe probeFunc) string {
		infos := listWithin(t, rt, ListOptions{}, probe)
		if len(infos) != 1 {
			t.Fatalf("List = %+v, want c1", infos)
		}
		if infos[0].Status != specs.StateStopped && infos[0].Pid != initProc.Process.Pid {
			t.Errorf("c1 %s with pid %d, want %d", infos[0].Status, infos[0].Pid, initProc.Process.Pid)
		}
		return string(infos[0].Status)
	}
	if got := status(newScanProbe); got != "created" {
		t.Errorf("with exec.fifo: %s, want created", got)
	}
	// A delete --force: init killed and gone, then the state dir's files removed.
	deleting := &fifoProbe{during: func() {
		_ = initProc.Process.Kill()
		_ = initProc.Wait()
		if err := os.Remove(fifo); err != nil {
			t.Error(err)
		}
	}}
	if got := status(deleting.probe); got != "stopped" {
		t.Errorf("deleted while listed: %s, want stopped", got)
	}
}
