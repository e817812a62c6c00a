//go:build cgo

package seccomp

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"
	"golang.org/x/sys/unix"
)

func loadProfile(t testing.TB, path string) *specs.LinuxSeccomp {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &s
}

func TestBuildProfiles(t *testing.T) {
	g, err := generate.New("linux")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    *specs.LinuxSeccomp
	}{
		// testdata/runtime-tools-default.json is generate.New("linux")'s profile (docker's
		// default of its day); the live one guards against the generator changing under us.
		{"runtime-tools default (testdata)", loadProfile(t, "testdata/runtime-tools-default.json")},
		{"runtime-tools default (live)", g.Config.Linux.Seccomp},
		// podman-like: ERRNO(ENOSYS) default, clone arg rules, calls newer than libseccomp 2.5.
		{"podman-like", loadProfile(t, "testdata/podman-like.json")},
		{"allow only", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}},
		{"every action", &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getpid"}, Action: specs.ActKill},
				{Names: []string{"getppid"}, Action: specs.ActKillProcess},
				{Names: []string{"gettid"}, Action: specs.ActKillThread},
				{Names: []string{"getuid"}, Action: specs.ActTrap},
				{Names: []string{"getgid"}, Action: specs.ActErrno},
				{Names: []string{"geteuid"}, Action: specs.ActTrace},
				{Names: []string{"getegid"}, Action: specs.ActLog},
				{Names: []string{"getpgrp"}, Action: specs.ActNotify},
				{Names: []string{"getsid"}, Action: specs.ActAllow}, // same as default: dropped
			},
		}},
		{"every operator", &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mmap"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 1, Op: specs.OpNotEqual},
				{Index: 1, Value: 2, Op: specs.OpLessThan},
				{Index: 2, Value: 3, Op: specs.OpLessEqual},
				{Index: 3, Value: 4, Op: specs.OpEqualTo},
				{Index: 4, Value: 5, Op: specs.OpGreaterEqual},
				{Index: 5, Value: 6, Op: specs.OpGreaterThan},
			}}, {Names: []string{"mprotect"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 2, Value: 4, ValueTwo: 0, Op: specs.OpMaskedEqual},
			}}},
		}},
		{"every architecture", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: allArchs()}},
		{"only unknown names", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"no_such_syscall", "", "futex_wake_v9"}, Action: specs.ActErrno},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Build(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() == 0 || f.Len() > unix.BPF_MAXINSNS {
				t.Fatalf("%d instructions", f.Len())
			}
		})
	}
}

func allArchs() []specs.Arch {
	var out []specs.Arch
	for a := range archs {
		out = append(out, a)
	}
	return out
}

func TestBuildErrors(t *testing.T) {
	u := func(v uint) *uint { return &v }
	rule := func(sc specs.LinuxSyscall) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{sc}}
	}
	tests := []struct {
		name string
		s    *specs.LinuxSeccomp
		want string
	}{
		{"nil", nil, "no seccomp profile"},
		{"empty default", &specs.LinuxSeccomp{}, `seccomp defaultAction: unknown action ""`},
		{"unknown default", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}, `seccomp defaultAction: unknown action "SCMP_ACT_FOO"`},
		{"default errnoRet with kill", &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, DefaultErrnoRet: u(1)},
			"seccomp defaultAction: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL_PROCESS"},
		{"default notify", &specs.LinuxSeccomp{DefaultAction: specs.ActNotify},
			"seccomp defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
		{"errnoRet too big", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(70000)},
			"seccomp defaultAction: errnoRet 70000 does not fit in seccomp's 16-bit return data"},
		{"unknown arch", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"}},
			`seccomp architectures: unknown architecture "SCMP_ARCH_PDP11"`},
		{"lower-case arch", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"x86_64"}},
			`seccomp architectures: unknown architecture "x86_64"`},
		{"unknown flag", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"}},
			`seccomp flags: unknown flag "SECCOMP_FILTER_FLAG_FOO"`},
		{"unknown rule action", rule(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: "SCMP_ACT_DENY"}),
			`seccomp syscalls[0] (mkdir): unknown action "SCMP_ACT_DENY"`},
		{"unknown action on unknown name", rule(specs.LinuxSyscall{Names: []string{"no_such_syscall"}, Action: "SCMP_ACT_DENY"}),
			`seccomp syscalls[0] (no_such_syscall): unknown action "SCMP_ACT_DENY"`},
		{"errnoRet with allow", rule(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActAllow, ErrnoRet: u(1)}),
			"seccomp syscalls[0] (mkdir): errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW"},
		{"errnoRet with log", rule(specs.LinuxSyscall{Names: []string{"a", "b", "c", "d", "e"}, Action: specs.ActLog, ErrnoRet: u(1)}),
			"seccomp syscalls[0] (a, b, c, ... 2 more): errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_LOG"},
		{"unknown op", rule(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo}, {Index: 1, Op: "SCMP_CMP_LIKE"}}}),
			`seccomp syscalls[0] (mkdir): args[1]: unknown operator "SCMP_CMP_LIKE"`},
		{"empty op", rule(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0}}}),
			`seccomp syscalls[0] (mkdir): args[0]: unknown operator ""`},
		{"arg index", rule(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}),
			"seccomp syscalls[0] (mkdir): args[0]: index 6 out of range (0-5)"},
		{"notify on write", rule(specs.LinuxSyscall{Names: []string{"read", "write"}, Action: specs.ActNotify}),
			"seccomp syscalls[0] (read, write): SCMP_ACT_NOTIFY cannot be used for write: the init needs it to hand out the listener fd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Build(tc.s)
			if err == nil {
				t.Fatalf("built %d instructions, want error %q", f.Len(), tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %q\nwant %q", err, tc.want)
			}
		})
	}
}

func TestBuildFlags(t *testing.T) {
	tests := []struct {
		name   string
		flags  []specs.LinuxSeccompFlag
		notify bool
		want   uintptr
	}{
		{"none", nil, false, 0},
		{"tsync is implied", []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, false, 0},
		{"log and spec allow", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}, false,
			unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		{"wait killable without listener", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, false, 0},
		{"wait killable with listener", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, true,
			unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER},
		{"listener", nil, true, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: tc.flags}
			if tc.notify {
				s.Syscalls = []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}}
			}
			f, err := Build(s)
			if err != nil {
				t.Fatal(err)
			}
			if f.flags != tc.want || f.Notify() != tc.notify {
				t.Fatalf("flags %#x notify %v, want %#x %v", f.flags, f.Notify(), tc.want, tc.notify)
			}
		})
	}
}

// i386 syscall numbers used below (arch/x86/entry/syscalls/syscall_32.tbl).
const (
	i386Mkdir   = 39
	i386Clone   = 120
	i386Unshare = 310
)

func TestBuildSemantics(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	x64 := uint32(unix.AUDIT_ARCH_X86_64)
	podman := mustBuild(t, loadProfile(t, "testdata/podman-like.json"))
	docker := mustBuild(t, loadProfile(t, "testdata/runtime-tools-default.json"))
	mkdirDenied := mustBuild(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
			{Names: []string{"getppid"}, Action: specs.ActKillProcess},
			{Names: []string{"rmdir"}, Action: specs.ActErrno, ErrnoRet: new(uint(0))},
		},
	})
	tests := []struct {
		name string
		f    *Filter
		c    call
		want string
	}{
		{"allowed", docker, call{nr: unix.SYS_READ, arch: x64}, "allow"},
		{"default errno is EPERM", docker, call{nr: unix.SYS_KEXEC_LOAD, arch: x64}, "errno 1"},
		// The profile names landlock (444-446) but not clone3 (435): clone3 is below the
		// stub's bar and gets the default EPERM, as under runc. glibc does not fall back to
		// clone on EPERM, so this profile needs a clone3 rule before contain spec may use it.
		{"clone3 below highest named gets default", docker, call{nr: unix.SYS_CLONE3, arch: x64}, "errno 1"},
		{"newer than profile gets ENOSYS", docker, call{nr: 447, arch: x64}, "errno 38"},
		{"far future gets ENOSYS", docker, call{nr: 1000, arch: x64}, "errno 38"},
		{"fork allowed", docker, call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{uint64(unix.SIGCHLD)}}, "allow"},
		{"clone newnet denied", docker, call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{unix.CLONE_NEWNET | uint64(unix.SIGCHLD)}}, "errno 1"},
		{"i386 compat filtered", docker, call{nr: i386Mkdir, arch: unix.AUDIT_ARCH_I386}, "allow"},
		{"i386 unknown is EPERM (no stub)", docker, call{nr: 1000, arch: unix.AUDIT_ARCH_I386}, "errno 1"},
		{"foreign arch killed", docker, call{nr: 0, arch: unix.AUDIT_ARCH_AARCH64}, "kill_thread"},

		{"podman default errnoRet", podman, call{nr: unix.SYS_KEXEC_FILE_LOAD, arch: x64}, "errno 1"},
		{"podman unlisted", podman, call{nr: unix.SYS_CREATE_MODULE, arch: x64}, "errno 38"},
		{"podman allowed", podman, call{nr: unix.SYS_OPENAT2, arch: x64}, "allow"},
		{"podman clone3 ENOSYS", podman, call{nr: unix.SYS_CLONE3, arch: x64}, "errno 38"},
		{"podman fork", podman, call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{uint64(unix.SIGCHLD)}}, "allow"},
		{"podman clone newuser", podman, call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{unix.CLONE_NEWUSER}}, "errno 38"},
		{"podman clone GT rule", podman, call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{unix.CLONE_IO | unix.CLONE_NEWUSER}}, "errno 1"},
		{"podman personality ok", podman, call{nr: unix.SYS_PERSONALITY, arch: x64, args: [6]uint64{8}}, "allow"},
		{"podman personality other", podman, call{nr: unix.SYS_PERSONALITY, arch: x64, args: [6]uint64{1}}, "errno 38"},
		// Two conditions on arg 0: ORed, as runc does.
		{"same-arg OR first", podman, call{nr: unix.SYS_SOCKET, arch: x64, args: [6]uint64{40, 1, 0}}, "errno 97"},
		{"same-arg OR second", podman, call{nr: unix.SYS_SOCKET, arch: x64, args: [6]uint64{16, 3, 17}}, "errno 97"},
		// Conditions on args 0 and 2: ANDed.
		{"distinct-arg AND both", podman, call{nr: unix.SYS_SOCKET, arch: x64, args: [6]uint64{2, 1, 6}}, "allow"},
		{"distinct-arg AND one", podman, call{nr: unix.SYS_SOCKET, arch: x64, args: [6]uint64{2, 2, 17}}, "errno 38"},
		{"trace data", podman, call{nr: unix.SYS_PTRACE, arch: x64}, "trace 7"},
		{"log", podman, call{nr: unix.SYS_SYSLOG, arch: x64}, "log"},
		{"x32 left to the profile", podman, call{nr: x32SyscallBit | unix.SYS_MKDIR, arch: x64}, "allow"},
		{"x32 unlisted", podman, call{nr: x32SyscallBit | unix.SYS_CREATE_MODULE, arch: x64}, "errno 38"},

		{"errno default EPERM", mkdirDenied, call{nr: unix.SYS_MKDIRAT, arch: x64}, "errno 1"},
		{"errnoRet 0 fakes success", mkdirDenied, call{nr: unix.SYS_RMDIR, arch: x64}, "errno 0"},
		{"kill process", mkdirDenied, call{nr: unix.SYS_GETPPID, arch: x64}, "kill_process"},
		// An ALLOW default gets no stub: unknown calls stay allowed.
		{"allow default, no stub", mkdirDenied, call{nr: 1000, arch: x64}, "allow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdict(runBPF(t, tc.f.prog, tc.c)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestJailSemantics(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	j, err := Jail()
	if err != nil {
		t.Fatal(err)
	}
	if j.Notify() || j.flags != 0 {
		t.Fatalf("jail notify %v flags %#x", j.Notify(), j.flags)
	}
	x64 := uint32(unix.AUDIT_ARCH_X86_64)
	sigchld := uint64(unix.SIGCHLD)
	// Go's and glibc's thread creation flags.
	thread := uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD |
		unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID)
	tests := []struct {
		name string
		c    call
		want string
	}{
		{"unshare", call{nr: unix.SYS_UNSHARE, arch: x64, args: [6]uint64{unix.CLONE_NEWNET}}, "errno 1"},
		{"unshare files only", call{nr: unix.SYS_UNSHARE, arch: x64, args: [6]uint64{unix.CLONE_FILES}}, "errno 1"},
		{"setns", call{nr: unix.SYS_SETNS, arch: x64}, "errno 1"},
		{"clone3", call{nr: unix.SYS_CLONE3, arch: x64}, "errno 38"},
		{"fork", call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{sigchld}}, "allow"},
		{"vfork-style", call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{unix.CLONE_VM | unix.CLONE_VFORK | sigchld}}, "allow"},
		{"thread", call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{thread}}, "allow"},
		{"fork with high exit signal", call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{64}}, "allow"},
		{"i386 clone newpid", call{nr: i386Clone, arch: unix.AUDIT_ARCH_I386, args: [6]uint64{unix.CLONE_NEWPID}}, "errno 1"},
		{"i386 unshare", call{nr: i386Unshare, arch: unix.AUDIT_ARCH_I386}, "errno 1"},
		{"i386 fork", call{nr: i386Clone, arch: unix.AUDIT_ARCH_I386, args: [6]uint64{sigchld}}, "allow"},
		{"x32 unshare", call{nr: x32SyscallBit | unix.SYS_UNSHARE, arch: x64}, "errno 1"},
		{"getpid", call{nr: unix.SYS_GETPID, arch: x64}, "allow"},
		{"mount", call{nr: unix.SYS_MOUNT, arch: x64}, "allow"},
	}
	for _, fl := range allNewNamespaceFlags {
		tests = append(tests, struct {
			name string
			c    call
			want string
		}{fmt.Sprintf("clone %#x", fl), call{nr: unix.SYS_CLONE, arch: x64, args: [6]uint64{fl | sigchld}}, "errno 1"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdict(runBPF(t, j.prog, tc.c)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func mustBuild(t *testing.T, s *specs.LinuxSeccomp) *Filter {
	t.Helper()
	f, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// FuzzBuild feeds arbitrary JSON through the path a config.json takes. Build may refuse it, but
// must not panic, and whatever it accepts must be a program the kernel could take.
func FuzzBuild(f *testing.F) {
	for _, p := range []string{"testdata/podman-like.json", "testdata/runtime-tools-default.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":65535}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_LOONGARCH64"],"syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_TRACE","defaultErrnoRet":3,"flags":["SECCOMP_FILTER_FLAG_LOG"]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_KILL","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s specs.LinuxSeccomp
		if json.Unmarshal(b, &s) != nil {
			return
		}
		flt, err := Build(&s)
		if err != nil {
			return
		}
		if flt.Len() == 0 || flt.Len() > unix.BPF_MAXINSNS {
			t.Fatalf("accepted a %d-instruction program", flt.Len())
		}
	})
}
