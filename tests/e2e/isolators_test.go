//go:build linux

package e2e

// The isolators of issue 5, end to end: volumes (a private /tmp), the disk quota, the ports
// check, the jail, the limitations that state and events report, the monitor's lifetime, the
// rejection of malformed annotations and io.contain.stdio=sandbox. Every container runs with
// --work-dir under the test's temp dir (wdRunner).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// isoInterval is the disk and ports interval of the tests: short, so a violation is noticed
// quickly, and well above spec.MinInterval.
const isoInterval = 300 * time.Millisecond

// The annotation keys, spelled out rather than imported: the tests check the documented
// interface, not whatever the constants say today.
const (
	annSandbox       = "io.contain.sandbox"
	annLimitation    = "io.contain.limitation"
	annLimitationMsg = "io.contain.limitation.message"
)

// annotate sets annotations (key, value, key, value ...); for use in a mutate function.
func annotate(kv ...string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Annotations[kv[i]] = kv[i+1]
		}
	}
}

// compose applies mutate functions in order.
func compose(fs ...func(*specs.Spec)) func(*specs.Spec) {
	return func(s *specs.Spec) {
		for _, f := range fs {
			f(s)
		}
	}
}

// hostNetwork drops the network namespace: the container shares the host's, which is what the
// ports isolator checks.
func hostNetwork(s *specs.Spec) {
	s.Linux.Namespaces = withoutNamespace(s.Linux.Namespaces, specs.NetworkNamespace)
}

// withSysAdmin gives the process CAP_SYS_ADMIN, which unshare(2) needs: without it an
// unjailed unshare fails with EPERM too and the jail test would prove nothing.
func withSysAdmin(s *specs.Spec) {
	c := s.Process.Capabilities
	c.Bounding = append(c.Bounding, "CAP_SYS_ADMIN")
	c.Effective = append(c.Effective, "CAP_SYS_ADMIN")
	c.Permitted = append(c.Permitted, "CAP_SYS_ADMIN")
}

// poll calls cond every 20ms until it holds or timeout passes, and reports whether it held.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sandboxOf returns the sandbox dir that state reports for the container.
func (w *wdRunner) sandboxOf(id string) string {
	w.t.Helper()
	st, res, ok := w.state(id)
	if !ok {
		w.t.Fatalf("state: %s", res)
	}
	sb := st.Annotations[annSandbox]
	if sb == "" {
		w.t.Fatalf("state of %s has no %s annotation: %v", id, annSandbox, st.Annotations)
	}
	return sb
}

// waitStopped polls state until the container is stopped, failing after timeout; it returns
// the state and how long it took.
func (w *wdRunner) waitStopped(id string, timeout time.Duration) (specs.State, time.Duration) {
	w.t.Helper()
	start := time.Now()
	var st specs.State
	var last result
	if !poll(timeout, func() bool {
		var ok bool
		st, last, ok = w.state(id)
		return ok && st.Status == specs.StateStopped
	}) {
		w.t.Fatalf("container %s not stopped within %v; last: %s", id, timeout, last)
	}
	return st, time.Since(start)
}

// staysRunning fails the test if the container leaves the running state within d.
func (w *wdRunner) staysRunning(id string, d time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		st, res, ok := w.state(id)
		if !ok || st.Status != specs.StateRunning {
			w.t.Fatalf("container %s did not keep running (%v): %s", id, st.Annotations, res)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// diskStats is the disk/ports part of a stats event, as `events --stats` prints it.
type diskStats struct {
	Apparent  uint64   `json:"apparent"`
	Allocated uint64   `json:"allocated"`
	Limit     uint64   `json:"limit"`
	Exceeded  bool     `json:"exceeded"`
	Listening []uint16 `json:"listening"`
}

// stats runs `events --stats` and returns the disk report, nil when there is none yet.
func (w *wdRunner) stats(id string) *diskStats {
	w.t.Helper()
	res := w.must("events", "--stats", id)
	var ev struct {
		Type string `json:"type"`
		Data struct {
			Disk *diskStats `json:"disk"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &ev); err != nil {
		w.t.Fatalf("decode events --stats: %v\n%s", err, res.stdout)
	}
	if ev.Type != "stats" {
		w.t.Fatalf("events --stats printed a %q event: %s", ev.Type, res.stdout)
	}
	return ev.Data.Disk
}

// event is one line of `contain events`.
type event struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// events starts `contain events ID` in the background and returns its events; the channel is
// closed when the command ends. The command is killed (by pid) in cleanup if still running.
func (w *wdRunner) events(id string) <-chan event {
	w.t.Helper()
	args := w.global("events", "--interval", "1s", id)
	cmd := exec.Command(binary, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start events: %v", err)
	}
	ch := make(chan event, 256)
	done := make(chan struct{})
	var killed atomic.Bool // set before cleanup kills the command: its exit is then expected
	t := w.t
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("events printed a line that is not an event: %q: %v", sc.Text(), err)
				continue
			}
			ch <- e
		}
		if err := cmd.Wait(); err != nil && !killed.Load() {
			t.Errorf("events %s: %v; stderr: %q", id, err, stderr.String())
		}
	}()
	w.t.Cleanup(func() {
		select {
		case <-done:
			return
		default:
		}
		killed.Store(true)
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(commandTimeout):
			t.Errorf("events %s did not end after SIGKILL", id)
		}
	})
	return ch
}

// waitEvent reads events until one of type typ arrives, failing the test if the stream ends or
// timeout passes first; it returns the event and the types seen before it.
func waitEvent(t *testing.T, ch <-chan event, typ string, timeout time.Duration) (event, []string) {
	t.Helper()
	var seen []string
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("events ended without a %q event; saw %v", typ, seen)
			}
			if e.Type == typ {
				return e, seen
			}
			seen = append(seen, e.Type)
		case <-timer.C:
			t.Fatalf("no %q event within %v; saw %v", typ, timeout, seen)
		}
	}
}

// limitationEvent is the data of a limitation event.
type limitationEvent struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func decodeLimitation(t *testing.T, e event) limitationEvent {
	t.Helper()
	var l limitationEvent
	if err := json.Unmarshal(e.Data, &l); err != nil {
		t.Fatalf("decode limitation event %s: %v", e.Data, err)
	}
	return l
}

// monitorPid reads the monitor's pid from the container's state.json (extra.monitorPid).
func (w *wdRunner) monitorPid(id string) int {
	w.t.Helper()
	return w.extraPid(id, "monitorPid")
}

// guardPid reads the pid of the monitor's guard from state.json (extra.guardPid).
func (w *wdRunner) guardPid(id string) int {
	w.t.Helper()
	return w.extraPid(id, "guardPid")
}

func (w *wdRunner) extraPid(id, key string) int {
	w.t.Helper()
	var st struct {
		Extra map[string]string `json:"extra"`
	}
	b := readFile(w.t, filepath.Join(w.root, id, "state.json"))
	if err := json.Unmarshal([]byte(b), &st); err != nil {
		w.t.Fatalf("decode state.json: %v", err)
	}
	pid, err := strconv.Atoi(st.Extra[key])
	if err != nil || pid <= 0 {
		w.t.Fatalf("state.json of %s has no %s: %v", id, key, st.Extra)
	}
	return pid
}

// monitorPids scans /proc for `contain ... monitor ID` processes.
func monitorPids(t *testing.T, id string) []int {
	t.Helper()
	var out []int
	for pid := range livePids(t) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !isMonitorOf(b, id) || processGone(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// isMonitorOf: `contain ... monitor ID` or its guard, `contain ... monitor --guard ID`.
func isMonitorOf(cmdline []byte, id string) bool {
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	n := len(args)
	if n >= 3 && args[n-3] == "monitor" && args[n-2] == "--guard" && args[n-1] == id {
		return true
	}
	return n >= 2 && args[n-2] == "monitor" && args[n-1] == id
}

// processGone reports whether pid has exited: no /proc entry, or a zombie waiting for its
// (re)parent to reap it.
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || strings.HasPrefix(string(b[i:]), ") Z") || strings.HasPrefix(string(b[i:]), ") X")
}

// rawMode is a path's permission bits including sticky, setuid and setgid, as the kernel has them.
func rawMode(t *testing.T, p string) uint32 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Mode & 0o7777
}

// noDefaultSandbox fails the test if a sandbox for id appeared in the default work dir.
func noDefaultSandbox(t *testing.T, id string) {
	t.Helper()
	p := filepath.Join("/var/lib/contain/containers", id)
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists: a command ignored --work-dir (%v)", p, err)
	}
}

// TestVolumesPrivateTmp: io.contain.volumes=tmp:/tmp gives each container its own /tmp (mode
// 1777, copied from the rootfs) in its sandbox; neither another container of the same spec
// nor the host sees what one writes there.
func TestVolumesPrivateTmp(t *testing.T) {
	w := newWDRunner(t)
	mutate := compose(args("sleep", "600"), annotate("io.contain.volumes", "tmp:/tmp"))
	a, b := w.newContainer(mutate), w.newContainer(mutate)
	for _, c := range []*container{a, b} {
		w.must("create", "--bundle", c.bundle, c.id)
		w.must("start", c.id)
		w.waitStatus(c.id, specs.StateRunning)
	}
	if got := strings.TrimSpace(w.must("exec", a.id, "stat", "-c", "%a", "/tmp").stdout); got != "1777" {
		t.Errorf("mode of /tmp in the container: %s, want 1777", got)
	}
	if got := strings.TrimSpace(w.must("exec", b.id, "stat", "-c", "%a", "/tmp").stdout); got != "1777" {
		t.Errorf("mode of /tmp in the second container: %s, want 1777", got)
	}
	mark := "mark-" + a.id
	w.must("exec", a.id, "sh", "-c", "echo from-a > /tmp/"+mark)
	if got := w.must("exec", a.id, "cat", "/tmp/"+mark).stdout; got != "from-a\n" {
		t.Fatalf("container A reads back %q from its /tmp, want %q", got, "from-a\n")
	}

	if res := w.run("exec", b.id, "ls", "/tmp/"+mark); res.code == 0 {
		t.Errorf("container B sees A's /tmp/%s: %s", mark, res)
	}
	if ls := w.must("exec", b.id, "ls", "-A", "/tmp").stdout; strings.TrimSpace(ls) != "" {
		t.Errorf("container B's /tmp is not empty: %q", ls)
	}
	if _, err := os.Lstat(filepath.Join("/tmp", mark)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the host's /tmp has %s: %v", mark, err)
	}
	if _, err := os.Lstat(filepath.Join(a.spec.Root.Path, "tmp", mark)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the rootfs's /tmp has %s: %v", mark, err)
	}

	// The volume lives in A's sandbox: <work-dir>/containers/<id>/runs/<run-id>/tmp, with
	// latest pointing at the run.
	sb := w.sandboxOf(a.id)
	runs := filepath.Join(w.work, "containers", a.id, "runs")
	if filepath.Dir(sb) != runs || filepath.Base(sb) == "latest" {
		t.Fatalf("sandbox %s is not a run dir under %s", sb, runs)
	}
	if l, err := os.Readlink(filepath.Join(runs, "latest")); err != nil || filepath.Join(runs, l) != sb {
		t.Errorf("%s/latest -> %q (%v), want the run %s", runs, l, err, filepath.Base(sb))
	}
	if got := readFile(t, filepath.Join(sb, "tmp", mark)); got != "from-a\n" {
		t.Errorf("%s/tmp/%s holds %q, want %q", sb, mark, got, "from-a\n")
	}
	if m := rawMode(t, filepath.Join(sb, "tmp")); m != 0o1777 {
		t.Errorf("sandbox tmp mode %#o, want 01777", m)
	}
	sbB := w.sandboxOf(b.id)
	if sbB == sb || !strings.HasPrefix(sbB, filepath.Join(w.work, "containers", b.id, "runs")+"/") {
		t.Errorf("container B's sandbox %s, want its own under %s", sbB, w.work)
	}
	if _, err := os.Lstat(filepath.Join(sbB, "tmp", mark)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("B's sandbox has A's file: %v", err)
	}
	noDefaultSandbox(t, a.id)
	noDefaultSandbox(t, b.id)
}

// diskHog writes 30 MiB into the sandbox volume at /tmp, then idles.
var diskHog = args("sh", "-c", "dd if=/dev/zero of=/tmp/hog bs=1M count=30 2>/dev/null; exec sleep 600")

func diskIsolator(enforce bool) func(*specs.Spec) {
	return annotate(
		"io.contain.volumes", "tmp:/tmp",
		"io.contain.disk.limit", "10M",
		"io.contain.disk.interval", isoInterval.String(),
		"io.contain.disk.enforce", strconv.FormatBool(enforce),
	)
}

var diskMessage = regexp.MustCompile(`(\d+) bytes exceeds the limit of (\d+) bytes`)

// TestDiskIsolator: a container writing 30M against a 10M limit is killed within two intervals
// when the limit is enforced, with the limitation in state and events; when it is not, it runs
// on and events --stats reports the excess.
func TestDiskIsolator(t *testing.T) {
	const limit = 10 << 20
	t.Run("enforced", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(diskHog, diskIsolator(true)))
		w.must("create", "--bundle", c.bundle, c.id)
		evs := w.events(c.id)
		w.must("start", c.id)
		st, took := w.waitStopped(c.id, statusTimeout)
		t.Logf("disk hog stopped %v after start (interval %v)", took, isoInterval)
		// Two intervals after start: dd of 30M takes milliseconds, the monitor's next tick
		// comes at most one interval later.
		if took > 2*isoInterval {
			t.Errorf("disk hog stopped %v after start, want within two intervals (%v)", took, 2*isoInterval)
		}
		if got := st.Annotations[annLimitation]; got != "disk" {
			t.Fatalf("state %s = %q, want disk; annotations %v", annLimitation, got, st.Annotations)
		}
		msg := st.Annotations[annLimitationMsg]
		m := diskMessage.FindStringSubmatch(msg)
		if m == nil {
			t.Fatalf("limitation message %q does not give usage and limit in bytes", msg)
		}
		usage, _ := strconv.ParseUint(m[1], 10, 64)
		lim, _ := strconv.ParseUint(m[2], 10, 64)
		if lim != limit || usage <= limit {
			t.Errorf("limitation message %q: usage %d, limit %d; want a usage above the limit %d", msg, usage, lim, limit)
		}
		e, _ := waitEvent(t, evs, "limitation", statusTimeout)
		if l := decodeLimitation(t, e); l.Kind != "disk" || l.Message != msg || e.ID != c.id {
			t.Errorf("limitation event %+v (id %s), want kind disk, message %q, id %s", l, e.ID, msg, c.id)
		}
		// The hog's data stays in the sandbox: delete does not remove it.
		sb := st.Annotations[annSandbox]
		w.must("delete", c.id)
		if fi, err := os.Stat(filepath.Join(sb, "tmp", "hog")); err != nil || fi.Size() <= limit {
			t.Errorf("sandbox %s/tmp/hog after delete: %v", sb, err)
		}
	})
	t.Run("not enforced", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(diskHog, diskIsolator(false)))
		w.must("create", "--bundle", c.bundle, c.id)
		w.must("start", c.id)
		var last *diskStats
		if !poll(statusTimeout, func() bool {
			last = w.stats(c.id)
			return last != nil && last.Exceeded
		}) {
			t.Fatalf("events --stats never reported the disk limit exceeded; last %+v", last)
		}
		if last.Allocated <= limit || last.Limit != limit {
			t.Errorf("disk stats %+v: want allocated above the limit %d", last, limit)
		}
		w.staysRunning(c.id, 3*isoInterval)
		if d := w.stats(c.id); d == nil || !d.Exceeded || d.Allocated <= limit {
			t.Errorf("disk stats after three intervals %+v, want still exceeded", d)
		}
		st, _, _ := w.state(c.id)
		if l := st.Annotations[annLimitation]; l != "" {
			t.Errorf("an unenforced limit recorded a limitation %q", l)
		}
	})
}

// listenerPorts are the host ports the ports test uses; a host that already listens on one
// would turn the test into a test of that service.
var listenerPorts = []uint16{31002, 31999, 32000}

// hostListening reports whether something listens on TCP port p in the network namespace of
// /proc/<pid> (the test's own when pid is "self").
func hostListening(t *testing.T, pid string, p uint16) bool {
	t.Helper()
	want := fmt.Sprintf(":%04X ", p)
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join("/proc", pid, "net", f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fs := strings.Fields(line)
			// local_address is field 1, st field 3; 0A is TCP_LISTEN.
			if len(fs) > 3 && strings.HasSuffix(fs[1]+" ", want) && fs[3] == "0A" {
				return true
			}
		}
	}
	return false
}

func portsIsolator(kv ...string) func(*specs.Spec) {
	return annotate(append([]string{
		"io.contain.ports", "31000-31005",
		"io.contain.ports.interval", isoInterval.String(),
	}, kv...)...)
}

// listen runs busybox nc listening on port.
func listen(port uint16) func(*specs.Spec) {
	return args("nc", "-l", "-p", strconv.Itoa(int(port)))
}

// TestPortsIsolator: in the host's network namespace, a listener on an unallocated port gets
// the container killed with the port reported; a listener on an allocated port, or on a port
// outside io.contain.ports.range, is left alone; so is a container with its own network
// namespace.
func TestPortsIsolator(t *testing.T) {
	needs.Root(t)
	for _, p := range listenerPorts {
		if hostListening(t, "self", p) {
			t.Fatalf("the host already listens on port %d, which this test needs free", p)
		}
	}

	t.Run("unallocated port killed", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(listen(31999), hostNetwork, portsIsolator()))
		w.must("create", "--bundle", c.bundle, c.id)
		evs := w.events(c.id)
		w.must("start", c.id)
		st, took := w.waitStopped(c.id, statusTimeout)
		t.Logf("listener on 31999 stopped %v after start (interval %v)", took, isoInterval)
		if got := st.Annotations[annLimitation]; got != "ports" {
			t.Fatalf("state %s = %q, want ports; annotations %v", annLimitation, got, st.Annotations)
		}
		msg := st.Annotations[annLimitationMsg]
		if !regexp.MustCompile(`\b31999\b`).MatchString(msg) {
			t.Errorf("limitation message %q does not name port 31999", msg)
		}
		e, _ := waitEvent(t, evs, "limitation", statusTimeout)
		if l := decodeLimitation(t, e); l.Kind != "ports" || !strings.Contains(l.Message, "31999") {
			t.Errorf("limitation event %+v, want kind ports naming 31999", l)
		}
		if hostListening(t, "self", 31999) {
			t.Error("port 31999 still listening after the container was killed")
		}
	})

	survives := func(t *testing.T, port uint16, extra ...string) {
		w := newWDRunner(t)
		c := w.newContainer(compose(listen(port), hostNetwork, portsIsolator(extra...)))
		w.must("create", "--bundle", c.bundle, c.id)
		w.must("start", c.id)
		// The monitor reports what it saw listening: wait until it has seen this listener.
		var last *diskStats
		if !poll(statusTimeout, func() bool {
			last = w.stats(c.id)
			return last != nil && slices.Contains(last.Listening, port)
		}) {
			t.Fatalf("the monitor never reported port %d listening; last %+v", port, last)
		}
		w.staysRunning(c.id, 3*isoInterval)
		if !hostListening(t, "self", port) {
			t.Errorf("port %d not listening on the host", port)
		}
	}
	t.Run("allocated port survives", func(t *testing.T) { survives(t, 31002) })
	t.Run("port outside ports.range survives", func(t *testing.T) {
		survives(t, 32000, "io.contain.ports.range", "31000-31010")
	})

	t.Run("own network namespace ignored", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(listen(31999), portsIsolator()))
		w.must("create", "--bundle", c.bundle, c.id)
		w.must("start", c.id)
		st := w.waitStatus(c.id, specs.StateRunning)
		pid := strconv.Itoa(st.Pid)
		if !poll(statusTimeout, func() bool { return hostListening(t, pid, 31999) }) {
			t.Fatal("the container never listened on 31999 in its network namespace")
		}
		w.staysRunning(c.id, 3*isoInterval)
		st, _, _ = w.state(c.id)
		if l := st.Annotations[annLimitation]; l != "" {
			t.Errorf("limitation %q recorded for a container with its own network namespace", l)
		}
	})
}

// TestJail: with io.contain.jail=true, unshare -n fails with EPERM in the container and in
// processes exec'd into it, while the same command works unjailed. Both containers hold
// CAP_SYS_ADMIN, so only the jail differs.
func TestJail(t *testing.T) {
	jail := annotate("io.contain.jail", "true")
	// The shell forks for the pipe: ordinary clone(2) still works in the jail.
	probe := args("sh", "-c", `unshare -n true; echo "rc=$?"; echo forked | cat`)

	t.Run("unjailed unshare works", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(probe, withSysAdmin))
		res := w.must("run", "--bundle", c.bundle, c.id)
		if !strings.Contains(res.stdout, "rc=0") {
			t.Fatalf("unjailed unshare -n failed: %s", res)
		}
	})
	t.Run("jailed unshare fails with EPERM", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(probe, withSysAdmin, jail))
		res := w.must("run", "--bundle", c.bundle, c.id)
		if !strings.Contains(res.stdout, "rc=1") || !strings.Contains(res.stderr, "Operation not permitted") {
			t.Fatalf("jailed unshare -n did not fail with EPERM: %s", res)
		}
		if !strings.Contains(res.stdout, "forked") {
			t.Errorf("a plain fork failed in the jail: %s", res)
		}
	})
	t.Run("exec into a jailed container is jailed", func(t *testing.T) {
		w := newWDRunner(t)
		jailed := w.newContainer(compose(args("sleep", "600"), withSysAdmin, jail))
		free := w.newContainer(compose(args("sleep", "600"), withSysAdmin))
		for _, c := range []*container{jailed, free} {
			w.must("create", "--bundle", c.bundle, c.id)
			w.must("start", c.id)
		}
		res := w.run("exec", jailed.id, "unshare", "-n", "true")
		if res.code == 0 || !strings.Contains(res.stderr, "Operation not permitted") {
			t.Errorf("unshare -n exec'd into the jailed container did not fail with EPERM: %s", res)
		}
		w.must("exec", free.id, "unshare", "-n", "true")
	})
}

// TestMemoryLimitation: a container the OOM killer ends reports io.contain.limitation=memory in
// state once stopped, and events reports the kill.
func TestMemoryLimitation(t *testing.T) {
	w := newWDRunner(t)
	c := w.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"tail", "/dev/zero"}
		memoryLimit(s)
	})
	w.must("create", "--bundle", c.bundle, c.id)
	evs := w.events(c.id)
	w.must("start", c.id)
	st, _ := w.waitStopped(c.id, 2*statusTimeout)
	if got := st.Annotations[annLimitation]; got != "memory" {
		t.Fatalf("state %s = %q, want memory; annotations %v", annLimitation, got, st.Annotations)
	}
	if msg := st.Annotations[annLimitationMsg]; !strings.Contains(msg, "OOM") {
		t.Errorf("limitation message %q does not mention the OOM killer", msg)
	}
	// list --format json prints the annotations state prints (the table has none).
	var listed []specs.State
	if err := json.Unmarshal([]byte(w.must("list", "--format", "json").stdout), &listed); err != nil {
		t.Fatalf("decode list --format json: %v", err)
	}
	found := false
	for _, l := range listed {
		if l.ID == c.id {
			found = true
			if !maps.Equal(l.Annotations, st.Annotations) {
				t.Errorf("list --format json annotations %v, want state's %v", l.Annotations, st.Annotations)
			}
		}
	}
	if !found {
		t.Errorf("list --format json does not show %s", c.id)
	}
	var types []string
	timeout := time.After(statusTimeout)
collect: // events ends by itself once the container has stopped
	for {
		select {
		case e, ok := <-evs:
			if !ok {
				break collect
			}
			types = append(types, e.Type)
			if e.Type == "limitation" {
				if l := decodeLimitation(t, e); l.Kind != "memory" {
					t.Errorf("limitation event kind %q, want memory", l.Kind)
				}
			}
		case <-timeout:
			t.Fatalf("events did not end within %v of the container stopping; saw %v", statusTimeout, types)
		}
	}
	t.Logf("events saw %v", types)
	if !slices.Contains(types, "oom") {
		t.Errorf("events saw %v, want an oom event for the kill that ended the container", types)
	}
	if !slices.Contains(types, "limitation") {
		t.Errorf("events saw %v, want a limitation event", types)
	}
}

// TestMonitorLifetime: the monitor neither outlives its container nor survives delete, and it
// does not hold create's stdout and stderr open.
func TestMonitorLifetime(t *testing.T) {
	t.Run("gone after delete", func(t *testing.T) {
		w := newWDRunner(t)
		// The default 15s interval: the monitor would idle far longer than this test.
		c := w.newContainer(compose(args("sleep", "600"), annotate("io.contain.disk.limit", "1G")))
		w.must("create", "--bundle", c.bundle, c.id)
		pid := w.monitorPid(c.id)
		if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err != nil || !isMonitorOf(cmd, c.id) {
			t.Fatalf("pid %d from state.json is not `contain monitor %s`: %q, %v", pid, c.id, cmd, err)
		}
		guard := w.guardPid(c.id)
		got, want := monitorPids(t, c.id), []int{pid, guard}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("monitor processes of %s: %v, want just the monitor %d and its guard %d", c.id, got, pid, guard)
		}
		w.must("start", c.id)
		w.must("delete", "--force", c.id)
		if !poll(statusTimeout, func() bool { return processGone(pid) }) {
			t.Fatalf("monitor %d still runs %v after delete", pid, statusTimeout)
		}
		if got := monitorPids(t, c.id); len(got) != 0 {
			t.Errorf("monitor processes of %s after delete: %v", c.id, got)
		}
	})
	t.Run("ends with the container", func(t *testing.T) {
		w := newWDRunner(t)
		c := w.newContainer(compose(args("true"), annotate(
			"io.contain.disk.limit", "1G", "io.contain.disk.interval", isoInterval.String())))
		w.must("create", "--bundle", c.bundle, c.id)
		pid, guard := w.monitorPid(c.id), w.guardPid(c.id)
		w.must("start", c.id)
		w.waitStopped(c.id, statusTimeout)
		if !poll(2*isoInterval+statusTimeout, func() bool { return processGone(pid) && processGone(guard) }) {
			t.Fatalf("monitor %d or its guard %d still runs after its container stopped", pid, guard)
		}
		if st, _, _ := w.state(c.id); st.Annotations[annLimitation] != "" {
			t.Errorf("a container that ended by itself got a limitation: %v", st.Annotations)
		}
	})
	t.Run("does not hold create's stdio", func(t *testing.T) {
		w := newWDRunner(t)
		// stdio=sandbox, so that the container itself does not hold the pipes either.
		c := w.newContainer(compose(args("sleep", "600"), annotate(
			"io.contain.disk.limit", "1G", "io.contain.stdio", "sandbox")))
		rd, wr, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, w.global("create", "--bundle", c.bundle, c.id)...)
		cmd.Stdout, cmd.Stderr = wr, wr
		if err := cmd.Start(); err != nil {
			wr.Close()
			t.Fatal(err)
		}
		wr.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := rd.SetReadDeadline(time.Now().Add(statusTimeout)); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		var out []byte
		for {
			n, err := rd.Read(b)
			out = append(out, b[:n]...)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				holders := pipeHolders(t, rd)
				t.Fatalf("create's stdout/stderr pipe still open %v after create exited (held by %v); read %q", statusTimeout, holders, out)
			}
			if err != nil {
				break
			}
		}
		if len(monitorPids(t, c.id)) != 2 {
			t.Errorf("no monitor and guard running for %s", c.id)
		}
	})
}

// pipeHolders names the processes that hold the write end of the pipe whose read end is rd.
func pipeHolders(t *testing.T, rd *os.File) []string {
	var st unix.Stat_t
	if err := unix.Fstat(int(rd.Fd()), &st); err != nil {
		return nil
	}
	want := fmt.Sprintf("pipe:[%d]", st.Ino)
	var out []string
	for pid := range livePids(t) {
		if pid == os.Getpid() {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l == want {
				cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				out = append(out, fmt.Sprintf("%d %q", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
				break
			}
		}
	}
	return out
}

// TestAnnotationsRejected: create refuses malformed io.contain annotations with one clear line
// and leaves nothing behind: no state dir, sandbox, cgroup, mount or process.
func TestAnnotationsRejected(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             string // in the error line
	}{
		{"bad size", "io.contain.disk.limit", "12Q", "io.contain.disk.limit"},
		{"port above 65535", "io.contain.ports", "70000", "70000"},
		{"reversed range", "io.contain.ports", "5-1", "5-1"},
		{"bad range filter", "io.contain.ports.range", "1-", "io.contain.ports.range"},
		{"volume :rw:x", "io.contain.volumes", "tmp:/tmp:rw:x", "tmp:/tmp:rw:x"},
		{"volume with ..", "io.contain.volumes", "../x:/tmp", "../x"},
		{"volume with inner ..", "io.contain.volumes", "a/../../x:/tmp", "a/../../x"},
		{"unknown key", "io.contain.bogus", "1", "io.contain.bogus"},
		{"interval too short", "io.contain.disk.interval", "1ms", "io.contain.disk.interval"},
		// Valid syntax, refused only once the sandbox exists: the sandbox must go too.
		{"volume path missing in rootfs", "io.contain.volumes", "data:/no-such-dir", "/no-such-dir"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWDRunner(t)
			mutate := annotate(tc.key, tc.value)
			if tc.key == "io.contain.ports.range" {
				mutate = annotate(tc.key, tc.value, "io.contain.ports", "31000")
			}
			if tc.key == "io.contain.disk.interval" {
				mutate = annotate(tc.key, tc.value, "io.contain.disk.limit", "1G")
			}
			c := w.newContainer(compose(args("sleep", "600"), mutate))
			l := leftovers{
				id: c.id, bundle: c.bundle, rootfs: c.spec.Root.Path, cgroupsPath: c.cgroupsPath(),
				keepIDs: map[string]bool{}, keepPids: map[int]bool{}, pidsBefore: livePids(t),
			}
			res := w.run("create", "--bundle", c.bundle, c.id)
			oneLineError(t, res, tc.want)
			l.check(t, w.runner)
			if got := monitorPids(t, c.id); len(got) != 0 {
				t.Errorf("monitor left running: %v", got)
			}
			if _, err := os.Lstat(filepath.Join(w.work, "containers", c.id)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("sandbox of %s left under the work dir (%v)", c.id, err)
			}
			noDefaultSandbox(t, c.id)
		})
	}
}

// TestStdioSandbox: with io.contain.stdio=sandbox the process's stdout and stderr land in the
// sandbox's stdout and stderr files, not on the caller's.
func TestStdioSandbox(t *testing.T) {
	w := newWDRunner(t)
	c := w.newContainer(compose(
		args("sh", "-c", "echo to-stdout; echo to-stderr >&2"),
		annotate("io.contain.stdio", "sandbox"),
	))
	res := w.must("run", "--bundle", c.bundle, c.id)
	if strings.Contains(res.stdout+res.stderr, "to-std") {
		t.Errorf("the container's output reached the caller: %s", res)
	}
	sb := filepath.Join(w.work, "containers", c.id, "runs", "latest")
	for name, want := range map[string]string{"stdout": "to-stdout\n", "stderr": "to-stderr\n"} {
		if got := readFile(t, filepath.Join(sb, name)); got != want {
			t.Errorf("sandbox %s holds %q, want %q", name, got, want)
		}
	}
	noDefaultSandbox(t, c.id)
}

// TestVolumeSymlinkStaysInRootfs: a rootfs whose /tmp is a symlink to an absolute path that is
// also a host directory. The volume's mode and owner come from the target inside the rootfs, the
// mount lands inside the rootfs, and the host directory is neither mounted over nor written.
func TestVolumeSymlinkStaysInRootfs(t *testing.T) {
	w := newWDRunner(t)
	// Not under /tmp: resolving the link inside the rootfs would meet the link itself again.
	host, err := os.MkdirTemp("/var/tmp", "contain-e2e-host-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(host) })
	if err := os.Chmod(host, 0o700); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, rootfs)
	if err := os.Remove(filepath.Join(rootfs, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(host, filepath.Join(rootfs, "tmp")); err != nil {
		t.Fatal(err)
	}
	// The same path inside the rootfs, with a mode of its own.
	inside := filepath.Join(rootfs, host)
	if err := os.MkdirAll(inside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(inside, 0o1770); err != nil {
		t.Fatal(err)
	}
	c := w.newContainer(compose(args("sleep", "600"), annotate("io.contain.volumes", "tmp:/tmp"),
		func(s *specs.Spec) { s.Root.Path = rootfs }))
	w.must("create", "--bundle", c.bundle, c.id)
	w.must("start", c.id)
	w.must("exec", c.id, "sh", "-c", "echo probe > /tmp/probe")
	sb := w.sandboxOf(c.id)
	if got := readFile(t, filepath.Join(sb, "tmp", "probe")); got != "probe\n" {
		t.Errorf("sandbox tmp/probe holds %q, want the container's write", got)
	}
	if m := rawMode(t, filepath.Join(sb, "tmp")); m != 0o1770 {
		t.Errorf("sandbox tmp mode %#o, want 01770 from the rootfs's own %s", m, host)
	}
	if _, err := os.Lstat(filepath.Join(host, "probe")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the container's write reached the host dir %s (%v)", host, err)
	}
	if m := rawMode(t, host); m != 0o700 {
		t.Errorf("host dir mode changed to %#o", m)
	}
	for _, line := range strings.Split(readFile(t, "/proc/self/mountinfo"), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == host {
			t.Errorf("the host dir %s is mounted over: %s", host, line)
		}
	}
}

// TestMonitorDeathFailsClosed (issue 16, F4): a container whose limits are enforced by the
// monitor never runs on unenforced. With the old binary, SIGKILLing the monitor left the
// container running with its disk limit unchecked and state looking normal. Now the guard kills
// the container when the monitor dies (and the monitor when the guard dies); if both die at once,
// the next state does. Each way, state carries io.contain.limitation=monitor and events emits it.
func TestMonitorDeathFailsClosed(t *testing.T) {
	containOnly(t, "the monitor is contain's (isolator annotations)")
	for _, tc := range []struct {
		name   string
		victim func(w *wdRunner, id string) []int
	}{
		{"monitor killed", func(w *wdRunner, id string) []int { return []int{w.monitorPid(id)} }},
		{"guard killed", func(w *wdRunner, id string) []int { return []int{w.guardPid(id)} }},
		{"both killed", func(w *wdRunner, id string) []int { return []int{w.monitorPid(id), w.guardPid(id)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWDRunner(t)
			c := w.newContainer(compose(args("sleep", "600"), annotate(
				"io.contain.disk.limit", "1M", "io.contain.disk.enforce", "true", "io.contain.disk.interval", "10s")))
			w.must("create", "--bundle", c.bundle, c.id)
			w.must("start", c.id)
			evs := w.events(c.id)
			w.waitStatus(c.id, specs.StateRunning)
			// events must be watching before the kill: on a stopped container it only says so.
			waitEvent(t, evs, "stats", statusTimeout)
			victims := tc.victim(w, c.id)
			for _, pid := range victims {
				if err := unix.Kill(pid, unix.SIGKILL); err != nil {
					t.Fatalf("kill %d: %v", pid, err)
				}
			}
			st, took := w.waitStopped(c.id, statusTimeout)
			t.Logf("container stopped %v after killing %v", took.Round(time.Millisecond), victims)
			if got := st.Annotations[annLimitation]; got != "monitor" {
				t.Fatalf("state %s = %q, want monitor; annotations %v", annLimitation, got, st.Annotations)
			}
			if !strings.Contains(st.Annotations[annLimitationMsg], "no longer enforced") {
				t.Errorf("limitation message %q does not say the limits went unenforced", st.Annotations[annLimitationMsg])
			}
			e, _ := waitEvent(t, evs, "limitation", statusTimeout)
			if l := decodeLimitation(t, e); l.Kind != "monitor" {
				t.Errorf("limitation event %+v, want kind monitor", l)
			}
			w.must("delete", c.id)
			if !poll(statusTimeout, func() bool { return len(monitorPids(t, c.id)) == 0 }) {
				t.Errorf("monitor processes of %s left after delete: %v", c.id, monitorPids(t, c.id))
			}
		})
	}
}
