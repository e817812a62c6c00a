//go:build linux

package cri

import (
	"fmt"
	"os"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Each securityContext case looks at the container from inside twice: as its command (the
// runtime's create path) and through ExecSync (the runtime's exec path). Both must match.

// probe runs script as the container's command, then the same script through ExecSync, and
// returns both outputs.
func probe(t *testing.T, p *pod, cfg *runtime.ContainerConfig, script string) (initOut, execOut string) {
	t.Helper()
	const marker = "__probed__\n"
	cfg.Command = []string{"sh", "-c", script + "\nprintf " + strings.TrimSuffix(marker, "\n") + "'\\n'\nexec sleep 3600"}
	c := p.start(t, cfg)
	waitLog(t, c, marker)
	initOut = strings.TrimSuffix(c.logs(t).stdout(), marker)
	r, err := c.execSync(t, 30, "sh", "-c", script)
	if err != nil {
		t.Fatalf("ExecSync probe: %v", err)
	}
	return initOut, string(r.Stdout)
}

// statusFields parses "Key:\tvalue" lines (of /proc/<pid>/status) into a map.
func statusFields(out string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// expectBoth checks that the command's and the exec's output both equal want.
func expectBoth(t *testing.T, initOut, execOut, want string) {
	t.Helper()
	if initOut != want {
		t.Errorf("container command saw:\n%s\nwant:\n%s", initOut, want)
	}
	if execOut != want {
		t.Errorf("ExecSync saw:\n%s\nwant:\n%s", execOut, want)
	}
}

func TestRunAsUser(t *testing.T) {
	eachHandler(t, "security: runAsUser, runAsGroup, groups", func(t *testing.T, h handler) {
		p := newPod(t, h, "runas-"+h.name, podOptions{})
		cfg := containerConfig("user", "")
		cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{
			RunAsUser:          &runtime.Int64Value{Value: 1000},
			RunAsGroup:         &runtime.Int64Value{Value: 2000},
			SupplementalGroups: []int64{3000},
		}
		script := `grep -E '^(Uid|Gid|Groups|CapPrm|CapEff):' /proc/self/status
f=/tmp/owned-$$; touch $f && stat -c 'file %u:%g' $f; rm -f $f`
		initOut, execOut := probe(t, p, cfg, script)
		for who, out := range map[string]string{"command": initOut, "ExecSync": execOut} {
			f := statusFields(out)
			if f["Uid"] != "1000\t1000\t1000\t1000" || f["Gid"] != "2000\t2000\t2000\t2000" {
				t.Errorf("%s: Uid %q Gid %q, want 1000 and 2000 (real, effective, saved, fs)", who, f["Uid"], f["Gid"])
			}
			if !strings.Contains(" "+f["Groups"]+" ", " 3000 ") {
				t.Errorf("%s: supplementary groups %q lack 3000", who, f["Groups"])
			}
			if f["CapPrm"] != "0000000000000000" || f["CapEff"] != "0000000000000000" {
				t.Errorf("%s: a non-root user kept capabilities: CapPrm %s CapEff %s", who, f["CapPrm"], f["CapEff"])
			}
			if f["file 1000"] != "2000" {
				t.Errorf("%s: a new file is not owned by 1000:2000:\n%s", who, out)
			}
		}
	})
}

func TestReadOnlyRootfs(t *testing.T) {
	eachHandler(t, "security: readOnlyRootFilesystem", func(t *testing.T, h handler) {
		p := newPod(t, h, "rorootfs-"+h.name, podOptions{})
		cfg := containerConfig("ro", "")
		cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{ReadonlyRootfs: true}
		script := `for f in /probe /tmp/probe /dev/shm/probe; do
  if echo x >>$f 2>/dev/null; then echo "$f writable"; else echo "$f read-only"; fi
done`
		initOut, execOut := probe(t, p, cfg, script)
		// The rootfs is read-only; the pod's /dev/shm stays writable.
		expectBoth(t, initOut, execOut, "/probe read-only\n/tmp/probe read-only\n/dev/shm/probe writable\n")
	})
}

// The capability numbers the cases use, and the CRI plugin's default set.
var capBits = map[string]uint{
	"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7,
	"SETPCAP": 8, "NET_BIND_SERVICE": 10, "NET_ADMIN": 12, "NET_RAW": 13, "SYS_CHROOT": 18,
	"SYS_TIME": 25, "MKNOD": 27, "AUDIT_WRITE": 29, "SETFCAP": 31,
}

var defaultCaps = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}

func capMask(names ...string) uint64 {
	var m uint64
	for _, n := range names {
		m |= 1 << capBits[n]
	}
	return m
}

func TestCapabilities(t *testing.T) {
	eachHandler(t, "security: capabilities add and drop", func(t *testing.T, h handler) {
		p := newPod(t, h, "caps-"+h.name, podOptions{})
		script := `grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
touch /tmp/chown-probe; if chown 1 /tmp/chown-probe 2>/dev/null; then echo chown allowed; else echo chown denied; fi`
		cases := []struct {
			name      string
			add, drop []string
			want      uint64
			chown     string
		}{
			{"add-drop", []string{"NET_ADMIN", "SYS_TIME"}, []string{"CHOWN", "NET_RAW"},
				capMask(defaultCaps...)&^capMask("CHOWN", "NET_RAW") | capMask("NET_ADMIN", "SYS_TIME"), "denied"},
			{"drop-all", []string{"NET_BIND_SERVICE"}, []string{"ALL"}, capMask("NET_BIND_SERVICE"), "denied"},
			{"default", nil, nil, capMask(defaultCaps...), "allowed"},
		}
		for _, tc := range cases {
			cfg := containerConfig(tc.name, "")
			cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{
				Capabilities: &runtime.Capability{AddCapabilities: tc.add, DropCapabilities: tc.drop},
			}
			want := fmt.Sprintf("CapInh:\t0000000000000000\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t0000000000000000\nchown %s\n",
				tc.want, tc.want, tc.want, tc.chown)
			initOut, execOut := probe(t, p, cfg, script)
			t.Run(tc.name, func(t *testing.T) { expectBoth(t, initOut, execOut, want) })
		}
	})
}

func TestSeccomp(t *testing.T) {
	eachHandler(t, "security: seccomp RuntimeDefault, Unconfined, Localhost", func(t *testing.T, h handler) {
		p := newPod(t, h, "seccomp-"+h.name, podOptions{})
		// containerd's default profile allows unshare only with CAP_SYS_ADMIN.
		script := `grep '^Seccomp:' /proc/self/status
if unshare -U true 2>/dev/null; then echo unshare allowed; else echo unshare denied; fi`
		for _, tc := range []struct {
			profile runtime.SecurityProfile_ProfileType
			want    string
		}{
			{runtime.SecurityProfile_RuntimeDefault, "Seccomp:\t2\nunshare denied\n"},
			{runtime.SecurityProfile_Unconfined, "Seccomp:\t0\nunshare allowed\n"},
		} {
			cfg := containerConfig(strings.ToLower(tc.profile.String()), "")
			cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{
				Seccomp: &runtime.SecurityProfile{ProfileType: tc.profile},
			}
			initOut, execOut := probe(t, p, cfg, script)
			t.Run(tc.profile.String(), func(t *testing.T) { expectBoth(t, initOut, execOut, tc.want) })
		}
		// A node-local profile (the kubelet's seccomp dir), in the Docker format containerd
		// converts: everything allowed but mkdir and mkdirat, which fail with EPERM.
		profile := suite.path("volumes", p.uid+"-seccomp.json")
		if err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := containerConfig("localhost", "")
		cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{
			Seccomp: &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: profile},
		}
		initOut, execOut := probe(t, p, cfg, `grep '^Seccomp:' /proc/self/status
d=/tmp/dir-$$; if mkdir $d 2>/dev/null; then echo mkdir allowed; rmdir $d; else echo mkdir denied; fi
f=/tmp/file-$$; if touch $f; then echo touch allowed; rm $f; fi`)
		t.Run("Localhost", func(t *testing.T) { expectBoth(t, initOut, execOut, "Seccomp:\t2\nmkdir denied\ntouch allowed\n") })
	})
}

func TestNoNewPrivs(t *testing.T) {
	eachHandler(t, "security: NoNewPrivs", func(t *testing.T, h handler) {
		p := newPod(t, h, "nnp-"+h.name, podOptions{})
		for _, nnp := range []bool{true, false} {
			cfg := containerConfig(fmt.Sprintf("nnp-%t", nnp), "")
			cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{NoNewPrivs: nnp}
			want := "NoNewPrivs:\t0\n"
			if nnp {
				want = "NoNewPrivs:\t1\n"
			}
			initOut, execOut := probe(t, p, cfg, "grep '^NoNewPrivs:' /proc/self/status")
			t.Run(fmt.Sprint(nnp), func(t *testing.T) { expectBoth(t, initOut, execOut, want) })
		}
	})
}

// The kubelet's default (procMount Default) masked and read-only paths, as it passes them.
var (
	kubeletMaskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap"}
	kubeletReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

func TestMaskedReadonlyPaths(t *testing.T) {
	eachHandler(t, "security: masked and read-only paths", func(t *testing.T, h handler) {
		if entries, _ := os.ReadDir("/sys/firmware"); len(entries) == 0 || !hostHas("/proc/timer_list") || !hostHas("/proc/bus") {
			t.Skip("needs /proc/timer_list, /proc/bus and a non-empty /sys/firmware on the host to tell masked from not")
		}
		p := newPod(t, h, "masked-"+h.name, podOptions{})
		// head -c 1: a masked file reads nothing. Writing hostname back to itself is harmless
		// even where it is allowed.
		script := `for f in /proc/timer_list /proc/cpuinfo; do
  if [ "$(head -c 1 $f 2>/dev/null | wc -c)" = 1 ]; then echo "$f readable"; else echo "$f masked"; fi
done
if [ -z "$(ls -A /sys/firmware)" ]; then echo "/sys/firmware masked"; else echo "/sys/firmware visible"; fi
if cat /proc/sys/kernel/hostname 2>/dev/null >/proc/sys/kernel/hostname; then echo "/proc/sys writable"; else echo "/proc/sys read-only"; fi
if touch /etc/probe 2>/dev/null; then echo "/etc writable"; else echo "/etc read-only"; fi
awk '$5 == "/proc/bus" { split($6, o, ","); print $5, o[1] }' /proc/self/mountinfo`
		for _, tc := range []struct {
			name             string
			masked, readonly []string
			want             string
		}{
			{"kubelet-defaults", kubeletMaskedPaths, kubeletReadonlyPaths,
				"/proc/timer_list masked\n/proc/cpuinfo readable\n/sys/firmware masked\n/proc/sys read-only\n/etc writable\n/proc/bus ro\n"},
			{"custom", []string{"/proc/cpuinfo", "/sys/firmware"}, []string{"/etc", "/proc/bus"},
				"/proc/timer_list readable\n/proc/cpuinfo masked\n/sys/firmware masked\n/proc/sys writable\n/etc read-only\n/proc/bus ro\n"},
		} {
			cfg := containerConfig(tc.name, "")
			cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{MaskedPaths: tc.masked, ReadonlyPaths: tc.readonly}
			initOut, execOut := probe(t, p, cfg, script)
			t.Run(tc.name, func(t *testing.T) { expectBoth(t, initOut, execOut, tc.want) })
		}
	})
}

func hostHas(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// A privileged container (in a privileged pod) gets every capability the node has, the host's
// devices, no masked or read-only /proc paths and a writable /sys.
func TestPrivileged(t *testing.T) {
	eachHandler(t, "security: privileged", func(t *testing.T, h handler) {
		self, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		nodeCaps := statusFields(string(self))["CapBnd"]
		p := newPod(t, h, "privileged-"+h.name, podOptions{privileged: true})
		cfg := containerConfig("privileged", "")
		cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{Privileged: true}
		script := `grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
if [ "$(head -c 1 /proc/timer_list | wc -c)" = 1 ]; then echo "/proc/timer_list readable"; fi
awk '$5 == "/sys" { split($6, o, ","); print $5, o[1] }' /proc/self/mountinfo
[ -c /dev/loop-control ] && echo "host devices"`
		initOut, execOut := probe(t, p, cfg, script)
		want := fmt.Sprintf("CapPrm:\t%[1]s\nCapEff:\t%[1]s\nCapBnd:\t%[1]s\n/proc/timer_list readable\n/sys rw\n", nodeCaps)
		if hostHas("/dev/loop-control") {
			want += "host devices\n"
		}
		expectBoth(t, initOut, execOut, want)
	})
}
