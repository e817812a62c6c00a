//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Load test of `contain serve`: 1,000 clients at once, each reading 5 pages of a container's
// stdout through /files/read (5,000 reads), against the default limit of 64 requests in
// flight. Every read must succeed with the right bytes; p50 and p99 latency are printed (and
// written to build/serve-load.txt, which make test-e2e shows). It stops by itself: a fixed
// number of reads, each with a client timeout.
func TestServeLoad(t *testing.T) {
	const clients, readsEach, page = 1000, 5, 512
	w := newWDRunner(t)
	c := w.newContainer(compose(annotate("io.contain.stdio", "sandbox"),
		args("sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "load line $i"; i=$((i+1)); done; exec sleep 1000`)))
	w.must("run", "-d", "--bundle", c.bundle, c.id)
	sb := w.sandboxOf(c.id)
	var want []byte
	if !poll(statusTimeout, func() bool {
		want, _ = os.ReadFile(filepath.Join(sb, "stdout"))
		return strings.Contains(string(want), "load line 1999\n")
	}) {
		t.Fatalf("container did not write its 2000 lines: %d bytes", len(want))
	}
	s := w.startServe()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 90 * time.Second}
	path := q("/containers/" + c.id + "/latest/stdout")

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  []string
		wg        sync.WaitGroup
		start     = make(chan struct{})
	)
	fail := func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(f, a...))
		} else {
			failures = append(failures, "")
		}
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // all at once
			for j := range readsEach {
				off := ((i*readsEach + j) * 97) % (len(want) - page)
				t0 := time.Now()
				res, err := client.Get(fmt.Sprintf("%s/files/read?path=%s&offset=%d&length=%d", s.base, path, off, page))
				if err != nil {
					fail("client %d read %d: %v", i, j, err)
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if err != nil || res.StatusCode != http.StatusOK {
					fail("client %d read %d: %d %v %.100s", i, j, res.StatusCode, err, body)
					return
				}
				var r readAnswer
				if err := json.Unmarshal(body, &r); err != nil || r.Offset != int64(off) || r.Data != string(want[off:off+page]) {
					fail("client %d read %d at %d: wrong answer (%v) %.100s", i, j, off, err, body)
					return
				}
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	if len(failures) > 0 {
		t.Fatalf("%d of %d reads failed; first: %s", len(failures), clients*readsEach, strings.Join(slices.DeleteFunc(failures, func(s string) bool { return s == "" }), "\n"))
	}
	if len(latencies) != clients*readsEach {
		t.Fatalf("%d reads answered, want %d", len(latencies), clients*readsEach)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	line := fmt.Sprintf("serve load: %d reads by %d concurrent clients in %v (%.0f/s), 0 errors: p50 %v, p99 %v, max %v",
		len(latencies), clients, elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond))
	t.Log(line)
	if dir := buildDir(); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "serve-load.txt"), []byte(line+"\n"), 0o644)
	}
}

// buildDir is the checkout's build/ directory (made if missing), found from the test's working
// directory, or "" outside a checkout.
func buildDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b := filepath.Join(dir, "build")
			if os.MkdirAll(b, 0o755) != nil {
				return ""
			}
			return b
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
