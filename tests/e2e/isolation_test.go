//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
)

// runOutput runs a container in the foreground and returns its stdout, failing unless it exits 0.
func runOutput(t *testing.T, mutate func(*specs.Spec)) string {
	t.Helper()
	r := newRunner(t)
	c := r.newContainer(mutate)
	return r.must("run", "--bundle", c.bundle, c.id).stdout
}

func TestHostname(t *testing.T) {
	want := bundle.UniqueName("e2e-host-")
	got := runOutput(t, func(s *specs.Spec) {
		s.Hostname = want
		s.Process.Args = []string{"hostname"}
	})
	if strings.TrimSpace(got) != want {
		t.Fatalf("hostname inside %q, want %q", strings.TrimSpace(got), want)
	}
	if h, _ := os.Hostname(); h == want {
		t.Fatalf("the host's own hostname became %q", h)
	}
}

func TestPIDOne(t *testing.T) {
	got := runOutput(t, args("sh", "-c", "echo $$"))
	if strings.TrimSpace(got) != "1" {
		t.Fatalf("shell pid inside %q, want 1", strings.TrimSpace(got))
	}
}

// TestProcShowsOnlyContainer: with its own pid namespace and /proc mount, the container's /proc
// lists its own processes only (here just pid 1, the ls itself).
func TestProcShowsOnlyContainer(t *testing.T) {
	got := runOutput(t, args("ls", "/proc"))
	var pids []string
	for _, f := range strings.Fields(got) {
		if regexp.MustCompile(`^[0-9]+$`).MatchString(f) {
			pids = append(pids, f)
		}
	}
	if len(pids) != 1 || pids[0] != "1" {
		t.Fatalf("/proc inside lists pids %v, want only [1]", pids)
	}
}

// TestMaskedPaths: masked files read empty (bind-mounted /dev/null), masked dirs are empty
// (read-only tmpfs), and read-only paths refuse writes. /proc/kcore would otherwise expose
// physical memory, /proc/keys the host's keyrings, and /proc/sys lets a container retune the
// host kernel. Files this kernel lacks are left out.
func TestMaskedPaths(t *testing.T) {
	script := `
if echo 1 > /proc/sys/kernel/panic 2>/dev/null; then echo procsys=writable; else echo procsys=refused; fi
printf 'firmware=%s\n' "$(ls -A /sys/firmware | wc -l)"
`
	want := []string{"procsys=refused", "firmware=0"}
	for _, f := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		script += fmt.Sprintf("printf '%s=%%s\\n' \"$(wc -c < %s)\"\n", f, f)
		want = append(want, f+"=0")
	}
	got := runOutput(t, args("sh", "-c", script))
	for _, w := range want {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(w) + `$`).MatchString(got) {
			t.Errorf("want %q in the container's output:\n%s", w, got)
		}
	}
}

// TestReadonlyRoot: root.readonly makes / refuse writes, and nothing reaches the host rootfs.
func TestReadonlyRoot(t *testing.T) {
	r := newRunner(t)
	name := bundle.UniqueName("e2e-written-")
	c := r.newContainer(args("touch", "/"+name))
	res := r.run("run", "--bundle", c.bundle, c.id)
	if res.code == 0 {
		t.Fatalf("touch on a read-only root succeeded: %s", res)
	}
	if _, err := os.Stat(filepath.Join(c.spec.Root.Path, name)); err == nil {
		os.Remove(filepath.Join(c.spec.Root.Path, name))
		t.Fatalf("the write reached the host rootfs")
	}
}

// TestNoLeakedFds: the runtime closes its own descriptors before execve, so the process sees
// only 0, 1, 2 and the one ls opens on /proc/self/fd (a leaked fd is how CVE-2024-21626 let a
// container reach the host filesystem).
func TestNoLeakedFds(t *testing.T) {
	got := runOutput(t, args("ls", "-l", "/proc/self/fd"))
	fdLine := regexp.MustCompile(`\s([0-9]+) -> (.*)$`)
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		m := fdLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch fd, target := m[1], m[2]; {
		case fd == "0" || fd == "1" || fd == "2":
		case regexp.MustCompile(`^/proc/[0-9]+/fd$`).MatchString(target):
			// ls's own directory fd
		default:
			t.Errorf("leaked fd %s -> %s", fd, target)
		}
	}
	if !strings.Contains(got, " 2 -> ") {
		t.Fatalf("ls output lists no fd 2; is this ls -l output?\n%s", got)
	}
}

// TestCgroupNamespace: with a cgroup namespace of its own the container sees its cgroup as the
// root, "/", in every hierarchy (runc makes the namespace after joining the cgroups, so do we),
// and the cgroupfs it mounts is its own cgroup's.
func TestCgroupNamespace(t *testing.T) {
	out := runOutput(t, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		s.Process.Args = []string{"cat", "/proc/self/cgroup"}
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("no /proc/self/cgroup lines: %q", out)
	}
	for _, line := range lines {
		if !strings.HasSuffix(line, ":/") {
			t.Errorf("cgroup %q is not the namespace's root /", line)
		}
	}
}

// TestOwnSession: the container's process, and an exec'd one, lead a session and process group
// of their own, as with runc: clients kill the container's process group (conmon's --timeout
// does), which must not take the runtime's caller with it.
func TestOwnSession(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "1000"))
	r.must("run", "--detach", "--bundle", c.bundle, c.id)
	res := r.must("exec", c.id, "sh", "-c", "echo $$; cut -d' ' -f5,6 /proc/$$/stat")
	lines := strings.Fields(res.stdout)
	if len(lines) != 3 || lines[1] != lines[0] || lines[2] != lines[0] {
		t.Errorf("exec'd shell: pid, pgid, sid %q; want all three equal", lines)
	}
	st, _, ok := r.state(c.id)
	if !ok {
		t.Fatal("no state")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", st.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command's closing parenthesis: state ppid pgrp session.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if pid := strconv.Itoa(st.Pid); f[2] != pid || f[3] != pid {
		t.Errorf("container init %s: pgrp %s, session %s; want its own", pid, f[2], f[3])
	}
}

// TestHostnameJoinedUTS: a container that joins another's UTS namespace by path and names a
// hostname gets it set, as runc does (the old binary skipped it silently when the namespace was
// joined rather than new).
func TestHostnameJoinedUTS(t *testing.T) {
	r := newRunner(t)
	a := r.newContainer(args("sleep", "600"))
	r.must("create", "--bundle", a.bundle, a.id)
	pid := statePid(t, r, a.id)
	want := bundle.UniqueName("joined-")
	b := r.newContainer(func(s *specs.Spec) {
		s.Process.Args = []string{"hostname"}
		s.Hostname = want
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.UTSNamespace {
				s.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/uts", pid)
			}
		}
	})
	got := strings.TrimSpace(r.must("run", "--bundle", b.bundle, b.id).stdout)
	if got != want {
		t.Errorf("hostname in a joined UTS namespace: %q, want %q", got, want)
	}
	r.must("delete", "--force", a.id)
}
