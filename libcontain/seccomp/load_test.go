//go:build cgo

package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/tests/needs"
)

// Filters cannot be removed once loaded, so every test that loads one re-executes the test
// binary with scenarioEnv naming what the child should do; the test process itself is never
// filtered. A child reports failure on stderr with exit status 1.
const (
	scenarioEnv = "CONTAIN_SECCOMP_TEST_SCENARIO"
	dirEnv      = "CONTAIN_SECCOMP_TEST_DIR"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(scenarioEnv); name != "" {
		run, ok := scenarios[name]
		if !ok {
			fmt.Fprintln(os.Stderr, "unknown scenario", name)
			os.Exit(2)
		}
		if err := run(); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var scenarios = map[string]func() error{
	"mkdir-eperm":      mkdirEPERM,
	"kill-getppid":     killGetppid,
	"jail":             jailCalls,
	"jail-exec":        jailExec,
	"jail-then-podman": func() error { return jailWithPodman(false) },
	"podman-then-jail": func() error { return jailWithPodman(true) },
	"notify":           notifyGetppid,
	"no-privilege":     noPrivilege,
}

func setNoNewPrivs() error {
	return os.NewSyscallError("prctl", unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
}

func mkdirEPERM() error {
	f, err := Build(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
	})
	if err != nil {
		return err
	}
	if err := setNoNewPrivs(); err != nil {
		return err
	}
	if err := f.Load(); err != nil {
		return err
	}
	dir := os.Getenv(dirEnv)
	if err := os.Mkdir(filepath.Join(dir, "denied"), 0o755); !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("mkdir: got %v, want EPERM", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "allowed"), []byte("x"), 0o644); err != nil {
		return fmt.Errorf("other syscalls should work: %w", err)
	}
	return exec.Command("/bin/true").Run()
}

// killGetppid loads without no_new_privs: as root, CAP_SYS_ADMIN is enough.
func killGetppid() error {
	f, err := Build(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}},
	})
	if err != nil {
		return err
	}
	if err := f.Load(); err != nil {
		return err
	}
	syscall.Getppid()
	return errors.New("survived getppid")
}

// rawClone tries clone(2) with flags. Should the filter let it through, the child leaves at
// once by exit_group, before running any Go code that assumes the parent's threads.
func rawClone(flags uintptr) unix.Errno {
	r, _, e := unix.RawSyscall6(unix.SYS_CLONE, flags|uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if e == 0 && r == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
	}
	if e == 0 {
		var ws unix.WaitStatus
		unix.Wait4(int(r), &ws, 0, nil)
	}
	return e
}

// checkJailed checks the jail's answers. With exact false another filter was loaded after the
// jail: on a tie of actions (both ERRNO) the kernel reports the newest filter's errno
// (seccomp_run_filters keeps the first of equal precedence, walking newest to oldest), so only
// "denied" can be asserted.
func checkJailed(exact bool) error {
	var errs []error
	want := func(what string, got error, want unix.Errno) {
		if exact && !errors.Is(got, want) || got == nil {
			errs = append(errs, fmt.Errorf("%s: got %v, want %v", what, got, want))
		}
	}
	want("unshare(CLONE_NEWNET)", unix.Unshare(unix.CLONE_NEWNET), unix.EPERM)
	ns, err := os.Open("/proc/self/ns/net")
	if err != nil {
		return err
	}
	defer ns.Close()
	want("setns", unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET), unix.EPERM)
	for _, fl := range allNewNamespaceFlags {
		if e := rawClone(uintptr(fl)); e != 0 {
			want(fmt.Sprintf("clone(%#x)", fl), e, unix.EPERM)
		} else {
			want(fmt.Sprintf("clone(%#x)", fl), nil, unix.EPERM)
		}
	}
	// A zero-sized clone_args: were clone3 to reach the kernel it would fail with EINVAL,
	// never create a process, so ENOSYS can only come from the filter.
	_, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
	if e != unix.ENOSYS {
		errs = append(errs, fmt.Errorf("clone3: got %v, want ENOSYS", e))
	}
	if err := exec.Command("/bin/true").Run(); err != nil {
		errs = append(errs, fmt.Errorf("fork/exec /bin/true: %w", err))
	}
	return errors.Join(errs...)
}

func jailCalls() error {
	j, err := Jail()
	if err != nil {
		return err
	}
	if err := setNoNewPrivs(); err != nil {
		return err
	}
	if err := j.Load(); err != nil {
		return err
	}
	return checkJailed(true)
}

func jailExec() error {
	j, err := Jail()
	if err != nil {
		return err
	}
	if err := j.Load(); err != nil {
		return err
	}
	return unix.Exec("/bin/busybox", []string{"busybox", "unshare", "-n", "true"}, os.Environ())
}

// jailWithPodman layers the jail and a spec profile as the init will: both filters run, the
// strictest action wins, and ordinary programs still run. jailLast picks the load order.
func jailWithPodman(jailLast bool) error {
	b, err := os.ReadFile(filepath.Join(os.Getenv(dirEnv), "podman-like.json"))
	if err != nil {
		return err
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := Build(&s)
	if err != nil {
		return err
	}
	j, err := Jail()
	if err != nil {
		return err
	}
	if err := setNoNewPrivs(); err != nil {
		return err
	}
	first, second := j, p
	if jailLast {
		first, second = p, j // the profile must allow seccomp(2) for this order
	}
	if err := first.Load(); err != nil {
		return fmt.Errorf("first filter: %w", err)
	}
	if err := second.Load(); err != nil {
		return fmt.Errorf("second filter: %w", err)
	}
	if err := unix.Mkdirat(unix.AT_FDCWD, filepath.Join(os.Getenv(dirEnv), "made"), 0o755); err != nil {
		return fmt.Errorf("allowed by both: %w", err)
	}
	// create_module is allowed by the jail, denied by the profile's ENOSYS default.
	if _, _, e := unix.Syscall(unix.SYS_CREATE_MODULE, 0, 0, 0); e != unix.ENOSYS {
		return fmt.Errorf("create_module: got %v, want ENOSYS", e)
	}
	// kexec_file_load: the profile's errnoRet 1.
	if _, _, e := unix.Syscall6(unix.SYS_KEXEC_FILE_LOAD, ^uintptr(0), ^uintptr(0), 0, 0, 0, 0); e != unix.EPERM {
		return fmt.Errorf("kexec_file_load: got %v, want EPERM", e)
	}
	return checkJailed(jailLast)
}

func notifyGetppid() error {
	f, err := Build(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	})
	if err != nil {
		return err
	}
	if err := setNoNewPrivs(); err != nil {
		return err
	}
	if err := f.Load(); err == nil {
		return errors.New("Load accepted a notify filter")
	}
	fd, err := f.LoadWithNotify()
	if err != nil {
		return err
	}
	if fd < 0 {
		return fmt.Errorf("listener fd %d", fd)
	}
	defer unix.Close(fd)
	got := make(chan int, 1)
	go func() { got <- syscall.Getppid() }()
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
	if err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	name, _ := req.Data.Syscall.GetName()
	if name != "getppid" {
		return fmt.Errorf("notified of %q", name)
	}
	if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), &libseccomp.ScmpNotifResp{ID: req.ID, Val: 4242}); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	if v := <-got; v != 4242 {
		return fmt.Errorf("getppid returned %d, want the listener's 4242", v)
	}
	return nil
}

// noPrivilege: without no_new_privs and without CAP_SYS_ADMIN the kernel refuses the filter.
func noPrivilege() error {
	j, err := Jail()
	if err != nil {
		return err
	}
	// Go applies setresuid to every thread; leaving uid 0 drops the capabilities.
	if err := syscall.Setresuid(65534, 65534, 65534); err != nil {
		return err
	}
	if err := j.Load(); !errors.Is(err, unix.EACCES) {
		return fmt.Errorf("got %v, want EACCES", err)
	}
	return nil
}

// runScenario runs one scenario in a child and returns its wait status and stderr.
func runScenario(t *testing.T, name, dir string) (syscall.WaitStatus, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+name, dirEnv+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run scenario %s: %v", name, err)
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus), out.String()
}

func needsSeccomp(t *testing.T) {
	t.Helper()
	needs.Root(t)
	if !Supported() {
		t.Skip("kernel without seccomp filters (CONFIG_SECCOMP_FILTER)")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("scenarios use x86_64 syscall numbers")
	}
}

func TestLoadScenarios(t *testing.T) {
	needsSeccomp(t)
	podman, err := os.ReadFile("testdata/podman-like.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mkdir-eperm", "jail", "jail-then-podman", "podman-then-jail", "notify", "no-privilege"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "podman-like.json"), podman, 0o644); err != nil {
				t.Fatal(err)
			}
			ws, out := runScenario(t, name, dir)
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("child %v:\n%s", ws, out)
			}
		})
	}
}

func TestKillProcess(t *testing.T) {
	needsSeccomp(t)
	ws, out := runScenario(t, "kill-getppid", t.TempDir())
	if !ws.Signaled() || ws.Signal() != unix.SIGSYS {
		t.Fatalf("child %v, want killed by SIGSYS:\n%s", ws, out)
	}
}

// TestBusyboxUnshare runs a real program's namespace creation with and without the jail.
func TestBusyboxUnshare(t *testing.T) {
	needsSeccomp(t)
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox (busybox-static)")
	}
	if out, err := exec.Command("/bin/busybox", "unshare", "-n", "true").CombinedOutput(); err != nil {
		t.Fatalf("without the jail: %v\n%s", err, out)
	}
	ws, out := runScenario(t, "jail-exec", t.TempDir())
	if !ws.Exited() || ws.ExitStatus() == 0 {
		t.Fatalf("under the jail: %v, want a failed exit:\n%s", ws, out)
	}
	if !strings.Contains(out, "Operation not permitted") {
		t.Fatalf("under the jail, want EPERM from unshare:\n%s", out)
	}
}

func TestLoadRefusesNotifyFilter(t *testing.T) {
	f, err := Build(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Refused before any syscall, so this is safe in the test process itself.
	if err := f.Load(); err == nil || !strings.Contains(err.Error(), "LoadWithNotify") {
		t.Fatalf("got %v", err)
	}
	if err := (&Filter{}).Load(); err == nil {
		t.Fatal("empty filter loaded")
	}
}
