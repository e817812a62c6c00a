//go:build linux

package cri

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// The kubelet's path to a running pod, timed: RunPodSandbox (CNI network) + CreateContainer +
// StartContainer, wall time, per call. The handlers alternate, and which goes first swaps every
// round (ABBA), so load on the machine and whatever the previous pod's teardown leaves running
// hit both alike. Teardown is not timed. CRI_TIMING_ROUNDS sets the rounds (default 10).
func TestStartupTiming(t *testing.T) {
	rounds := 10
	if n, err := strconv.Atoi(os.Getenv("CRI_TIMING_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	name := fmt.Sprintf("timing: run pod + create + start, x%d", rounds)
	ok := map[string]bool{}
	for _, h := range suite.handlers {
		ok[h.name] = true
	}
	for i := 0; i < rounds; i++ {
		order := suite.handlers
		if i%2 == 1 {
			order = []handler{suite.handlers[1], suite.handlers[0]}
		}
		for _, h := range order {
			passed := t.Run(fmt.Sprintf("%s/%d", h.name, i), func(t *testing.T) {
				p := preparePod(t, h, fmt.Sprintf("timing-%s-%d", h.name, i), podOptions{})
				cfg := containerConfig("app", "exec sleep 3600")
				t0 := time.Now()
				p.runSandbox(t)
				t1 := time.Now()
				c := p.createOnly(t, cfg)
				t2 := time.Now()
				c.start(t)
				t3 := time.Now()
				p.inspect(t)
				c.inspect(t)
				if st := c.status(t).Status.State.String(); st != "CONTAINER_RUNNING" {
					t.Fatalf("container is %s", st)
				}
				suite.report.addTiming(h.name, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2))
			})
			ok[h.name] = ok[h.name] && passed
		}
	}
	for _, h := range suite.handlers {
		suite.report.recordResult(name, h.name, map[bool]string{true: "pass", false: "FAIL"}[ok[h.name]])
	}
}
