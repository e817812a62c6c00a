//go:build linux

package e2e

import (
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
)

// ownRootfs gives the container a private, writable copy of the test rootfs, changed by edit
// (which gets the copy's path) before the container runs.
func ownRootfs(t *testing.T, edit func(dir string)) func(*specs.Spec) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, dir)
	if edit != nil {
		edit(dir)
	}
	return func(s *specs.Spec) {
		s.Root.Path = dir
		s.Root.Readonly = false
	}
}

// addUser appends a passwd line to a rootfs copy.
func addUser(t *testing.T, dir, line string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "etc", "passwd"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}

func compose2(fs ...func(*specs.Spec)) func(*specs.Spec) {
	return func(s *specs.Spec) {
		for _, f := range fs {
			f(s)
		}
	}
}

// envLines is `env`'s output as a sorted list without empty lines.
func envCount(out, key string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, key+"=") {
			n++
		}
	}
	return n
}

// TestParityEnvDuplicates: of a variable listed twice the last value wins and it is set once;
// an empty HOME is replaced by the user's home from the container's /etc/passwd.
func TestParityEnvDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		key  string
		want string
	}{
		{"last value wins", []string{"ONE=two", "ONE=three"}, "ONE", "ONE=three"},
		{"empty value last", []string{"ONE=two", "ONE="}, "ONE", "ONE="},
		{"empty HOME", []string{"HOME="}, "HOME", "HOME=/root"},
		{"empty HOME after a set one", []string{"HOME=/override", "HOME="}, "HOME", "HOME=/root"},
		{"HOME set", []string{"HOME=/override"}, "HOME", "HOME=/override"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runOutput(t, func(s *specs.Spec) {
				s.Process.Args = []string{"env"}
				s.Process.Env = append([]string{"PATH=/usr/bin:/bin"}, tc.env...)
			})
			if n := envCount(out, tc.key); n != 1 || !containsLine(strings.Split(out, "\n"), tc.want) {
				t.Fatalf("want %s set once, got %d times in:\n%s", tc.want, n, out)
			}
		})
	}
}

// TestParityEnvHomeFromPasswd: with no HOME in the environment the process gets its user's home
// from the container's /etc/passwd (uid 2000 → /home/tempuser, not "/"), for run and exec; an
// exec with -p takes its environment from the process file only, plus HOME.
func TestParityEnvHomeFromPasswd(t *testing.T) {
	r := newRunner(t)
	rootfs := ownRootfs(t, func(dir string) {
		addUser(t, dir, "tempuser:x:2000:2000:tempuser:/home/tempuser:/bin/sh")
	})
	c := r.newContainer(compose2(rootfs, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "echo $HOME; sleep 60"}
		s.Process.User = specs.User{UID: 2000, GID: 2000}
		s.Process.Env = []string{"PATH=/usr/bin:/bin"}
	}))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	res := r.must("exec", "-u", "2000", c.id, "sh", "-c", "echo $HOME")
	if got := strings.TrimSpace(res.stdout); got != "/home/tempuser" {
		t.Errorf("exec -u 2000: HOME %q, want /home/tempuser", got)
	}
	res = r.must("exec", c.id, "sh", "-c", "echo $HOME")
	if got := strings.TrimSpace(res.stdout); got != "/home/tempuser" {
		t.Errorf("exec as the container's user: HOME %q, want /home/tempuser", got)
	}
	proc := filepath.Join(t.TempDir(), "process.json")
	if err := os.WriteFile(proc, []byte(`{"args": ["/bin/env"], "cwd": "/", "env": ["FOO=bar"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res = r.must("exec", "-p", proc, c.id)
	if lines := strings.Split(res.stdout, "\n"); !containsLine(lines, "FOO=bar") || !containsLine(lines, "HOME=/root") || envCount(res.stdout, "PATH") != 0 {
		t.Errorf("exec -p: want FOO=bar and HOME=/root only, got:\n%s", res.stdout)
	}

	// The same for run: init itself.
	c2 := r.newContainer(compose2(rootfs, func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "echo $HOME"}
		s.Process.User = specs.User{UID: 2000, GID: 2000}
		s.Process.Env = []string{"PATH=/usr/bin:/bin"}
	}))
	if got := strings.TrimSpace(r.must("run", "--bundle", c2.bundle, c2.id).stdout); got != "/home/tempuser" {
		t.Errorf("run: HOME %q, want /home/tempuser", got)
	}
}

// TestParityExecUserZeroUnreadableCwd: exec --user 0 into a container whose cwd only its own
// user may enter works: the runtime changes directory while it still has every capability, and
// again once it is the process's user.
func TestParityExecUserZeroUnreadableCwd(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(compose2(ownRootfs(t, func(dir string) {
		if err := os.Chown(filepath.Join(dir, "root"), 42, 42); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "root"), 0o700); err != nil {
			t.Fatal(err)
		}
	}), func(s *specs.Spec) {
		s.Process.Cwd = "/root"
		s.Process.User = specs.User{UID: 42, GID: 42}
		s.Process.Args = []string{"sleep", "60"}
	}))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	if res := r.must("exec", "--user", "0", c.id, "pwd"); strings.TrimSpace(res.stdout) != "/root" {
		t.Errorf("exec --user 0: cwd %q, want /root", res.stdout)
	}
}

// TestParityCapsUnknownIgnored: capability names the kernel does not know are left out with a
// warning; the container runs with the ones it knows.
func TestParityCapsUnknownIgnored(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"grep", "^CapBnd", "/proc/self/status"}
		s.Process.Capabilities.Bounding = []string{"CAP_UNKNOWN", "CAP_KILL", "UNKNOWN_CAP"}
	})
	res := r.must("run", "--bundle", c.bundle, c.id)
	if !strings.Contains(res.stdout, "0000000000000020") {
		t.Errorf("CapBnd: want CAP_KILL only: %s", res)
	}
	if !strings.Contains(res.stderr, "ignoring unknown or unavailable capabilities: [CAP_UNKNOWN UNKNOWN_CAP]") {
		t.Errorf("want runc's warning naming the unknown capabilities: %s", res)
	}
}

// TestParityCapsAmbientWarning: an ambient capability that is not inheritable cannot be raised;
// the container runs without it, with runc's warning.
func TestParityCapsAmbientWarning(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"grep", "^CapAmb", "/proc/self/status"}
		s.Process.Capabilities.Inheritable = []string{"CAP_KILL"}
		s.Process.Capabilities.Ambient = []string{"CAP_KILL", "CAP_AUDIT_WRITE"}
	})
	res := r.must("run", "--bundle", c.bundle, c.id)
	if !strings.Contains(res.stdout, "0000000000000020") {
		t.Errorf("CapAmb: want CAP_KILL only: %s", res)
	}
	if !strings.Contains(res.stderr, "can't raise ambient capability CAP_AUDIT_WRITE: ") {
		t.Errorf("want runc's ambient warning: %s", res)
	}
}

// withAffinity runs fn on a thread pinned to cpu: a child started from it inherits the mask.
func withAffinity(t *testing.T, cpu int, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &old)
	fn()
}

// cpusAllowed is the Cpus_allowed_list line a process printed.
func cpusAllowed(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`Cpus_allowed_list:\s*(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Cpus_allowed_list in %q", out)
	}
	return m[1]
}

func onlineCPUs(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(readFile(t, "/sys/devices/system/cpu/online"))
}

// TestParityCPUAffinityReset: the container's processes do not inherit the CPU affinity of
// whoever ran the runtime: they get every CPU, or the cgroup's cpuset.
func TestParityCPUAffinityReset(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	grep := []string{"grep", "Cpus_allowed_list", "/proc/self/status"}
	t.Run("all CPUs", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(args(grep...))
		var res result
		withAffinity(t, 0, func() { res = r.must("run", "--bundle", c.bundle, c.id) })
		if got, want := cpusAllowed(t, res.stdout), onlineCPUs(t); got != want {
			t.Errorf("Cpus_allowed_list %s, want every online CPU (%s)", got, want)
		}
	})
	t.Run("cpuset", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(func(s *specs.Spec) {
			s.Process.Args = grep
			s.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "1", Mems: "0"}
		})
		var res result
		withAffinity(t, 0, func() { res = r.must("run", "--bundle", c.bundle, c.id) })
		if got := cpusAllowed(t, res.stdout); got != "1" {
			t.Errorf("Cpus_allowed_list %s, want the cpuset's 1", got)
		}
	})
}

// TestParityExecCPUAffinity: process.execCPUAffinity.final is the affinity an exec'd process
// runs with, from config.json or from exec -p.
func TestParityExecCPUAffinity(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "1"}
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	res := r.must("exec", c.id, "grep", "Cpus_allowed_list", "/proc/self/status")
	if got := cpusAllowed(t, res.stdout); got != "1" {
		t.Errorf("exec: Cpus_allowed_list %s, want the final 1", got)
	}
	proc := filepath.Join(t.TempDir(), "process.json")
	err := os.WriteFile(proc, []byte(`{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/",
		"env": ["PATH=/bin"], "execCPUAffinity": {"initial": "1", "final": "0"}}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if got := cpusAllowed(t, r.must("exec", "-p", proc, c.id).stdout); got != "0" {
		t.Errorf("exec -p: Cpus_allowed_list %s, want the final 0", got)
	}
}

// numaPolicy is the policy field of the first line of /proc/self/numa_maps.
var numaPolicy = []string{"sh", "-c", `head -n 1 /proc/self/numa_maps | cut -d " " -f 2`}

// TestParityMemoryPolicy: linux.memoryPolicy is applied with set_mempolicy before the process
// runs (run and exec); a bad policy is refused at create with runc's errors.
func TestParityMemoryPolicy(t *testing.T) {
	if !fileExists("/proc/self/numa_maps") {
		t.Skip("needs NUMA (CONFIG_NUMA: /proc/self/numa_maps)")
	}
	for _, tc := range []struct {
		name   string
		policy specs.LinuxMemoryPolicy
		want   string // regexp on the policy field
	}{
		{"interleave", specs.LinuxMemoryPolicy{Mode: "MPOL_INTERLEAVE", Nodes: "0"}, `^interleave:0$`},
		{"bind static", specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_STATIC_NODES"}}, `^bind.*static.*0$`},
		{"default", specs.LinuxMemoryPolicy{Mode: "MPOL_DEFAULT"}, `default`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runOutput(t, func(s *specs.Spec) {
				s.Process.Args = numaPolicy
				p := tc.policy
				s.Linux.MemoryPolicy = &p
			})
			if !regexp.MustCompile(tc.want).MatchString(strings.TrimSpace(out)) {
				t.Errorf("numa_maps policy %q, want %s", out, tc.want)
			}
		})
	}
	t.Run("exec", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(func(s *specs.Spec) {
			s.Process.Args = []string{"sleep", "60"}
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_PREFERRED", Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_RELATIVE_NODES"}}
		})
		r.must("run", "-d", "--bundle", c.bundle, c.id)
		out := r.must(append([]string{"exec", c.id}, numaPolicy...)...).stdout
		if !regexp.MustCompile(`^prefer.*relative.*0$`).MatchString(strings.TrimSpace(out)) {
			t.Errorf("exec: numa_maps policy %q, want prefer...relative...0", out)
		}
	})
	for _, tc := range []struct {
		name   string
		policy specs.LinuxMemoryPolicy
		want   string
	}{
		{"empty", specs.LinuxMemoryPolicy{}, "invalid memory policy"},
		{"unknown mode", specs.LinuxMemoryPolicy{Mode: "INTERLEAVE", Nodes: "0"}, "invalid memory policy"},
		{"unknown flag", specs.LinuxMemoryPolicy{Mode: "MPOL_PREFERRED", Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_RELATIVE_NODES", "badflag"}}, "invalid memory policy flag"},
		{"missing mode", specs.LinuxMemoryPolicy{Nodes: "0-7"}, "invalid memory policy mode"},
		{"nodes for default", specs.LinuxMemoryPolicy{Mode: "MPOL_DEFAULT", Nodes: "0-7"}, "mode requires 0 nodes but got 8"},
		{"node number too large", specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0-9876543210"}, "invalid memory policy node"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = numaPolicy
				p := tc.policy
				s.Linux.MemoryPolicy = &p
			})
			res := r.run("run", "--bundle", c.bundle, c.id)
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("want a refusal with %q: %s", tc.want, res)
			}
		})
	}
}

// TestParityPersonality: linux.personality LINUX32 makes uname report i686, for init and exec.
func TestParityPersonality(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("needs x86_64 (LINUX32 is i686 there)")
	}
	for _, tc := range []struct{ domain, want string }{{"LINUX32", "i686"}, {"LINUX", "x86_64"}} {
		t.Run(tc.domain, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", "uname -m; sleep 60"}
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.LinuxPersonalityDomain(tc.domain)}
			})
			r.must("run", "-d", "--bundle", c.bundle, c.id)
			if got := strings.TrimSpace(r.must("exec", c.id, "uname", "-m").stdout); got != tc.want {
				t.Errorf("exec: uname -m %q, want %s", got, tc.want)
			}
			c2 := r.newContainer(func(s *specs.Spec) {
				s.Process.Args = []string{"uname", "-m"}
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.LinuxPersonalityDomain(tc.domain)}
			})
			if got := strings.TrimSpace(r.must("run", "--bundle", c2.bundle, c2.id).stdout); got != tc.want {
				t.Errorf("run: uname -m %q, want %s", got, tc.want)
			}
		})
	}
}

// TestParitySchedulerVsCpuset: a deadline scheduler needs every CPU (sched_setattr(2) refuses it
// with a smaller affinity); with a cpuset the container is refused with runc's message.
func TestParitySchedulerVsCpuset(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0"}
		s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_DEADLINE", Nice: 19, Runtime: 42000, Deadline: 1000000, Period: 1000000}
	})
	res := r.run("run", "-d", "--bundle", c.bundle, c.id)
	if res.code == 0 || !strings.Contains(res.stderr, "process scheduler can't be used together with AllowedCPUs") {
		t.Errorf("want runc's refusal: %s", res)
	}
}

// timensOffsets is what /proc/self/timens_offsets shows for the offsets below.
var timeOffsets = map[string]specs.LinuxTimeOffset{
	"monotonic": {Secs: 7881, Nanosecs: 2718281},
	"boottime":  {Secs: 1337, Nanosecs: 3141519},
}

func checkTimeOffsets(t *testing.T, out string) {
	t.Helper()
	for _, re := range []string{`(?m)^monotonic\s+7881\s+2718281$`, `(?m)^boottime\s+1337\s+3141519$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("timens_offsets %q do not match %s", out, re)
		}
	}
}

// TestParityTimeNamespace: linux.timeOffsets are written before the first process, which sees
// them, as does an exec; also in a user namespace. Offsets without a time namespace are refused.
func TestParityTimeNamespace(t *testing.T) {
	if !fileExists("/proc/self/ns/time") {
		t.Skip("needs time namespaces (kernel 5.6+)")
	}
	cat := []string{"cat", "/proc/self/timens_offsets"}
	withTime := func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
		s.Linux.TimeOffsets = timeOffsets
	}
	t.Run("run", func(t *testing.T) {
		checkTimeOffsets(t, runOutput(t, compose2(args(cat...), withTime)))
	})
	t.Run("exec", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(compose2(args("sleep", "60"), withTime))
		r.must("run", "-d", "--bundle", c.bundle, c.id)
		checkTimeOffsets(t, r.must(append([]string{"exec", c.id}, cat...)...).stdout)
	})
	t.Run("user namespace", func(t *testing.T) {
		checkTimeOffsets(t, runOutput(t, compose2(args(cat...), withTime, func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 65536}}
		})))
	})
	t.Run("no time namespace", func(t *testing.T) {
		r := newRunner(t)
		c := r.newContainer(func(s *specs.Spec) {
			s.Process.Args = cat
			s.Linux.TimeOffsets = timeOffsets
		})
		if res := r.run("run", "--bundle", c.bundle, c.id); res.code == 0 {
			t.Errorf("time offsets without a time namespace accepted: %s", res)
		}
	})
}

// TestParityNotExecutable: a file without execute permission, or a directory, as the process
// fails create itself (runc checks before it reports the container created), with runc's words,
// which engines map to exit status 126 (podman: "permission denied"); exec fails with 255. An
// execve that fails after start (TestParityExecveFails) exits 255 as the container's process.
func TestParityNotExecutable(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/etc/passwd", `exec: "/etc/passwd": permission denied`},
		{"/etc", `exec: "/etc": is a directory`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(args(tc.path))
			// runc's text log quotes the message: compare without its escapes.
			says := func(res result) bool { return strings.Contains(strings.ReplaceAll(res.stderr, `\"`, `"`), tc.want) }
			res := r.run("create", "--bundle", c.bundle, c.id)
			if res.code == 0 || !says(res) {
				t.Errorf("create: want a failure with %q: %s", tc.want, res)
			}
			if _, res, ok := r.state(c.id); ok {
				t.Errorf("failed create left a container: %s", res)
			}
			c2 := r.newContainer(args("sleep", "60"))
			r.must("run", "-d", "--bundle", c2.bundle, c2.id)
			if res := r.run("exec", c2.id, tc.path); res.code != 255 || !says(res) {
				t.Errorf("exec: want exit 255 with %q: %s", tc.want, res)
			}
		})
	}
}

// TestParitySignalsReset: a signal the caller of run -d ignores (an engine started under nohup)
// is not ignored in the container: its process starts with default dispositions.
func TestParitySignalsReset(t *testing.T) {
	containOnly(t, "runc 1.5.3 un-ignores signals with signal.Notify in a goroutine racing its init's start (newSignalHandler): SIGHUP stayed ignored in 1 run of 6")
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	signal.Ignore(unix.SIGHUP)
	res := r.run("run", "-d", "--bundle", c.bundle, c.id)
	signal.Reset(unix.SIGHUP)
	if res.code != 0 {
		t.Fatalf("run -d: %s", res)
	}
	st := r.waitStatus(c.id, specs.StateRunning)
	status := readFile(t, "/proc/"+strconv.Itoa(st.Pid)+"/status")
	m := regexp.MustCompile(`(?m)^SigIgn:\s*([0-9a-f]+)`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no SigIgn in %q", status)
	}
	// Only SIGHUP's bit: whatever else this test's own caller ignores is not this test's.
	if ign, err := strconv.ParseUint(m[1], 16, 64); err != nil || ign&(1<<(unix.SIGHUP-1)) != 0 {
		t.Errorf("the container's process ignores SIGHUP: SigIgn %s", m[1])
	}
}

// TestParitySchedulerApplied: process.scheduler is the policy the process runs with, for init
// and for an exec (which takes the container's).
func TestParitySchedulerApplied(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "60"}
		s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_BATCH", Nice: 19}
	})
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	st := r.waitStatus(c.id, specs.StateRunning)
	policy := func(out string) string {
		m := regexp.MustCompile(`(?m)^policy\s*:\s*(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no policy in %q", out)
		}
		return m[1]
	}
	if got := policy(readFile(t, "/proc/"+strconv.Itoa(st.Pid)+"/sched")); got != "3" {
		t.Errorf("init's policy %s, want SCHED_BATCH (3)", got)
	}
	if got := policy(r.must("exec", c.id, "cat", "/proc/self/sched").stdout); got != "3" {
		t.Errorf("exec's policy %s, want SCHED_BATCH (3)", got)
	}
}
