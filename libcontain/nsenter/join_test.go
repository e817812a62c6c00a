package nsenter

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

var nsNames = []string{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}

// startTarget runs `unshare <args> sh -c '<script>; exec sleep 60'` and returns the pid of the
// process that ends up in the new namespaces: unshare's child with --kill-child (which forks),
// unshare itself otherwise. Everything it started is killed, by pid, in cleanup.
func startTarget(t *testing.T, cred *syscall.Credential, script string, args ...string) int {
	t.Helper()
	cmd := exec.Command("unshare", append(args, "sh", "-c", script+"; exec sleep 60")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start target: %v", err)
	}
	target := cmd.Process.Pid
	t.Cleanup(func() {
		if target != cmd.Process.Pid {
			_ = unix.Kill(target, unix.SIGKILL)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	fork := false
	for _, a := range args {
		fork = fork || a == "--kill-child" || a == "--fork"
	}
	// Poll, bounded, until the target has exec'd sleep: its namespaces and hostname are set.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if fork && target == cmd.Process.Pid {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", target, target))
			if f := strings.Fields(string(b)); len(f) > 0 {
				target, _ = strconv.Atoi(f[0])
			}
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", target)); string(comm) == "sleep\n" {
			return target
		}
		if time.Now().After(deadline) {
			t.Fatalf("target `unshare %s` did not start: %s", strings.Join(args, " "), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nsOf reads the namespace links of a process ("self" or a pid).
func nsOf(t *testing.T, pid string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, name := range nsNames {
		l, err := os.Readlink("/proc/" + pid + "/ns/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = l
	}
	return m
}

func paths(pid int, types ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
	var ns []specs.LinuxNamespace
	for _, ty := range types {
		ns = append(ns, specs.LinuxNamespace{Type: ty, Path: fmt.Sprintf("/proc/%d/ns/%s", pid, procNameOf(ty))})
	}
	return ns
}

func procNameOf(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.NetworkNamespace:
		return "net"
	case specs.MountNamespace:
		return "mnt"
	}
	return string(t)
}

type probeResult struct {
	probeReport
	pid    int  // what Wait returned
	forked bool // pid is not cmd.Process.Pid
	nsPid  int  // the last NSpid of pid: its pid in the innermost pid namespace
}

// runProbe runs the probe through Prepare and checks what every successful run must satisfy.
func runProbe(t *testing.T, cmd *exec.Cmd, r Request) probeResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	h, err := Prepare(cmd, r)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := cmd.Start(); err != nil {
		h.Close()
		t.Fatal(err)
	}
	pid, err := h.Wait()
	if err != nil {
		_ = cmd.Wait()
		t.Fatalf("Wait: %v (stderr %q)", err, stderr.String())
	}
	res := probeResult{pid: pid, forked: pid != cmd.Process.Pid}
	res.nsPid = lastNSpid(t, pid)
	if res.forked {
		// Only a parent can wait for a process: this works because of CLONE_PARENT.
		p, err := os.FindProcess(pid)
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.Wait()
		if err != nil || !st.Success() {
			t.Fatalf("forked probe: %v %v (stderr %q)", st, err, stderr.String())
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("probe: %v (stderr %q)", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &res.probeReport); err != nil {
		t.Fatalf("probe output %q: %v", stdout.String(), err)
	}
	if res.SawVar {
		t.Errorf("%s reached the Go program", envName)
	}
	for _, l := range res.OpenFds {
		// The Go runtime keeps cgroup files open, and fds inherited from whoever ran the test
		// pass through; sockets, namespace files and pidfds can only be ours.
		if strings.HasPrefix(l, "socket:") || strings.HasSuffix(l, "[pidfd]") || isNamespaceLink(l) {
			t.Errorf("the program started with %s open: the request socket or a namespace fd leaked", l)
		}
	}
	if res.nsPid != res.Pid {
		t.Errorf("Wait returned pid %d, whose innermost pid is %d, but the probe is pid %d", pid, res.nsPid, res.Pid)
	}
	return res
}

// lastNSpid reads the pid of pid in its own pid namespace from /proc/<pid>/status. It is
// called before the process is reaped, so the entry still exists even if it has exited.
func lastNSpid(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "NSpid:"); ok {
			f := strings.Fields(rest)
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	t.Fatalf("no NSpid in /proc/%d/status", pid)
	return 0
}

func TestJoin(t *testing.T) {
	needs.Root(t)
	target := startTarget(t, nil, "hostname nsenter-test",
		"--mount", "--pid", "--uts", "--ipc", "--net", "--kill-child")
	want := nsOf(t, strconv.Itoa(target))
	for _, tc := range []struct {
		name string
		r    Request
	}{
		{"by path", Request{Namespaces: paths(target, specs.MountNamespace, specs.UTSNamespace,
			specs.IPCNamespace, specs.NetworkNamespace, specs.PIDNamespace)}},
		{"by pidfd", Request{Pid: target}},
		{"by pidfd, chosen types", Request{Pid: target, Types: []specs.LinuxNamespaceType{
			specs.MountNamespace, specs.UTSNamespace, specs.IPCNamespace, specs.NetworkNamespace, specs.PIDNamespace}}},
		{"mixed", Request{Pid: target, Namespaces: paths(target, specs.PIDNamespace, specs.UTSNamespace)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runProbe(t, probeCmd(t), tc.r)
			for _, name := range nsNames {
				if res.NS[name] != want[name] {
					t.Errorf("%s namespace %s, want the target's %s", name, res.NS[name], want[name])
				}
			}
			if res.Hostname != "nsenter-test" {
				t.Errorf("hostname %q, want the target's", res.Hostname)
			}
			if !res.forked || res.Pid < 2 {
				t.Errorf("a pid namespace join must fork into it: forked %v, pid in namespace %d", res.forked, res.Pid)
			}
		})
	}
}

// TestJoinTime: unlike pid, a time namespace join moves the caller itself, so there is no fork
// and the probe already sees the target's clocks.
func TestJoinTime(t *testing.T) {
	needs.Root(t)
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		t.Skip("kernel without time namespaces (CONFIG_TIME_NS)")
	}
	target := startTarget(t, nil, "true", "--time", "--boottime", "1000000", "--kill-child")
	res := runProbe(t, probeCmd(t), Request{Namespaces: paths(target, specs.TimeNamespace)})
	if want := nsOf(t, strconv.Itoa(target))["time"]; res.NS["time"] != want {
		t.Errorf("time namespace %s, want %s", res.NS["time"], want)
	}
	if res.forked {
		t.Error("a time namespace join forked")
	}
}

// TestJoinMountWithoutProc: after joining a mount namespace the Go runtime starts with whatever
// /proc that namespace has, here none (glibc reads /proc/self/maps for the main thread's stack,
// Go reads its cgroup files; both must cope).
func TestJoinMountWithoutProc(t *testing.T) {
	needs.Root(t)
	target := startTarget(t, nil, "umount -l /proc", "--mount", "--propagation", "private")
	res := runProbe(t, probeCmd(t), Request{Namespaces: paths(target, specs.MountNamespace)})
	if res.ProcSelf {
		t.Error("the probe sees /proc/self: it is not in the target's mount namespace")
	}
	if res.forked {
		t.Error("a mount namespace join forked")
	}
}

func TestJoinUser(t *testing.T) {
	needs.Root(t)
	target := startTarget(t, nil, "hostname userns-test", "--user", "--map-root-user", "--mount", "--uts")
	want := nsOf(t, strconv.Itoa(target))
	ours := nsOf(t, "self")
	all := []string{"user", "mnt", "uts"}
	for _, tc := range []struct {
		name     string
		r        Request
		env      []string
		joined   []string // namespaces that must be the target's; the rest must be ours
		fresh    []string // namespaces that must be neither
		hostname string
		pid1     bool
	}{
		{"user only", Request{Namespaces: paths(target, specs.UserNamespace)}, nil, []string{"user"}, nil, "", false},
		{"user, mount, uts", Request{Namespaces: paths(target, specs.MountNamespace, specs.UTSNamespace, specs.UserNamespace)},
			nil, all, nil, "userns-test", false},
		{"by pidfd", Request{Pid: target}, nil, all, nil, "userns-test", false},
		// The new namespaces belong to the joined user namespace, so its root may use them:
		// sethostname would fail with EPERM in a uts namespace owned by the host.
		{"unshare inside", Request{Namespaces: paths(target, specs.UserNamespace),
			Unshare: []specs.LinuxNamespaceType{specs.UTSNamespace, specs.PIDNamespace}},
			[]string{hostnameEnv + "=fresh"}, []string{"user"}, []string{"uts", "pid"}, "fresh", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runProbe(t, probeCmd(t, tc.env...), tc.r)
			for _, name := range nsNames {
				switch {
				case contains(tc.joined, name):
					if res.NS[name] != want[name] {
						t.Errorf("%s namespace %s, want the target's %s", name, res.NS[name], want[name])
					}
				case contains(tc.fresh, name):
					if res.NS[name] == want[name] || res.NS[name] == ours[name] {
						t.Errorf("%s namespace %s is not a new one", name, res.NS[name])
					}
				case res.NS[name] != ours[name]:
					t.Errorf("%s namespace %s, want ours %s", name, res.NS[name], ours[name])
				}
			}
			if res.Uid != 0 {
				t.Errorf("uid %d, want 0 (host root is mapped to root)", res.Uid)
			}
			if tc.hostname != "" && res.Hostname != tc.hostname {
				t.Errorf("hostname %q, want %q", res.Hostname, tc.hostname)
			}
			if res.SetHostname != "" && res.SetHostname != "ok" {
				t.Errorf("sethostname in the unshared uts namespace: %s", res.SetHostname)
			}
			if tc.pid1 && (!res.forked || res.Pid != 1) {
				t.Errorf("unsharing a pid namespace: forked %v, pid %d, want the new namespace's pid 1", res.forked, res.Pid)
			}
		})
	}
}

// TestJoinUserMapped joins a user namespace that does not map the host's root (a container's:
// its root is host uid 100000). The joiner must become root there, as a clone into a new user
// namespace does; staying host root would leave it unmapped (uid 65534), and every file it made
// would fail with EOVERFLOW.
func TestJoinUserMapped(t *testing.T) {
	needs.Root(t)
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 200000, Size: 65536}},
		Pdeathsig:   syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start target: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	res := runProbe(t, probeCmd(t), Request{Namespaces: paths(cmd.Process.Pid, specs.UserNamespace)})
	if res.Uid != 0 || res.Gid != 0 {
		t.Fatalf("uid %d gid %d in the joined user namespace, want 0 0", res.Uid, res.Gid)
	}
}

func isNamespaceLink(l string) bool {
	for _, name := range nsNames {
		if strings.HasPrefix(l, name+":[") {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestJoinUnprivileged joins, as an ordinary user, a user namespace it created and a uts
// namespace that user namespace owns. The uts join is refused (EPERM) until the user namespace
// is entered, which is what the constructor's retry pass is for; without the user namespace in
// the request, that EPERM is the answer.
func TestJoinUnprivileged(t *testing.T) {
	needs.Root(t) // to become the ordinary user and to read the target's namespaces
	const uid = 1000
	cred := &syscall.Credential{Uid: uid, Gid: uid, NoSetGroups: true}
	target := startTarget(t, cred, "hostname unpriv-test", "--user", "--map-root-user", "--uts")
	want := nsOf(t, strconv.Itoa(target))
	// The test binary sits in a directory only root may enter: give the user a copy.
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "probe")
	copyFile(t, exe)
	userProbe := func() *exec.Cmd {
		cmd := probeCmd(t)
		cmd.Path, cmd.Args[0] = exe, exe
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	}

	t.Run("with the user namespace", func(t *testing.T) {
		res := runProbe(t, userProbe(), Request{Namespaces: paths(target, specs.UTSNamespace, specs.UserNamespace)})
		for _, name := range []string{"user", "uts"} {
			if res.NS[name] != want[name] {
				t.Errorf("%s namespace %s, want the target's %s", name, res.NS[name], want[name])
			}
		}
		if res.Hostname != "unpriv-test" || res.Uid != 0 {
			t.Errorf("hostname %q uid %d, want the target's hostname as its root", res.Hostname, res.Uid)
		}
	})
	t.Run("without it", func(t *testing.T) {
		cmd := userProbe()
		h, err := Prepare(cmd, Request{Namespaces: paths(target, specs.UTSNamespace)})
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			h.Close()
			t.Fatal(err)
		}
		_, err = h.Wait()
		_ = cmd.Wait()
		var e *Error
		if !errors.As(err, &e) || e.Op != "setns uts" || !errors.Is(err, unix.EPERM) {
			t.Fatalf("Wait error = %v, want setns uts: EPERM", err)
		}
	})
}

func copyFile(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStaticBuild builds testdata/probe the way a static contain is built and checks that the
// result has no interpreter or shared libraries and that its constructor still joins.
func TestStaticBuild(t *testing.T) {
	needs.Root(t)
	if testing.Short() {
		t.Skip("builds a binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "probe")
	build := exec.Command("go", "build", "-o", bin, "-tags", "netgo osusergo",
		"-ldflags", "-linkmode external -extldflags -static", "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("static build has a %v program header", p.Type)
		}
	}
	f.Close()

	target := startTarget(t, nil, "hostname static-test", "--uts")
	cmd := exec.Command(bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	h, err := Prepare(cmd, Request{Namespaces: paths(target, specs.UTSNamespace)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.Close()
		t.Fatal(err)
	}
	if _, err := h.Wait(); err != nil {
		t.Fatalf("Wait: %v (stderr %q)", err, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	want := "static-test " + nsOf(t, strconv.Itoa(target))["uts"] + "\n"
	if stdout.String() != want {
		t.Errorf("static probe printed %q, want %q", stdout.String(), want)
	}
}
