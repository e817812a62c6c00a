package spec

import (
	"strings"
	"testing"
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
	if s.Linux.Seccomp != nil {
		t.Fatal("seccomp profile left in")
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
		"/data:/data":   {"/data", "/data", false},
		"tmp:/tmp":      {"tmp", "/tmp", false},
		"/a:/b:ro":      {"/a", "/b", true},
		"cache/x:/c:rw": {"cache/x", "/c", false},
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
