//go:build linux

package e2e

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// raceRounds is how often each race is run: CONTAIN_RACE_ROUNDS, default 10 (make stress's
// machine is the place for many more).
func raceRounds() int {
	if n, err := strconv.Atoi(os.Getenv("CONTAIN_RACE_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// concurrently runs each command at the same moment (all released by one close) and returns
// their results in order.
func concurrently(r *runner, cmds ...[]string) []result {
	r.t.Helper()
	out := make([]result, len(cmds))
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i, c := range cmds {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			out[i] = r.runQuiet(c...)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return out
}

// cleanLoss checks a command that lost a race: exit non-zero with one line naming why, taken from
// the reasons losers may give.
func cleanLoss(t *testing.T, res result, reasons ...string) {
	t.Helper()
	msg := strings.ToLower(strings.TrimSpace(res.stderr))
	if res.code == 0 || msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("a loser must fail with one line: %s", res)
		return
	}
	for _, r := range reasons {
		if strings.Contains(msg, r) {
			return
		}
	}
	t.Errorf("loser's error names none of %q: %s", reasons, res)
}

// raceLeftovers checks that nothing of a deleted container is left: state dir, cgroups, mounts,
// processes.
func raceLeftovers(t *testing.T, r *runner, c *container, pidsBefore map[int]bool) {
	t.Helper()
	leftovers{id: c.id, bundle: c.bundle, rootfs: c.spec.Root.Path, cgroupsPath: c.cgroupsPath(),
		pidsBefore: pidsBefore, keepIDs: map[string]bool{}, keepPids: map[int]bool{}}.check(t, r)
}

// TestRaceAgainstDelete: start (of a created container) or kill (of a running one) and
// delete --force of the same container at the same moment. Either order is a valid outcome, but
// nothing may be left half-done: delete always succeeds, the other succeeds or fails with one
// line (the container does not exist, is not running...), and afterwards no state, cgroup or
// process of the container remains.
func TestRaceAgainstDelete(t *testing.T) {
	for _, tc := range []struct {
		name    string
		running bool
		cmd     func(id string) []string
	}{
		{"start", false, func(id string) []string { return []string{"start", id} }},
		{"kill", true, func(id string) []string { return []string{"kill", id, "KILL"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < raceRounds(); i++ {
				r := newRunner(t)
				c := r.newContainer(args("sleep", "600"))
				pids := livePids(t)
				r.must("create", "--bundle", c.bundle, c.id)
				if tc.running {
					r.must("start", c.id)
				}
				res := concurrently(r, tc.cmd(c.id), []string{"delete", "--force", c.id})
				if res[1].code != 0 {
					t.Fatalf("round %d: delete --force lost to %s: %s", i, tc.name, res[1])
				}
				if res[0].code != 0 {
					cleanLoss(t, res[0], "does not exist", "not running", "stopped", "cannot start", "already dead")
				}
				raceLeftovers(t, r, c, pids)
			}
		})
	}
}

// TestRaceCreateSameID: four creates of one id at the same moment: exactly one wins, the others
// say the id exists, and no orphan init is left (runc 1.1.5 left one in the probe).
func TestRaceCreateSameID(t *testing.T) {
	const n = 4
	for i := 0; i < raceRounds(); i++ {
		r := newRunner(t)
		c := r.newContainer(args("sleep", "600"))
		pids := livePids(t)
		cmds := make([][]string, n)
		for j := range cmds {
			cmds[j] = []string{"create", "--bundle", c.bundle, c.id}
		}
		won := 0
		for _, res := range concurrently(r, cmds...) {
			if res.code == 0 {
				won++
				continue
			}
			cleanLoss(t, res, "exists")
		}
		if won != 1 {
			t.Fatalf("round %d: %d of %d creates of one id succeeded, want exactly 1", i, won, n)
		}
		st, res, ok := r.state(c.id)
		if !ok || st.Status != specs.StateCreated {
			t.Fatalf("round %d: the winner's container is not created: %s", i, res)
		}
		// Exactly one init: the winner's. Any other process in the bundle is an orphan.
		for pid := range livePids(t) {
			if pids[pid] || pid == st.Pid {
				continue
			}
			if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); under(cwd, c.bundle) {
				t.Errorf("round %d: process %d besides init %d runs in the bundle", i, pid, st.Pid)
			}
		}
		r.must("delete", "--force", c.id)
		raceLeftovers(t, r, c, pids)
	}
}
