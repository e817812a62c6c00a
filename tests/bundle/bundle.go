// Package bundle makes OCI bundles for end-to-end tests of any package: a busybox root filesystem
// built once per test binary, and a fresh bundle directory per test whose config.json is a sane
// default spec the caller adjusts.
//
// The rootfs is built in Go with the same layout as tests/rootfs/build.sh (which make uses), from
// Debian's busybox-static only, so tests need no network.
package bundle

import (
	"bytes"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// tempPrefix names the shared rootfs dirs under os.TempDir(); the pid that follows lets a later
// test binary remove the dirs of binaries that died before calling Cleanup.
const tempPrefix = "contain-test-rootfs-"

// shared is the rootfs of this test binary. A package-level sync.Once is the point here: every
// test of the binary reuses one read-only tree instead of copying busybox per test.
var shared struct {
	once sync.Once
	dir  string
	err  error
}

// Rootfs returns the path of this test binary's busybox rootfs, building it on first use into a
// temp dir under os.TempDir(). The tree is shared by all tests of the binary: treat it as
// read-only (New sets root.readonly) and use CopyRootfs for a writable one. Call Cleanup from
// TestMain to remove it when the tests are done.
func Rootfs(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		removeStale()
		dir, err := os.MkdirTemp("", tempPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			shared.err = fmt.Errorf("make rootfs dir: %w", err)
			return
		}
		if err := Build(dir); err != nil {
			os.RemoveAll(dir)
			shared.err = err
			return
		}
		shared.dir = dir
	})
	if shared.err != nil {
		t.Fatalf("build busybox rootfs: %v", shared.err)
	}
	return shared.dir
}

// Cleanup removes the rootfs that Rootfs built, if any. Call it from TestMain after m.Run.
func Cleanup() {
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// removeStale removes rootfs dirs left by test binaries that are gone (killed by a timeout
// before their TestMain could call Cleanup), so such runs do not pile up in /tmp.
func removeStale() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), tempPrefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + pidStr); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(m)
		}
	}
}

// Busybox returns the busybox binary rootfs builds use: $BUSYBOX or /bin/busybox.
func Busybox() string {
	if b := os.Getenv("BUSYBOX"); b != "" {
		return b
	}
	return "/bin/busybox"
}

// Build makes the busybox rootfs layout in dir (which may exist): bin/busybox with a symlink per
// applet, etc/passwd and etc/group (root, nobody), tmp (1777) and the empty mount points proc,
// sys, dev and root. It is what tests/rootfs/build.sh does.
func Build(dir string) error {
	bb := Busybox()
	if err := checkStatic(bb); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{
		{".", 0o755}, {"bin", 0o755}, {"etc", 0o755}, {"proc", 0o755}, {"sys", 0o755},
		{"dev", 0o755}, {"root", 0o700}, {"tmp", os.ModeSticky | 0o777},
	} {
		p := filepath.Join(dir, d.name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("make rootfs dir: %w", err)
		}
		// Chmod after mkdir: the umask would otherwise drop the sticky and world bits of tmp.
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("set rootfs dir mode: %w", err)
		}
	}
	if err := copyFile(bb, filepath.Join(dir, "bin", "busybox"), 0o755); err != nil {
		return fmt.Errorf("copy busybox: %w", err)
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return fmt.Errorf("list busybox applets: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		err := os.Symlink("busybox", filepath.Join(dir, "bin", applet))
		if err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("link busybox applet: %w", err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("write rootfs %s: %w", name, err)
		}
	}
	return nil
}

// checkStatic refuses a dynamically linked busybox: the rootfs holds no loader or libc, so every
// command in the container would fail with a misleading ENOENT from execve.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("open busybox (install busybox-static): %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: install busybox-static", path)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	// Write a temp name and rename: a running container may be executing the old copy (ETXTBSY).
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// CopyRootfs makes a private, writable copy of the shared rootfs at dst (created if missing).
// It is cheap: one 2 MB binary and a few hundred symlinks.
func CopyRootfs(t testing.TB, dst string) {
	t.Helper()
	src := Rootfs(t)
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, info.Mode().Perm()|info.Mode()&os.ModeSticky)
		case d.Type()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return copyFile(path, target, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatalf("copy rootfs to %s: %v", dst, err)
	}
}

// New makes a fresh bundle directory in t.TempDir() holding config.json = Default(Rootfs(t))
// adjusted by mutate (which may be nil), and returns the directory. The default process runs
// `true`; set Process.Args in mutate.
func New(t testing.TB, mutate func(*specs.Spec)) string {
	t.Helper()
	s := Default(Rootfs(t))
	if mutate != nil {
		mutate(s)
	}
	dir := t.TempDir()
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Write stores s as dir/config.json.
func Write(dir string, s *specs.Spec) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return fmt.Errorf("encode config.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return fmt.Errorf("write config.json: %w", err)
	}
	return nil
}

// Load reads dir/config.json.
func Load(dir string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("read config.json: %w", err)
	}
	var s specs.Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode config.json: %w", err)
	}
	return &s, nil
}

// UniqueName returns prefix followed by 8 random hex digits, for container ids and cgroup names
// that must not collide with other tests running on the same machine.
func UniqueName(prefix string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return prefix + hex.EncodeToString(b[:])
}

// Default returns the default test spec for a rootfs at the absolute path rootfs: process `true`
// as root with no terminal, a read-only root, the pid, ipc, uts, mount and network namespaces,
// runc's default mounts, masked and read-only paths, capabilities and RLIMIT_NOFILE, and a unique
// relative cgroupsPath ("contain-test-<hex>") so the runtime nests the container's cgroups under
// the caller's own cgroup rather than at the top of each hierarchy.
func Default(rootfs string) *specs.Spec {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal: false,
			User:     specs.User{UID: 0, GID: 0},
			Args:     []string{"true"},
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"HOME=/root",
			},
			Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps,
				Effective: caps,
				Permitted: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: rootfs, Readonly: true},
		Hostname: "contain-test",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: UniqueName("contain-test-"),
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
				"/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}
