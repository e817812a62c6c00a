//go:build linux

package e2e

import (
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestParityExecProcessSettings: what exec --process sets for the process, as the process sees
// it: a user, the working directory and rlimits (and, contain only, its umask and oom_score_adj).
// contain starts such a process from a runtime thread, except with an rlimit it will not take on
// itself (RLIMIT_CPU, or an RLIMIT_NOFILE that leaves it too few fds), where a child does it
// (libcontain/execthread.go): both ways must give the same process.
func TestParityExecProcessSettings(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	for _, tc := range []struct {
		name    string
		rlimits []specs.POSIXRlimit
		want    string
	}{
		{"nofile", []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 512}}, "512 unlimited"},
		{"few fds", []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 16, Hard: 16}}, "16 unlimited"},
		{"nofile and cpu", []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 256}, {Type: "RLIMIT_CPU", Soft: 100, Hard: 100}}, "256 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			umask := uint32(0o027)
			oom := 500
			p := specs.Process{
				Args:        []string{"sh", "-c", `echo $(ulimit -n) $(ulimit -t); cat /proc/self/oom_score_adj; umask; pwd; id -u; id -g; echo $HOME`},
				Env:         []string{"PATH=/usr/bin:/bin"},
				Cwd:         "/tmp",
				User:        specs.User{UID: 1000, GID: 1001, Umask: &umask},
				Rlimits:     tc.rlimits,
				OOMScoreAdj: &oom,
			}
			path := filepath.Join(t.TempDir(), "process.json")
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			got := strings.Fields(r.must("exec", "--process", path, c.id).stdout)
			want := append(strings.Fields(tc.want), "500", "0027", "/tmp", "1000", "1001", "/")
			if len(got) == len(want) && filepath.Base(binary) == "runc" {
				// runc 1.5.3 leaves both out of an exec'd process (newProcess does not copy
				// them): it gets the runtime's oom_score_adj and umask 0022.
				want[2], want[3] = got[2], got[3]
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("process sees %q, want %q", got, want)
			}
		})
	}
}

// TestParityExecSignalsReset: a signal the caller of exec ignores is not ignored by the process,
// which starts with default dispositions (as init does, TestParitySignalsReset).
func TestParityExecSignalsReset(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	signal.Ignore(unix.SIGHUP)
	res := r.run("exec", c.id, "grep", "^SigIgn", "/proc/self/status")
	signal.Reset(unix.SIGHUP)
	if res.code != 0 {
		t.Fatalf("exec: %s", res)
	}
	m := regexp.MustCompile(`SigIgn:\s*([0-9a-f]+)`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no SigIgn in %q", res.stdout)
	}
	if ign, err := strconv.ParseUint(m[1], 16, 64); err != nil || ign&(1<<(unix.SIGHUP-1)) != 0 {
		t.Errorf("the exec'd process ignores SIGHUP: SigIgn %s", m[1])
	}
}

// TestParityExecveFails: a process whose execve fails once its setup is done (a script without
// "#!", ENOEXEC) exits 255 with runc's words on its stderr, as init (run) and as an exec'd
// process (both ways contain starts one: here the thread's).
func TestParityExecveFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "noshebang"), []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const want = "exec /probe/noshebang: exec format error"
	r := newRunner(t)
	withProbe := func(a ...string) func(*specs.Spec) {
		return func(s *specs.Spec) {
			s.Process.Args = a
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/probe", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
		}
	}
	c := r.newContainer(withProbe("/probe/noshebang"))
	if res := r.run("run", "--bundle", c.bundle, c.id); res.code != 255 || !strings.Contains(res.stderr, want) {
		t.Errorf("run: want exit 255 with %q: %s", want, res)
	}
	c2 := r.newContainer(withProbe("sleep", "60"))
	r.must("run", "-d", "--bundle", c2.bundle, c2.id)
	if res := r.run("exec", c2.id, "/probe/noshebang"); res.code != 255 || !strings.Contains(res.stderr, want) {
		t.Errorf("exec: want exit 255 with %q: %s", want, res)
	}
}

// TestParityExecCgroupNamespace: a process exec'd into a container with a cgroup namespace is
// in that namespace (init's, not a new one) and sees its cgroup as the namespace's root "/", as
// init does. On a cgroup2 mounted with nsdelegate (the v2 VM) contain starts it through the
// child, elsewhere (this host's hybrid hierarchy) from a runtime thread that joined the
// namespace (libcontain/execthread.go, nsDelegated): both ways must give the same.
func TestParityExecCgroupNamespace(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		s.Process.Args = []string{"sleep", "60"}
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	initNS, err := os.Readlink("/proc/" + strconv.Itoa(st.Pid) + "/ns/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	out := r.must("exec", c.id, "sh", "-c", "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup").stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("exec printed %q", out)
	}
	if lines[0] != initNS {
		t.Errorf("exec'd process is in cgroup namespace %s, init in %s", lines[0], initNS)
	}
	for _, line := range lines[1:] {
		if !strings.HasSuffix(line, ":/") {
			t.Errorf("exec'd process's cgroup %q is not the namespace's root /", line)
		}
	}
}
