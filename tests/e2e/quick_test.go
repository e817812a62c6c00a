//go:build linux

package e2e

// Quick mode (issue 3): `contain run --rootfs DIR [flags] -- CMD`, end to end. Every command runs
// with --root and --work-dir under the test's temp dir (wdRunner), every container has a
// unique --name so its cleanup can find it, and the interactive (tmux) half lives in
// tests/interactive.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// quickTester runs quick-mode containers of one test.
type quickTester struct {
	*wdRunner
	rootfs string // the shared busybox rootfs: never written (--overlay, or a copy for writes)
}

func newQuickTester(t *testing.T) *quickTester {
	t.Helper()
	return &quickTester{wdRunner: newWDRunner(t), rootfs: bundle.Rootfs(t)}
}

// name returns a fresh container name and registers its cleanup: delete --force (a foreground
// run has already removed it), then a check that no cgroup of contain/<name> or <name> is left.
func (q *quickTester) name() string {
	q.t.Helper()
	n := bundle.UniqueName("q-")
	q.t.Cleanup(func() {
		if res := q.run("delete", "--force", n); res.code != 0 {
			q.t.Errorf("cleanup: %s", res)
		}
		removeLeftoverCgroups(q.t, quickCgroup(n), n)
	})
	return n
}

// quickCgroup is the cgroupsPath quick mode gives container n (spec.QuickCgroupsPath, spelled
// out: the test checks the documented layout).
func quickCgroup(n string) string { return "contain/" + n }

// quick runs `run --rootfs <shared rootfs> --name n` + args in the foreground, stdin /dev/null.
func (q *quickTester) quick(n string, args ...string) result {
	q.t.Helper()
	return q.run(append([]string{"run", "--rootfs", q.rootfs, "--name", n}, args...)...)
}

// runStdin is runner.run with stdin fed from a string (a pipe, so not a terminal).
func (q *quickTester) runStdin(stdin string, args ...string) result {
	q.t.Helper()
	full := q.global(args...)
	res := result{args: append([]string{filepath.Base(binary)}, full...), code: -1}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, full...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	runCommand(q.t, ctx, cmd, &res)
	res.stdout, res.stderr = out.String(), errb.String()
	q.t.Logf("%s", res)
	return res
}

// gone fails the test unless container n has left no state behind (--rm semantics).
func (q *quickTester) gone(n string) {
	q.t.Helper()
	if _, err := os.Stat(filepath.Join(q.root, n)); !errors.Is(err, os.ErrNotExist) {
		q.t.Errorf("state dir of %s left after a foreground run (%v)", n, err)
	}
	for _, d := range cgroupDirs(q.t, quickCgroup(n)) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			q.t.Errorf("cgroup %s left after a foreground run (%v)", d, err)
		}
	}
}

// sandboxDir is the newest run directory of container n under the test's work dir.
func (q *quickTester) sandboxDir(n string) string {
	return filepath.Join(q.work, "containers", n, "runs", "latest")
}

// progressLine reports whether stderr holds the progress line "[contain] msg" exactly.
func progressLine(stderr, msg string) bool {
	return slices.Contains(strings.Split(stderr, "\n"), "[contain] "+msg)
}

// TestQuickPipe: with stdin not a terminal, quick mode uses plain pipes, passes the exit status
// on, prints the seed's exit and cleanup lines and removes the container.
func TestQuickPipe(t *testing.T) {
	q := newQuickTester(t)
	t.Run("echo hi | cat", func(t *testing.T) {
		n := q.name()
		res := q.runStdin("hi\n", "run", "--rootfs", q.rootfs, "--name", n, "--", "cat")
		if res.code != 0 || res.stdout != "hi\n" {
			t.Fatalf("want hi on stdout and exit 0: %s", res)
		}
		for _, l := range []string{"running: cat", "container exited: exit status 0", "cleaning up cgroups"} {
			if !progressLine(res.stderr, l) {
				t.Errorf("stderr lacks %q: %s", "[contain] "+l, res)
			}
		}
		q.gone(n)
	})
	t.Run("exit status passed on", func(t *testing.T) {
		n := q.name()
		res := q.quick(n, "--", "sh", "-c", "exit 7")
		if res.code != 7 || !progressLine(res.stderr, "container exited: exit status 7") {
			t.Fatalf("want exit 7 and its report: %s", res)
		}
		q.gone(n)
	})
	t.Run("quiet", func(t *testing.T) {
		n := q.name()
		res := q.runStdin("x", "run", "-q", "--rootfs", q.rootfs, "--name", n, "--", "cat")
		if res.code != 0 || res.stdout != "x" || res.stderr != "" {
			t.Fatalf("want x on stdout, nothing on stderr: %s", res)
		}
		q.gone(n)
	})
	t.Run("usage report", func(t *testing.T) {
		n := q.name()
		res := q.quick(n, "--", "true")
		re := regexp.MustCompile(`(?m)^\[contain\] usage: peak memory \S+, cpu time \S+, peak pids (\d+), oom kills 0$`)
		m := re.FindStringSubmatch(res.stderr)
		if res.code != 0 || m == nil {
			t.Fatalf("want a usage line: %s", res)
		}
		if p, _ := strconv.Atoi(m[1]); p < 1 {
			t.Errorf("peak pids %d: the container ran at least one process", p)
		}
	})
}

// TestQuickReaderGone: a foreground run whose stdout and stderr reader goes away mid-run (`contain
// run … | head`) still deletes its container: its next progress line must not kill it first.
func TestQuickReaderGone(t *testing.T) {
	q := newQuickTester(t)
	n := q.name()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, q.global("run", "--rootfs", q.rootfs, "--name", n, "--", "sleep", "1")...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// Read up to the "running:" line, then go away while the container still runs.
	sc := bufio.NewScanner(r)
	for sc.Scan() && !strings.Contains(sc.Text(), "running: sleep 1") {
	}
	r.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(commandTimeout):
		t.Fatal("run did not end after its container's sleep 1")
	}
	q.gone(n)
}

// TestQuickProcess: what the process sees of the flags that shape it.
func TestQuickProcess(t *testing.T) {
	hostIfaces := netDevNames(readFile(t, "/proc/net/dev"))
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, n, out string)
	}{
		{"hostname", []string{"--hostname", "sandbox", "--", "hostname"}, wantOut("sandbox\n")},
		// echo is a shell builtin: sh, PID 1, is the only process there is.
		{"only its own processes", []string{"--", "sh", "-c", "echo /proc/[0-9]*"}, wantOut("/proc/1\n")},
		{"its cgroup", []string{"--", "cat", "/proc/self/cgroup"}, func(t *testing.T, n, out string) {
			seen := 0
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				parts := strings.SplitN(line, ":", 3)
				if len(parts) != 3 || !slices.ContainsFunc(strings.Split(parts[1], ","), func(c string) bool {
					return c == "memory" || c == "pids" || c == "cpu"
				}) {
					continue
				}
				seen++
				if !strings.HasSuffix(parts[2], "/"+quickCgroup(n)) {
					t.Errorf("cgroup line %q is not in %s", line, quickCgroup(n))
				}
			}
			if seen == 0 && !unified() {
				t.Errorf("no memory, pids or cpu line in %q", out)
			}
			if unified() && !strings.Contains(out, "/"+quickCgroup(n)+"\n") {
				t.Errorf("want the unified line to name %s: %q", quickCgroup(n), out)
			}
		}},
		{"env", []string{"--env", "FOO=bar", "--env", "A=b=c", "--", "sh", "-c", `echo "$FOO $A $PATH"`}, func(t *testing.T, n, out string) {
			if !strings.HasPrefix(out, "bar b=c /") {
				t.Errorf("want FOO, A and a default PATH: %q", out)
			}
		}},
		{"workdir", []string{"--workdir", "/etc", "--", "pwd"}, wantOut("/etc\n")},
		{"user uid:gid", []string{"--user", "1000:1001", "--", "sh", "-c", "id -u; id -g"}, wantOut("1000\n1001\n")},
		{"user uid only", []string{"--user", "1000", "--", "sh", "-c", "id -u; id -g"}, wantOut("1000\n1000\n")},
		{"read-only root", []string{"--read-only", "--", "sh", "-c", "touch /x 2>/dev/null; echo $?"}, wantOut("1\n")},
		{"writable root by default", []string{"--", "sh", "-c", "touch /x && echo ok"}, wantOut("ok\n")},
		{"net none", []string{"--", "sh", "-c", "cat /proc/net/dev; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags"}, func(t *testing.T, n, out string) {
			if got := netDevNames(out); !slices.Equal(got, []string{"lo"}) {
				t.Errorf("want only lo, got %v", got)
			}
			// operstate of lo reads "unknown" even when up; IFF_UP is bit 0 of flags.
			lines := strings.Split(strings.TrimSpace(out), "\n")
			flags, err := strconv.ParseUint(strings.TrimPrefix(lines[len(lines)-1], "0x"), 16, 32)
			if err != nil || flags&1 == 0 {
				t.Errorf("lo is not up: flags %q (%v)", lines[len(lines)-1], err)
			}
		}},
		// Issue 16: quick mode applies an engine's default seccomp profile (spec.QuickSeccomp);
		// it refuses unshare without CAP_SYS_ADMIN, which the old binary let through.
		{"seccomp default profile", []string{"--", "sh", "-c", "grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?; sleep 0 & wait; echo fork-ok"},
			wantOut("Seccomp:\t2\nunshare=1\nfork-ok\n")},
		{"net host", []string{"--net", "host", "--", "cat", "/proc/net/dev"}, func(t *testing.T, n, out string) {
			if got := netDevNames(out); !slices.Equal(got, hostIfaces) {
				t.Errorf("want the host's interfaces %v, got %v", hostIfaces, got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newQuickTester(t)
			n := q.name()
			res := q.quick(n, append([]string{"-q"}, tc.args...)...)
			if res.code != 0 {
				t.Fatalf("want exit 0: %s", res)
			}
			tc.check(t, n, res.stdout)
			q.gone(n)
		})
	}
}

func wantOut(want string) func(t *testing.T, n, out string) {
	return func(t *testing.T, n, out string) {
		t.Helper()
		if out != want {
			t.Errorf("stdout %q, want %q", out, want)
		}
	}
}

// netDevNames returns the sorted interface names of a /proc/net/dev.
func netDevNames(s string) []string {
	var names []string
	for _, line := range strings.Split(s, "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && !strings.Contains(name, "|") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	slices.Sort(names)
	return names
}

// TestQuickOverlay: by default the container writes to a copy-on-write layer in its sandbox and
// the base rootfs stays as it was; --overlay=false writes through.
func TestQuickOverlay(t *testing.T) {
	q := newQuickTester(t)
	base := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, base)
	write := []string{"--", "sh", "-c", "echo inside > /written && rm /etc/group && echo done"}

	n := q.name()
	res := q.run(append([]string{"run", "-q", "--rootfs", base, "--name", n}, write...)...)
	if res.code != 0 || res.stdout != "done\n" {
		t.Fatalf("want the writes to succeed: %s", res)
	}
	if _, err := os.Stat(filepath.Join(base, "written")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--overlay: /written reached the base rootfs (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(base, "etc", "group")); err != nil {
		t.Errorf("--overlay: the rm of /etc/group reached the base rootfs: %v", err)
	}
	upper := filepath.Join(q.sandboxDir(n), ".overlay", "upper")
	if got, err := os.ReadFile(filepath.Join(upper, "written")); err != nil || string(got) != "inside\n" {
		t.Errorf("the write is not in the sandbox's upper layer %s: %q, %v", upper, got, err)
	}
	q.gone(n)

	t.Run("a new run starts from the base", func(t *testing.T) {
		n := q.name()
		res := q.run("run", "-q", "--rootfs", base, "--name", n, "--", "sh", "-c", "test -e /written; echo $?; test -e /etc/group; echo $?")
		if res.code != 0 || res.stdout != "1\n0\n" {
			t.Errorf("want /written absent and /etc/group present: %s", res)
		}
		// It changed nothing: its run directory (an empty overlay) is not kept.
		if _, err := os.Stat(filepath.Join(q.work, "containers", n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a run that changed nothing left its sandbox behind (%v)", err)
		}
	})
	t.Run("overlay=false writes through", func(t *testing.T) {
		n := q.name()
		res := q.run(append([]string{"run", "-q", "--overlay=false", "--rootfs", base, "--name", n}, write...)...)
		if res.code != 0 {
			t.Fatalf("want exit 0: %s", res)
		}
		if got, err := os.ReadFile(filepath.Join(base, "written")); err != nil || string(got) != "inside\n" {
			t.Errorf("--overlay=false: /written not in the base rootfs: %q, %v", got, err)
		}
		if _, err := os.Stat(filepath.Join(base, "etc", "group")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--overlay=false: /etc/group still in the base rootfs (%v)", err)
		}
	})
}

// TestQuickVolumes: a relative HOST is a private directory in the sandbox; an absolute one is
// the host's directory, read-only with :ro.
func TestQuickVolumes(t *testing.T) {
	q := newQuickTester(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("hostdata\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("tmp:/tmp is private", func(t *testing.T) {
		a, b := q.name(), q.name()
		res := q.quick(a, "-q", "--volume", "tmp:/tmp", "--", "sh", "-c", "echo mine > /tmp/a; stat -c %a /tmp")
		if res.code != 0 || res.stdout != "1777\n" {
			t.Fatalf("want a 1777 /tmp: %s", res)
		}
		if got, err := os.ReadFile(filepath.Join(q.sandboxDir(a), "tmp", "a")); err != nil || string(got) != "mine\n" {
			t.Errorf("/tmp/a not in the sandbox of %s: %q, %v", a, got, err)
		}
		res = q.quick(b, "-q", "-v", "tmp:/tmp", "--", "ls", "-A", "/tmp")
		if res.code != 0 || res.stdout != "" {
			t.Errorf("a second container sees the first's /tmp: %s", res)
		}
	})
	t.Run("host dir read-only", func(t *testing.T) {
		n := q.name()
		res := q.quick(n, "-q", "--volume", host+":/mnt:ro", "--", "sh", "-c", "cat /mnt/f; echo x > /mnt/g 2>/dev/null; echo $?")
		if res.code != 0 || res.stdout != "hostdata\n1\n" {
			t.Errorf("want the host file readable and the write refused: %s", res)
		}
		if _, err := os.Stat(filepath.Join(host, "g")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a write through a :ro volume reached the host (%v)", err)
		}
	})
	t.Run("host dir read-write", func(t *testing.T) {
		n := q.name()
		res := q.quick(n, "-q", "--volume", host+":/mnt", "--", "sh", "-c", "echo x > /mnt/g")
		if got, err := os.ReadFile(filepath.Join(host, "g")); res.code != 0 || err != nil || string(got) != "x\n" {
			t.Errorf("want the write on the host: %q, %v, %s", got, err, res)
		}
	})
}

// TestQuickLimits: the seed's checks. The kernel's counters decide, the report must agree.
func TestQuickLimits(t *testing.T) {
	t.Run("memory 64M: dd of 200M is OOM-killed", func(t *testing.T) {
		q := newQuickTester(t)
		n := q.name()
		res := q.quick(n, "--memory", "64M", "--", "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1")
		if res.code != 128+9 {
			t.Errorf("exit %d, want 137 (SIGKILL by the OOM killer): %s", res.code, res)
		}
		if !progressLine(res.stderr, "container exited: signal: killed (OOM-killed)") {
			t.Errorf("exit line does not say OOM-killed: %s", res)
		}
		if !regexp.MustCompile(`(?m)^\[contain\] usage: .*oom kills [1-9]`).MatchString(res.stderr) {
			t.Errorf("usage does not count the OOM kill: %s", res)
		}
		q.gone(n)
	})
	t.Run("memory 64M: a child's OOM is reported", func(t *testing.T) {
		q := newQuickTester(t)
		n := q.name()
		// tail keeps the last 10 lines of newline-free zeros: all 200M of them.
		res := q.quick(n, "--memory", "64M", "--", "sh", "-c", "head -c 200000000 /dev/zero | tail")
		if res.code != 128+9 || !progressLine(res.stderr, "container exited: exit status 137 (OOM-killed)") {
			t.Errorf("want exit 137 reported with OOM-killed: %s", res)
		}
	})
	t.Run("pids 64: 100 sleeps hit the limit", func(t *testing.T) {
		q := newQuickTester(t)
		n := q.name()
		res := q.quick(n, "--pids", "64", "--", "sh", "-c",
			`i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; echo all-forked`)
		if res.code == 0 || strings.Contains(res.stdout, "all-forked") {
			t.Errorf("100 forks under --pids 64 succeeded: %s", res)
		}
		if !regexp.MustCompile(`(?m)^\[contain\] container exited: .*\(pids limit\)$`).MatchString(res.stderr) {
			t.Errorf("exit line does not say pids limit: %s", res)
		}
		m := regexp.MustCompile(`peak pids (\d+)`).FindStringSubmatch(res.stderr)
		if m == nil {
			t.Fatalf("no peak pids in the usage: %s", res)
		}
		if p, _ := strconv.Atoi(m[1]); p > 64 || p < 60 {
			t.Errorf("peak pids %d: want the limit reached and held (60..64)", p)
		}
		q.gone(n) // and with it the sleeps: the cgroup could not be removed with tasks in it
	})
	t.Run("limits in the cgroup files", func(t *testing.T) {
		for _, tc := range []struct {
			flags              []string
			quota, mem, pidmax string
		}{
			{[]string{"--cpu", "50000", "--memory", "64M", "--pids", "64"}, "50000", "67108864", "64"},
			{[]string{"--cpus", "1.5", "--memory", "16M", "--pids", "16"}, "150000", "16777216", "16"},
		} {
			t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
				q := newQuickTester(t)
				n := q.name()
				q.must(append(append([]string{"run", "--detach", "-q", "--rootfs", q.rootfs, "--name", n}, tc.flags...), "--", "sleep", "60")...)
				st := q.waitStatus(n, specs.StateRunning)
				cpu, v2 := pidControllerDir(t, st.Pid, "cpu")
				if !strings.HasSuffix(cpu, "/"+quickCgroup(n)) {
					t.Errorf("init is in %s, want .../%s", cpu, quickCgroup(n))
				}
				mem, _ := pidControllerDir(t, st.Pid, "memory")
				pids, _ := pidControllerDir(t, st.Pid, "pids")
				want := map[string]string{
					filepath.Join(cpu, "cpu.cfs_quota_us"):      tc.quota,
					filepath.Join(cpu, "cpu.cfs_period_us"):     "100000",
					filepath.Join(mem, "memory.limit_in_bytes"): tc.mem,
					filepath.Join(pids, "pids.max"):             tc.pidmax,
				}
				if v2 {
					want = map[string]string{
						filepath.Join(cpu, "cpu.max"):    tc.quota + " 100000",
						filepath.Join(cpu, "memory.max"): tc.mem,
						filepath.Join(cpu, "pids.max"):   tc.pidmax,
					}
				}
				for f, w := range want {
					if got := strings.TrimSpace(readFile(t, f)); got != w {
						t.Errorf("%s = %q, want %q", f, got, w)
					}
				}
				q.must("kill", n, "KILL")
				q.waitStopped(n, statusTimeout)
				q.must("delete", n)
			})
		}
	})
}

// TestQuickDetached: --name, list, kill and delete of a detached quick-mode container, and a
// duplicate --name.
func TestQuickDetached(t *testing.T) {
	q := newQuickTester(t)
	n := q.name()
	// TERM ends it through its trap (PID 1 of a pid namespace ignores signals it has no handler
	// for, so a bare sleep would not stop).
	res := q.must("run", "--detach", "--rootfs", q.rootfs, "--name", n, "--", "sh", "-c",
		`trap "exit 0" TERM; while :; do sleep 0.1; done`)
	if !progressLine(res.stderr, "running: sh -c trap \"exit 0\" TERM; while :; do sleep 0.1; done") {
		t.Errorf("no running line: %s", res)
	}
	if progressLine(res.stderr, "cleaning up cgroups") {
		t.Errorf("a detached run cleaned up: %s", res)
	}
	st := q.waitStatus(n, specs.StateRunning)
	if !slices.Contains(strings.Fields(q.must("list", "-q").stdout), n) {
		t.Errorf("list -q does not show %s", n)
	}
	if !regexp.MustCompile(`(?m)^` + n + `\s+` + strconv.Itoa(st.Pid) + `\s+running\s`).MatchString(q.must("list").stdout) {
		t.Errorf("list does not show %s running as pid %d", n, st.Pid)
	}

	t.Run("duplicate name", func(t *testing.T) {
		runs, _ := os.ReadDir(filepath.Join(q.work, "containers", n, "runs"))
		res := q.run("run", "-q", "--rootfs", q.rootfs, "--name", n, "--", "true")
		oneLineError(t, res, "exists")
		if !strings.Contains(res.stderr, n) {
			t.Errorf("the error does not name %s: %s", n, res)
		}
		if again := q.waitStatus(n, specs.StateRunning); again.Pid != st.Pid {
			t.Errorf("the running container changed: pid %d, was %d", again.Pid, st.Pid)
		}
		if after, _ := os.ReadDir(filepath.Join(q.work, "containers", n, "runs")); len(after) != len(runs) {
			t.Errorf("the refused run made a sandbox: %d entries, were %d", len(after), len(runs))
		}
	})

	q.must("kill", n)
	q.waitStopped(n, statusTimeout)
	q.must("delete", n)
	if slices.Contains(strings.Fields(q.must("list", "-q").stdout), n) {
		t.Errorf("list still shows %s after delete", n)
	}
	q.gone(n)
}

// TestQuickSignals: signals sent to a foreground `contain run` reach the container's process.
func TestQuickSignals(t *testing.T) {
	q := newQuickTester(t)
	n := q.name()
	script := `for s in INT HUP QUIT USR1 USR2; do trap "echo got $s" $s; done
trap "echo got TERM; exit 3" TERM
echo ready
while :; do sleep 0.05; done`
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(binary, q.global("run", "-q", "--rootfs", q.rootfs, "--name", n, "--", "sh", "-c", script)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	})
	waitOut := func(want string) {
		t.Helper()
		if !poll(statusTimeout, func() bool { return strings.Contains(readFile(t, out), want) }) {
			t.Fatalf("no %q within %v; output %q", want, statusTimeout, readFile(t, out))
		}
	}
	waitOut("ready\n")
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT} {
		if err := cmd.Process.Signal(s); err != nil {
			t.Fatal(err)
		}
		waitOut(fmt.Sprintf("got %s\n", strings.TrimPrefix(sigName(s), "SIG")))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("run ended with %v, want exit 3 from the TERM trap; output %q", err, readFile(t, out))
		}
	case <-time.After(commandTimeout):
		t.Fatalf("run did not end after SIGTERM; output %q", readFile(t, out))
	}
	if !strings.Contains(readFile(t, out), "got TERM\n") {
		t.Errorf("TERM did not reach the trap: %q", readFile(t, out))
	}
	q.gone(n)
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{
		syscall.SIGUSR1: "USR1", syscall.SIGUSR2: "USR2", syscall.SIGHUP: "HUP",
		syscall.SIGINT: "INT", syscall.SIGQUIT: "QUIT",
	}[s]
}

// TestQuickBadInput: every bad input gives one clear line on stderr (with -q: no progress lines
// around it) and leaves nothing behind: no state dir, sandbox, cgroup, mount or process.
func TestQuickBadInput(t *testing.T) {
	empty := t.TempDir() // a rootfs without the command
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		rootfs string // "" = the shared busybox rootfs
		args   []string
		want   []string // each in the error line, case-insensitive
	}{
		{"memory 64Q", "", []string{"--memory", "64Q", "--", "true"}, []string{"--memory", "64Q", "unit"}},
		{"memory -1", "", []string{"--memory", "-1", "--", "true"}, []string{"--memory", `"-1"`}},
		{"memory empty", "", []string{"--memory=", "--", "true"}, []string{"--memory", "empty"}},
		{"memory overflow", "", []string{"--memory", "99999999999999999999", "--", "true"}, []string{"--memory", "too large"}},
		{"memory overflow by unit", "", []string{"--memory", "9000000000000000000K", "--", "true"}, []string{"--memory", "too large"}},
		{"memory 0", "", []string{"--memory", "0", "--", "true"}, []string{"--memory", "positive"}},
		{"cpu 0", "", []string{"--cpu", "0", "--", "true"}, []string{"--cpu", `"0"`}},
		{"cpu not a number", "", []string{"--cpu", "half", "--", "true"}, []string{"--cpu", "half"}},
		{"cpus 0", "", []string{"--cpus", "0", "--", "true"}, []string{"--cpus"}},
		{"cpu and cpus", "", []string{"--cpu", "50000", "--cpus", "0.5", "--", "true"}, []string{"--cpu", "--cpus"}},
		{"pids 0", "", []string{"--pids", "0", "--", "true"}, []string{"--pids", `"0"`}},
		{"pids -5", "", []string{"--pids", "-5", "--", "true"}, []string{"--pids"}},
		{"rootfs does not exist", "/nonexistent-contain-rootfs", []string{"--", "true"}, []string{"/nonexistent-contain-rootfs", "does not exist"}},
		{"rootfs is a file", notDir, []string{"--", "true"}, []string{"not a directory"}},
		{"no command", "", nil, []string{"no command"}},
		{"command not in rootfs", "", []string{"--", "/bin/no-such-command"}, []string{"/bin/no-such-command", "no such file"}},
		{"rootfs without the command", empty, []string{"--", "/bin/sh"}, []string{"/bin/sh", "no such file"}},
		{"volume missing a colon", "", []string{"--volume", "nocolon", "--", "true"}, []string{"nocolon", "HOST:CONTAINER"}},
		{"volume relative container path", "", []string{"--volume", "tmp:tmp", "--", "true"}, []string{"tmp:tmp", "absolute"}},
		{"volume escaping the sandbox", "", []string{"--volume", "../x:/x", "--", "true"}, []string{"../x:/x"}},
		// Issue 16, F5: the overlay's upper and work dirs, read-write inside (the old binary ran it).
		{"volume naming the overlay", "", []string{"--volume", ".overlay/upper/etc:/tmp", "--", "true"}, []string{".overlay", "reserved"}},
		{"volume naming the monitor report", "", []string{"--volume", "monitor.json:/tmp", "--", "true"}, []string{"monitor.json", "reserved"}},
		{"volume bad mode", "", []string{"--volume", "/tmp:/x:rx", "--", "true"}, []string{"/tmp:/x:rx", "ro"}},
		{"volume host missing", "", []string{"--volume", "/nonexistent-contain-vol:/x", "--", "true"}, []string{"/nonexistent-contain-vol"}},
		{"net bogus", "", []string{"--net", "bridge", "--", "true"}, []string{"--net", "bridge"}},
		{"user not numeric", "", []string{"--user", "root", "--", "true"}, []string{"--user", "root"}},
		{"workdir relative", "", []string{"--workdir", "tmp", "--", "true"}, []string{"--workdir", "absolute"}},
		{"env without =", "", []string{"--env", "NOEQ", "--", "true"}, []string{"--env", "NOEQ"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newQuickTester(t)
			n := q.name()
			rootfs := tc.rootfs
			if rootfs == "" {
				rootfs = q.rootfs
			}
			l := leftovers{id: n, bundle: q.work, rootfs: rootfs, cgroupsPath: quickCgroup(n),
				keepIDs: map[string]bool{}, keepPids: map[int]bool{}, pidsBefore: livePids(t)}
			res := q.run(append([]string{"run", "-q", "--rootfs", rootfs, "--name", n}, tc.args...)...)
			oneLineError(t, res, "")
			for _, w := range tc.want {
				if !strings.Contains(strings.ToLower(res.stderr), strings.ToLower(w)) {
					t.Errorf("error does not mention %q: %s", w, res)
				}
			}
			l.check(t, q.runner)
			if _, err := os.Stat(filepath.Join(q.work, "containers", n)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("sandbox of %s left under the work dir (%v)", n, err)
			}
			// Without -q the progress lines may precede it, but the error is still the last line.
			res = q.run(append([]string{"run", "--rootfs", rootfs, "--name", n}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			if last := lines[len(lines)-1]; res.code == 0 || !strings.HasPrefix(last, "contain: ") {
				t.Errorf("want the error as the last line: %s", res)
			}
			l.check(t, q.runner)
		})
	}
	t.Run("invalid name", func(t *testing.T) {
		q := newQuickTester(t)
		res := q.run("run", "-q", "--rootfs", q.rootfs, "--name", "../x", "--", "true")
		oneLineError(t, res, "id")
		if _, err := os.Lstat(filepath.Join(q.work, "x")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the name escaped the work dir (%v)", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(q.work, "containers")); len(entries) != 0 {
			t.Errorf("work dir holds %d sandboxes after an invalid name", len(entries))
		}
	})
}

// TestQuickTinyLimits: limits govern the container's process, not the runtime's init. runc
// applies them once init's setup is done, and so does contain: --pids 1 runs a command (init's
// Go threads would otherwise be refused and crash it), and a memory limit below what init
// already uses is refused with an error that says so, leaving nothing behind.
func TestQuickTinyLimits(t *testing.T) {
	q := newQuickTester(t)
	for _, pids := range []string{"1", "2"} {
		n := q.name()
		res := q.quick(n, "-q", "--pids", pids, "--", "echo", "hello")
		if res.code != 0 || strings.TrimSpace(res.stdout) != "hello" {
			t.Errorf("--pids %s: %s", pids, res)
		}
		q.gone(n)
	}
	n := q.name()
	res := q.quick(n, "-q", "--memory", "512K", "--", "echo", "hello")
	if res.code == 0 || !strings.Contains(res.stderr, "below what the container's init already uses") {
		t.Errorf("--memory 512K: %s", res)
	}
	if lines := strings.Split(strings.TrimSpace(res.stderr), "\n"); len(lines) != 1 {
		t.Errorf("--memory 512K: %d lines on stderr, want one: %q", len(lines), res.stderr)
	}
	q.gone(n)
}
