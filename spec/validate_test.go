package spec

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// newBundle makes a bundle directory with an empty rootfs/ in it.
func newBundle(t *testing.T) string {
	t.Helper()
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bundle
}

func loadTestdata(t *testing.T, name string) *specs.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestValidateAccepts runs Validate on configs real tools write: none may be rejected.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		spec func(t *testing.T) *specs.Spec
	}{
		{name: "contain spec (Default)", spec: func(t *testing.T) *specs.Spec {
			s, err := Default()
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{name: "runc spec 1.1 (testdata)", spec: func(t *testing.T) *specs.Spec { return loadTestdata(t, "runc-spec.json") }},
		{name: "containerd CRI", spec: func(t *testing.T) *specs.Spec { return loadTestdata(t, "containerd-spec.json") }},
		{name: "podman, rootfs outside the bundle", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "podman-spec.json")
			s.Root.Path = t.TempDir() // podman passes storage's merged dir, an absolute path
			return s
		}},
		{name: "id-mapped bind mounts", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Mounts = append(s.Mounts,
				specs.Mount{Destination: "/a", Type: "bind", Source: "/tmp", UIDMappings: m, GIDMappings: m},
				specs.Mount{Destination: "/b", Source: "/tmp", Options: []string{"rbind", "ridmap"}, UIDMappings: m, GIDMappings: m})
			return s
		}},
		{name: "idmap from the container's user namespace", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = s.Linux.UIDMappings
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/b", Source: "/tmp", Options: []string{"rbind", "idmap"}})
			return s
		}},
		// runc mounts a relative destination from "/", with a warning (libcontain/rootfs warns).
		{name: "relative mount destination", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "data", Type: "bind", Source: "/tmp", Options: []string{"rbind"}})
			return s
		}},
		{name: "docker --domainname", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Sysctl = map[string]string{"kernel.domainname": "example.org"}
			return s
		}},
		{name: "every ipc sysctl", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Sysctl = map[string]string{}
			for _, k := range []string{"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
				"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.msg_max"} {
				s.Linux.Sysctl[k] = "1"
			}
			return s
		}},
		{name: "limits at their edges", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](1 << 20), Reservation: ptr[int64](1 << 20),
				Swap: ptr[int64](-1), Swappiness: ptr[uint64](math.MaxUint64)}
			s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: ptr[uint64](262144), Quota: ptr[int64](1000), Period: ptr[uint64](1000000)}
			s.Linux.Resources.Pids = &specs.LinuxPids{Limit: ptr[int64](0)}
			s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{Weight: ptr[uint16](10)}
			return s
		}},
		{name: "unset values are zero", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](0), Swap: ptr[int64](0), Reservation: ptr[int64](0)}
			s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: ptr[uint64](0), Quota: ptr[int64](0), Period: ptr[uint64](0)}
			s.Linux.Resources.Pids = &specs.LinuxPids{Limit: ptr[int64](-1)}
			return s
		}},
		{name: "user namespace with mappings", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			return s
		}},
		{name: "unknown annotations", spec: func(t *testing.T) *specs.Spec {
			s := loadTestdata(t, "runc-spec.json")
			s.Annotations = map[string]string{"whatever": "x", "org.opencontainers.image.ref.name": "y"}
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(tt.spec(t), newBundle(t)); err != nil {
				t.Errorf("Validate rejected it:\n%v", err)
			}
		})
	}
}

// TestValidateRuncSpecNow validates what the installed runc writes today, if there is one.
func TestValidateRuncSpecNow(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc is not installed; TestValidateAccepts covers the committed testdata/runc-spec.json")
	}
	bundle := newBundle(t)
	cmd := exec.Command(runc, "spec")
	cmd.Dir = bundle
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	s, err := Load(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(s, bundle); err != nil {
		t.Errorf("Validate rejected `runc spec` output:\n%v", err)
	}
}

// TestValidateRejects changes one thing in a valid config per case and expects exactly one
// problem, in one line, that says what is wrong.
func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *specs.Spec, bundle string)
		want   string
	}{
		// ociVersion
		{"version 2.0.0", func(s *specs.Spec, _ string) { s.Version = "2.0.0" }, `ociVersion "2.0.0" is not supported`},
		{"version 1.4.0", func(s *specs.Spec, _ string) { s.Version = "1.4.0" }, `ociVersion "1.4.0" is not supported`},
		{"version 0.6.0", func(s *specs.Spec, _ string) { s.Version = "0.6.0" }, `ociVersion "0.6.0" is not supported`},
		{"version empty", func(s *specs.Spec, _ string) { s.Version = "" }, "ociVersion must be set"},
		{"version garbage", func(s *specs.Spec, _ string) { s.Version = "latest" }, `ociVersion "latest" is not a version`},
		{"version two parts", func(s *specs.Spec, _ string) { s.Version = "1.0" }, `ociVersion "1.0" is not a version`},

		// root
		{"no root", func(s *specs.Spec, _ string) { s.Root = nil }, "root must be set"},
		{"no root.path", func(s *specs.Spec, _ string) { s.Root.Path = "" }, "root.path must be set"},
		{"rootfs missing", func(s *specs.Spec, _ string) { s.Root.Path = "nope" }, `rootfs (".../nope") does not exist`},
		{"rootfs is a file", func(s *specs.Spec, bundle string) {
			os.WriteFile(filepath.Join(bundle, "file"), nil, 0o644)
			s.Root.Path = "file"
		}, "is not a directory"},

		// process
		{"no process", func(s *specs.Spec, _ string) { s.Process = nil }, "process must be set"},
		{"no args", func(s *specs.Spec, _ string) { s.Process.Args = nil }, "process.args must not be empty"},
		{"no cwd", func(s *specs.Spec, _ string) { s.Process.Cwd = "" }, "process.cwd must be set"},
		{"relative cwd", func(s *specs.Spec, _ string) { s.Process.Cwd = "home" }, `process.cwd "home" must be an absolute path`},
		{"env without =", func(s *specs.Spec, _ string) { s.Process.Env = append(s.Process.Env, "FOO") }, `process.env[2] "FOO" must be in NAME=value form`},
		{"env empty name", func(s *specs.Spec, _ string) { s.Process.Env = append(s.Process.Env, "=x") }, "has an empty name"},
		{"env NUL", func(s *specs.Spec, _ string) { s.Process.Env = append(s.Process.Env, "A=b\x00c") }, "holds a NUL byte"},
		{"unknown rlimit", func(s *specs.Spec, _ string) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_FOO", Hard: 1, Soft: 1})
		}, `process.rlimits: unknown rlimit type "RLIMIT_FOO"`},
		{"duplicate rlimit", func(s *specs.Spec, _ string) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Hard: 2048, Soft: 2048})
		}, `process.rlimits: duplicate rlimit type "RLIMIT_NOFILE"`},
		{"rlimit soft above hard", func(s *specs.Spec, _ string) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_CORE", Hard: 1, Soft: 2}}
		}, "RLIMIT_CORE soft limit 2 is above its hard limit 1"},
		{"oomScoreAdj", func(s *specs.Spec, _ string) { s.Process.OOMScoreAdj = ptr(1001) }, "process.oomScoreAdj 1001 is outside -1000..1000"},

		// hooks
		{"relative hook", func(s *specs.Spec, _ string) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "bin/hook"}}}
		}, `hooks.createRuntime[0].path "bin/hook" must be an absolute path`},
		{"relative poststop hook", func(s *specs.Spec, _ string) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/ok"}, {Path: "hook"}}}
		}, `hooks.poststop[1].path "hook" must be an absolute path`},
		{"zero hook timeout", func(s *specs.Spec, _ string) {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Timeout: ptr(0)}}}
		}, "hooks.startContainer[0].timeout 0 must be greater than zero"},

		// mounts
		{"idmap of a tmpfs", func(s *specs.Spec, _ string) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"},
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}, GIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, "mounts[7] (/x): id-mapped mounts are only supported for bind-mounts"},
		{"idmap without maps or user namespace", func(s *specs.Spec, _ string) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Source: "/tmp", Options: []string{"rbind", "ridmap"}})
		}, "mounts[7] (/x): id-mapped mounts must have both uid and gid mappings specified"},
		{"uid maps without gid maps", func(s *specs.Spec, _ string) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp",
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, "mounts[7] (/x): id-mapped mounts must have both uid and gid mappings specified"},
		{"empty mount destination", func(s *specs.Spec, _ string) { s.Mounts[0].Destination = "" }, "mounts[0].destination must be set"},

		// namespaces
		{"unknown namespace", func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}, `linux.namespaces: unknown namespace type "bogus"`},
		{"duplicate namespace", func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "pid"})
		}, `linux.namespaces: duplicate namespace type "pid"`},
		{"relative namespace path", func(s *specs.Spec, _ string) {
			s.Linux.Namespaces[1] = specs.LinuxNamespace{Type: "network", Path: "run/netns/x"}
		}, `linux.namespaces: network namespace path "run/netns/x" must be an absolute path`},
		{"uid mappings without user namespace", func(s *specs.Spec, _ string) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.uidMappings/gidMappings need a user namespace"},
		{"new user namespace without mappings", func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		}, "a new user namespace needs linux.uidMappings and linux.gidMappings"},
		{"hostname without uts", func(s *specs.Spec, _ string) { dropNamespace(s, "uts") },
			`hostname "contain" needs a uts namespace`},
		{"domainname without uts", func(s *specs.Spec, _ string) {
			s.Hostname = ""
			s.Domainname = "example.org"
			dropNamespace(s, "uts")
		}, `domainname "example.org" needs a uts namespace`},

		// sysctl
		{"net sysctl without network namespace", func(s *specs.Spec, _ string) {
			dropNamespace(s, "network")
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, `linux.sysctl: "net.ipv4.ip_forward" needs a network namespace`},
		{"ipc sysctl without ipc namespace", func(s *specs.Spec, _ string) {
			dropNamespace(s, "ipc")
			s.Linux.Sysctl = map[string]string{"kernel.shmmax": "1"}
		}, `linux.sysctl: "kernel.shmmax" needs an ipc namespace`},
		{"mqueue sysctl without ipc namespace", func(s *specs.Spec, _ string) {
			dropNamespace(s, "ipc")
			s.Linux.Sysctl = map[string]string{"fs.mqueue.queues_max": "1"}
		}, `linux.sysctl: "fs.mqueue.queues_max" needs an ipc namespace`},
		{"host-wide sysctl", func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "1"} },
			`linux.sysctl: "vm.swappiness" is not namespaced`},
		{"kernel.pid_max", func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"kernel.pid_max": "1"} },
			`linux.sysctl: "kernel.pid_max" is not namespaced`},
		{"kernel.hostname", func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"kernel.hostname": "x"} },
			`linux.sysctl: "kernel.hostname" conflicts with the hostname field`},
		{"kernel.domainname without uts", func(s *specs.Spec, _ string) {
			s.Hostname = ""
			dropNamespace(s, "uts")
			s.Linux.Sysctl = map[string]string{"kernel.domainname": "x"}
		}, `linux.sysctl: "kernel.domainname" needs a uts namespace`},
		{"sysctl path traversal", func(s *specs.Spec, _ string) {
			s.Linux.Sysctl = map[string]string{"net.ipv4/../../../vm/swappiness": "1"}
		}, `is not a sysctl name`},
		{"sysctl dotdot", func(s *specs.Spec, _ string) { s.Linux.Sysctl = map[string]string{"net..vm": "1"} }, `is not a sysctl name`},

		// linux paths and devices
		{"relative masked path", func(s *specs.Spec, _ string) { s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "proc/kcore") },
			`linux.maskedPaths: "proc/kcore" must be an absolute path`},
		{"relative readonly path", func(s *specs.Spec, _ string) { s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, "proc/sys") },
			`linux.readonlyPaths: "proc/sys" must be an absolute path`},
		{"bad device type", func(s *specs.Spec, _ string) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "x", Major: 10, Minor: 229}}
		}, `linux.devices[0] "/dev/fuse": type "x" is not one of c, u, b, p`},
		{"relative device path", func(s *specs.Spec, _ string) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/fuse", Type: "c", Major: 10, Minor: 229}}
		}, `linux.devices[0]: path "dev/fuse" must be an absolute path`},
		{"bad rootfs propagation", func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = "rshare" },
			`linux.rootfsPropagation "rshare" is not a propagation type`},

		// resources
		{"negative memory limit", func(s *specs.Spec, _ string) { s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](-2)} },
			"linux.resources.memory.limit -2 is negative"},
		{"negative reservation", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Reservation: ptr[int64](-5)}
		}, "linux.resources.memory.reservation -5 is negative"},
		{"reservation above limit", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](1 << 20), Reservation: ptr[int64](2 << 20)}
		}, "linux.resources.memory.reservation 2097152 is above the memory limit 1048576"},
		{"swap below limit", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](2 << 20), Swap: ptr[int64](1 << 20)}
		}, "linux.resources.memory.swap 1048576 is below the memory limit 2097152"},
		{"swap without limit", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Swap: ptr[int64](1 << 20)}
		}, "linux.resources.memory.swap 1048576 needs a memory limit"},
		{"swap with unlimited memory", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr[int64](-1), Swap: ptr[int64](1 << 20)}
		}, "linux.resources.memory.swap 1048576 needs a memory limit"},
		{"negative swap", func(s *specs.Spec, _ string) { s.Linux.Resources.Memory = &specs.LinuxMemory{Swap: ptr[int64](-3)} },
			"linux.resources.memory.swap -3 is negative"},
		{"swappiness", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Swappiness: ptr[uint64](101)}
		}, "linux.resources.memory.swappiness 101 is outside 0..100"},
		{"cpu shares 1", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: ptr[uint64](1)} },
			"linux.resources.cpu.shares 1 is outside 2..262144"},
		{"cpu shares huge", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Shares: ptr[uint64](262145)} },
			"linux.resources.cpu.shares 262145 is outside 2..262144"},
		{"cpu quota too small", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Quota: ptr[int64](999)} },
			"linux.resources.cpu.quota 999 must be -1 (unlimited) or at least 1000"},
		{"cpu quota negative", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Quota: ptr[int64](-2)} },
			"linux.resources.cpu.quota -2 must be -1"},
		{"cpu period too small", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Period: ptr[uint64](999)} },
			"linux.resources.cpu.period 999 is outside 1000..1000000"},
		{"cpu period too large", func(s *specs.Spec, _ string) { s.Linux.Resources.CPU = &specs.LinuxCPU{Period: ptr[uint64](1000001)} },
			"linux.resources.cpu.period 1000001 is outside 1000..1000000"},
		{"blkio weight", func(s *specs.Spec, _ string) { s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{Weight: ptr[uint16](5)} },
			"linux.resources.blockIO.weight 5 is outside 10..1000"},
		{"blkio weight device empty", func(s *specs.Spec, _ string) {
			s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{}}}
		}, "weightDevice[0] (0:0) sets neither weight nor leafWeight"},
		{"device rule type", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: "p", Access: "r"})
		}, `linux.resources.devices[1]: type "p" is not one of a, b, c`},
		{"memory policy mode", func(s *specs.Spec, _ string) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "INTERLEAVE", Nodes: "0"}
		}, `invalid memory policy mode "INTERLEAVE"`},
		{"personality domain", func(s *specs.Spec, _ string) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"}
		}, "invalid personality domain LINUX64"},
		{"time offsets without a time namespace", func(s *specs.Spec, _ string) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "time namespace offsets specified, but time namespace isn't enabled in the config"},
		{"exec cpu affinity", func(s *specs.Spec, _ string) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "1-0"}
		}, "bad CPUAffinity.Initial: invalid range: 1-0"},
		{"unified key with slash", func(s *specs.Spec, _ string) {
			s.Linux.Resources.Unified = map[string]string{"../memory.max": "1"}
		}, `linux.resources.unified: "../memory.max" is not a cgroup file name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bundle := newBundle(t)
			s, err := Default()
			if err != nil {
				t.Fatal(err)
			}
			tt.change(s, bundle)
			err = Validate(s, bundle)
			if err == nil {
				t.Fatalf("Validate accepted it, want %q", tt.want)
			}
			msg := strings.ReplaceAll(err.Error(), bundle, "...")
			if strings.Contains(msg, "\n") {
				t.Fatalf("want exactly one problem, got:\n%s", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Validate = %q\nwant it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	s.Version = "9"
	s.Process.Cwd = "rel"
	s.Linux.Sysctl = map[string]string{"vm.a": "1", "vm.b": "1"}
	err = Validate(s, newBundle(t))
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{`ociVersion "9"`, `process.cwd "rel"`, `"vm.a"`, `"vm.b"`} // sysctls in name order
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("problem %d = %q, want it to mention %s", i, lines[i], w)
		}
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil, t.TempDir()); err == nil {
		t.Error("Validate(nil) = nil")
	}
	// An empty config reports its problems instead of panicking on missing parts.
	if err := Validate(&specs.Spec{}, t.TempDir()); err == nil {
		t.Error("Validate(empty) = nil")
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		v            string
		major, minor int
		ok           bool
	}{
		{"1.0.0", 1, 0, true},
		{"1.0.2-dev", 1, 0, true},
		{"1.1.0", 1, 1, true},
		{"1.2.0", 1, 2, true},
		{"1.3.0", 1, 3, true},
		{"1.0.0-rc5", 1, 0, true},
		{"1.2.1+build.7", 1, 2, true},
		{"2.0.0", 2, 0, true},
		{"", 0, 0, false},
		{"1.0", 0, 0, false},
		{"1.0.0.0", 0, 0, false},
		{"v1.0.0", 0, 0, false},
		{"1.01.0", 0, 0, false},
		{"1.0.0-", 0, 0, false},
		{"1.-1.0", 0, 0, false},
		{"1.0.x", 0, 0, false},
		{"99999999999999999999.0.0", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			major, minor, ok := parseVersion(tt.v)
			if ok != tt.ok || (ok && (major != tt.major || minor != tt.minor)) {
				t.Errorf("parseVersion(%q) = %d, %d, %v; want %d, %d, %v", tt.v, major, minor, ok, tt.major, tt.minor, tt.ok)
			}
		})
	}
	for _, v := range []string{"1.0.0", "1.0.2-dev", "1.1.0", "1.2.0", "1.3.0", specs.Version} {
		var p problems
		if checkVersion(&p, v); len(p) != 0 {
			t.Errorf("checkVersion(%q) = %v", v, p)
		}
	}
}

func dropNamespace(s *specs.Spec, t specs.LinuxNamespaceType) {
	var kept []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type != t {
			kept = append(kept, n)
		}
	}
	s.Linux.Namespaces = kept
}
