//go:build linux

package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// TestBadInput: every bad input gives a non-zero exit and one clear line on stderr, and leaves
// nothing behind: no state dir, cgroup dir, mount or process.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		// prepare returns the command to run; it may create containers, listed in keep.
		prepare func(t *testing.T, r *runner, c *container) (args []string, keep []string)
		mutate  func(*specs.Spec)
		id      string // the id the command uses, when not the container's
		want    string // in the error line, case-insensitive; "" when wordings differ
	}{
		{
			name: "missing config.json",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				if err := os.Remove(filepath.Join(c.bundle, "config.json")); err != nil {
					t.Fatal(err)
				}
				return []string{"create", "--bundle", c.bundle, c.id}, nil
			},
			want: "config.json",
		},
		{
			name: "malformed config.json",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				if err := os.WriteFile(filepath.Join(c.bundle, "config.json"), []byte(`{"ociVersion": "1.0.2", "process": {`), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"create", "--bundle", c.bundle, c.id}, nil
			},
		},
		{
			name:    "state of unknown id",
			prepare: unknownID("state"),
			want:    "does not exist",
		},
		{
			name:    "start of unknown id",
			prepare: unknownID("start"),
			want:    "does not exist",
		},
		{
			name:    "kill of unknown id",
			prepare: unknownID("kill"),
			want:    "does not exist",
		},
		{
			name:    "delete of unknown id",
			prepare: unknownID("delete"),
			want:    "container does not exist",
		},
		{
			name: "duplicate id on create",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				r.must("create", "--bundle", c.bundle, c.id)
				return []string{"create", "--bundle", c.bundle, c.id}, []string{c.id}
			},
			mutate: args("sleep", "60"),
			want:   "exists",
		},
		{
			name: "invalid id ../x",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				return []string{"create", "--bundle", c.bundle, "../x"}, nil
			},
			id:   "../x",
			want: "id",
		},
		{
			name: "relative rootfs that does not exist",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				return []string{"create", "--bundle", c.bundle, c.id}, nil
			},
			mutate: func(s *specs.Spec) { s.Root.Path = "no-such-rootfs" },
			want:   "no-such-rootfs",
		},
		{
			name: "memory limit -5",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				return []string{"create", "--bundle", c.bundle, c.id}, nil
			},
			mutate: func(s *specs.Spec) { s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: int64p(-5)} },
			want:   "memory",
		},
		{
			name: "cpu period 5",
			prepare: func(t *testing.T, r *runner, c *container) ([]string, []string) {
				return []string{"create", "--bundle", c.bundle, c.id}, nil
			},
			mutate: func(s *specs.Spec) {
				s.Linux.Resources.CPU = &specs.LinuxCPU{Period: uint64p(5), Quota: int64p(1000)}
			},
			want: "period",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(tc.mutate)
			rootfs := c.spec.Root.Path
			args, keep := tc.prepare(t, r, c)
			l := leftovers{
				id: c.id, bundle: c.bundle, rootfs: rootfs, cgroupsPath: c.cgroupsPath(),
				keepIDs: map[string]bool{}, keepPids: map[int]bool{},
			}
			if tc.id != "" {
				l.id = tc.id
			}
			for _, id := range keep {
				l.keepIDs[id] = true
				if st, res, ok := r.state(id); ok {
					l.keepPids[st.Pid] = true
				} else {
					t.Fatalf("state of %s: %s", id, res)
				}
			}
			l.pidsBefore = livePids(t)
			res := r.run(args...)
			oneLineError(t, res, tc.want)
			l.check(t, r)
			for _, id := range keep {
				if st, res, ok := r.state(id); !ok || st.Status != specs.StateCreated {
					t.Errorf("the failed command disturbed container %s: %s", id, res)
				}
			}
		})
	}
}

// unknownID runs cmd on an id no container has.
func unknownID(cmd string) func(*testing.T, *runner, *container) ([]string, []string) {
	return func(t *testing.T, r *runner, c *container) ([]string, []string) {
		if cmd == "kill" {
			return []string{"kill", c.id, "KILL"}, nil
		}
		return []string{cmd, c.id}, nil
	}
}

// TestDeleteForceMissing: delete --force of an id that does not exist succeeds (containerd's
// shim relies on it: it runs delete --force after the container is already gone).
func TestDeleteForceMissing(t *testing.T) {
	r := newRunner(t)
	r.must("delete", "--force", "e2e-never-created")
}

// TestEmptyStateAfterCrash: the state dir's files are not fsynced (state/dir.go writeAtomic),
// so after a crash of the machine a container's state.json may be empty. list must still list
// the other containers, and delete --force must remove the leftover dir.
func TestEmptyStateAfterCrash(t *testing.T) {
	containOnly(t, "runc 1.5.3's delete --force of a container with an empty state.json fails with EOF")
	r := newRunner(t)
	c := r.newContainer(args("true"))
	r.must("create", "--bundle", c.bundle, c.id)
	lost := bundle.UniqueName("e2e-lost-")
	if err := os.MkdirAll(filepath.Join(r.root, lost), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.root, lost, "state.json"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := r.run("list", "-q"); res.code != 0 || !strings.Contains(res.stdout, c.id) || strings.Contains(res.stdout, lost) {
		t.Errorf("list with an empty state.json beside: want exit 0 and %s without %s: %s", c.id, lost, res)
	}
	r.must("delete", "--force", lost)
	if _, err := os.Stat(filepath.Join(r.root, lost)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("delete --force left %s: %v", lost, err)
	}
}
