package rootfs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// The root tests run Prepare, Pivot and Finish for real, but in a child process (this test
// binary re-executed as TestHelperProcess) in new mount and pid namespaces, so the test
// process's own mount namespace is never changed. The child checks the result from inside and
// reports through its exit code and output; the parent then checks the host side and that no
// mount leaked into its namespace.

const helperEnv = "CONTAIN_ROOTFS_TEST_SCENARIO" // path of the childRequest JSON

// childRequest is what the parent hands the child.
type childRequest struct {
	Scenario    string            `json:"scenario"`
	Spec        *specs.Spec       `json:"spec"`
	Rootfs      string            `json:"rootfs"`
	NoPivot     bool              `json:"noPivot"`
	CgroupPaths map[string]string `json:"cgroupPaths"`
	UserNS      bool              `json:"userNS"`
	Host        hostPaths         `json:"host"`
}

// hostPaths are host-side paths a scenario uses, known to parent and child.
type hostPaths struct {
	Dir     string `json:"dir"`     // an existing, empty host directory a symlink points at
	Probe   string `json:"probe"`   // a host path that must never be created
	Probe2  string `json:"probe2"`  // another one, reached through ".."
	BindSrc string `json:"bindSrc"` // a host directory holding the file "hello"
	File    string `json:"file"`    // a host file holding "host file"
}

// scenario is one root test: build prepares rootfs and spec in the parent, prePivot runs in the
// child after Prepare (while the host is still visible), inside runs after Finish, after runs in
// the parent once the child is gone. wantPrepareErr makes Prepare's failure the expected outcome.
type scenario struct {
	name           string
	build          func(t *testing.T, rootfs string, s *specs.Spec, req *childRequest)
	prePivot       func(req *childRequest) error
	inside         func(req *childRequest) error
	after          func(t *testing.T, req *childRequest)
	wantPrepareErr string
	cloneflags     uintptr // beyond CLONE_NEWNS|CLONE_NEWPID
}

func scenarios() []scenario {
	return []scenario{
		{name: "proc", build: withProc, inside: checkProc},
		{name: "dev", build: buildDev, inside: checkDev},
		{name: "readonly-paths", build: buildReadonlyPaths, inside: checkReadonlyPaths},
		{name: "masked-paths", build: buildMaskedPaths, inside: checkMaskedPaths},
		{name: "readonly-root-tmpfs", build: buildReadonlyRoot, inside: checkReadonlyRoot},
		{name: "bind", build: buildBind, inside: checkBind, after: afterBind},
		{name: "symlink-escape", build: buildEscape, prePivot: checkEscapePrePivot, inside: checkEscapeInside, after: afterEscape},
		{name: "dangling-symlink-stays-in-root", build: buildDangling, prePivot: checkDanglingPrePivot, after: afterDangling},
		{name: "proc-overmount-refused", build: buildProcOvermount, wantPrepareErr: "inside /proc"},
		{name: "no-pivot", build: buildNoPivot, inside: checkNoPivot},
		{name: "sysfs-cgroup-v1", build: buildCgroupV1, inside: checkCgroupV1},
		// The binds by resolved paths and remounts (bindCgroupsV1Paths), as in a user namespace.
		{name: "sysfs-cgroup-v1-by-paths", build: buildCgroupV1ByPaths, inside: checkCgroupV1},
		{name: "cgroup-v2-bind", build: buildCgroupV2(false), inside: checkCgroupV2},
		{name: "cgroup-v2-cgroupns", build: buildCgroupV2(true), inside: checkCgroupV2, cloneflags: syscall.CLONE_NEWCGROUP},
		{name: "dev-userns-binds", build: buildDevUserNS, inside: checkDevUserNS},
		{name: "rootfs-propagation-rshared", build: buildRshared, inside: checkRshared},
		{name: "tmpcopyup", build: buildCopyUp, inside: checkCopyUp, after: afterCopyUp},
	}
}

func TestRootfsScenarios(t *testing.T) {
	needs.Root(t)
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc) })
	}
}

func runScenario(t *testing.T, sc scenario) {
	base := t.TempDir()
	base, err := filepath.EvalSymlinks(base)
	if err != nil {
		t.Fatal(err)
	}
	before := mountsUnder(t, base)
	t.Cleanup(func() {
		// Nothing the child did may be visible in our mount namespace.
		if after := mountsUnder(t, base); !slices.Equal(before, after) {
			t.Errorf("mounts under %s leaked into the test's namespace: before %q, after %q", base, before, after)
		}
	})
	rootfs := filepath.Join(base, "rootfs")
	buildBusyboxRootfs(t, rootfs)
	req := &childRequest{
		Scenario: sc.name,
		Rootfs:   rootfs,
		Host: hostPaths{
			Dir:     filepath.Join(base, "host-dir"),
			Probe:   filepath.Join(base, "host-probe", "never"),
			Probe2:  filepath.Join(base, "host-probe2"),
			BindSrc: filepath.Join(base, "bind-src"),
			File:    filepath.Join(base, "host-file"),
		},
		Spec: &specs.Spec{
			Root:  &specs.Root{Path: rootfs},
			Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}}},
		},
	}
	mustMkdir(t, req.Host.Dir)
	mustMkdir(t, req.Host.BindSrc)
	mustWrite(t, filepath.Join(req.Host.BindSrc, "hello"), "hello from the host")
	mustWrite(t, req.Host.File, "host file")
	sc.build(t, rootfs, req.Spec, req)

	reqPath := filepath.Join(base, "request.json")
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, reqPath, string(b))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+reqPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | sc.cloneflags, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	t.Logf("child output:\n%s", out)
	if err != nil {
		t.Fatalf("child failed: %v", err)
	}
	if !bytes.Contains(out, []byte("child: ok\n")) {
		t.Fatal("child did not report success")
	}
	if sc.after != nil {
		sc.after(t, req)
	}
}

// TestHelperProcess is the child of TestRootfsScenarios; run on its own it does nothing.
func TestHelperProcess(t *testing.T) {
	reqPath := os.Getenv(helperEnv)
	if reqPath == "" {
		return
	}
	os.Exit(runChild(reqPath))
}

func runChild(reqPath string) int {
	runtime.LockOSThread()
	fail := func(format string, args ...any) int {
		fmt.Printf("child: FAIL: "+format+"\n", args...)
		return 1
	}
	b, err := os.ReadFile(reqPath)
	if err != nil {
		return fail("read request: %v", err)
	}
	var req childRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return fail("decode request: %v", err)
	}
	var sc *scenario
	for _, s := range scenarios() {
		if s.name == req.Scenario {
			sc = &s
			break
		}
	}
	if sc == nil {
		return fail("unknown scenario %q", req.Scenario)
	}
	if os.Getpid() != 1 {
		return fail("child is pid %d, not 1 of a new pid namespace", os.Getpid())
	}
	unix.Umask(0o022)
	c := &Config{Spec: req.Spec, Rootfs: req.Rootfs, NoPivot: req.NoPivot, CgroupPaths: req.CgroupPaths, UserNS: req.UserNS}
	fdsBefore := openFds()
	err = Prepare(c)
	if sc.wantPrepareErr != "" {
		if err == nil || !strings.Contains(err.Error(), sc.wantPrepareErr) {
			return fail("Prepare = %v, want an error containing %q", err, sc.wantPrepareErr)
		}
		fmt.Printf("child: Prepare refused as expected: %v\n", err)
		fmt.Println("child: ok")
		return 0
	}
	if err != nil {
		return fail("Prepare: %v", err)
	}
	if old := unix.Umask(0o022); old != 0o022 {
		return fail("umask after Prepare is %#o, want it restored to 022", old)
	}
	if err := checkNewFds(fdsBefore, openFds()); err != nil {
		return fail("%v", err)
	}
	if sc.prePivot != nil {
		if err := sc.prePivot(&req); err != nil {
			return fail("before pivot: %v", err)
		}
	}
	if err := Pivot(c); err != nil {
		return fail("Pivot: %v", err)
	}
	if err := Finish(c); err != nil {
		return fail("Finish: %v", err)
	}
	if wd, err := os.Getwd(); err != nil || wd != "/" {
		return fail("working directory after Pivot = %q, %v; want /", wd, err)
	}
	// The old root must be gone: our host-side request file is not reachable any more.
	if _, err := os.Stat(reqPath); !errors.Is(err, os.ErrNotExist) {
		return fail("host path %s still reachable after the pivot: %v", reqPath, err)
	}
	if sc.inside != nil {
		if err := sc.inside(&req); err != nil {
			return fail("inside: %v", err)
		}
	}
	fmt.Println("child: ok")
	return 0
}

// openFds lists the fds of this process, from the host's /proc (call it before the pivot).
func openFds() []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	// The directory listing itself used one fd, the same one each time.
	return out
}

// checkNewFds allows only one kind of fd to stay open across Prepare: pathrs-lite's process-wide
// cached handle on a private procfs (subset=pid) of our own pid namespace, which the library
// keeps for its safe /proc lookups and cannot be closed from outside. It must be O_CLOEXEC, so the
// container process never inherits it.
func checkNewFds(before, after []string) error {
	for _, n := range after {
		if slices.Contains(before, n) {
			continue
		}
		fd, err := strconv.Atoi(n)
		if err != nil {
			return fmt.Errorf("fd list: %s", n)
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			return fmt.Errorf("fd %d: %v", fd, err)
		}
		var st unix.Statfs_t
		if err := unix.Fstatfs(fd, &st); err != nil {
			return fmt.Errorf("fd %d: %v", fd, err)
		}
		link, _ := os.Readlink("/proc/self/fd/" + n)
		if flags&unix.FD_CLOEXEC == 0 || st.Type != unix.PROC_SUPER_MAGIC {
			return fmt.Errorf("Prepare left fd %d (%s) open: cloexec=%v fstype %#x", fd, link, flags&unix.FD_CLOEXEC != 0, st.Type)
		}
	}
	return nil
}

// --- rootfs and host helpers (parent side) ---

func buildBusyboxRootfs(t *testing.T, rootfs string) {
	t.Helper()
	for _, d := range []string{"bin", "proc", "dev", "tmp", "etc", "sys"} {
		mustMkdir(t, filepath.Join(rootfs, d))
	}
	src, err := os.Open("/bin/busybox")
	if err != nil {
		t.Skipf("needs /bin/busybox (busybox-static) for the test rootfs: %v", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(rootfs, "bin", "busybox"), os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"sh", "ls", "cat", "echo", "stat"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", n)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	mustMkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mountsUnder lists the mount points in this process's namespace at or below dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	slices.Sort(out)
	return out
}

// --- child-side check helpers ---

func wantErrno(what string, err error, want unix.Errno) error {
	if !errors.Is(err, want) {
		return fmt.Errorf("%s: got %v, want %v", what, err, want)
	}
	return nil
}

func writeFile(p string) error {
	return os.WriteFile(p, []byte("x"), 0o644)
}

func isMountPoint(p string) (bool, error) {
	a, err := pathMountID(p)
	if err != nil {
		return false, err
	}
	b, err := pathMountID(filepath.Dir(p))
	if err != nil {
		return false, err
	}
	return a != b, nil
}

func statfsFlags(p string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", p, err)
	}
	return st.Flags, nil
}

// --- scenarios ---

func withProc(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
}

func checkProc(req *childRequest) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/proc", &st); err != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("/proc is not a procfs: %v", err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	var pids []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, e.Name())
		}
	}
	if !slices.Equal(pids, []string{"1"}) {
		return fmt.Errorf("/proc shows pids %v, want only [1] of the new pid namespace", pids)
	}
	if self, err := os.Readlink("/proc/self"); err != nil || self != "1" {
		return fmt.Errorf("/proc/self = %q, %v; want 1", self, err)
	}
	// The rootfs's busybox runs: exec works in the new root.
	out, err := exec.Command("/bin/sh", "-c", "cat /proc/1/comm; echo done").CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "done\n") {
		return fmt.Errorf("busybox sh: %v, output %q", err, out)
	}
	return nil
}

func buildDev(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	withProc(t, rootfs, s, req)
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
		Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}})
	s.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o600)), UID: ptr(uint32(1000)), GID: ptr(uint32(1001))},
		{Path: "/dev/myfifo", Type: "p"},
		{Path: "/dev/sub/loop9", Type: "b", Major: 7, Minor: 9},
	}
}

func checkDev(req *childRequest) error {
	var fs unix.Statfs_t
	if err := unix.Statfs("/dev", &fs); err != nil || fs.Type != unix.TMPFS_MAGIC || fs.Flags&unix.ST_NOSUID == 0 {
		return fmt.Errorf("/dev is not a nosuid tmpfs: type %#x flags %#x %v", fs.Type, fs.Flags, err)
	}
	type want struct {
		path         string
		typ          uint32
		major, minor uint32
		perm         uint32
		uid, gid     uint32
	}
	wants := []want{
		{"/dev/null", unix.S_IFCHR, 1, 3, 0o666, 0, 0},
		{"/dev/zero", unix.S_IFCHR, 1, 5, 0o666, 0, 0},
		{"/dev/full", unix.S_IFCHR, 1, 7, 0o666, 0, 0},
		{"/dev/random", unix.S_IFCHR, 1, 8, 0o666, 0, 0},
		{"/dev/urandom", unix.S_IFCHR, 1, 9, 0o666, 0, 0},
		{"/dev/tty", unix.S_IFCHR, 5, 0, 0o666, 0, 0},
		{"/dev/fuse", unix.S_IFCHR, 10, 229, 0o600, 1000, 1001},
		{"/dev/myfifo", unix.S_IFIFO, 0, 0, 0o666, 0, 0},
		{"/dev/sub/loop9", unix.S_IFBLK, 7, 9, 0o666, 0, 0},
	}
	for _, w := range wants {
		var st unix.Stat_t
		if err := unix.Lstat(w.path, &st); err != nil {
			return fmt.Errorf("lstat %s: %w", w.path, err)
		}
		if st.Mode&unix.S_IFMT != w.typ || st.Mode&0o7777 != w.perm || st.Uid != w.uid || st.Gid != w.gid ||
			unix.Major(st.Rdev) != w.major || unix.Minor(st.Rdev) != w.minor {
			return fmt.Errorf("%s: mode %#o uid %d gid %d dev %d:%d; want type %#o perm %#o uid %d gid %d dev %d:%d",
				w.path, st.Mode, st.Uid, st.Gid, unix.Major(st.Rdev), unix.Minor(st.Rdev), w.typ, w.perm, w.uid, w.gid, w.major, w.minor)
		}
	}
	links := map[string]string{
		"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
		"/dev/stderr": "/proc/self/fd/2", "/dev/ptmx": "pts/ptmx",
	}
	// /dev/core only where the kernel has /proc/kcore (CONFIG_PROC_KCORE): never dangling.
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links["/dev/core"] = "/proc/kcore"
	} else if _, err := os.Lstat("/dev/core"); err == nil {
		return fmt.Errorf("/dev/core made though this kernel has no /proc/kcore")
	}
	for l, target := range links {
		if got, err := os.Readlink(l); err != nil || got != target {
			return fmt.Errorf("readlink %s = %q, %v; want %q", l, got, err, target)
		}
	}
	if err := unix.Statfs("/dev/pts", &fs); err != nil || fs.Type != unix.DEVPTS_SUPER_MAGIC {
		return fmt.Errorf("/dev/pts is not a devpts: %v", err)
	}
	// The nodes work: /dev/zero reads zeros, /dev/null swallows writes.
	b := make([]byte, 4)
	f, err := os.Open("/dev/zero")
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, b); err != nil || !bytes.Equal(b, make([]byte, 4)) {
		return fmt.Errorf("read /dev/zero: %v %v", b, err)
	}
	return os.WriteFile("/dev/null", []byte("gone"), 0)
}

func buildReadonlyPaths(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	withProc(t, rootfs, s, req)
	mustWrite(t, filepath.Join(rootfs, "ro", "file"), "read me")
	mustWrite(t, filepath.Join(rootfs, "rw", "file"), "write me")
	s.Linux.ReadonlyPaths = []string{"/ro", "/missing/path", "/rw/file/notadir", "/proc/sys"}
}

func checkReadonlyPaths(req *childRequest) error {
	if b, err := os.ReadFile("/ro/file"); err != nil || string(b) != "read me" {
		return fmt.Errorf("read /ro/file: %q %v", b, err)
	}
	if err := wantErrno("write /ro/file", writeFile("/ro/file"), unix.EROFS); err != nil {
		return err
	}
	if err := wantErrno("create /ro/new", writeFile("/ro/new"), unix.EROFS); err != nil {
		return err
	}
	if err := wantErrno("write /proc/sys/kernel/hostname", writeFile("/proc/sys/kernel/hostname"), unix.EROFS); err != nil {
		return err
	}
	return writeFile("/rw/file")
}

func buildMaskedPaths(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	withProc(t, rootfs, s, req)
	mustWrite(t, filepath.Join(rootfs, "secret.txt"), "secret")
	mustWrite(t, filepath.Join(rootfs, "secretdir", "inner"), "inner secret")
	s.Linux.MaskedPaths = []string{"/secret.txt", "/secretdir", "/nope", "/secret.txt/x", "/proc/kcore", "/proc/timer_list", "/proc/acpi"}
}

func checkMaskedPaths(req *childRequest) error {
	for _, p := range []string{"/secret.txt", "/proc/timer_list"} {
		if b, err := os.ReadFile(p); err != nil || len(b) != 0 {
			return fmt.Errorf("read masked %s: %q %v; want empty", p, b, err)
		}
	}
	for _, d := range []string{"/secretdir", "/proc/acpi"} {
		ents, err := os.ReadDir(d)
		if err != nil || len(ents) != 0 {
			return fmt.Errorf("masked %s lists %v (%v); want empty", d, ents, err)
		}
	}
	if err := wantErrno("create in masked dir", writeFile("/secretdir/x"), unix.EROFS); err != nil {
		return err
	}
	// The file is masked by the null device, so writes vanish instead of reaching the file.
	if err := writeFile("/secret.txt"); err != nil {
		return fmt.Errorf("write masked file: %v", err)
	}
	return nil
}

func buildReadonlyRoot(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	s.Root.Readonly = true
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
		Options: []string{"nosuid", "nodev", "size=1m", "mode=1777"}})
}

func checkReadonlyRoot(req *childRequest) error {
	if err := wantErrno("create /newfile", writeFile("/newfile"), unix.EROFS); err != nil {
		return err
	}
	if err := wantErrno("mkdir /etc/x", os.Mkdir("/etc/x", 0o755), unix.EROFS); err != nil {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/tmp", &st); err != nil {
		return err
	}
	if st.Type != unix.TMPFS_MAGIC || st.Blocks*uint64(st.Bsize) != 1<<20 {
		return fmt.Errorf("/tmp: type %#x size %d; want a 1 MiB tmpfs", st.Type, st.Blocks*uint64(st.Bsize))
	}
	if st.Flags&(unix.ST_NOSUID|unix.ST_NODEV) != unix.ST_NOSUID|unix.ST_NODEV {
		return fmt.Errorf("/tmp flags %#x lack nosuid,nodev", st.Flags)
	}
	var fi unix.Stat_t
	if err := unix.Stat("/tmp", &fi); err != nil || fi.Mode&0o7777 != 0o1777 {
		return fmt.Errorf("/tmp mode %#o, want 1777 (%v)", fi.Mode&0o7777, err)
	}
	return writeFile("/tmp/x")
}

func buildBind(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/mnt/data", Type: "bind", Source: req.Host.BindSrc, Options: []string{"rbind", "ro", "nosuid", "rprivate"}},
		specs.Mount{Destination: "/etc/hostfile", Type: "none", Source: req.Host.File, Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/mnt/rw", Type: "bind", Source: req.Host.BindSrc, Options: []string{"bind"}},
	)
}

func checkBind(req *childRequest) error {
	if b, err := os.ReadFile("/mnt/data/hello"); err != nil || string(b) != "hello from the host" {
		return fmt.Errorf("read bind: %q %v", b, err)
	}
	if err := wantErrno("write ro bind", writeFile("/mnt/data/hello"), unix.EROFS); err != nil {
		return err
	}
	fl, err := statfsFlags("/mnt/data")
	if err != nil {
		return err
	}
	if fl&(unix.ST_RDONLY|unix.ST_NOSUID) != unix.ST_RDONLY|unix.ST_NOSUID {
		return fmt.Errorf("/mnt/data flags %#x, want ro,nosuid", fl)
	}
	if b, err := os.ReadFile("/etc/hostfile"); err != nil || string(b) != "host file" {
		return fmt.Errorf("read file bind: %q %v", b, err)
	}
	if err := wantErrno("write ro file bind", writeFile("/etc/hostfile"), unix.EROFS); err != nil {
		return err
	}
	// The rw bind of the same directory is writable: ro applied to one mount only.
	return os.WriteFile("/mnt/rw/from-container", []byte("c"), 0o644)
}

func afterBind(t *testing.T, req *childRequest) {
	if b, err := os.ReadFile(filepath.Join(req.Host.BindSrc, "from-container")); err != nil || string(b) != "c" {
		t.Errorf("write through the rw bind not visible on the host: %q %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(req.Host.BindSrc, "hello"), []byte("still writable"), 0o644); err != nil {
		t.Errorf("the ro bind made the host directory read-only: %v", err)
	}
}

func buildEscape(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	// An absolute symlink to a host directory, and a relative one with more ".." than the rootfs
	// is deep. The same path exists in the rootfs, so both resolve there.
	mustMkdir(t, filepath.Join(rootfs, req.Host.Dir))
	for link, target := range map[string]string{
		"evil":  req.Host.Dir,
		"evil3": strings.Repeat("../", 20) + strings.TrimPrefix(req.Host.Dir, "/"),
	} {
		if err := os.Symlink(target, filepath.Join(rootfs, link)); err != nil {
			t.Fatal(err)
		}
	}
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/evil", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/evil3/sub", Type: "bind", Source: req.Host.BindSrc, Options: []string{"bind"}},
		specs.Mount{Destination: "/evil3/file", Type: "bind", Source: req.Host.File, Options: []string{"bind"}},
		specs.Mount{Destination: "/../../../../.." + req.Host.Probe2, Type: "tmpfs", Source: "tmpfs"},
	)
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/evil/../evil3/devnode", Type: "c", Major: 1, Minor: 3}}
}

// buildDangling points a symlink at a host path that exists nowhere, and mounts through it: as in
// runc, the target is created, but inside the rootfs (the symlink is resolved as the container
// sees it), never on the host.
func buildDangling(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	if err := os.Symlink(filepath.Dir(req.Host.Probe), filepath.Join(rootfs, "evil2")); err != nil {
		t.Fatal(err)
	}
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/evil2/never", Type: "tmpfs", Source: "tmpfs"})
}

func checkDanglingPrePivot(req *childRequest) error {
	if _, err := os.Lstat(filepath.Dir(req.Host.Probe)); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("host path %s exists (%v): a dangling symlink led out of the rootfs", filepath.Dir(req.Host.Probe), err)
	}
	inRoot := filepath.Join(req.Rootfs, req.Host.Probe)
	if mp, err := isMountPoint(inRoot); err != nil || !mp {
		return fmt.Errorf("%s is not a mount point (%v); the tmpfs should be there", inRoot, err)
	}
	return nil
}

func afterDangling(t *testing.T, req *childRequest) {
	if _, err := os.Lstat(filepath.Dir(req.Host.Probe)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("host path %s exists after the child (%v)", filepath.Dir(req.Host.Probe), err)
	}
}

func checkEscapePrePivot(req *childRequest) error {
	// The host side is still visible here, in the child's namespace.
	if mp, err := isMountPoint(req.Host.Dir); err != nil || mp {
		return fmt.Errorf("host dir %s is a mount point (%v): a symlink led a mount out of the rootfs", req.Host.Dir, err)
	}
	if ents, err := os.ReadDir(req.Host.Dir); err != nil || len(ents) != 0 {
		return fmt.Errorf("host dir %s holds %v (%v); want empty", req.Host.Dir, ents, err)
	}
	if _, err := os.Lstat(req.Host.Probe2); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("host path %s was created (%v)", req.Host.Probe2, err)
	}
	inRootDir := filepath.Join(req.Rootfs, req.Host.Dir)
	if mp, err := isMountPoint(inRootDir); err != nil || !mp {
		return fmt.Errorf("%s is not a mount point (%v); the tmpfs should be there", inRootDir, err)
	}
	for _, p := range []string{
		filepath.Join(req.Rootfs, req.Host.Dir, "sub", "hello"),
		filepath.Join(req.Rootfs, req.Host.Dir, "file"),
		filepath.Join(req.Rootfs, req.Host.Dir, "devnode"),
	} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("mount or device did not land inside the rootfs: %v", err)
		}
	}
	if mp, err := isMountPoint(filepath.Join(req.Rootfs, req.Host.Probe2)); err != nil || !mp {
		return fmt.Errorf("the \"..\" destination did not land inside the rootfs: %v", err)
	}
	return nil
}

func checkEscapeInside(req *childRequest) error {
	if b, err := os.ReadFile("/evil/sub/hello"); err != nil || string(b) != "hello from the host" {
		return fmt.Errorf("bind through the in-root symlink: %q %v", b, err)
	}
	return nil
}

func afterEscape(t *testing.T, req *childRequest) {
	if ents, err := os.ReadDir(req.Host.Dir); err != nil || len(ents) != 0 {
		t.Errorf("host dir %s holds %v (%v) after the child; want empty", req.Host.Dir, ents, err)
	}
	if _, err := os.Lstat(req.Host.Probe2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("host path %s exists after the child (%v)", req.Host.Probe2, err)
	}
	if _, err := os.Stat(filepath.Join(req.Rootfs, req.Host.Probe2)); err != nil {
		t.Errorf("the \"..\" destination was not created inside the rootfs: %v", err)
	}
}

func buildProcOvermount(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	withProc(t, rootfs, s, req)
	if err := os.Symlink("proc/self", filepath.Join(rootfs, "me")); err != nil {
		t.Fatal(err)
	}
	// CVE-2019-16884: a tmpfs over /proc/self/attr would hide the LSM interface. Reached through
	// a symlink, so only the resolved path can tell.
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/me/attr", Type: "tmpfs", Source: "tmpfs"})
}

func buildNoPivot(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	req.NoPivot = true
	withProc(t, rootfs, s, req)
	s.Linux.RootfsPropagation = "rprivate"
}

func checkNoPivot(req *childRequest) error {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		return fmt.Errorf("rootfs not at /: %v", err)
	}
	if _, err := os.Stat(req.Host.File); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("host file visible: %v", err)
	}
	return nil
}

func buildCgroupV1(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	needs.CgroupV1(t)
	withProc(t, rootfs, s, req)
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
	)
	req.CgroupPaths = map[string]string{}
	name := fmt.Sprintf("contain-rootfs-test-%d", os.Getpid())
	for _, ctrl := range []string{"memory", "pids"} {
		dir := filepath.Join("/sys/fs/cgroup", ctrl, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("needs a writable cgroup v1 %s hierarchy: %v", ctrl, err)
		}
		t.Cleanup(func() {
			if err := os.Remove(dir); err != nil {
				t.Errorf("remove test cgroup: %v", err)
			}
		})
		req.CgroupPaths[ctrl] = dir
	}
}

func buildCgroupV1ByPaths(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	buildCgroupV1(t, rootfs, s, req)
	req.UserNS = true
}

func checkCgroupV1(req *childRequest) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys", &st); err != nil || st.Type != unix.SYSFS_MAGIC || st.Flags&unix.ST_RDONLY == 0 {
		return fmt.Errorf("/sys is not a read-only sysfs: %v", err)
	}
	// runc 1.5's layout: "ro" makes the binds read-only; the tmpfs holding them stays writable.
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type != unix.TMPFS_MAGIC || st.Flags&unix.ST_RDONLY != 0 {
		return fmt.Errorf("/sys/fs/cgroup is not a writable tmpfs: %v", err)
	}
	ents, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"memory", "pids"}) {
		return fmt.Errorf("/sys/fs/cgroup holds %v, want [memory pids]", names)
	}
	// The container sees its own cgroup as the root of each hierarchy: no child cgroups of the
	// host's root (like our own test cgroup's siblings) are visible.
	if _, err := os.Stat("/sys/fs/cgroup/pids/pids.max"); err != nil {
		return fmt.Errorf("pids.max of the container's cgroup: %v", err)
	}
	const want = unix.ST_RDONLY | unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_RELATIME
	for _, h := range names {
		if err := unix.Statfs("/sys/fs/cgroup/"+h, &st); err != nil || st.Flags&want != want || st.Type != unix.CGROUP_SUPER_MAGIC {
			return fmt.Errorf("cgroup bind %s: type %#x, flags %#x, want ro, nosuid, nodev, noexec, relatime: %v", h, st.Type, st.Flags, err)
		}
	}
	return wantErrno("write pids.max", os.WriteFile("/sys/fs/cgroup/pids/pids.max", []byte("5"), 0), unix.EROFS)
}

// buildCgroupV2 binds (or, in a cgroup namespace, mounts) the unified hierarchy. On a hybrid
// host the unified hierarchy lives at /sys/fs/cgroup/unified; on a v2 host at /sys/fs/cgroup.
func buildCgroupV2(cgroupns bool) func(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	return func(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
		unified := "/sys/fs/cgroup/unified"
		var st unix.Statfs_t
		if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			unified = "/sys/fs/cgroup"
		} else if err := unix.Statfs(unified, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
			t.Skip("needs a cgroup v2 (unified) hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified")
		}
		dir := filepath.Join(unified, fmt.Sprintf("contain-rootfs-test-%d-%v", os.Getpid(), cgroupns))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("needs a writable cgroup v2 hierarchy: %v", err)
		}
		t.Cleanup(func() {
			if err := os.Remove(dir); err != nil {
				t.Errorf("remove test cgroup: %v", err)
			}
		})
		req.CgroupPaths = map[string]string{"": dir}
		if cgroupns {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "ro"}})
	}
}

func checkCgroupV2(req *childRequest) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("/sys/fs/cgroup is not cgroup2: %#x %v", st.Type, err)
	}
	if st.Flags&(unix.ST_RDONLY|unix.ST_NOSUID) != unix.ST_RDONLY|unix.ST_NOSUID {
		return fmt.Errorf("/sys/fs/cgroup flags %#x, want ro,nosuid", st.Flags)
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.procs"); err != nil {
		return err
	}
	return nil
}

// buildDevUserNS takes the user-namespace path for devices (bind the host's nodes) without a
// user namespace: the bind works as root too, and the test checks that it was used.
func buildDevUserNS(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	req.UserNS = true
	withProc(t, rootfs, s, req)
}

func checkDevUserNS(req *childRequest) error {
	for _, d := range []struct {
		path         string
		major, minor uint32
	}{{"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/urandom", 1, 9}} {
		var st unix.Stat_t
		if err := unix.Stat(d.path, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != d.major || unix.Minor(st.Rdev) != d.minor {
			return fmt.Errorf("%s is not char %d:%d", d.path, d.major, d.minor)
		}
		if mp, err := isMountPoint(d.path); err != nil || !mp {
			return fmt.Errorf("%s is not a bind mount of the host's node (%v)", d.path, err)
		}
	}
	return nil
}

func buildRshared(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	withProc(t, rootfs, s, req)
	s.Linux.RootfsPropagation = "rshared"
}

func checkRshared(req *childRequest) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 6 && f[4] == "/" {
			if !strings.HasPrefix(f[6], "shared:") {
				return fmt.Errorf("/ is not shared: %s", line)
			}
			return nil
		}
	}
	return fmt.Errorf("no / in mountinfo:\n%s", b)
}

// buildCopyUp: tmpfs mounts with runc's tmpcopyup over directories the image fills: a file with
// its own owner and mode, a subdirectory, a relative symlink, one pointing out of the container,
// a fifo; one of the mounts read-only.
func buildCopyUp(t *testing.T, rootfs string, s *specs.Spec, req *childRequest) {
	data := filepath.Join(rootfs, "data")
	mustMkdir(t, filepath.Join(data, "sub"))
	mustWrite(t, filepath.Join(data, "f"), "image file")
	mustWrite(t, filepath.Join(data, "sub", "g"), "nested")
	for _, err := range []error{
		os.Chown(filepath.Join(data, "f"), 1000, 1001),
		os.Chmod(filepath.Join(data, "f"), 0o640),
		os.Symlink("f", filepath.Join(data, "link")),
		os.Symlink(req.Host.File, filepath.Join(data, "escape")),
		unix.Mkfifo(filepath.Join(data, "fifo"), 0o600),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	mustMkdir(t, filepath.Join(rootfs, "rodata"))
	mustWrite(t, filepath.Join(rootfs, "rodata", "r"), "read-only copy")
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "tmpcopyup", "size=1m"}},
		specs.Mount{Destination: "/rodata", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "ro"}})
}

func checkCopyUp(req *childRequest) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/data", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		return fmt.Errorf("/data is not a tmpfs: type %#x, %v", st.Type, err)
	}
	for path, want := range map[string]string{"/data/f": "image file", "/data/sub/g": "nested", "/data/link": "image file", "/rodata/r": "read-only copy"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			return fmt.Errorf("%s: %q, %v; want %q copied up", path, got, err, want)
		}
	}
	var fi unix.Stat_t
	if err := unix.Lstat("/data/f", &fi); err != nil || fi.Uid != 1000 || fi.Gid != 1001 || fi.Mode&0o7777 != 0o640 {
		return fmt.Errorf("/data/f: owner %d:%d mode %#o (%v); want 1000:1001 0640", fi.Uid, fi.Gid, fi.Mode&0o7777, err)
	}
	if target, err := os.Readlink("/data/escape"); err != nil || target != req.Host.File {
		return fmt.Errorf("/data/escape: %q, %v; want the symlink itself, not its target", target, err)
	}
	if err := unix.Lstat("/data/fifo", &fi); err != nil || fi.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("/data/fifo: mode %#o, %v; want a fifo", fi.Mode, err)
	}
	if err := writeFile("/data/new"); err != nil {
		return fmt.Errorf("write in the tmpfs: %v", err)
	}
	return wantErrno("write in the read-only copy-up tmpfs", writeFile("/rodata/new"), unix.EROFS)
}

// afterCopyUp: the writes went to the tmpfs, not to the image underneath.
func afterCopyUp(t *testing.T, req *childRequest) {
	if _, err := os.Lstat(filepath.Join(req.Rootfs, "data", "new")); !os.IsNotExist(err) {
		t.Errorf("a write to the copy-up tmpfs reached the rootfs (%v)", err)
	}
}
