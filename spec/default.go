package spec

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"
)

// Default returns the config `contain spec` writes: runtime-tools' Linux defaults, reshaped to
// what `runc spec` writes so that tutorials and scripts written for runc work unchanged. The
// result validates for a bundle with a rootfs directory.
func Default() (*specs.Spec, error) {
	g, err := generate.New("linux")
	if err != nil {
		return nil, fmt.Errorf("generate default spec: %w", err)
	}
	g.SetOCIVersion(specs.Version)
	g.SetProcessTerminal(true)
	g.SetProcessArgs([]string{"sh"})
	g.SetProcessCwd("/")
	g.SetProcessNoNewPrivileges(true)
	g.SetRootPath("rootfs")
	g.SetRootReadonly(true)
	g.SetHostname("contain")
	g.ClearProcessRlimits()
	g.AddProcessRlimits("RLIMIT_NOFILE", 1024, 1024)

	// runc's small default set instead of runtime-tools' docker-like one: a hand-made bundle is
	// usually an experiment, and it is easier to add a capability than to notice an extra one.
	g.ClearProcessCapabilities()
	for _, c := range []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} {
		if err := g.AddProcessCapabilityBounding(c); err != nil {
			return nil, fmt.Errorf("generate default spec: %w", err)
		}
		if err := g.AddProcessCapabilityEffective(c); err != nil {
			return nil, fmt.Errorf("generate default spec: %w", err)
		}
		if err := g.AddProcessCapabilityPermitted(c); err != nil {
			return nil, fmt.Errorf("generate default spec: %w", err)
		}
	}

	g.ClearMounts()
	for _, m := range defaultMounts() {
		g.AddMount(m)
	}

	// runc spec's list: no cgroup namespace. Configs written for runc add one themselves, and
	// a default that had it would make those fail as duplicates.
	g.ClearLinuxNamespaces()
	for _, ns := range []string{"pid", "network", "ipc", "uts", "mount"} {
		if err := g.AddOrReplaceLinuxNamespace(ns, ""); err != nil {
			return nil, fmt.Errorf("generate default spec: %w", err)
		}
	}
	for _, path := range defaultMaskedPaths {
		g.AddLinuxMaskedPaths(path)
	}
	for _, path := range defaultReadonlyPaths {
		g.AddLinuxReadonlyPaths(path)
	}

	s := g.Config
	// runtime-tools adds a docker-like seccomp profile; runc spec has none, and neither does
	// ours: a profile belongs to the engine (containerd, podman), which keeps it current.
	s.Linux.Seccomp = nil
	return s, nil
}

// defaultMounts are runc spec's mounts: the API filesystems a shell expects, /sys and the cgroup
// tree read-only so the container cannot reconfigure the host through them.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
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
	}
}

// defaultMaskedPaths hide host information and knobs that /proc and /sys do not namespace.
var defaultMaskedPaths = []string{
	"/proc/acpi",
	"/proc/asound",
	"/proc/kcore", // physical memory of the host
	"/proc/keys",  // the host's keyrings
	"/proc/latency_stats",
	"/proc/timer_list", // leaks host task names and timers
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/sys/firmware",
	"/proc/scsi",
	// Intel RAPL energy counters allow the PLATYPUS power side channel (CVE-2020-8694/8695).
	"/sys/devices/virtual/powercap",
}

// defaultReadonlyPaths stay visible but cannot be written: writing them would change the host.
var defaultReadonlyPaths = []string{
	"/proc/bus",
	"/proc/fs",
	"/proc/irq",
	"/proc/sys",
	"/proc/sysrq-trigger",
}
