package spec

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"
)

// CPUPeriod is the CFS period quick mode uses: --cpu is microseconds of CPU per this period.
const CPUPeriod = 100000

// QuickOptions are `contain run --rootfs`'s flags, parsed.
type QuickOptions struct {
	Rootfs      string   // absolute path
	Args        []string // the command
	Env         []string // K=V, added to the defaults (PATH, TERM)
	Hostname    string
	Memory      int64 // bytes; 0 = no limit
	CPUQuota    int64 // µs per CPUPeriod; 0 = no limit
	Pids        int64 // 0 = no limit
	Workdir     string
	UID, GID    uint32
	ReadOnly    bool
	NetHost     bool // share the host's network namespace instead of an own one with lo up
	Terminal    bool
	Mounts      []specs.Mount // volumes
	CgroupsPath string
	Annotations map[string]string
}

// Quick builds the spec of a quick-mode container in memory with runtime-tools' generator, so
// quick mode goes through exactly the same create/start machinery as a bundle.
func Quick(o QuickOptions) (*specs.Spec, error) {
	if len(o.Args) == 0 {
		return nil, errors.New("no command given: contain run --rootfs DIR [flags] -- CMD [ARGS...]")
	}
	g, err := generate.New("linux")
	if err != nil {
		return nil, fmt.Errorf("generate spec: %w", err)
	}
	g.SetProcessArgs(o.Args)
	g.SetProcessTerminal(o.Terminal)
	g.SetRootPath(o.Rootfs)
	g.SetRootReadonly(o.ReadOnly)
	if o.Hostname != "" {
		g.SetHostname(o.Hostname)
	} else {
		g.RemoveHostname()
	}
	for _, kv := range o.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --env %q: want KEY=VALUE", kv)
		}
		g.AddProcessEnv(k, v)
	}
	if o.Workdir != "" {
		if !filepath.IsAbs(o.Workdir) {
			return nil, fmt.Errorf("invalid --workdir %q: must be absolute", o.Workdir)
		}
		g.SetProcessCwd(o.Workdir)
	}
	g.SetProcessUID(o.UID)
	g.SetProcessGID(o.GID)
	if o.NetHost {
		if err := g.RemoveLinuxNamespace(string(specs.NetworkNamespace)); err != nil {
			return nil, err
		}
	}
	if o.Memory > 0 {
		g.SetLinuxResourcesMemoryLimit(o.Memory)
	}
	if o.CPUQuota > 0 {
		g.SetLinuxResourcesCPUQuota(o.CPUQuota)
		g.SetLinuxResourcesCPUPeriod(CPUPeriod)
	}
	if o.Pids > 0 {
		g.SetLinuxResourcesPidsLimit(o.Pids)
	}
	for _, m := range o.Mounts {
		g.AddMount(m)
	}
	for k, v := range o.Annotations {
		g.AddAnnotation(k, v)
	}
	s := g.Config
	s.Linux.CgroupsPath = o.CgroupsPath
	s.Linux.Seccomp = QuickSeccomp(s)
	return s, nil
}

// QuickCgroupsPath is the cgroup a quick-mode container named name gets: relative, so it nests
// under the runtime's own cgroup like every relative path (runc's rule), in a "contain" group.
func QuickCgroupsPath(name string) string { return "contain/" + name }

// ParseCPUs turns --cpus ("1.5": one and a half CPUs) into a quota per CPUPeriod.
func ParseCPUs(s string) (int64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid --cpus %q: want a number of CPUs like 0.5 or 2", s)
	}
	q := int64(math.Round(f * CPUPeriod))
	if q < 1000 {
		return 0, fmt.Errorf("invalid --cpus %q: must be at least 0.01", s)
	}
	return q, nil
}

// CPUMax formats a quota the way cgroup v2's cpu.max takes it: "QUOTA PERIOD", "max" unlimited.
func CPUMax(quota int64, period uint64) string {
	if quota <= 0 {
		return fmt.Sprintf("max %d", period)
	}
	return fmt.Sprintf("%d %d", quota, period)
}

// Volume is one --volume HOST:CONTAINER[:ro|:rw].
type Volume struct {
	Host, Container string
	ReadOnly        bool
}

// ParseVolume parses --volume. A relative HOST is a directory in the container's sandbox.
func ParseVolume(v string) (Volume, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Volume{}, fmt.Errorf("invalid volume %q: want HOST:CONTAINER[:ro|:rw]", v)
	}
	vol := Volume{Host: parts[0], Container: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			vol.ReadOnly = true
		case "rw":
		default:
			return Volume{}, fmt.Errorf("invalid volume %q: mode %q is neither ro nor rw", v, parts[2])
		}
	}
	if vol.Host == "" || vol.Container == "" {
		return Volume{}, fmt.Errorf("invalid volume %q: empty path", v)
	}
	if !filepath.IsAbs(vol.Container) {
		return Volume{}, fmt.Errorf("invalid volume %q: container path must be absolute", v)
	}
	if !filepath.IsAbs(vol.Host) {
		for _, el := range strings.Split(vol.Host, "/") {
			if el == ".." {
				return Volume{}, fmt.Errorf("invalid volume %q: a sandbox path may not contain \"..\"", v)
			}
		}
		if first, _, _ := strings.Cut(filepath.Clean(vol.Host), "/"); first != "." && ReservedSandboxName(first) {
			return Volume{}, fmt.Errorf("invalid volume %q: %q is reserved for contain's own files in the sandbox", v, first)
		}
	} else {
		// A host path is the caller's own to name, ".." included; it is used cleaned, lexically
		// ("/../" is "/", and "/a/link/../b" is "/a/b" whatever link points to).
		vol.Host = filepath.Clean(vol.Host)
	}
	return vol, nil
}

// ReservedSandboxName reports whether a sandbox volume may not start with the top-level name:
// contain's own files live there, and a volume naming them would hand the container, read-write,
// the overlay's upper and work dirs (it could then change its own image layer behind the
// kernel's back, or make its /etc 1777), the monitor's report or its captured stdio. Reserved:
// every name starting with "." (.overlay, and the temporary files and links contain renames into
// place), monitor.json, stdout and stderr.
func ReservedSandboxName(name string) bool {
	switch {
	case strings.HasPrefix(name, "."):
		return true
	case name == "monitor.json", name == "stdout", name == "stderr":
		return true
	}
	return false
}
