//go:build linux

package e2e

// `contain serve` (issue 12) against real sandboxes of real containers: every endpoint, offset
// paging and the -1 size query, Range downloads, statistics that change while a container
// allocates memory, a table of traversal attempts, the token, TLS and a graceful SIGTERM. The
// server runs on a loopback port of its own (--listen 127.0.0.1:0) over the test's --root and
// --work-dir.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// serveProc is a `contain serve` started by a test; t.Cleanup stops it with SIGTERM and checks
// it exits 0.
type serveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	token  string
	client *http.Client
	out    *lockedBuffer
	done   chan struct{}
	err    error // Wait's, once done is closed
}

// lockedBuffer is the server's stderr, read while it is written.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingLine = regexp.MustCompile(`\[contain\] serving \S+ on (https?://[^/ ]+)/`)

// startServe starts `contain serve` on a free loopback port with the runner's --root and
// --work-dir and waits for its "serving" line. args go after "serve".
func (w *wdRunner) startServe(args ...string) *serveProc {
	w.t.Helper()
	return w.startServeWith(nil, args...)
}

// startServeWith is startServe with global flags (--log ...) before "serve".
func (w *wdRunner) startServeWith(global []string, args ...string) *serveProc {
	w.t.Helper()
	containOnly(w.t, "serve is contain's own command")
	full := w.global(append(append(global, "serve", "--listen", "127.0.0.1:0"), args...)...)
	s := &serveProc{t: w.t, out: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(binary, full...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	w.t.Cleanup(func() {
		select {
		case <-s.done:
			return // the test stopped it and checked
		default:
		}
		s.stop()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(s.out.String()); m != nil {
			s.base = m[1]
			break
		}
		select {
		case <-s.done:
			w.t.Fatalf("serve exited at start (%v): %s", s.err, s.out)
		default:
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("serve printed no serving line within 20s: %s", s.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.client = &http.Client{Timeout: 20 * time.Second}
	return s
}

// stop sends SIGTERM and checks serve ends cleanly: exit 0 and "[contain] stopped".
func (s *serveProc) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Errorf("signal serve: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("serve did not stop within 40s of SIGTERM: %s", s.out)
		return
	}
	if s.err != nil {
		s.t.Errorf("serve exited with %v after SIGTERM: %s", s.err, s.out)
	}
	if !strings.Contains(s.out.String(), "[contain] stopped") {
		s.t.Errorf("no stopped line: %s", s.out)
	}
}

// get requests path+query and returns the status and body.
func (s *serveProc) get(pathAndQuery string, header ...string) (int, []byte, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+pathAndQuery, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("GET %s: read body: %v", pathAndQuery, err)
	}
	return res.StatusCode, body, res.Header
}

// getJSON requests an endpoint that must answer 200 and decodes its JSON.
func (s *serveProc) getJSON(pathAndQuery string, out any) {
	s.t.Helper()
	code, body, _ := s.get(pathAndQuery)
	if code != http.StatusOK {
		s.t.Fatalf("GET %s = %d: %s", pathAndQuery, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		s.t.Fatalf("GET %s: decode: %v\n%s", pathAndQuery, err, body)
	}
}

func q(p string) string { return url.QueryEscape(p) }

type browseEntry struct {
	Path  string  `json:"path"`
	Mode  string  `json:"mode"`
	Nlink uint64  `json:"nlink"`
	UID   string  `json:"uid"`
	GID   string  `json:"gid"`
	Size  int64   `json:"size"`
	Mtime float64 `json:"mtime"`
}

type readAnswer struct {
	Data   string `json:"data"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// waitFile polls until path exists.
func waitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	if !poll(timeout, func() bool { _, err := os.Lstat(path); return err == nil }) {
		t.Fatalf("%s did not appear within %v", path, timeout)
	}
}

// The container of the files tests: 300 lines on stdout, one on stderr, a 300 kB random blob
// and, made by the container in its own /tmp (a sandbox volume), the escape attempts a hostile
// container would plant: a symlink to /etc (the host's, seen from the server), a symlink to
// /etc/passwd, a symlink climbing out, a symlink loop and a fifo.
const filesScript = `i=0; while [ $i -lt 300 ]; do echo "out line $i"; i=$((i+1)); done
echo "err line" >&2
head -c 300000 /dev/urandom > /tmp/blob
ln -s /etc /tmp/etc-link; ln -s /etc/passwd /tmp/passwd-link; ln -s ../../../../../../.. /tmp/up
ln -s loop-b /tmp/loop-a; ln -s loop-a /tmp/loop-b; mkfifo /tmp/fifo
mkdir /tmp/dir; echo inner > /tmp/dir/file; ln -s dir /tmp/dir-link
touch /tmp/ready; exec sleep 1000`

func TestServeFiles(t *testing.T) {
	w := newWDRunner(t)
	c := w.newContainer(compose(annotate("io.contain.stdio", "sandbox", "io.contain.volumes", "tmp:/tmp"),
		args("sh", "-c", filesScript)))
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	sb := w.sandboxOf(c.id)
	waitFile(t, filepath.Join(sb, "tmp", "ready"), statusTimeout)
	// A device node: the container has no CAP_MKNOD, so the host makes it, as a volume could.
	if err := unix.Mknod(filepath.Join(sb, "tmp", "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	s := w.startServe()
	latest := "/containers/" + c.id + "/latest"
	run := "/containers/" + c.id + "/runs/" + filepath.Base(sb)

	t.Run("browse", func(t *testing.T) {
		var entries []browseEntry
		s.getJSON("/files/browse?path="+q(latest), &entries)
		byName := map[string]browseEntry{}
		for _, e := range entries {
			byName[filepath.Base(e.Path)] = e
		}
		for _, name := range []string{"stdout", "stderr", "tmp"} {
			if _, ok := byName[name]; !ok {
				t.Errorf("browse %s lacks %s: %+v", latest, name, entries)
			}
		}
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(sb, "stdout"), &st); err != nil {
			t.Fatal(err)
		}
		e := byName["stdout"]
		if e.Path != latest+"/stdout" || e.Mode != "-rw-r-----" || e.Size != st.Size || e.Nlink != 1 || e.UID != "root" || e.GID != "root" {
			t.Errorf("stdout entry %+v, want size %d, -rw-r-----, root:root", e, st.Size)
		}
		if d := e.Mtime - (float64(st.Mtim.Sec) + float64(st.Mtim.Nsec)/1e9); d > 0.001 || d < -0.001 {
			t.Errorf("stdout mtime %f, want %d.%09d", e.Mtime, st.Mtim.Sec, st.Mtim.Nsec)
		}
		if byName["tmp"].Mode[0] != 'd' {
			t.Errorf("tmp entry %+v is not a directory", byName["tmp"])
		}
		var inner []browseEntry
		s.getJSON("/files/browse?path="+q(latest+"/tmp"), &inner)
		modes := map[string]string{}
		for _, e := range inner {
			modes[filepath.Base(e.Path)] = e.Mode
		}
		// Listed as ls -l lists them (never opened): a fifo, a device, links.
		if modes["fifo"][0] != 'p' || modes["null"][0] != 'c' || modes["etc-link"][0] != 'l' {
			t.Errorf("tmp listing modes %v", modes)
		}
		// The levels above the sandboxes.
		var top []browseEntry
		s.getJSON("/files/browse?path="+q("/containers/"+c.id), &top)
		if len(top) != 2 || top[0].Path != latest || top[1].Path != "/containers/"+c.id+"/runs" {
			t.Errorf("browse /containers/%s = %+v", c.id, top)
		}
		var runs []browseEntry
		s.getJSON("/files/browse?path="+q("/containers/"+c.id+"/runs"), &runs)
		if len(runs) != 1 || runs[0].Path != run {
			t.Errorf("runs = %+v, want %s", runs, run)
		}
	})

	t.Run("read pages and size query", func(t *testing.T) {
		want, err := os.ReadFile(filepath.Join(sb, "stdout"))
		if err != nil {
			t.Fatal(err)
		}
		var size readAnswer
		s.getJSON("/files/read?path="+q(latest+"/stdout")+"&offset=-1", &size)
		if size.Offset != int64(len(want)) || size.Data != "" {
			t.Fatalf("size query = %+v, want offset %d and no data", size, len(want))
		}
		var got bytes.Buffer
		pages := 0
		for off := int64(0); ; pages++ {
			var r readAnswer
			s.getJSON(fmt.Sprintf("/files/read?path=%s&offset=%d&length=700", q(run+"/stdout"), off), &r)
			if r.Offset != off {
				t.Fatalf("page at %d says offset %d", off, r.Offset)
			}
			if r.Data == "" {
				break
			}
			if len(r.Data) > 700 || r.Length != int64(len(r.Data)) {
				t.Fatalf("page at %d: %d bytes, length %d, asked for 700", off, len(r.Data), r.Length)
			}
			got.WriteString(r.Data)
			off += r.Length
		}
		if !bytes.Equal(got.Bytes(), want) || pages < 5 {
			t.Fatalf("paged read (%d pages) gave %d bytes, want the file's %d", pages, got.Len(), len(want))
		}
		var past readAnswer
		s.getJSON(fmt.Sprintf("/files/read?path=%s&offset=%d", q(latest+"/stdout"), len(want)+100), &past)
		if past.Data != "" || past.Offset != int64(len(want))+100 {
			t.Errorf("read past the end = %+v", past)
		}
		for _, bad := range []string{"offset=-2", "offset=x", "length=-1"} {
			if code, body, _ := s.get("/files/read?path=" + q(latest+"/stdout") + "&" + bad); code != http.StatusBadRequest {
				t.Errorf("read with %s = %d %s, want 400", bad, code, body)
			}
		}
	})

	t.Run("download with ranges", func(t *testing.T) {
		blob, err := os.ReadFile(filepath.Join(sb, "tmp", "blob"))
		if err != nil || len(blob) != 300000 {
			t.Fatalf("blob: %d bytes, %v", len(blob), err)
		}
		p := "/files/download?path=" + q(latest+"/tmp/blob")
		code, body, h := s.get(p)
		if code != http.StatusOK || !bytes.Equal(body, blob) {
			t.Fatalf("full download: %d, %d bytes", code, len(body))
		}
		if h.Get("Content-Type") != "application/octet-stream" || !strings.Contains(h.Get("Content-Disposition"), `attachment; filename=blob`) || h.Get("Accept-Ranges") != "bytes" {
			t.Errorf("headers %v", h)
		}
		ranges := []struct {
			header     string
			start, end int // the bytes expected, [start, end)
		}{
			{"bytes=0-99", 0, 100},
			{"bytes=1000-1999", 1000, 2000},
			{"bytes=299990-", 299990, 300000},
			{"bytes=-10", 299990, 300000},
		}
		for _, r := range ranges {
			code, body, h := s.get(p, "Range", r.header)
			if code != http.StatusPartialContent || !bytes.Equal(body, blob[r.start:r.end]) {
				t.Errorf("Range %s: %d, %d bytes, want 206 and bytes %d-%d", r.header, code, len(body), r.start, r.end-1)
			}
			if want := fmt.Sprintf("bytes %d-%d/300000", r.start, r.end-1); h.Get("Content-Range") != want {
				t.Errorf("Range %s: Content-Range %q, want %q", r.header, h.Get("Content-Range"), want)
			}
		}
		if code, _, _ := s.get(p, "Range", "bytes=400000-"); code != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("unsatisfiable range = %d, want 416", code)
		}
		// A text file gets its type from the extension.
		if err := os.WriteFile(filepath.Join(sb, "tmp", "notes.txt"), []byte("hi"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, h := s.get("/files/download?path=" + q(latest+"/tmp/notes.txt")); !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Errorf("notes.txt Content-Type %q", h.Get("Content-Type"))
		}
	})

	t.Run("debug", func(t *testing.T) {
		var m map[string]string
		s.getJSON("/files/debug", &m)
		if m[latest] != sb || m[run] != sb {
			t.Errorf("debug = %v, want %s and %s mapped to %s", m, latest, run, sb)
		}
	})

	t.Run("traversal", func(t *testing.T) {
		passwd, err := os.ReadFile("/etc/passwd")
		if err != nil || !bytes.Contains(passwd, []byte("root:")) {
			t.Fatalf("the host's /etc/passwd (what must not leak): %v", err)
		}
		attempts := []struct {
			name, rawQuery string // rawQuery is put in the URL as is
			want           int
		}{
			{"../", "path=" + q(latest+"/../../../../../../etc/passwd"), http.StatusForbidden},
			{"%2e%2e", "path=" + latest + "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", http.StatusForbidden},
			{"%2e%2e into another run", "path=" + latest + "/%2e%2e/" + filepath.Base(sb) + "/stdout", http.StatusForbidden},
			{".. as the id", "path=" + q("/containers/../../../etc/passwd"), http.StatusBadRequest},
			{"absolute path", "path=" + q("/etc/passwd"), http.StatusNotFound},
			{"absolute path inside a sandbox", "path=" + q(latest+"//etc/passwd"), http.StatusForbidden},
			{"symlink to /etc", "path=" + q(latest+"/tmp/etc-link/passwd"), http.StatusForbidden},
			{"symlink to /etc/passwd", "path=" + q(latest+"/tmp/passwd-link"), http.StatusForbidden},
			{"symlink climbing out", "path=" + q(latest+"/tmp/up/etc/passwd"), http.StatusForbidden},
			{"symlink loop", "path=" + q(latest+"/tmp/loop-a"), http.StatusBadRequest},
			{"fifo", "path=" + q(latest+"/tmp/fifo"), http.StatusBadRequest},
			{"device node", "path=" + q(latest+"/tmp/null"), http.StatusBadRequest},
			{"through a symlinked dir to /etc", "path=" + q(latest+"/tmp/etc-link/../etc/passwd"), http.StatusForbidden},
			{"no path", "", http.StatusBadRequest},
		}
		for _, a := range attempts {
			t.Run(a.name, func(t *testing.T) {
				for _, ep := range []string{"browse", "read", "download"} {
					if ep == "browse" && (a.name == "fifo" || a.name == "device node") {
						continue // a listing of the parent shows them; browsing one is a 400 too, below
					}
					code, body, h := s.get("/files/" + ep + "?" + a.rawQuery)
					if code != a.want {
						t.Errorf("%s: %d %s, want %d", ep, code, body, a.want)
					}
					var e struct {
						Error string `json:"error"`
					}
					if json.Unmarshal(body, &e) != nil || e.Error == "" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
						t.Errorf("%s: body %q is not a JSON error", ep, body)
					}
					if bytes.Contains(body, []byte("root:x:0:0")) {
						t.Errorf("%s: leaked /etc/passwd", ep)
					}
				}
			})
		}
		for _, p := range []string{latest + "/tmp/fifo", latest + "/tmp/null"} {
			if code, body, _ := s.get("/files/browse?path=" + q(p)); code != http.StatusBadRequest {
				t.Errorf("browse %s = %d %s, want 400", p, code, body)
			}
		}
		// A symlinked directory that stays inside the sandbox is followed.
		var r readAnswer
		s.getJSON("/files/read?path="+q(latest+"/tmp/dir-link/file"), &r)
		if r.Data != "inner\n" {
			t.Errorf("read through dir-link = %+v", r)
		}
	})

	t.Run("method and unknown paths", func(t *testing.T) {
		res, err := s.client.Post(s.base+"/files/read?path="+q(latest+"/stdout"), "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST = %d, want 405", res.StatusCode)
		}
		if code, body, _ := s.get("/files/nope"); code != http.StatusNotFound || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("unknown endpoint = %d %s", code, body)
		}
	})
}

// statsEntry is the part of a /monitor/statistics.json entry the tests read.
type statsEntry struct {
	ID         string `json:"container_id"`
	Status     string `json:"status"`
	Pid        int    `json:"pid"`
	Sandbox    string `json:"sandbox"`
	Statistics struct {
		Timestamp   float64  `json:"timestamp"`
		User        float64  `json:"cpus_user_time_secs"`
		System      float64  `json:"cpus_system_time_secs"`
		CPUsLimit   *float64 `json:"cpus_limit"`
		MemTotal    uint64   `json:"mem_total_bytes"`
		MemRSS      uint64   `json:"mem_rss_bytes"`
		MemLimit    *uint64  `json:"mem_limit_bytes"`
		OOMKills    *uint64  `json:"mem_oom_kill_count"`
		PidsCurrent uint64   `json:"pids_current"`
		PidsLimit   *uint64  `json:"pids_limit"`
		DiskUsed    *uint64  `json:"disk_used_bytes"`
		DiskLimit   *uint64  `json:"disk_limit_bytes"`
	} `json:"statistics"`
}

func (s *serveProc) statsOf(id string) (statsEntry, bool) {
	s.t.Helper()
	var all []statsEntry
	s.getJSON("/monitor/statistics.json", &all)
	for _, e := range all {
		if e.ID == id {
			return e, true
		}
	}
	return statsEntry{}, false
}

func TestServeStatistics(t *testing.T) {
	w := newWDRunner(t)
	// The container waits for the test's go, then fills 24 MiB of /dev/shm (tmpfs: charged to
	// its memory cgroup) and writes 6 MB to its sandbox (the disk isolator's to measure).
	script := `while [ ! -e /tmp/go ]; do sleep 0.05; done
dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null
head -c 6000000 /dev/urandom > /tmp/disk
touch /tmp/done; exec sleep 1000`
	quota, period := int64(50000), uint64(100000)
	c := w.newContainer(compose(
		annotate("io.contain.volumes", "tmp:/tmp", "io.contain.disk.limit", "100M", "io.contain.disk.interval", isoInterval.String()),
		args("sh", "-c", script),
		withResources(128<<20, quota, period, 64)))
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	sb := w.sandboxOf(c.id)
	st, _, _ := w.state(c.id)
	s := w.startServe()

	var before statsEntry
	if !poll(statusTimeout, func() bool {
		var ok bool
		before, ok = s.statsOf(c.id)
		return ok && before.Statistics.DiskUsed != nil
	}) {
		t.Fatalf("no statistics with a disk measurement for %s: %+v", c.id, before)
	}
	b := before.Statistics
	if before.Status != "running" || before.Pid != st.Pid || before.Sandbox != "/containers/"+c.id+"/runs/"+filepath.Base(sb) {
		t.Errorf("entry %+v, want running, pid %d, its sandbox", before, st.Pid)
	}
	if b.CPUsLimit == nil || *b.CPUsLimit != 0.5 || b.MemLimit == nil || *b.MemLimit != 128<<20 ||
		b.PidsLimit == nil || *b.PidsLimit != 64 || b.PidsCurrent < 1 || b.OOMKills == nil || *b.OOMKills != 0 ||
		b.DiskLimit == nil || *b.DiskLimit != 100<<20 {
		t.Errorf("limits and counts: %+v", b)
	}
	if now := float64(time.Now().UnixNano()) / 1e9; b.Timestamp < now-60 || b.Timestamp > now+1 {
		t.Errorf("timestamp %f, now %f", b.Timestamp, now)
	}

	if err := os.WriteFile(filepath.Join(sb, "tmp", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(sb, "tmp", "done"), 4*statusTimeout)
	var after statsEntry
	if !poll(4*statusTimeout, func() bool {
		after, _ = s.statsOf(c.id)
		a := after.Statistics
		return a.MemTotal >= b.MemTotal+20<<20 && a.DiskUsed != nil && *a.DiskUsed >= *b.DiskUsed+5<<20
	}) {
		t.Fatalf("statistics did not follow the allocation: before mem %d disk %d, after %+v", b.MemTotal, *b.DiskUsed, after.Statistics)
	}
	t.Logf("memory %d -> %d bytes, disk %d -> %d bytes", b.MemTotal, after.Statistics.MemTotal, *b.DiskUsed, *after.Statistics.DiskUsed)
	if after.Statistics.Timestamp <= b.Timestamp || after.Statistics.User+after.Statistics.System < b.User+b.System {
		t.Errorf("timestamp or cpu time went backwards: %+v then %+v", b, after.Statistics)
	}

	// A stopped container has no entry.
	w.must("kill", c.id, "KILL")
	w.waitStopped(c.id, statusTimeout)
	if e, ok := s.statsOf(c.id); ok {
		t.Errorf("stopped container listed: %+v", e)
	}
}

// withResources sets memory, CPU quota and pids limits.
func withResources(mem, quota int64, period uint64, pids int64) func(*specs.Spec) {
	return func(s *specs.Spec) {
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		r := s.Linux.Resources
		r.Memory = &specs.LinuxMemory{Limit: &mem}
		r.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
		r.Pids = &specs.LinuxPids{Limit: &pids}
	}
}

func TestServeToken(t *testing.T) {
	w := newWDRunner(t)
	tokenFile := filepath.Join(w.tmp, "token")

	// Off loopback without a token: refused, one line, nothing listening.
	res := w.run("serve", "--listen", "0.0.0.0:0")
	oneLineError(t, res, "needs a bearer token")
	for _, bad := range []string{"", " \n", "two words"} {
		if err := os.WriteFile(tokenFile, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		oneLineError(t, w.run("serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile), "token file")
	}
	oneLineError(t, w.run("serve", "--listen", "127.0.0.1:0", "--token-file", filepath.Join(w.tmp, "none")), "token file")
	oneLineError(t, w.run("serve", "--listen", "127.0.0.1:0", "--tls-cert", tokenFile), "--tls-key")
	oneLineError(t, w.run("serve", "--listen", "nonsense"), "")

	if err := os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// On every interface with a token: the API wants it, the page does not.
	s := w.startServe("--token-file", tokenFile)
	s.stop()
	s = w.startServe("--token-file", tokenFile)
	for _, p := range []string{"/monitor/statistics.json", "/files/debug", "/files/browse?path=/"} {
		code, _, h := s.get(p)
		if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s without a token = %d, want 401 with WWW-Authenticate", p, code)
		}
		if code, _, _ := s.get(p, "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token = %d, want 401", p, code)
		}
		if code, _, _ := s.get(p, "Authorization", "Bearer s3cret-token"); code != http.StatusOK {
			t.Errorf("%s with the token = %d, want 200", p, code)
		}
	}
	if code, body, h := s.get("/"); code != http.StatusOK || !bytes.Contains(body, []byte("<title>")) || h.Get("Content-Security-Policy") == "" {
		t.Errorf("page without a token = %d (CSP %q)", code, h.Get("Content-Security-Policy"))
	}
}

func TestServeNonLoopbackWithToken(t *testing.T) {
	w := newWDRunner(t)
	tokenFile := filepath.Join(w.tmp, "token")
	if err := os.WriteFile(tokenFile, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	// 0.0.0.0 is every interface: allowed with a token, reached here through loopback.
	cmd := exec.Command(binary, w.global("serve", "--listen", "0.0.0.0:0", "--token-file", tokenFile)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve after SIGTERM: %v: %s", err, out)
		}
	}()
	re := regexp.MustCompile(`on http://(?:0\.0\.0\.0|\[::\]):(\d+)/ \(bearer token required\)`)
	var port string
	if !poll(20*time.Second, func() bool {
		m := re.FindStringSubmatch(out.String())
		if m != nil {
			port = m[1]
		}
		return m != nil
	}) {
		t.Fatalf("no serving line: %s", out)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+"/files/debug", nil)
	req.Header.Set("Authorization", "Bearer abc")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("debug with the token = %d", res.StatusCode)
	}
}

func TestServeTLS(t *testing.T) {
	w := newWDRunner(t)
	certFile, keyFile, pool := selfSigned(t, w.tmp)
	s := w.startServe("--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("serving line says %s, want https", s.base)
	}
	s.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	var all []statsEntry
	s.getJSON("/monitor/statistics.json", &all)
	// Plain HTTP to the TLS port gets no answer from the API.
	res, err := http.Get(strings.Replace(s.base, "https://", "http://", 1) + "/files/debug")
	if err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered 200: %s", body)
		}
	}
	oneLineError(t, w.run("serve", "--listen", "127.0.0.1:0", "--tls-cert", keyFile, "--tls-key", keyFile), "certificate")
}

// selfSigned writes a certificate for 127.0.0.1 and its key; pool trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "contain test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeGracefulStop: SIGTERM while a download is in flight lets it finish, then serve exits
// 0 and takes no new connection.
func TestServeGracefulStop(t *testing.T) {
	w := newWDRunner(t)
	c := w.newContainer(compose(annotate("io.contain.stdio", "sandbox"), args("sh", "-c", "echo hi; exec sleep 1000")))
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	sb := w.sandboxOf(c.id)
	// 64 MiB, sparse: more than the socket buffers hold, so the handler is still writing.
	big := filepath.Join(sb, "big")
	if err := os.WriteFile(big, []byte("head"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 64<<20); err != nil {
		t.Fatal(err)
	}
	s := w.startServe()
	res, err := s.client.Get(s.base + "/files/download?path=" + q("/containers/"+c.id+"/latest/big"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	first := make([]byte, 4)
	if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "head" {
		t.Fatalf("first bytes %q, %v", first, err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the server see the signal mid-download
	n, err := io.Copy(io.Discard, bufio.NewReader(res.Body))
	if err != nil || n+4 != 64<<20 {
		t.Fatalf("download after SIGTERM: %d bytes, %v; want all %d", n+4, err, 64<<20)
	}
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("serve still running 40s after SIGTERM: %s", s.out)
	}
	if s.err != nil || !strings.Contains(s.out.String(), "[contain] stopped") {
		t.Fatalf("serve after SIGTERM: %v: %s", s.err, s.out)
	}
	host := strings.TrimPrefix(s.base, "http://")
	if conn, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after serve exited", host)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Logf("dial after stop: %v", err)
	}
}
