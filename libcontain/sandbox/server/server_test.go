package server

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain"
	"github.com/contain-runtime/contain/libcontain/cgroups/stats"
	"github.com/contain-runtime/contain/libcontain/sandbox"
	"github.com/contain-runtime/contain/libcontain/sandbox/files"
)

// newTestServer serves a work dir with one container "web" whose stdout is given.
func newTestServer(t *testing.T, stdout string, c Config) (*httptest.Server, string) {
	t.Helper()
	wd := t.TempDir()
	sb, err := sandbox.Create(wd, "web", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sb.Dir, "stdout"), []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := files.New(wd)
	if err != nil {
		t.Fatal(err)
	}
	c.Tree = tree
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, sb.Dir
}

func get(t *testing.T, url string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func TestErrorsAreJSON(t *testing.T) {
	ts, _ := newTestServer(t, "x", Config{})
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", 404},
		{"GET", "/files/nope", 404},
		{"POST", "/files/read?path=/containers/web/latest/stdout", 405},
		{"DELETE", "/files/debug", 405},
		{"GET", "/files/read", 400},
		{"GET", "/files/read?path=/containers/web/latest/none", 404},
		{"GET", "/files/read?path=/containers/web/latest/..%2f..%2f..", 403},
		{"GET", "/files/read?path=/containers/web/latest/stdout&offset=abc", 400},
		{"GET", "/files/download?path=/containers/web/latest", 400},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error string `json:"error"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.want || err != nil || body.Error == "" || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s = %d (%v, %q), want %d with a JSON error", tc.method, tc.path, res.StatusCode, err, body.Error, tc.want)
		}
	}
}

func TestReadKeepsCharactersWhole(t *testing.T) {
	const text = "hé€llo😀!" // 1-, 2-, 3- and 4-byte characters
	ts, _ := newTestServer(t, text, Config{})
	var got strings.Builder
	off := int64(0)
	for range 20 {
		code, _, b := get(t, ts.URL+"/files/read?path=/containers/web/latest/stdout&length=4&offset="+strconv.FormatInt(off, 10))
		var r readAnswer
		if code != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("read at %d: %d %s", off, code, b)
		}
		if r.Length == 0 {
			break
		}
		got.WriteString(r.Data)
		off += int64(r.Length)
	}
	if got.String() != text {
		t.Fatalf("paged with length 4: %q", got.String())
	}
}

func TestCompleteRunes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"ab\xc3", "ab"},            // é cut after its first byte
		{"ab\xe2\x82", "ab"},        // € cut after two
		{"ab\xe2\x82\xac", "ab€"},   // whole
		{"\xe2\x82", "\xe2\x82"},    // nothing but a fragment: returned, so a reader advances
		{"ab\x82", "ab\x82"},        // a stray continuation byte is not a cut character
		{"a\xf0\x9f\x98", "a"},      // a 4-byte character cut after three
		{"a\xf0\x9f\x98\x80", "a😀"}, // whole
	}
	for _, tc := range tests {
		if got := string(completeRunes([]byte(tc.in))); got != tc.want {
			t.Errorf("completeRunes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestToken(t *testing.T) {
	ts, _ := newTestServer(t, "x", Config{Token: "t0ken"})
	for _, p := range []string{"/files/debug", "/files/browse?path=/", "/files/read?path=/containers/web/latest/stdout", "/files/download?path=/containers/web/latest/stdout", "/monitor/statistics.json"} {
		if code, h, _ := get(t, ts.URL+p); code != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without token = %d", p, code)
		}
		for _, bad := range []string{"t0ken", "Bearer t0ke", "Bearer t0ken2", "bearer t0ken", "Basic t0ken"} {
			if code, _, _ := get(t, ts.URL+p, "Authorization", bad); code != 401 {
				t.Errorf("%s with %q = %d, want 401", p, bad, code)
			}
		}
		if code, _, b := get(t, ts.URL+p, "Authorization", "Bearer t0ken"); code != 200 {
			t.Errorf("%s with the token = %d %s", p, code, b)
		}
	}
	// The page needs none: it holds no data.
	if code, _, _ := get(t, ts.URL+"/"); code != 200 {
		t.Errorf("page = %d", code)
	}
}

func TestBoundedConcurrency(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(1)
	var once sync.Once
	stats := func(ctx context.Context) ([]ContainerStatistics, error) {
		once.Do(entered.Done)
		<-release // holds its slot past its own deadline, until the test lets go
		return nil, nil
	}
	ts, _ := newTestServer(t, "x", Config{Statistics: stats, MaxInFlight: 1, RequestTimeout: 300 * time.Millisecond})
	done := make(chan int)
	go func() {
		code, _, _ := get(t, ts.URL+"/monitor/statistics.json")
		done <- code
	}()
	entered.Wait()
	// The one slot is taken: the next request waits its timeout for it, then gets 503.
	start := time.Now()
	code, _, b := get(t, ts.URL+"/files/debug")
	if code != http.StatusServiceUnavailable || time.Since(start) < 250*time.Millisecond {
		t.Errorf("second request = %d after %v (%s), want 503 after the timeout", code, time.Since(start), b)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("first request = %d", code)
	}
	// The slot is free again.
	if code, _, _ := get(t, ts.URL+"/files/debug"); code != 200 {
		t.Errorf("after release = %d", code)
	}
}

func TestRequestTimeoutReachesHandlers(t *testing.T) {
	stats := func(ctx context.Context) ([]ContainerStatistics, error) {
		<-ctx.Done() // a handler that would hang ends with its request's deadline
		return nil, ctx.Err()
	}
	ts, _ := newTestServer(t, "x", Config{Statistics: stats, RequestTimeout: 200 * time.Millisecond})
	start := time.Now()
	code, _, _ := get(t, ts.URL+"/monitor/statistics.json")
	if code != http.StatusInternalServerError || time.Since(start) > 5*time.Second {
		t.Errorf("hanging handler = %d after %v", code, time.Since(start))
	}
}

func TestPage(t *testing.T) {
	ts, _ := newTestServer(t, "x", Config{})
	for path, ctype := range map[string]string{
		"/": "text/html", "/app.js": "text/javascript", "/style.css": "text/css", "/favicon.svg": "image/svg+xml",
	} {
		code, h, b := get(t, ts.URL+path)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), ctype) || len(b) == 0 {
			t.Errorf("%s = %d %q (%d bytes)", path, code, h.Get("Content-Type"), len(b))
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s CSP %q", path, csp)
		}
	}
	// The page refers to nothing outside this server.
	for _, name := range []string{"web/index.html", "web/app.js", "web/style.css"} {
		b, _ := web.ReadFile(name)
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(b), bad) && !(name == "web/app.js" && bad == "http://" && strings.Contains(string(b), `"http://www.w3.org/2000/svg"`)) {
				t.Errorf("%s mentions %q", name, bad)
			}
		}
	}
}

func TestListen(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", "", "", ""); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("wildcard without a token: %v", err)
	}
	l, err := Listen("0.0.0.0:0", "tok", "", "")
	if err != nil {
		t.Errorf("wildcard with a token: %v", err)
	} else {
		l.Close()
	}
	l, err = Listen("127.0.0.1:0", "", "", "")
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	l.Close()
	if _, err := Listen("127.0.0.1:0", "", "cert.pem", ""); err == nil {
		t.Error("a certificate without a key was accepted")
	}
	if _, err := Listen("127.0.0.1:0", "", "/nonexistent.pem", "/nonexistent.key"); err == nil {
		t.Error("a missing certificate was accepted")
	}
}

func TestStatisticsOf(t *testing.T) {
	at := time.Unix(1700000000, 500000000)
	quota, period := int64(150000), uint64(100000)
	v1 := &libcontain.Stats{Stats: &stats.Stats{}}
	v1.CPU.Usage.User, v1.CPU.Usage.Kernel = 2_500_000_000, 500_000_000
	v1.CPU.Throttling = stats.Throttling{Periods: 10, ThrottledPeriods: 3, ThrottledTime: 1_500_000_000}
	v1.Memory.Usage = stats.MemoryEntry{Usage: 1000, Limit: 9223372036854771712} // v1's "no limit"
	v1.Memory.Raw = map[string]uint64{"rss": 10, "total_rss": 11, "cache": 20, "total_cache": 21, "total_mapped_file": 5}
	v1.Memory.EventCount.OOMKill = 2
	v1.Pids = stats.PidsStats{Current: 3, Limit: math.MaxUint64}
	v1.Disk = &libcontain.DiskReport{Allocated: 4096, Apparent: 100, Limit: 1 << 20}
	s := statisticsOf(v1, &specs.LinuxCPU{Quota: &quota, Period: &period}, at)
	if s.Timestamp != 1700000000.5 || s.CPUsUserTimeSecs != 2.5 || s.CPUsSystemTimeSecs != 0.5 || s.CPUsNrPeriods != 10 ||
		s.CPUsNrThrottled != 3 || s.CPUsThrottledTimeSecs != 1.5 || s.CPUsLimit == nil || *s.CPUsLimit != 1.5 {
		t.Errorf("cpu: %+v", s)
	}
	if s.MemTotalBytes != 1000 || s.MemRSSBytes != 11 || s.MemFileBytes != 21 || s.MemMappedFileBytes != 5 || s.MemLimitBytes != nil || s.MemOOMKillCount != 2 {
		t.Errorf("memory (v1): %+v", s)
	}
	if s.PidsCurrent != 3 || s.PidsLimit != nil || s.DiskUsedBytes == nil || *s.DiskUsedBytes != 4096 || s.DiskLimitBytes == nil || *s.DiskLimitBytes != 1<<20 {
		t.Errorf("pids and disk: %+v", s)
	}
	v2 := &libcontain.Stats{Stats: &stats.Stats{}}
	v2.Memory.Usage = stats.MemoryEntry{Usage: 2000, Limit: 64 << 20}
	v2.Memory.Raw = map[string]uint64{"anon": 30, "file": 40, "file_mapped": 7}
	v2.Pids = stats.PidsStats{Current: 1, Limit: 100}
	s = statisticsOf(v2, nil, at)
	if s.MemRSSBytes != 30 || s.MemAnonBytes != 30 || s.MemFileBytes != 40 || s.MemMappedFileBytes != 7 ||
		s.MemLimitBytes == nil || *s.MemLimitBytes != 64<<20 || s.PidsLimit == nil || *s.PidsLimit != 100 ||
		s.CPUsLimit != nil || s.DiskUsedBytes != nil {
		t.Errorf("v2: %+v", s)
	}
}

func TestVirtualSandbox(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/w/containers/web/runs/r1", "/containers/web/runs/r1"},
		{"/elsewhere/containers/web/runs/r1", ""},
		{"/w/containers/web/runs", ""},
		{"/w/containers/web/runs/r1/sub", ""},
		{"/w/containers/other/runs/r1", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := virtualSandbox("/w", "web", tc.dir); got != tc.want {
			t.Errorf("virtualSandbox(%q) = %q, want %q", tc.dir, got, tc.want)
		}
	}
}
