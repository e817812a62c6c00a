package monitor

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/contain-runtime/contain/spec"
)

// ticks is a fake Config.Tick: one channel per interval asked for, fired by the test.
type ticks struct {
	mu sync.Mutex
	ch map[time.Duration]chan time.Time
}

func newTicks() *ticks { return &ticks{ch: map[time.Duration]chan time.Time{}} }

func (k *ticks) tick(d time.Duration) (<-chan time.Time, func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := make(chan time.Time)
	k.ch[d] = c
	return c, func() {}
}

// fire delivers one tick of interval d (blocking until the loop takes it).
func (k *ticks) fire(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		k.mu.Lock()
		c := k.ch[d]
		k.mu.Unlock()
		if c != nil {
			select {
			case c <- time.Now():
				return
			case <-deadline:
				t.Fatalf("the loop did not take a %v tick", d)
			}
		}
		select {
		case <-deadline:
			t.Fatalf("no ticker of %v started", d)
		case <-time.After(time.Millisecond):
		}
	}
}

// recorder collects a Run's reports and limitations.
type recorder struct {
	mu      sync.Mutex
	reports []Report
	limits  []Limitation
}

func (r *recorder) report(rep Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, rep)
}

func (r *recorder) limit(l Limitation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limits = append(r.limits, l)
}

// waitReports waits until n reports arrived: a tick is taken before it is measured, so a test
// that changes the world after a tick must first wait for that tick's report.
func (r *recorder) waitReports(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.mu.Lock()
		got := len(r.reports)
		r.mu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("fewer than %d reports after 5s", n)
}

func (r *recorder) snapshot() ([]Report, []Limitation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Report(nil), r.reports...), append([]Limitation(nil), r.limits...)
}

// start runs Run in the background; the returned function cancels it and returns its error.
func start(t *testing.T, c Config, rec *recorder) (wait func() error, cancel func()) {
	t.Helper()
	ctx, cancelCtx := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, rec.report, rec.limit) }()
	t.Cleanup(cancelCtx)
	wait = func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
	return wait, cancelCtx
}

func grow(t *testing.T, dir string, n int) {
	t.Helper()
	f, err := os.CreateTemp(dir, "hog")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil { // st_blocks is only final once written back (delalloc)
		t.Fatal(err)
	}
}

const iv = time.Second // the fake intervals: never elapse by themselves

func TestDiskEnforced(t *testing.T) {
	dir := t.TempDir()
	k, rec := newTicks(), &recorder{}
	wait, _ := start(t, Config{
		ID: "c1", Disk: &spec.DiskIsolator{Limit: 1 << 20, Interval: iv, Enforce: true},
		DiskPaths: []string{dir}, Tick: k.tick,
	}, rec)
	k.fire(t, iv) // under the limit: nothing
	rec.waitReports(t, 2)
	grow(t, dir, 2<<20)
	k.fire(t, iv)
	err := wait()
	var l *Limitation
	if !errors.As(err, &l) || l.Kind != KindDisk || l.Limit != 1<<20 || l.Usage < 2<<20 {
		t.Fatalf("Run = %v (%+v), want a disk limitation", err, l)
	}
	reports, limits := rec.snapshot()
	if len(limits) != 1 || !reflect.DeepEqual(limits[0], *l) {
		t.Fatalf("onLimit calls %+v, want once with %+v", limits, *l)
	}
	if len(reports) != 3 || reports[0].Exceeded || !reports[2].Exceeded || reports[2].Disk.Allocated != l.Usage {
		t.Fatalf("reports %+v", reports)
	}
}

func TestDiskNotEnforced(t *testing.T) {
	dir := t.TempDir()
	k, rec := newTicks(), &recorder{}
	wait, cancel := start(t, Config{
		Disk: &spec.DiskIsolator{Limit: 1 << 20, Interval: iv}, DiskPaths: []string{dir}, Tick: k.tick,
	}, rec)
	grow(t, dir, 2<<20)
	k.fire(t, iv)
	k.fire(t, iv) // still running: the loop took another tick
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	reports, limits := rec.snapshot()
	if len(limits) != 0 {
		t.Fatalf("unenforced limit produced limitations %+v", limits)
	}
	last := reports[len(reports)-1]
	if !last.Exceeded || last.DiskLimit != 1<<20 || last.Disk == nil || last.Disk.Allocated < 2<<20 || last.Disk.Apparent < 2<<20 {
		t.Fatalf("last report %+v (disk %+v)", last, last.Disk)
	}
}

// TestDiskRealTime: with real tickers a hog written after the first measurement is caught
// within two intervals.
func TestDiskRealTime(t *testing.T) {
	dir := t.TempDir()
	const interval = 100 * time.Millisecond
	rec := &recorder{}
	began := time.Now()
	wait, _ := start(t, Config{
		Disk: &spec.DiskIsolator{Limit: 1 << 20, Interval: interval, Enforce: true}, DiskPaths: []string{dir},
	}, rec)
	grow(t, dir, 2<<20)
	var l *Limitation
	if err := wait(); !errors.As(err, &l) {
		t.Fatalf("Run = %v", err)
	}
	if took := time.Since(began); took > 2*interval+200*time.Millisecond {
		t.Fatalf("limitation after %v, want within two intervals of %v", took, interval)
	}
}

func TestAliveEnds(t *testing.T) {
	var mu sync.Mutex
	alive := true
	k, rec := newTicks(), &recorder{}
	wait, _ := start(t, Config{
		Disk: &spec.DiskIsolator{Limit: 1 << 30, Interval: iv}, DiskPaths: []string{t.TempDir()}, Tick: k.tick,
		Alive: func() bool { mu.Lock(); defer mu.Unlock(); return alive },
	}, rec)
	k.fire(t, iv)
	rec.waitReports(t, 2)
	mu.Lock()
	alive = false
	mu.Unlock()
	k.fire(t, iv)
	if err := wait(); err != nil {
		t.Fatalf("Run after the container died = %v, want nil", err)
	}
}

func TestNothingToDo(t *testing.T) {
	if err := Run(context.Background(), Config{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), Config{Ports: &spec.PortsIsolator{Interval: iv}}, nil, nil); err == nil {
		t.Fatal("ports isolator without Pids accepted")
	}
}

func ranges(t *testing.T, s string) spec.PortRanges {
	t.Helper()
	r, err := spec.ParsePortRanges(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPorts uses this test process as "the container": it listens on a port, and Pids lists
// only this process.
func TestPorts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	ps := strconv.Itoa(int(port))
	self := func() ([]int, error) { return []int{os.Getpid()}, nil }

	tests := []struct {
		name      string
		allocated spec.PortRanges
		filter    spec.PortRanges
		violation bool
	}{
		{"allocated", ranges(t, ps), nil, false},
		{"allocated in a range", ranges(t, "1-65535"), nil, false},
		{"outside the filter", ranges(t, "1"), ranges(t, "1-"+strconv.Itoa(int(port)-1)), false},
		{"unallocated", ranges(t, "1"), nil, true},
		{"nothing allocated", spec.PortRanges{}, nil, true},
		{"unallocated inside the filter", ranges(t, "1"), ranges(t, ps), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, rec := newTicks(), &recorder{}
			wait, cancel := start(t, Config{
				ID: "c2", Ports: &spec.PortsIsolator{Allocated: tc.allocated, Interval: iv, Filter: tc.filter},
				Pids: self, Tick: k.tick,
			}, rec)
			if !tc.violation {
				k.fire(t, iv)
				cancel()
			}
			err := wait()
			_, limits := rec.snapshot()
			if !tc.violation {
				if err != nil || len(limits) != 0 {
					t.Fatalf("Run = %v, limitations %+v", err, limits)
				}
				reports, _ := rec.snapshot()
				if got := reports[len(reports)-1].Listening; !reflect.DeepEqual(got, []uint16{port}) {
					t.Fatalf("reported listening %v, want [%d]", got, port)
				}
				return
			}
			var lim *Limitation
			if !errors.As(err, &lim) || lim.Kind != KindPorts || !reflect.DeepEqual(lim.Ports, []uint16{port}) {
				t.Fatalf("Run = %v (%+v), want a ports limitation naming %d", err, lim, port)
			}
			if len(limits) != 1 {
				t.Fatalf("onLimit called %d times", len(limits))
			}
		})
	}
}

// TestPidsError: a failed pid listing is reported and retried, not fatal.
func TestPidsError(t *testing.T) {
	k, rec := newTicks(), &recorder{}
	wait, cancel := start(t, Config{
		Ports: &spec.PortsIsolator{Allocated: spec.PortRanges{}, Interval: iv},
		Pids:  func() ([]int, error) { return nil, errors.New("cgroup gone") }, Tick: k.tick,
	}, rec)
	k.fire(t, iv)
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	reports, _ := rec.snapshot()
	if len(reports) < 2 || reports[0].Err == nil {
		t.Fatalf("reports %+v", reports)
	}
}

// TestBoth runs both isolators on their own intervals.
func TestBoth(t *testing.T) {
	dir := t.TempDir()
	k, rec := newTicks(), &recorder{}
	wait, _ := start(t, Config{
		Disk:      &spec.DiskIsolator{Limit: 1 << 20, Interval: 2 * iv, Enforce: true},
		DiskPaths: []string{dir, filepath.Join(dir, "missing")},
		Ports:     &spec.PortsIsolator{Allocated: spec.PortRanges{}, Interval: iv},
		Pids:      func() ([]int, error) { return nil, nil },
		Tick:      k.tick,
	}, rec)
	k.fire(t, iv)
	k.fire(t, 2*iv)
	rec.waitReports(t, 4)
	grow(t, dir, 2<<20)
	k.fire(t, iv) // ports: fine; disk not measured yet
	k.fire(t, 2*iv)
	var l *Limitation
	if err := wait(); !errors.As(err, &l) || l.Kind != KindDisk {
		t.Fatalf("Run = %v", err)
	}
	reports, _ := rec.snapshot()
	// Two first measurements, two ports ticks, two disk ticks.
	if r := reports[len(reports)-1]; len(reports) != 6 || r.Disk == nil || !r.Exceeded {
		t.Fatalf("reports %+v", reports)
	}
}
