//go:build linux

package e2e

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// statusIDs returns the Uid, Gid and Groups lines of a /proc/<pid>/status text, fields joined
// by one space; the groups sorted, each once (runc 1.5.3 lists an exec's --additional-gids
// twice, which is the same set to the kernel).
func statusIDs(status string) (uid, gid, groups string) {
	for _, l := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.Join(strings.Fields(v), " ")
		switch k {
		case "Uid":
			uid = v
		case "Gid":
			gid = v
		case "Groups":
			gs := strings.Fields(v)
			slices.Sort(gs)
			groups = strings.Join(slices.Compact(gs), " ")
		}
	}
	return uid, gid, groups
}

// TestParityUserIDs: the container's process runs as process.user — real, effective, saved and
// file-system uid and gid, and exactly the additional gids — as the kernel reports them in
// /proc/<pid>/status. An exec runs as the process's user, or as exec --user's, keeping the
// process's additional gids and adding those of --additional-gids, as runc does.
func TestParityUserIDs(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "cat /proc/self/status; exec sleep 60"}
		s.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{10, 20}}
	})
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	r.waitStatus(c.id, specs.StateRunning)
	check := func(what, status, wantUID, wantGID, wantGroups string) {
		t.Helper()
		uid, gid, groups := statusIDs(status)
		rep := func(s string) string { return strings.TrimSpace(strings.Repeat(s+" ", 4)) }
		if uid != rep(wantUID) || gid != rep(wantGID) || groups != wantGroups {
			t.Errorf("%s: Uid %q Gid %q Groups %q, want Uid %s Gid %s Groups %q", what, uid, gid, groups, rep(wantUID), rep(wantGID), wantGroups)
		}
	}
	check("init", r.must("exec", c.id, "cat", "/proc/1/status").stdout, "1000", "1001", "10 20")
	check("exec as the process's user", r.must("exec", c.id, "cat", "/proc/self/status").stdout, "1000", "1001", "10 20")
	check("exec --user 1002:1003 --additional-gids 30", r.must("exec", "--user", "1002:1003", "--additional-gids", "30", c.id, "cat", "/proc/self/status").stdout, "1002", "1003", "10 20 30")
	check("exec --user 0:0", r.must("exec", "--user", "0:0", c.id, "cat", "/proc/self/status").stdout, "0", "0", "10 20")
}
