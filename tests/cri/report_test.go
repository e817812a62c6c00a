//go:build linux

package cri

import (
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// report collects each case's result per handler, and the startup timings, for the table
// TestMain prints when the run ends.
type report struct {
	mu      sync.Mutex
	cases   []string                              // in the order they ran
	results map[string]map[string]string          // case → handler → pass, FAIL, skip
	timings map[string]map[string][]time.Duration // handler → phase → durations
}

// The timed phases of a pod start, in order; "total" is their sum.
var timingPhases = []string{"RunPodSandbox", "CreateContainer", "StartContainer", "total"}

func newReport() *report {
	return &report{results: map[string]map[string]string{}, timings: map[string]map[string][]time.Duration{}}
}

func (r *report) record(name, handler string, t *testing.T) {
	result := "pass"
	switch {
	case t.Failed():
		result = "FAIL"
	case t.Skipped():
		result = "skip"
	}
	r.recordResult(name, handler, result)
}

func (r *report) recordResult(name, handler, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.results[name] == nil {
		r.results[name] = map[string]string{}
		r.cases = append(r.cases, name)
	}
	r.results[name][handler] = result
}

// addTiming records one pod start: the duration of each phase, in timingPhases order.
func (r *report) addTiming(handler string, phases ...time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timings[handler] == nil {
		r.timings[handler] = map[string][]time.Duration{}
	}
	var total time.Duration
	for i, d := range phases {
		r.timings[handler][timingPhases[i]] = append(r.timings[handler][timingPhases[i]], d)
		total += d
	}
	r.timings[handler]["total"] = append(r.timings[handler]["total"], total)
}

// eachHandler runs one case with every handler, as subtests named for the handler, and records
// the results under the case's name.
func eachHandler(t *testing.T, name string, fn func(t *testing.T, h handler)) {
	for _, h := range suite.handlers {
		t.Run(h.name, func(t *testing.T) {
			// Registered first, so it runs last: after the pods' teardown checks.
			t.Cleanup(func() { suite.report.record(name, h.name, t) })
			fn(t, h)
		})
	}
}

// print writes the side-by-side table, the timings and the closing "N passed, M failed" line.
func (r *report) print(w io.Writer, handlers []handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	width := len("case")
	for _, c := range r.cases {
		width = max(width, len(c))
	}
	fmt.Fprintln(w, strings.Repeat("=", width+24))
	fmt.Fprintln(w, "CRI suite: containerd's CRI plugin, one private containerd, two runtime handlers")
	for _, h := range handlers {
		fmt.Fprintf(w, "  handler %-8s %s\n", h.name, describeBinary(h.binary))
	}
	fmt.Fprintf(w, "\n%-*s", width, "case")
	for _, h := range handlers {
		fmt.Fprintf(w, "  %-8s", h.name)
	}
	fmt.Fprintln(w)
	passed, failed, skipped := 0, 0, 0
	for _, c := range r.cases {
		fmt.Fprintf(w, "%-*s", width, c)
		for _, h := range handlers {
			res, ok := r.results[c][h.name]
			if !ok {
				res = "-"
			}
			switch res {
			case "pass":
				passed++
			case "FAIL":
				failed++
			case "skip":
				skipped++
			}
			fmt.Fprintf(w, "  %-8s", res)
		}
		fmt.Fprintln(w)
	}
	if len(r.timings) > 0 {
		fmt.Fprintln(w, "\nPod start, wall time per CRI call (CNI pod, one busybox container; median, min-max, handlers alternating):")
		fmt.Fprintf(w, "  %-16s", "")
		for _, h := range handlers {
			fmt.Fprintf(w, "  %-26s", h.name)
		}
		fmt.Fprintf(w, "  %s/%s\n", handlers[0].name, handlers[len(handlers)-1].name)
		for _, phase := range timingPhases {
			fmt.Fprintf(w, "  %-16s", phase)
			var meds []time.Duration
			for _, h := range handlers {
				d := r.timings[h.name][phase]
				if len(d) == 0 {
					fmt.Fprintf(w, "  %-26s", "-")
					continue
				}
				meds = append(meds, median(d))
				fmt.Fprintf(w, "  %-26s", fmt.Sprintf("%6.1f ms (%.0f-%.0f, n=%d)", ms(median(d)), ms(minOf(d)), ms(maxOf(d)), len(d)))
			}
			if len(meds) == len(handlers) && meds[len(meds)-1] > 0 {
				fmt.Fprintf(w, "  %.2f", float64(meds[0])/float64(meds[len(meds)-1]))
			}
			fmt.Fprintln(w)
		}
	}
	if skipped > 0 {
		fmt.Fprintf(w, "(%d skipped)\n", skipped)
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
}

// describeBinary is a handler's binary and the first line of its --version.
func describeBinary(path string) string {
	if path == "" {
		path = "runc (the shim's PATH lookup)"
		if p, err := exec.LookPath("runc"); err == nil {
			path = p
		}
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return path
	}
	return path + " (" + strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0] + ")"
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m
}

func maxOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
