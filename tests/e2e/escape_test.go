//go:build linux

package e2e

// One named test per escape class (issue 16): each sets up what an attacker inside the container
// would try and asserts that the kernel refuses it. The note on each says which defence it
// exercises; removing that defence makes the test fail.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// withCaps gives the container's process exactly these capabilities (all sets but ambient).
func withCaps(caps ...string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
}

// TestEscapeDeviceAllowList: with CAP_MKNOD (containerd, podman and Docker grant it by default)
// and the engines' "deny all" device rule, the container can make any device node, but the
// device cgroup lets it open only runc's default list. The host console (c 5:1) was on contain's
// list and not on runc's: a node made for it opened the host's /dev/console. tun (c 10:200) is on
// runc's list. Each open runs in a subshell, which is not a session leader, so a tty that opens
// never becomes anyone's controlling terminal. Runs on v1 here and on v2 in the VM (make test-v2),
// where the same list becomes the eBPF device filter.
// Defence: devicerules.Defaults; adding c 5:1 back makes "console" open.
func TestEscapeDeviceAllowList(t *testing.T) {
	script := `try() { mknod /dev/probe-$1 c $2 $3 || { echo "$1: mknod failed"; return; }
	if err=$( (exec 3</dev/probe-$1) 2>&1 ); then echo "$1: open"; else echo "$1: $err"; fi; }
	try console 5 1; try tun 10 200; try null 1 3; try kmsg 1 11; try mem 1 1`
	out := runOutput(t, compose(args("sh", "-c", script), withCaps("CAP_MKNOD")))
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			lines[k] = v
		}
	}
	for _, tc := range []struct {
		dev     string
		allowed bool
	}{{"console", false}, {"kmsg", false}, {"mem", false}, {"null", true}, {"tun", true}} {
		got, ok := lines[tc.dev]
		switch {
		case !ok || got == "mknod failed":
			t.Errorf("%s: no verdict (%q) in output %q", tc.dev, got, out)
		case tc.allowed && strings.Contains(got, "not permitted"):
			t.Errorf("%s: open refused by the device cgroup (%q); runc's default list allows it", tc.dev, got)
		case !tc.allowed && !strings.Contains(got, "not permitted"):
			t.Errorf("%s: %q, want the open refused with EPERM by the device cgroup", tc.dev, got)
		}
	}
}

// TestEscapeRuntimeBinary (CVE-2019-5736): while `exec` runs, the runtime's own process is
// visible inside the container; a container process that opens its /proc/<pid>/exe and writes
// through the open file once the runtime has moved on would overwrite the host's runtime binary.
// The attacker here loops over every pid, holds each exe open and tries to append to it, while
// the test runs 40 execs. The runtime under test is a private copy, so a successful attack
// damages only the copy; its hash must not change and no write may succeed.
// Defence: the runtime starts its in-container part from itself seen through a private read-only
// overlayfs mount, or from a sealed memfd copy where no overlay can be made
// (libcontain/selfexe.go); with the original binary executed instead, the attack writes.
func TestEscapeRuntimeBinary(t *testing.T) {
	needs.Root(t)
	bin := filepath.Join(t.TempDir(), filepath.Base(binary))
	copyExecutable(t, binary, bin)
	before := fileHash(t, bin)
	r := newRunner(t)
	// Each pid in a subshell: a failed "exec 3<" ends the shell that runs it.
	attack := `while :; do for p in /proc/[0-9]*; do
	  case $p in /proc/1|/proc/$$) continue;; esac
	  ( exec 3<$p/exe || exit
	    echo "opened $p" >>/dev/shm/attack.log
	    i=0; while [ $i -lt 40 ]; do
	      if echo CONTAIN-PWNED 2>/dev/null >>/proc/self/fd/3; then echo "wrote through $p" >>/dev/shm/attack.log; fi
	      i=$((i+1)); usleep 2000
	    done ) 2>/dev/null
	done; done`
	c := r.newContainer(args("sh", "-c", attack))
	run := func(a ...string) result { return r.runBinary(bin, a...) }
	if res := run("create", "--bundle", c.bundle, c.id); res.code != 0 {
		t.Fatalf("create: %s", res)
	}
	if res := run("start", c.id); res.code != 0 {
		t.Fatalf("start: %s", res)
	}
	for i := 0; i < 40; i++ {
		if res := run("exec", c.id, "true"); res.code != 0 {
			t.Logf("exec %d: %s", i, res) // a broken binary fails here: the hash check says why
		}
	}
	log := run("exec", c.id, "sh", "-c", "cat /dev/shm/attack.log 2>/dev/null; true")
	t.Logf("attack log: %d opens of another process's exe", strings.Count(log.stdout, "opened"))
	run("delete", "--force", c.id)
	if after := fileHash(t, bin); after != before {
		t.Errorf("the runtime binary changed on the host (%s -> %s)", before, after)
	}
	if strings.Contains(log.stdout, "wrote") {
		t.Errorf("the container wrote through a runtime's /proc/<pid>/exe:\n%s", log.stdout)
	}
}

// runBinary is run with another runtime binary (a copy that a test may let be attacked).
func (r *runner) runBinary(bin string, args ...string) result {
	r.t.Helper()
	saved := binary
	binary = bin
	defer func() { binary = saved }()
	return r.runQuiet(args...)
}

func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// leakedFds lists the fds above 2 that `ls -l /proc/self/fd` shows, but for ls's own directory.
func leakedFds(out string) []string {
	var leaked []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[len(f)-2] != "->" {
			continue
		}
		fd, target := f[len(f)-3], f[len(f)-1]
		if fd == "0" || fd == "1" || fd == "2" || strings.HasSuffix(target, "/fd") && strings.HasPrefix(target, "/proc/") {
			continue
		}
		leaked = append(leaked, fd+" -> "+target)
	}
	return leaked
}

// TestEscapeHostFd (CVE-2024-21626 class): no fd of the runtime reaches the container's
// process, neither init nor an exec'd one. The runtime is given an fd of a host directory it was
// not asked to pass (callers leak fds: runc 1.1 itself leaked a /sys/fs/cgroup handle), which
// would be a way out of the container's root.
// Defence: every fd from 3 up (but preserved ones) is marked close-on-exec before execve
// (libcontain/process.go, markCloexec); with that removed, the host dir's fd shows up inside.
func TestEscapeHostFd(t *testing.T) {
	host, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	leaked := []*os.File{host}
	r := newRunner(t)
	c := r.newContainer(args("sleep", "600"))
	if res := r.runWithFds(leaked, "create", "--bundle", c.bundle, c.id); res.code != 0 {
		t.Fatalf("create: %s", res)
	}
	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateRunning)
	for _, cmd := range [][]string{
		{"exec", c.id, "ls", "-l", "/proc/self/fd"},
		{"exec", c.id, "sh", "-c", "ls -l /proc/$$/fd"},
		{"exec", c.id, "ls", "-l", "/proc/1/fd"},
	} {
		res := r.runWithFds(leaked, cmd...)
		if res.code != 0 {
			t.Fatalf("want exit 0: %s", res)
		}
		if l := leakedFds(res.stdout); len(l) > 0 {
			t.Errorf("%v: the container's process holds fds it was not given: %v", cmd[2:], l)
		}
	}
	r.must("delete", "--force", c.id)
}

// hostVictimDir makes /tmp/victim-<unique>, a host directory a symlink in an image points at,
// removed with what it holds when the test ends.
func hostVictimDir(t *testing.T, mode os.FileMode) (name, path string) {
	t.Helper()
	name = "victim-" + strings.TrimPrefix(bundle.UniqueName(""), "-")
	path = filepath.Join("/tmp", name)
	if err := os.Mkdir(path, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(path) })
	return name, path
}

// TestEscapeSymlinkedMountTargets (CVE-2015-3629, CVE-2021-30465 class): the image decides what
// its paths are, symlinks included. A mount destination that is a symlink out of the root
// ("/victim" or "../../../victim"), and a /dev/null that is a symlink to a host file, must be
// resolved inside the container's root: the mount shows up there, in the container's own mount
// table, and /dev/null is the real device.
// Defence: every container path is resolved with pathrs-lite against a handle of the root and
// mounted through /proc/thread-self/fd (libcontain/rootfs/resolve.go); resolving the joined
// path on the host instead makes the mount land outside the root and the test fails.
func TestEscapeSymlinkedMountTargets(t *testing.T) {
	victim, hostVictim := hostVictimDir(t, 0o755)
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, rootfs)
	for _, l := range []struct{ link, target string }{
		{"mnt/abs", "/tmp/" + victim},
		{"mnt/up", "../../../../../../../tmp/" + victim + "-up"},
	} {
		if err := os.MkdirAll(filepath.Join(rootfs, filepath.Dir(l.link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(l.target, filepath.Join(rootfs, l.link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"tmp/" + victim, "tmp/" + victim + "-up"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := `grep -c " /tmp/` + victim + ` " /proc/self/mountinfo; grep -c " /tmp/` + victim + `-up " /proc/self/mountinfo; stat -c '%F %t:%T' /dev/null`
	out := runOutput(t, func(s *specs.Spec) {
		s.Root.Path = rootfs
		s.Process.Args = []string{"sh", "-c", script}
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/mnt/abs", Type: "tmpfs", Source: "tmpfs"},
			specs.Mount{Destination: "/mnt/up", Type: "tmpfs", Source: "tmpfs"})
	})
	if want := "1\n1\ncharacter special file 1:3\n"; out != want {
		t.Errorf("inside: %q, want %q (each mount once inside the root, /dev/null the device)", out, want)
	}
	// The same with the image's own /dev (no tmpfs on it) holding /dev/null -> a host file.
	if err := os.Remove(filepath.Join(rootfs, "dev", "null")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(hostVictim, "file")
	if err := os.WriteFile(hostFile, []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostFile, filepath.Join(rootfs, "dev", "null")); err != nil {
		t.Fatal(err)
	}
	res := func() result {
		r := newRunner(t)
		c := r.newContainer(func(s *specs.Spec) {
			s.Root.Path = rootfs
			s.Root.Readonly = false
			s.Process.Args = []string{"sh", "-c", "stat -c '%F %t:%T' /dev/null; echo overwritten >/dev/null"}
			var keep []specs.Mount
			for _, m := range s.Mounts {
				if !strings.HasPrefix(m.Destination, "/dev") {
					keep = append(keep, m)
				}
			}
			s.Mounts = keep
		})
		return r.run("run", "--bundle", c.bundle, c.id)
	}()
	if b, _ := os.ReadFile(hostFile); string(b) != "host data\n" {
		t.Errorf("the host file behind the image's /dev/null symlink was changed: %q", b)
	}
	// runc 1.5.3 leaves the image's /dev alone when it mounts no tmpfs there (the link stays a
	// link, resolved inside the container); contain makes its default devices in it.
	if filepath.Base(binary) != "runc" && res.code == 0 && res.stdout != "character special file 1:3\n" {
		t.Errorf("/dev/null inside is %q, want the device", res.stdout)
	}
}

// TestEscapeRootfsSymlinkCwdOrVolume: the image's symlinks cannot take the process's working
// directory or a sandbox volume out of the root. process.cwd names a link to a host directory
// (absolute and ../ forms); io.contain.volumes mounts a sandbox dir on a container path that is
// such a link. The cwd must be the in-root directory (its marker file, not the host's), the
// volume must be mounted inside the root, and the volume's mode is copied from the in-root
// directory (0750), not the host one (0700).
// Defences: init changes into the cwd only after pivot_root, so "/" is the container's root;
// volumes look the container path up with pathrs-lite in the rootfs. With the volume lookup
// following links on the host (os.Stat of the joined path), the mode check fails.
func TestEscapeRootfsSymlinkCwdOrVolume(t *testing.T) {
	victim, hostVictim := hostVictimDir(t, 0o700)
	if err := os.WriteFile(filepath.Join(hostVictim, "host-marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	bundle.CopyRootfs(t, rootfs)
	inRoot := filepath.Join(rootfs, "tmp", victim)
	if err := os.MkdirAll(inRoot, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(inRoot, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inRoot, "root-marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"abs": "/tmp/" + victim, "up": "../../../../../../tmp/" + victim} {
		if err := os.Symlink(target, filepath.Join(rootfs, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, cwd := range []string{"/abs", "/up"} {
		out := runOutput(t, func(s *specs.Spec) {
			s.Root.Path = rootfs
			s.Process.Cwd = cwd
			s.Process.Args = []string{"sh", "-c", "pwd -P; ls"}
		})
		if want := "/tmp/" + victim + "\nroot-marker\n"; out != want {
			t.Errorf("cwd %s: %q, want %q (the in-root directory)", cwd, out, want)
		}
	}
	containOnly(t, "sandbox volumes are contain's (io.contain.volumes)")
	w := newWDRunner(t)
	c := w.newContainer(func(s *specs.Spec) {
		s.Root.Path = rootfs
		s.Process.Args = []string{"sh", "-c", "grep -c ' /tmp/" + victim + " ' /proc/self/mountinfo; ls /abs"}
		s.Annotations = map[string]string{"io.contain.volumes": "vol:/abs"}
	})
	res := w.must("run", "--bundle", c.bundle, c.id)
	if res.stdout != "1\n" {
		t.Errorf("volume on /abs: %q, want it mounted once inside the root and empty", res.stdout)
	}
	entries, _ := os.ReadDir(filepath.Join(w.work, "containers", c.id, "runs"))
	for _, e := range entries {
		if e.Name() == "latest" {
			continue
		}
		if m := rawMode(t, filepath.Join(w.work, "containers", c.id, "runs", e.Name(), "vol")); m != 0o750 {
			t.Errorf("sandbox volume mode %o, want 0750 from the in-root directory (0700 is the host's)", m)
		}
	}
}

// TestEscapeMaskedAndReadonlyPaths: the default masked paths (runc spec's list, as engines send
// it) read empty or list nothing, the read-only ones refuse writes and a remount read-write, for
// init and for an exec'd process alike: /proc/kcore is physical memory, /proc/sysrq-trigger
// reboots the host, /proc/sys retunes its kernel.
// Defences: libcontain/rootfs/finish.go (mask: /dev/null or a read-only tmpfs bound over the
// path; readonly: a read-only bind remount). With either made a no-op, the test fails.
func TestEscapeMaskedAndReadonlyPaths(t *testing.T) {
	script := `for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
	  [ -e $f ] && printf '%s=%s\n' $f "$(head -c 64 $f | wc -c)"; done
	printf 'firmware=%s\n' "$(ls -A /sys/firmware | wc -l)"
	for f in /proc/sysrq-trigger /proc/sys/kernel/panic; do
	  if (echo 0 >$f) 2>/dev/null; then echo "$f=writable"; else echo "$f=refused"; fi; done
	if mount -o remount,rw /proc/sys 2>/dev/null; then echo remount=done; else echo remount=refused; fi`
	want := []string{"/proc/sysrq-trigger=refused", "/proc/sys/kernel/panic=refused", "remount=refused", "firmware=0"}
	for _, f := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"} {
		if _, err := os.Stat(f); err == nil {
			want = append(want, f+"=0")
		}
	}
	check := func(who, out string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, w := range want {
			if !slices.Contains(lines, w) {
				t.Errorf("%s: want %q in %q", who, w, out)
			}
		}
	}
	r := newRunner(t)
	c := r.newContainer(args("sh", "-c", script+"; exec sleep 600"))
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	r.waitStatus(c.id, specs.StateRunning)
	check("exec", r.must("exec", c.id, "sh", "-c", script).stdout)
	r.must("delete", "--force", c.id)
	check("init", runOutput(t, args("sh", "-c", script)))
}

// TestEscapeLimitsCannotBlockKillOrDelete: a container at its pids limit (a fork bomb that keeps
// every slot taken) or its memory limit (tmpfs pages that cannot be reclaimed) still obeys kill
// and delete --force, promptly, and leaves no process or cgroup. Without a pid namespace of its
// own, killing init does not take the others with it: the runtime must kill the whole cgroup.
// Defence: delete kills every process left in the cgroup before it removes it (delete.go,
// emptyCgroup; runc does the same without a pid namespace). The old binary's delete --force of a
// container whose init was killed left the bomb running and the cgroup behind (exit 1 after 20 s).
func TestEscapeLimitsCannotBlockKillOrDelete(t *testing.T) {
	noPidNS := func(s *specs.Spec) {
		var keep []specs.LinuxNamespace
		for _, ns := range s.Linux.Namespaces {
			if ns.Type != specs.PIDNamespace {
				keep = append(keep, ns)
			}
		}
		s.Linux.Namespaces = keep
	}
	for _, tc := range []struct {
		name   string
		mutate func(*specs.Spec)
	}{
		{"pids", func(s *specs.Spec) {
			noPidNS(s)
			// busybox sh exits when a fork fails: the subshells keep trying.
			s.Process.Args = []string{"sh", "-c", `bomb() { while :; do sleep 600 & done; }; for i in 1 2 3; do (bomb 2>/dev/null) & done; exec sleep 600`}
			s.Linux.Resources.Pids = &specs.LinuxPids{Limit: int64p(16)}
		}},
		{"memory", func(s *specs.Spec) {
			noPidNS(s)
			lim := int64(32 << 20)
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &lim}
			s.Process.Args = []string{"sh", "-c", `(sleep 600 &); dd if=/dev/zero of=/dev/shm/fill bs=1M count=64 2>/dev/null; exec sleep 600`}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			c := r.newContainer(tc.mutate)
			pids := livePids(t)
			r.must("create", "--bundle", c.bundle, c.id)
			r.must("start", c.id)
			time.Sleep(500 * time.Millisecond) // let it reach the limit
			start := time.Now()
			// kill reaches init; delete --force must take whatever init leaves behind (no pid
			// namespace: its children outlive it).
			// (busybox's init shell may have died already of a refused fork: not running.)
			if res := r.run("kill", c.id, "KILL"); res.code != 0 && !strings.Contains(res.stderr, "not running") {
				t.Fatalf("kill: %s", res)
			}
			r.must("delete", "--force", c.id)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("kill and delete took %v", took)
			}
			raceLeftovers(t, r, c, pids)
		})
	}
}

// TestEscapeNoPivotFreshProcfs: with --no-pivot the host's tree stays in the container's mount
// namespace, under the chroot. A container process can make a user namespace of its own (with a
// mount and pid or network namespace) and there mount procfs or sysfs, which the kernel allows
// only where a full one is visible already with no locked mount covering part of it
// (fs/namespace.c, mount_too_revealing). The container's own /proc is covered by its masked
// paths, locked in the nested namespace; the host's /proc and /sys are not, so under --no-pivot
// the fresh procfs mounted: one without the masked and read-only paths. runc 1.5.3 detaches the
// host's full procfs and sysfs mounts before the chroot (msMoveRoot), and so does contain now.
// Defence: rootfs.moveRoot's detach; the old binary mounted the fresh procfs and sysfs.
func TestEscapeNoPivotFreshProcfs(t *testing.T) {
	needs.UserNamespaces(t)
	script := `unshare -m -p -f -U -r sh -c 'mount -t proc proc /dev/shm 2>/dev/null && echo proc=mounted || echo proc=refused'
	unshare -m -n -U -r sh -c 'mount -t sysfs sysfs /dev/shm 2>/dev/null && echo sysfs=mounted || echo sysfs=refused'`
	for _, pivot := range []string{"--no-pivot", ""} {
		r := newRunner(t)
		c := r.newContainer(compose(args("sh", "-c", script), func(s *specs.Spec) {
			s.Process.User = specs.User{UID: 1000, GID: 1000}
		}))
		a := []string{"run", "--bundle", c.bundle}
		if pivot != "" {
			a = append(a, pivot)
		}
		res := r.must(append(a, c.id)...)
		if want := "proc=refused\nsysfs=refused\n"; res.stdout != want {
			t.Errorf("run %s: %q, want %q", pivot, res.stdout, want)
		}
	}
}

// TestEscapeInitNotDumpable: the runtime's part inside the container (an exec's child, which has
// joined the container's namespaces) must not be dumpable while it sets up: a dumpable process
// lets any process of the same uid and no fewer capabilities read its memory and fds, open its
// exe and ptrace it (runc's nsexec makes itself non-dumpable before it joins; the kernel makes
// the process dumpable again at execve). A container process polls every /proc/<pid>/exe during
// 40 execs and logs any that still names the runtime binary; none may.
// Defence: PR_SET_DUMPABLE 0 in the child before it joins the container. Without it, the exec
// child is readable once it has dropped to the container's capabilities and before execve.
func TestEscapeInitNotDumpable(t *testing.T) {
	r := newRunner(t)
	spy := `while :; do for p in /proc/[0-9]*/exe; do
	  case $p in /proc/1/exe|/proc/$$/exe) continue;; esac
	  l=$(readlink $p 2>/dev/null) || continue
	  case $l in *contain*|*runc*) echo "$p -> $l" >>/dev/shm/spy.log;; esac
	done; done`
	c := r.newContainer(args("sh", "-c", spy))
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	for i := 0; i < 40; i++ {
		r.runQuiet("exec", c.id, "true")
	}
	log := r.must("exec", c.id, "sh", "-c", "cat /dev/shm/spy.log 2>/dev/null; true")
	r.must("delete", "--force", c.id)
	if strings.TrimSpace(log.stdout) != "" {
		t.Errorf("a container process read the exe link of the runtime's process during exec:\n%s", log.stdout)
	}
}

// TestEscapeHostCwd (CVE-2024-21626): a working directory of /proc/self/fd/N, for init
// (process.cwd) and for exec (--cwd), names whatever directory the runtime's process held at fd N
// when it changed into it. The process must never be left in a directory outside its root: the
// old binary ran `pwd -P` in one (an fd of a procfs mount the container's root does not hold,
// which getcwd could not name). Either the command fails, or it runs with a cwd inside the root.
// Defence: init checks the working directory with getcwd after the chdir (runc's check);
// without it, process.cwd /proc/self/fd/11 runs outside the root.
func TestEscapeHostCwd(t *testing.T) {
	outside := func(out string) bool {
		return strings.Contains(out, "unreachable") || !strings.HasPrefix(out, "/")
	}
	for fd := 3; fd <= 14; fd++ {
		r := newRunner(t)
		c := r.newContainer(compose(args("sh", "-c", "pwd -P"), func(s *specs.Spec) { s.Process.Cwd = fmt.Sprintf("/proc/self/fd/%d", fd) }))
		if res := r.run("run", "--bundle", c.bundle, c.id); res.code == 0 && outside(res.stdout) {
			t.Errorf("process.cwd /proc/self/fd/%d: ran outside the container's root (pwd -P %q)", fd, res.stdout)
		}
	}
	r := newRunner(t)
	c := r.newContainer(args("sleep", "600"))
	r.must("create", "--bundle", c.bundle, c.id)
	r.must("start", c.id)
	for fd := 3; fd <= 14; fd++ {
		cwd := fmt.Sprintf("/proc/self/fd/%d", fd)
		if res := r.run("exec", "--cwd", cwd, c.id, "sh", "-c", "pwd -P"); res.code == 0 && outside(res.stdout) {
			t.Errorf("exec --cwd %s: ran outside the container's root (pwd -P %q)", cwd, res.stdout)
		}
	}
	r.must("delete", "--force", c.id)
}
