//go:build linux

package interactive

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contain-runtime/contain/tests/bundle"
)

// host is what a test knows of the runtime's side: its --root and --work-dir (temp dirs of the
// test, never /run/contain or /var/lib/contain) and the rootfs.
type host struct {
	t                  *testing.T
	root, work, rootfs string
}

func newHost(t *testing.T) *host {
	t.Helper()
	if binary == "" {
		t.Fatal("no runtime binary: TestMain did not build one and CONTAIN_BINARY is unset")
	}
	tmp := t.TempDir()
	return &host{t: t, root: filepath.Join(tmp, "state"), work: filepath.Join(tmp, "work"), rootfs: bundle.Rootfs(t)}
}

// command is the shell command line running the runtime with the test's global flags and args.
func (h *host) command(args ...string) string {
	words := []string{binary, "--root", h.root, "--work-dir", h.work}
	var b strings.Builder
	for i, a := range append(words, args...) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

// contain runs the runtime directly (not in the terminal) and returns its output.
func (h *host) contain(args ...string) (string, error) {
	cmd := exec.Command(binary, append([]string{"--root", h.root, "--work-dir", h.work}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// name returns a fresh container name and registers its cleanup: delete --force (which also
// ends a `contain run` still waiting in the terminal), then no cgroup of it may be left.
func (h *host) name() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		h.t.Fatal(err)
	}
	n := "tty-" + hex.EncodeToString(b[:])
	h.t.Cleanup(func() {
		if out, err := h.contain("delete", "--force", n); err != nil {
			h.t.Errorf("cleanup: delete --force %s: %v\n%s", n, err, out)
		}
		for _, d := range h.cgroupDirs(n) {
			if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
				continue
			}
			h.t.Errorf("cgroup %s left behind", d)
			if err := rmdirPatiently(d); err != nil {
				h.t.Errorf("remove leftover cgroup %s: %v", d, err)
			}
		}
	})
	return n
}

// gone fails the test if container n left state or cgroups behind after its run ended.
func (h *host) gone(n string) {
	h.t.Helper()
	if _, err := os.Stat(filepath.Join(h.root, n)); !errors.Is(err, os.ErrNotExist) {
		h.t.Errorf("state dir of %s left after the run (%v)", n, err)
	}
	for _, d := range h.cgroupDirs(n) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			h.t.Errorf("cgroup %s left after the run (%v)", d, err)
		}
	}
}

// wantMemoryLimit checks, from the host, the memory limit of running container n's cgroup.
func (h *host) wantMemoryLimit(n string, want int64) {
	h.t.Helper()
	for _, d := range h.cgroupDirs(n) {
		for _, f := range []string{"memory.limit_in_bytes", "memory.max"} {
			b, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				continue
			}
			if got := strings.TrimSpace(string(b)); got != strconv.FormatInt(want, 10) {
				h.t.Errorf("%s = %s, want %d", filepath.Join(d, f), got, want)
			}
			return
		}
	}
	h.t.Errorf("no memory cgroup of %s found in %v", n, h.cgroupDirs(n))
}

// cgroupDirs returns, for every hierarchy this test process is in, the dir quick mode gives
// container n: our own cgroup joined with contain/<n> (relative cgroupsPath, runc's rule).
func (h *host) cgroupDirs(n string) []string {
	h.t.Helper()
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var mnt string
		if parts[1] == "" {
			for _, m := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
				if _, err := os.Stat(filepath.Join(m, "cgroup.controllers")); err == nil {
					mnt = m
					break
				}
			}
		} else {
			for _, c := range append([]string{parts[1]}, strings.Split(parts[1], ",")...) {
				m := filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(c, "name="))
				if _, err := os.Stat(filepath.Join(m, "cgroup.procs")); err == nil {
					mnt = m
					break
				}
			}
		}
		if mnt != "" {
			dirs = append(dirs, filepath.Join(mnt, parts[2], "contain", n))
		}
	}
	return dirs
}

// rmdirPatiently kills what is left in a cgroup of ours (by pid) and removes it, retrying while
// the kernel still counts the dying tasks.
func rmdirPatiently(d string) error {
	if procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
		for _, p := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(p); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Rmdir(d)
		if err == nil || errors.Is(err, syscall.ENOENT) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
