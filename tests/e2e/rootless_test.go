//go:build linux

package e2e

// Rootless containers (issue 18): an unprivileged user runs containers. The test makes a user of
// its own with useradd and removes it with userdel at the end, whatever happened; everything the
// user touches lives in a temp dir the test removes too.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/bundle"
	"github.com/contain-runtime/contain/tests/needs"
)

// rootlessUser is a throwaway unprivileged user with a copy of the runtime and a rootfs it can
// read, and an XDG_RUNTIME_DIR of its own.
type rootlessUser struct {
	t             *testing.T
	name          string
	uid, gid      int
	base          string // 0755, root's: bin/, rootfs/, home/, run/
	home, runDir  string
	bin, rootfs   string
	runtimeIsRunc bool
}

func newRootlessUser(t *testing.T) *rootlessUser {
	t.Helper()
	needs.Root(t)
	for _, tool := range []string{"useradd", "userdel", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (passwd and util-linux) to make a user for the test", tool)
		}
	}
	base, err := os.MkdirTemp("", "contain-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	u := &rootlessUser{t: t, base: base, home: filepath.Join(base, "home"), runDir: filepath.Join(base, "run"),
		bin: filepath.Join(base, "bin", filepath.Base(binary)), rootfs: filepath.Join(base, "rootfs"),
		name: fmt.Sprintf("ctrtest%d", time.Now().UnixNano()%100000000), runtimeIsRunc: filepath.Base(binary) == "runc"}
	if out, err := exec.Command("useradd", "-m", "-d", u.home, "-s", "/bin/sh", u.name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	// Registered after the temp dir's: runs before it, so the home goes with the user.
	t.Cleanup(u.remove)
	pw, err := user.Lookup(u.name)
	if err != nil {
		t.Fatal(err)
	}
	u.uid, _ = strconv.Atoi(pw.Uid)
	u.gid, _ = strconv.Atoi(pw.Gid)
	if err := os.MkdirAll(filepath.Dir(u.bin), 0o755); err != nil {
		t.Fatal(err)
	}
	copyExecutable(t, binary, u.bin)
	bundle.CopyRootfs(t, u.rootfs)
	if err := os.Mkdir(u.runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(u.runDir, u.uid, u.gid); err != nil {
		t.Fatal(err)
	}
	return u
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// remove kills what the user still runs (by pid, each one the test's own) and waits for it to
// go, then deletes the user (userdel refuses while the user has processes).
func (u *rootlessUser) remove() {
	for _, pid := range u.pids() {
		u.t.Errorf("process %d of %s still running after the test", pid, u.name)
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	deadline := time.Now().Add(statusTimeout)
	for len(u.pids()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if out, err := exec.Command("userdel", "-r", u.name).CombinedOutput(); err != nil {
		u.t.Errorf("userdel %s: %v\n%s", u.name, err, out)
	}
	if _, err := user.Lookup(u.name); err == nil {
		u.t.Errorf("user %s still exists", u.name)
	}
}

// pids lists the processes running with the user's uid.
func (u *rootlessUser) pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name(), &st) == nil && int(st.Uid) == u.uid {
			out = append(out, pid)
		}
	}
	return out
}

// run runs the runtime as the user with a clean environment plus env, in the user's home.
func (u *rootlessUser) run(env []string, args ...string) result {
	u.t.Helper()
	full := append([]string{"-u", u.name, "--", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + u.home, "USER=" + u.name}, env...)
	full = append(append(full, u.bin), args...)
	res := result{args: append([]string{"runuser"}, full...), code: -1}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", full...)
	cmd.Dir = u.home
	// Files, not pipes: a detached container inherits them and would hold a pipe open.
	outF, errF := tempFile(u.t), tempFile(u.t)
	cmd.Stdout, cmd.Stderr = outF, errF
	runCommand(u.t, ctx, cmd, &res)
	res.stdout, res.stderr = readFile(u.t, outF.Name()), readFile(u.t, errF.Name())
	u.t.Logf("%s", res)
	return res
}

// checkClean fails the test for anything a finished container of the user left: processes,
// mounts below the test's dir, entries in the state root or the sandbox dir.
func (u *rootlessUser) checkClean(stateRoot, sandboxes string) {
	u.t.Helper()
	deadline := time.Now().Add(statusTimeout)
	for len(u.pids()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if p := u.pids(); len(p) > 0 {
		u.t.Errorf("processes of %s left: %v", u.name, p)
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mi), u.base) {
		u.t.Errorf("mounts below %s left:\n%s", u.base, mi)
	}
	for _, dir := range []string{stateRoot, sandboxes} {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			u.t.Errorf("read %s: %v", dir, err)
		}
		for _, e := range entries {
			u.t.Errorf("%s still holds %s", dir, e.Name())
		}
	}
}

// TestRootlessQuickMode: `contain run --rootfs DIR -- echo hi` as an unprivileged user prints hi,
// with state under $XDG_RUNTIME_DIR/contain and sandboxes under ~/.local/share/contain, and
// leaves nothing behind; without XDG_RUNTIME_DIR too. Asked-for limits that cannot be applied
// (no delegated cgroup here) are skipped with a warning, not an error.
func TestRootlessQuickMode(t *testing.T) {
	u := newRootlessUser(t)
	if u.runtimeIsRunc {
		t.Skip("quick mode (run --rootfs) is contain's")
	}
	sandboxes := filepath.Join(u.home, ".local/share/contain/containers")
	t.Run("echo", func(t *testing.T) {
		res := u.run([]string{"XDG_RUNTIME_DIR=" + u.runDir}, "run", "--rootfs", u.rootfs, "-q", "--", "echo", "hi")
		if res.code != 0 || res.stdout != "hi\n" {
			t.Fatalf("want hi: %s", res)
		}
		if _, err := os.Stat(filepath.Join(u.runDir, "contain")); err != nil {
			t.Errorf("no state root in $XDG_RUNTIME_DIR/contain: %v", err)
		}
		u.checkClean(filepath.Join(u.runDir, "contain"), sandboxes)
	})
	t.Run("writes go to the sandbox", func(t *testing.T) {
		res := u.run([]string{"XDG_RUNTIME_DIR=" + u.runDir}, "run", "--rootfs", u.rootfs, "-q", "--name", "w1", "--",
			"sh", "-c", "echo data >/root-file && cat /root-file && id -u")
		if res.code != 0 || res.stdout != "data\n0\n" {
			t.Fatalf("want data and uid 0 inside: %s", res)
		}
		if _, err := os.Stat(filepath.Join(u.rootfs, "root-file")); err == nil {
			t.Errorf("the write reached the shared rootfs")
		}
		// The sandbox with the written file stays, as for root; the user removes it.
		if _, err := os.Stat(filepath.Join(sandboxes, "w1")); err != nil {
			t.Errorf("no sandbox for w1 under ~/.local/share/contain: %v", err)
		}
		if err := os.RemoveAll(filepath.Join(sandboxes, "w1")); err != nil {
			t.Fatal(err)
		}
		u.checkClean(filepath.Join(u.runDir, "contain"), sandboxes)
	})
	t.Run("subordinate ids", func(t *testing.T) {
		// useradd gives the user /etc/subuid and /etc/subgid ranges where those files exist;
		// with newuidmap and newgidmap (Debian's uidmap) they are mapped from 1 up.
		ranges := subIDRanges(t, u)
		if _, err := exec.LookPath("newuidmap"); err != nil || ranges == 0 {
			t.Skip("needs newuidmap/newgidmap (uidmap) and /etc/subuid ranges for the user")
		}
		res := u.run([]string{"XDG_RUNTIME_DIR=" + u.runDir}, "run", "--rootfs", u.rootfs, "-q", "--",
			"sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map")
		want := fmt.Sprintf("0 %d 1\n1 %d %d", u.uid, firstSubID(t, "/etc/subuid", u), ranges)
		if res.code != 0 || !strings.Contains(squeeze(res.stdout), want) {
			t.Fatalf("want maps with %q: %s", want, res)
		}
		u.checkClean(filepath.Join(u.runDir, "contain"), sandboxes)
	})
	t.Run("without subordinate ids", func(t *testing.T) {
		if out, err := exec.Command("sed", "-i", "/^"+u.name+":/d", "/etc/subuid", "/etc/subgid").CombinedOutput(); err != nil {
			t.Skipf("cannot drop the user's ranges: %v %s", err, out)
		}
		res := u.run([]string{"XDG_RUNTIME_DIR=" + u.runDir}, "run", "--rootfs", u.rootfs, "-q", "--", "cat", "/proc/self/uid_map")
		if res.code != 0 || squeeze(res.stdout) != fmt.Sprintf("0 %d 1", u.uid) {
			t.Fatalf("want the user's own id alone: %s", res)
		}
		u.checkClean(filepath.Join(u.runDir, "contain"), sandboxes)
	})
	t.Run("no XDG_RUNTIME_DIR", func(t *testing.T) {
		res := u.run(nil, "run", "--rootfs", u.rootfs, "-q", "--", "echo", "hi")
		if res.code != 0 || res.stdout != "hi\n" {
			t.Fatalf("want hi: %s", res)
		}
		u.checkClean(filepath.Join(os.TempDir(), "contain-"+strconv.Itoa(u.uid)), sandboxes)
		os.RemoveAll(filepath.Join(os.TempDir(), "contain-"+strconv.Itoa(u.uid)))
	})
	t.Run("limits without delegation", func(t *testing.T) {
		if cgroupsDelegatedTo(u) {
			t.Skip("this host delegates cgroups to the user; the systemd VM tests that case")
		}
		res := u.run([]string{"XDG_RUNTIME_DIR=" + u.runDir}, "run", "--rootfs", u.rootfs, "--memory", "64M", "--", "echo", "hi")
		if res.code != 0 || !strings.Contains(res.stdout, "hi") {
			t.Fatalf("want hi despite the limit: %s", res)
		}
		if !strings.Contains(res.stderr, "cgroup") || !strings.Contains(res.stderr, "memory") {
			t.Errorf("want a warning naming the skipped limit: %q", res.stderr)
		}
		u.checkClean(filepath.Join(u.runDir, "contain"), sandboxes)
	})
}

// squeeze joins the fields of s with single spaces, lines with newlines, trimmed.
func squeeze(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

// subIDRanges is the size of the user's first /etc/subuid range when it has one in both files.
func subIDRanges(t *testing.T, u *rootlessUser) int {
	t.Helper()
	n := 0
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		b, _ := os.ReadFile(f)
		found := false
		for _, l := range strings.Split(string(b), "\n") {
			if p := strings.Split(l, ":"); len(p) == 3 && p[0] == u.name {
				n, _ = strconv.Atoi(p[2])
				found = true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return n
}

func firstSubID(t *testing.T, file string, u *rootlessUser) int {
	t.Helper()
	b, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(b), "\n") {
		if p := strings.Split(l, ":"); len(p) == 3 && p[0] == u.name {
			n, _ := strconv.Atoi(p[1])
			return n
		}
	}
	return -1
}

// cgroupsDelegatedTo reports whether the user has a systemd instance (and so, on v2, cgroups).
func cgroupsDelegatedTo(u *rootlessUser) bool {
	_, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", u.uid))
	return err == nil
}

// TestRootlessSpecBundle: as the user, `spec --rootless` writes a config that runs unchanged
// but for its command and rootfs; the same for contain and runc.
func TestRootlessSpecBundle(t *testing.T) {
	u := newRootlessUser(t)
	dir := filepath.Join(u.home, "bundle")
	if res := u.run(nil, "spec", "--rootless", "--bundle", dir); res.code != 0 {
		// The bundle dir does not exist yet: runc's spec needs it, make it as the user.
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, u.uid, u.gid); err != nil {
			t.Fatal(err)
		}
		if res := u.run(nil, "spec", "--rootless", "--bundle", dir); res.code != 0 {
			t.Fatalf("spec --rootless: %s", res)
		}
	}
	cfg := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Linux.UIDMappings) != 1 || s.Linux.UIDMappings[0].HostID != uint32(u.uid) {
		t.Errorf("uid mappings %+v, want the user's uid %d as root", s.Linux.UIDMappings, u.uid)
	}
	s.Process.Args = []string{"echo", "hi"}
	s.Process.Terminal = false
	s.Root.Path = u.rootfs
	if b, err = json.Marshal(&s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(u.runDir, "state")
	env := []string{"XDG_RUNTIME_DIR=" + u.runDir}
	res := u.run(env, "--root", state, "run", "--bundle", dir, "rl1")
	if res.code != 0 || res.stdout != "hi\n" {
		t.Fatalf("want hi: %s", res)
	}
	u.checkClean(state, filepath.Join(u.home, ".local/share/contain/containers"))

	// The whole lifecycle, with an exec joining the container's user namespace.
	s.Process.Args = []string{"sleep", "600"}
	if b, err = json.Marshal(&s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"create", "--bundle", dir, "rl2"}, {"start", "rl2"}} {
		if res := u.run(env, append([]string{"--root", state}, args...)...); res.code != 0 {
			t.Fatalf("%s", res)
		}
	}
	res = u.run(env, "--root", state, "exec", "rl2", "id", "-u")
	if res.code != 0 || res.stdout != "0\n" {
		t.Errorf("exec as root of the container's user namespace: %s", res)
	}
	if res := u.run(env, "--root", state, "delete", "--force", "rl2"); res.code != 0 {
		t.Fatalf("%s", res)
	}
	u.checkClean(state, filepath.Join(u.home, ".local/share/contain/containers"))
}
