package spec

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestQuickSpec(t *testing.T) {
	s, err := Quick(QuickOptions{
		Rootfs: "/r", Args: []string{"/bin/sh"}, Hostname: "sandbox", Memory: 64 << 20,
		CPUQuota: 50000, Pids: 64, Env: []string{"A=b"}, NetHost: true, CgroupsPath: QuickCgroupsPath("web"),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Linux.Resources
	if *r.Memory.Limit != 67108864 || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || r.Pids.Limit == nil || *r.Pids.Limit != 64 {
		t.Fatalf("resources %+v %+v %+v", r.Memory, r.CPU, r.Pids)
	}
	if s.Hostname != "sandbox" || s.Root.Path != "/r" || s.Linux.CgroupsPath != "contain/web" {
		t.Fatalf("spec %q %q %q", s.Hostname, s.Root.Path, s.Linux.CgroupsPath)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == "network" {
			t.Fatal("--net host kept a network namespace")
		}
	}
	if !strings.Contains(strings.Join(s.Process.Env, " "), "A=b") {
		t.Fatalf("env %v", s.Process.Env)
	}
	if s.Linux.Seccomp == nil {
		t.Fatal("no seccomp profile (QuickSeccomp)")
	}
	if _, err := Quick(QuickOptions{Rootfs: "/r"}); err == nil {
		t.Fatal("no command accepted")
	}
	if _, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"x"}, Env: []string{"NOEQ"}}); err == nil {
		t.Fatal("bad env accepted")
	}
}

func TestCPUMax(t *testing.T) {
	if got := CPUMax(50000, CPUPeriod); got != "50000 100000" {
		t.Fatalf("CPUMax = %q", got)
	}
	if got := CPUMax(0, CPUPeriod); got != "max 100000" {
		t.Fatalf("CPUMax = %q", got)
	}
}

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]int64{"1.5": 150000, "0.5": 50000, "2": 200000} {
		if got, err := ParseCPUs(in); err != nil || got != want {
			t.Errorf("ParseCPUs(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "x", "0", "-1", "0.001", "NaN", "Inf"} {
		if _, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) accepted", bad)
		}
	}
}

func TestParseVolume(t *testing.T) {
	good := map[string]Volume{
		"/data:/data":     {"/data", "/data", false},
		"tmp:/tmp":        {"tmp", "/tmp", false},
		"/a:/b:ro":        {"/a", "/b", true},
		"cache/x:/c:rw":   {"cache/x", "/c", false},
		"/../:/0":         {"/", "/0", false}, // found by FuzzParseAnnotations in CI
		"/a/./b/../c/:/c": {"/a/c", "/c", false},
	}
	for in, want := range good {
		if got, err := ParseVolume(in); err != nil || got != want {
			t.Errorf("ParseVolume(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"nocolon", "/a:b", ":/b", "/a:", "/a:/b:rw:x", "/a:/b:x", "../x:/b", "a/../../x:/b"} {
		if _, err := ParseVolume(bad); err == nil {
			t.Errorf("ParseVolume(%q) accepted", bad)
		}
	}
}

func TestQuickCgroupsPath(t *testing.T) {
	for name, want := range map[string]string{
		"web":          "contain/web",
		"c-1a2b3c":     "contain/c-1a2b3c",
		"my.app_1-two": "contain/my.app_1-two",
	} {
		if got := QuickCgroupsPath(name); got != want {
			t.Errorf("QuickCgroupsPath(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestCPUMaxTable: cgroup v2's cpu.max for the quotas --cpu and --cpus produce.
func TestCPUMaxTable(t *testing.T) {
	tests := []struct {
		quota  int64
		period uint64
		want   string
	}{
		{50000, CPUPeriod, "50000 100000"},
		{150000, CPUPeriod, "150000 100000"},
		{1000, CPUPeriod, "1000 100000"},
		{0, CPUPeriod, "max 100000"},
		{-1, CPUPeriod, "max 100000"},
		{25000, 50000, "25000 50000"},
	}
	for _, tc := range tests {
		if got := CPUMax(tc.quota, tc.period); got != tc.want {
			t.Errorf("CPUMax(%d, %d) = %q, want %q", tc.quota, tc.period, got, tc.want)
		}
	}
}

// TestQuickCPUv1: the v1 equivalent of cpu.max is the pair cpu.cfs_quota_us and
// cpu.cfs_period_us, which the driver writes from the spec's quota and period.
func TestQuickCPUv1(t *testing.T) {
	for _, tc := range []struct {
		flag  string
		quota int64
	}{{"--cpu 50000", 50000}, {"--cpus 0.5", 50000}, {"--cpus 1.5", 150000}, {"--cpu 1000", 1000}} {
		q := tc.quota
		if f, ok := strings.CutPrefix(tc.flag, "--cpus "); ok {
			var err error
			if q, err = ParseCPUs(f); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"x"}, CPUQuota: q})
		if err != nil {
			t.Fatal(err)
		}
		c := s.Linux.Resources.CPU
		if c == nil || c.Quota == nil || c.Period == nil || *c.Quota != tc.quota || *c.Period != 100000 {
			t.Errorf("%s: cpu %+v, want cfs_quota_us %d and cfs_period_us 100000", tc.flag, c, tc.quota)
		}
	}
}

// TestQuickDefaults: without flags, no limits and the isolation a newcomer expects: own pid,
// uts, mnt, ipc and net namespaces, root, cwd /, a writable root, no terminal.
func TestQuickDefaults(t *testing.T) {
	s, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"/bin/sh"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Linux.Resources; r != nil && (r.Memory != nil || r.Pids != nil || (r.CPU != nil && r.CPU.Quota != nil)) {
		t.Errorf("limits without flags: %+v", r)
	}
	var nss []string
	for _, ns := range s.Linux.Namespaces {
		nss = append(nss, string(ns.Type))
	}
	for _, want := range []string{"pid", "uts", "mount", "ipc", "network"} {
		if !slices.Contains(nss, want) {
			t.Errorf("no %s namespace in %v", want, nss)
		}
	}
	if s.Process.User.UID != 0 || s.Process.User.GID != 0 || s.Process.Cwd != "/" || s.Process.Terminal || s.Root.Readonly {
		t.Errorf("process %+v root %+v", s.Process, s.Root)
	}
	if s.Hostname != "" {
		t.Errorf("hostname %q without --hostname", s.Hostname)
	}
	if s.Linux.CgroupsPath != "" {
		t.Errorf("cgroupsPath %q without a name", s.Linux.CgroupsPath)
	}
}

// TestQuickOptionsToSpec: each option lands where the OCI spec keeps it.
func TestQuickOptionsToSpec(t *testing.T) {
	s, err := Quick(QuickOptions{
		Rootfs: "/r", Args: []string{"id"}, UID: 1000, GID: 1001, Workdir: "/srv", ReadOnly: true,
		Terminal: true, Annotations: map[string]string{AnnotationVolumes: "tmp:/tmp"},
		Env: []string{"K=v=w"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Process
	if p.User.UID != 1000 || p.User.GID != 1001 || p.Cwd != "/srv" || !p.Terminal || !s.Root.Readonly {
		t.Errorf("process %+v root %+v", p, s.Root)
	}
	if !slices.Contains(p.Env, "K=v=w") {
		t.Errorf("env %v lacks K=v=w", p.Env)
	}
	if s.Annotations[AnnotationVolumes] != "tmp:/tmp" {
		t.Errorf("annotations %v", s.Annotations)
	}
	if _, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"x"}, Workdir: "srv"}); err == nil {
		t.Error("relative workdir accepted")
	}
	if _, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"x"}, Env: []string{"=v"}}); err == nil {
		t.Error("env with an empty key accepted")
	}
}

// TestParseVolumeReserved: a sandbox volume may not name contain's own files in the sandbox
// (issue 16, F5: ".overlay/upper/etc:/tmp" handed the container its own image layer read-write).
func TestParseVolumeReserved(t *testing.T) {
	for _, in := range []string{".overlay/upper/etc:/tmp", ".overlay:/x", "./.overlay/work:/x", ".latest-x:/x", "monitor.json:/x", "stdout:/x", "stderr/a:/x"} {
		if _, err := ParseVolume(in); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("ParseVolume(%q) = %v, want a reserved-name error", in, err)
		}
	}
	for _, in := range []string{"tmp:/tmp", "cache/.overlay:/x", "overlay:/x", "stdouts:/x"} {
		if _, err := ParseVolume(in); err != nil {
			t.Errorf("ParseVolume(%q): %v", in, err)
		}
	}
}

// TestQuickSeccomp: quick mode carries a default profile (issue 16): EPERM by default, keyctl
// and unshare not allowed without CAP_SYS_ADMIN, clone3 answered with ENOSYS so libc falls back.
func TestQuickSeccomp(t *testing.T) {
	s, err := Quick(QuickOptions{Rootfs: "/r", Args: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Linux.Seccomp
	if p == nil || p.DefaultAction != specs.ActErrno {
		t.Fatalf("quick mode's profile: %+v", p)
	}
	action := map[string]specs.LinuxSyscall{}
	for _, sc := range p.Syscalls {
		for _, n := range sc.Names {
			if len(sc.Args) == 0 {
				action[n] = sc
			}
		}
	}
	for _, denied := range []string{"keyctl", "unshare", "setns", "mount", "bpf"} {
		if sc, ok := action[denied]; ok && sc.Action == specs.ActAllow {
			t.Errorf("%s is allowed", denied)
		}
	}
	for _, allowed := range []string{"read", "execve", "rseq", "faccessat2"} {
		if action[allowed].Action != specs.ActAllow {
			t.Errorf("%s is not allowed", allowed)
		}
	}
	if c := action["clone3"]; c.Action != specs.ActErrno || c.ErrnoRet == nil || *c.ErrnoRet != uint(unix.ENOSYS) {
		t.Errorf("clone3: %+v, want ENOSYS", c)
	}
}
