//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestParityStartContainerHookEnv: a startContainer hook with no env of its own runs with the
// container process's environment.
func TestParityStartContainerHookEnv(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(compose2(ownRootfs(t, func(dir string) {
		script := "#!/bin/sh -ue\ntest \"$ONE\" = two\ntest \"$FOO\" = bar\n"
		if err := os.WriteFile(filepath.Join(dir, "check-env.sh"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}), func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Process.Env = []string{"PATH=/bin", "ONE=two", "FOO=bar"}
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/check-env.sh"}}}
	}))
	r.must("run", "--bundle", c.bundle, c.id)
}

// TestParityCreateRuntimeHookFails: a createRuntime hook that fails, first or second, fails
// create with runc's words and leaves nothing: no state, cgroup, mount or process.
func TestParityCreateRuntimeHookFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hooks []specs.Hook
		want  string
	}{
		{"first", []specs.Hook{{Path: "/bin/false"}}, "error running createRuntime hook #0:"},
		{"second", []specs.Hook{{Path: "/bin/true"}, {Path: "/bin/false"}}, "error running createRuntime hook #1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = []string{"sleep", "60"}
				s.Hooks = &specs.Hooks{CreateRuntime: tc.hooks}
			})
			pidsBefore := livePids(t)
			res := r.run("create", "--bundle", c.bundle, c.id)
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("want a failure with %q: %s", tc.want, res)
			}
			leftovers{id: c.id, bundle: c.bundle, rootfs: c.spec.Root.Path, cgroupsPath: c.cgroupsPath(), pidsBefore: pidsBefore}.check(t, r)
		})
	}
}

// TestParityNoPath: with no PATH in the process's environment a bare command name is not found
// (runc 1.5 has no fallback PATH): create fails with runc's words; an absolute path runs.
func TestParityNoPath(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "true"}
		s.Process.Env = []string{"TERM=xterm"}
	})
	res := r.run("create", "--bundle", c.bundle, c.id)
	if res.code == 0 || !strings.Contains(strings.ReplaceAll(res.stderr, `\"`, `"`), `exec: "sh": executable file not found in $PATH`) {
		t.Errorf("want runc's not-found error: %s", res)
	}
	c2 := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"/bin/env"}
		s.Process.Env = []string{"TERM=xterm"}
	})
	if out := r.must("run", "--bundle", c2.bundle, c2.id).stdout; envCount(out, "PATH") != 0 {
		t.Errorf("the process got a PATH it was not given:\n%s", out)
	}
}

// TestParityDebugLog: --debug with --log writes the setup steps of run and of exec to the log at
// debug level, in text and in JSON, and none of them to stderr.
func TestParityDebugLog(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(args("sleep", "60"))
			debugLine := regexp.MustCompile(`level=debug|"level":"debug"`)
			count := func(log string) int { return len(debugLine.FindAllString(readFile(t, log), -1)) }
			runLog := filepath.Join(t.TempDir(), "run.log")
			res := r.must("--debug", "--log", runLog, "--log-format", format, "run", "-d", "--bundle", c.bundle, c.id)
			if debugLine.MatchString(res.stderr) {
				t.Errorf("debug lines on stderr with --log: %s", res)
			}
			if n := count(runLog); n < 2 {
				t.Errorf("run: %d debug lines in the %s log, want its setup steps:\n%s", n, format, readFile(t, runLog))
			}
			execLog := filepath.Join(t.TempDir(), "exec.log")
			res = r.must("--debug", "--log", execLog, "--log-format", format, "exec", c.id, "true")
			if debugLine.MatchString(res.stderr) {
				t.Errorf("debug lines on stderr with --log: %s", res)
			}
			if n := count(execLog); n < 2 {
				t.Errorf("exec: %d debug lines in the %s log, want its setup steps:\n%s", n, format, readFile(t, execLog))
			}
			if format == "json" {
				for _, l := range strings.Split(strings.TrimSpace(readFile(t, execLog)), "\n") {
					if !strings.HasPrefix(l, "{") {
						t.Errorf("json log line %q is not JSON", l)
					}
				}
			}
		})
	}
}
