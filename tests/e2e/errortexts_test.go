//go:build linux

package e2e

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// stderrHas checks that a failed command exited code and said want on stderr. runc logs through
// logrus, which quotes the message: its \" are compared as ".
func stderrHas(t *testing.T, res result, code int, want string) {
	t.Helper()
	if res.code != code {
		t.Errorf("exit %d, want %d: %s", res.code, code, res)
	}
	if !strings.Contains(strings.ReplaceAll(res.stderr, `\"`, `"`), want) {
		t.Errorf("stderr lacks %q: %s", want, res)
	}
}

// TestRuncErrorTexts: the errors clients read are current runc's, word for word, and a failure
// of exec on the runtime's side exits 255 as runc's does (a client cannot take it for the
// process's own status).
func TestRuncErrorTexts(t *testing.T) {
	t.Run("duplicate id", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(args("sleep", "60"))
		r.must("create", "--bundle", c.bundle, c.id)
		stderrHas(t, r.run("create", "--bundle", c.bundle, c.id), 1, "container with given ID already exists")
	})
	t.Run("exec in a stopped container", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(args("true"))
		r.must("run", "--detach", "--bundle", c.bundle, c.id)
		r.waitStatus(c.id, specs.StateStopped)
		stderrHas(t, r.run("exec", c.id, "true"), 255, "exec failed: cannot exec in a stopped container")
	})
	t.Run("exec in an unknown container", func(t *testing.T) {
		r := newRunner(t)
		stderrHas(t, r.run("exec", "no-such-container", "true"), 255, "exec failed: container does not exist")
	})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"state"}, `"state" requires exactly 1 argument(s)`},
		{[]string{"delete", "a", "b"}, `"delete" requires exactly 1 argument(s)`},
		{[]string{"exec"}, `"exec" requires a minimum of 1 argument(s)`},
		{[]string{"kill"}, `"kill" requires a minimum of 1 argument(s)`},
		{[]string{"kill", "a", "KILL", "c"}, `"kill" requires a maximum of 2 argument(s)`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := newRunner(t)
			stderrHas(t, r.run(tt.args...), 1, tt.want)
		})
	}
}

// TestHookErrorTexts: a failing hook is named by its phase and its index in the phase, as runc
// names it ("error running prestart hook #1: exit status 1"), and create fails.
func TestHookErrorTexts(t *testing.T) {
	for _, phase := range []string{"prestart", "createRuntime", "createContainer"} {
		t.Run(phase, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				hs := []specs.Hook{{Path: "/bin/true"}, {Path: "/bin/false"}}
				s.Hooks = &specs.Hooks{}
				switch phase {
				case "prestart":
					//lint:ignore SA1019 the deprecated phase is tested because clients still use it
					s.Hooks.Prestart = hs
				case "createRuntime":
					s.Hooks.CreateRuntime = hs
				case "createContainer":
					s.Hooks.CreateContainer = hs
				}
			})
			res := r.run("create", "--bundle", c.bundle, c.id)
			stderrHas(t, res, 1, "error running "+phase+" hook #1: exit status 1")
		})
	}
}
