package namespaces

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contain-runtime/contain/tests/needs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestType(t *testing.T) {
	tests := []struct {
		t    specs.LinuxNamespaceType
		flag uintptr
		proc string
	}{
		{specs.PIDNamespace, unix.CLONE_NEWPID, "pid"},
		{specs.NetworkNamespace, unix.CLONE_NEWNET, "net"},
		{specs.MountNamespace, unix.CLONE_NEWNS, "mnt"},
		{specs.IPCNamespace, unix.CLONE_NEWIPC, "ipc"},
		{specs.UTSNamespace, unix.CLONE_NEWUTS, "uts"},
		{specs.UserNamespace, unix.CLONE_NEWUSER, "user"},
		{specs.CgroupNamespace, unix.CLONE_NEWCGROUP, "cgroup"},
		{specs.TimeNamespace, unix.CLONE_NEWTIME, "time"},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			flag, err := Type(tt.t)
			if err != nil || flag != tt.flag {
				t.Errorf("Type(%q) = %#x, %v; want %#x", tt.t, flag, err, tt.flag)
			}
			if got := ProcName(tt.t); got != tt.proc {
				t.Errorf("ProcName(%q) = %q, want %q", tt.t, got, tt.proc)
			}
			// The name must be a real file under /proc/self/ns on this kernel.
			if _, err := os.Stat("/proc/self/ns/" + tt.proc); err != nil {
				t.Errorf("ProcName(%q): %v", tt.t, err)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		if _, err := Type("bogus"); err == nil || !strings.Contains(err.Error(), `unknown namespace type "bogus"`) {
			t.Errorf("Type(bogus) error = %v", err)
		}
		if got := ProcName("bogus"); got != "" {
			t.Errorf("ProcName(bogus) = %q, want empty", got)
		}
	})
}

func TestCloneFlags(t *testing.T) {
	tests := []struct {
		name string
		ns   []specs.LinuxNamespace
		want uintptr
	}{
		{name: "none", ns: nil, want: 0},
		{
			name: "runc spec default",
			ns:   []specs.LinuxNamespace{{Type: "pid"}, {Type: "network"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}},
			want: unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS,
		},
		{
			name: "joined entries add nothing",
			ns:   []specs.LinuxNamespace{{Type: "network", Path: "/proc/1/ns/net"}, {Type: "mount"}, {Type: "cgroup"}},
			want: unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP,
		},
		{
			name: "user and time",
			ns:   []specs.LinuxNamespace{{Type: "user"}, {Type: "time"}},
			want: unix.CLONE_NEWUSER | unix.CLONE_NEWTIME,
		},
		{name: "unknown adds nothing", ns: []specs.LinuxNamespace{{Type: "bogus"}, {Type: "uts"}}, want: unix.CLONE_NEWUTS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CloneFlags(tt.ns); got != tt.want {
				t.Errorf("CloneFlags = %#x, want %#x", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ns   []specs.LinuxNamespace
		want []string // substrings of the error, one per expected problem; none means valid
	}{
		{name: "empty"},
		{name: "all new", ns: []specs.LinuxNamespace{
			{Type: "pid"}, {Type: "network"}, {Type: "mount"}, {Type: "ipc"},
			{Type: "uts"}, {Type: "user"}, {Type: "cgroup"}, {Type: "time"},
		}},
		{name: "join own net", ns: []specs.LinuxNamespace{{Type: "network", Path: "/proc/self/ns/net"}, {Type: "mount"}}},
		{name: "join uts ipc cgroup", ns: []specs.LinuxNamespace{
			{Type: "uts", Path: "/proc/self/ns/uts"}, {Type: "ipc", Path: "/proc/self/ns/ipc"},
			{Type: "cgroup", Path: "/proc/self/ns/cgroup"},
		}},
		{name: "unknown", ns: []specs.LinuxNamespace{{Type: "bogus"}}, want: []string{`unknown namespace type "bogus"`}},
		{name: "duplicate", ns: []specs.LinuxNamespace{{Type: "pid"}, {Type: "pid"}}, want: []string{`duplicate namespace type "pid"`}},
		{name: "missing path", ns: []specs.LinuxNamespace{{Type: "network", Path: "/nonexistent/ns/net"}},
			want: []string{"network namespace: open /nonexistent/ns/net: no such file or directory"}},
		{name: "relative path", ns: []specs.LinuxNamespace{{Type: "network", Path: "proc/self/ns/net"}},
			want: []string{`network namespace: path "proc/self/ns/net" is not absolute`}},
		{name: "not nsfs", ns: []specs.LinuxNamespace{{Type: "ipc", Path: regular}},
			want: []string{"ipc namespace: " + regular + " is not a namespace file"}},
		{name: "wrong type", ns: []specs.LinuxNamespace{{Type: "network", Path: "/proc/self/ns/uts"}},
			want: []string{"network namespace: /proc/self/ns/uts is a uts namespace"}},
		{name: "join mount", ns: []specs.LinuxNamespace{{Type: "mount", Path: "/proc/self/ns/mnt"}},
			want: []string{"joining an existing mount namespace is not supported yet (needs nsenter)"}},
		{name: "join user", ns: []specs.LinuxNamespace{{Type: "user", Path: "/proc/self/ns/user"}},
			want: []string{"joining an existing user namespace is not supported yet (needs nsenter)"}},
		{name: "join pid", ns: []specs.LinuxNamespace{{Type: "pid", Path: "/proc/self/ns/pid"}},
			want: []string{"joining an existing pid namespace is not supported yet (needs nsenter)"}},
		{name: "join time", ns: []specs.LinuxNamespace{{Type: "time", Path: "/proc/self/ns/time"}},
			want: []string{"joining an existing time namespace is not supported yet (needs nsenter)"}},
		{name: "every problem reported", ns: []specs.LinuxNamespace{{Type: "bogus"}, {Type: "uts"}, {Type: "uts"}, {Type: "pid", Path: "/x"}},
			want: []string{`unknown namespace type "bogus"`, `duplicate namespace type "uts"`, "existing pid namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.ns)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate gave %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestJoinRefusesWhatNeedsNsenter(t *testing.T) {
	// These must fail before touching anything, so the test runs unprivileged on any thread.
	for _, typ := range []specs.LinuxNamespaceType{"mount", "user", "pid", "time"} {
		t.Run(string(typ), func(t *testing.T) {
			err := Join([]specs.LinuxNamespace{{Type: typ, Path: "/proc/self/ns/" + ProcName(typ)}})
			if err == nil || !strings.Contains(err.Error(), "needs nsenter") {
				t.Errorf("Join = %v, want a needs-nsenter error", err)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		err := Join([]specs.LinuxNamespace{{Type: "network", Path: "/nonexistent/net"}})
		if !errors.Is(err, unix.ENOENT) {
			t.Errorf("Join = %v, want ENOENT", err)
		}
	})
}

func TestJoinNetwork(t *testing.T) {
	needs.Root(t)
	cmd := exec.Command("unshare", "-n", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start unshare: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	target := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"
	own := inode(t, "/proc/self/ns/net")
	// unshare execs sleep only after it has made the namespace; until then the child is still in
	// ours. Poll (bounded) instead of sleeping a guessed time.
	var want uint64
	for deadline := time.Now().Add(10 * time.Second); ; {
		if want = inode(t, target); want != own {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare -n did not make a new network namespace within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	type result struct {
		got uint64
		err error
	}
	done := make(chan result)
	go func() {
		// The thread is deliberately never unlocked: after setns it sits in the container's
		// network namespace, and a goroutine that exits while locked makes the Go runtime
		// terminate its thread instead of handing it to other goroutines, which would then run
		// in a namespace they did not ask for.
		runtime.LockOSThread()
		if err := Join([]specs.LinuxNamespace{{Type: "network", Path: target}}); err != nil {
			done <- result{err: err}
			return
		}
		var st syscall.Stat_t
		err := syscall.Stat("/proc/thread-self/ns/net", &st)
		done <- result{got: st.Ino, err: err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("join: %v", r.err)
	}
	if r.got != want {
		t.Errorf("thread's net namespace inode = %d, want %d (the unshare child's)", r.got, want)
	}
	if now := inode(t, "/proc/thread-self/ns/net"); now != own {
		// This goroutine's thread never called setns.
		t.Errorf("test thread moved to net namespace %d, want it to stay in %d", now, own)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}
