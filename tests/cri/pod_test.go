//go:build linux

package cri

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// podOptions is what a case asks of its pod, as a pod spec would.
type podOptions struct {
	hostNetwork bool
	hostPID     bool
	hostIPC     bool
	sharedPID   bool
	privileged  bool // allows privileged containers in the pod
	sysctls     map[string]string
	// beforeRun runs after the pod's cgroup parent is chosen and before RunPodSandbox: the
	// kubelet's part of making the pod cgroup (e.g. its pids limit).
	beforeRun func(t *testing.T, cgroupParent string)
}

// pod is one pod sandbox of one handler, with what the leftover check needs to know of it.
type pod struct {
	s           *criSuite
	h           handler
	id          string
	uid         string
	config      *runtime.PodSandboxConfig
	containers  []*container
	netnsPath   string // "" with the host network
	cgroupsPath string // the sandbox container's
	removed     bool
}

// container is one container of a pod.
type container struct {
	p           *pod
	id          string
	name        string
	cgroupsPath string
	logPath     string
}

// specInfo is the part of the CRI plugin's verbose status ("info") the tests read.
type specInfo struct {
	Pid         int `json:"pid"`
	RuntimeSpec struct {
		Linux struct {
			CgroupsPath string `json:"cgroupsPath"`
			Namespaces  []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	} `json:"runtimeSpec"`
}

func parseInfo(t *testing.T, info map[string]string) specInfo {
	t.Helper()
	var si specInfo
	if err := json.Unmarshal([]byte(info["info"]), &si); err != nil {
		t.Fatalf("parse verbose info: %v (%q)", err, info["info"])
	}
	return si
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newPod runs a pod sandbox with handler h, as the kubelet would for a pod of that RuntimeClass,
// and registers its teardown: Stop and Remove of every container and the sandbox, then the check
// that nothing of it is left.
func newPod(t *testing.T, h handler, name string, opts podOptions) *pod {
	t.Helper()
	p := preparePod(t, h, name, opts)
	p.runSandbox(t)
	p.inspect(t)
	return p
}

// preparePod makes the pod's config (and, through opts.beforeRun, its cgroup) and registers its
// teardown, before anything runs: a failed or half-done run is cleaned up and checked too.
func preparePod(t *testing.T, h handler, name string, opts podOptions) *pod {
	t.Helper()
	s := suite
	uid := randomID()
	p := &pod{s: s, h: h, uid: uid}
	netMode, pidMode, ipcMode := runtime.NamespaceMode_POD, runtime.NamespaceMode_CONTAINER, runtime.NamespaceMode_POD
	if opts.hostNetwork {
		netMode = runtime.NamespaceMode_NODE
	}
	if opts.sharedPID {
		pidMode = runtime.NamespaceMode_POD
	}
	if opts.hostPID {
		pidMode = runtime.NamespaceMode_NODE
	}
	if opts.hostIPC {
		ipcMode = runtime.NamespaceMode_NODE
	}
	logDir := s.path("pods", uid)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.config = &runtime.PodSandboxConfig{
		Metadata:     &runtime.PodSandboxMetadata{Name: name, Uid: uid, Namespace: "contain-cri", Attempt: 0},
		Hostname:     name,
		LogDirectory: logDir,
		Labels:       map[string]string{"suite": "contain-cri", "handler": h.name},
		Linux: &runtime.LinuxPodSandboxConfig{
			CgroupParent: cgroupBase + "/pod" + uid,
			SecurityContext: &runtime.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{Network: netMode, Pid: pidMode, Ipc: ipcMode},
				Privileged:       opts.privileged,
			},
			Sysctls: opts.sysctls,
		},
	}
	if opts.hostNetwork {
		p.config.Hostname = "" // the kubelet leaves it unset: the pod has the node's
	}
	t.Cleanup(func() { p.teardown(t) })
	if opts.beforeRun != nil {
		opts.beforeRun(t, p.config.Linux.CgroupParent)
	}
	return p
}

// runSandbox is RunPodSandbox alone.
func (p *pod) runSandbox(t *testing.T) {
	t.Helper()
	ctx, cancel := p.s.ctx()
	defer cancel()
	resp, err := p.s.rt.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: p.config, RuntimeHandler: p.h.name})
	if err != nil {
		t.Fatalf("RunPodSandbox (handler %s): %v", p.h.name, err)
	}
	p.id = resp.PodSandboxId
}

// inspect checks the running sandbox's status and learns its cgroup and network namespace.
func (p *pod) inspect(t *testing.T) {
	t.Helper()
	st := p.status(t)
	if st.Status.State != runtime.PodSandboxState_SANDBOX_READY {
		t.Fatalf("pod %s is %v after RunPodSandbox", p.config.Metadata.Name, st.Status.State)
	}
	if st.Status.RuntimeHandler != p.h.name {
		t.Errorf("pod runtime handler = %q, want %q", st.Status.RuntimeHandler, p.h.name)
	}
	info := parseInfo(t, st.Info)
	p.cgroupsPath = info.RuntimeSpec.Linux.CgroupsPath
	for _, ns := range info.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" {
			p.netnsPath = ns.Path
		}
	}
}

func (p *pod) status(t *testing.T) *runtime.PodSandboxStatusResponse {
	t.Helper()
	ctx, cancel := p.s.ctx()
	defer cancel()
	st, err := p.s.rt.PodSandboxStatus(ctx, &runtime.PodSandboxStatusRequest{PodSandboxId: p.id, Verbose: true})
	if err != nil {
		t.Fatalf("PodSandboxStatus: %v", err)
	}
	return st
}

// ip is the pod's address on the CNI bridge.
func (p *pod) ip(t *testing.T) string {
	t.Helper()
	ip := p.status(t).Status.GetNetwork().GetIp()
	if ip == "" {
		t.Fatal("pod has no IP")
	}
	return ip
}

// containerConfig is a container of the busybox image running sh -c script, logging to
// <name>/0.log as the kubelet names it.
func containerConfig(name, script string) *runtime.ContainerConfig {
	return &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: name},
		Image:    &runtime.ImageSpec{Image: busyboxImage},
		Command:  []string{"sh", "-c", script},
		LogPath:  name + "/0.log",
		Linux:    &runtime.LinuxContainerConfig{},
	}
}

// create is CreateContainer in the pod.
func (p *pod) create(t *testing.T, cfg *runtime.ContainerConfig) *container {
	t.Helper()
	c := p.createOnly(t, cfg)
	c.inspect(t)
	return c
}

// createOnly is CreateContainer alone, with the pod's namespace options in the container's
// security context as the kubelet passes them.
func (p *pod) createOnly(t *testing.T, cfg *runtime.ContainerConfig) *container {
	t.Helper()
	if cfg.Linux.SecurityContext == nil {
		cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{}
	}
	if cfg.Linux.SecurityContext.NamespaceOptions == nil {
		cfg.Linux.SecurityContext.NamespaceOptions = p.config.Linux.SecurityContext.NamespaceOptions
	}
	ctx, cancel := p.s.ctx()
	defer cancel()
	resp, err := p.s.rt.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: p.id, Config: cfg, SandboxConfig: p.config})
	if err != nil {
		t.Fatalf("CreateContainer %s: %v", cfg.Metadata.Name, err)
	}
	c := &container{p: p, id: resp.ContainerId, name: cfg.Metadata.Name, logPath: filepath.Join(p.config.LogDirectory, cfg.LogPath)}
	p.containers = append(p.containers, c)
	return c
}

// inspect learns the container's cgroup from its runtime spec.
func (c *container) inspect(t *testing.T) {
	t.Helper()
	c.cgroupsPath = parseInfo(t, c.status(t).Info).RuntimeSpec.Linux.CgroupsPath
}

// start is CreateContainer and StartContainer.
func (p *pod) start(t *testing.T, cfg *runtime.ContainerConfig) *container {
	t.Helper()
	c := p.create(t, cfg)
	c.start(t)
	return c
}

func (c *container) start(t *testing.T) {
	t.Helper()
	ctx, cancel := c.p.s.ctx()
	defer cancel()
	if _, err := c.p.s.rt.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: c.id}); err != nil {
		t.Fatalf("StartContainer %s: %v", c.name, err)
	}
}

// run starts the container and waits for it to exit: its status and its stdout.
func (p *pod) run(t *testing.T, cfg *runtime.ContainerConfig) (*runtime.ContainerStatus, string) {
	t.Helper()
	c := p.start(t, cfg)
	st := c.waitExited(t, 30*time.Second)
	return st, c.logs(t).stdout()
}

func (c *container) status(t *testing.T) *runtime.ContainerStatusResponse {
	t.Helper()
	ctx, cancel := c.p.s.ctx()
	defer cancel()
	st, err := c.p.s.rt.ContainerStatus(ctx, &runtime.ContainerStatusRequest{ContainerId: c.id, Verbose: true})
	if err != nil {
		t.Fatalf("ContainerStatus %s: %v", c.name, err)
	}
	return st
}

// pid is the container's init process as the host sees it.
func (c *container) pid(t *testing.T) int {
	t.Helper()
	pid := parseInfo(t, c.status(t).Info).Pid
	if pid <= 0 {
		t.Fatalf("container %s has no pid", c.name)
	}
	return pid
}

// waitExited polls ContainerStatus until the container has exited.
func (c *container) waitExited(t *testing.T, timeout time.Duration) *runtime.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := c.status(t).Status
		if st.State == runtime.ContainerState_CONTAINER_EXITED {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still %v after %v; log:\n%s", c.name, st.State, timeout, c.logs(t).text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// execSync is ExecSync with a timeout in seconds (0: none).
func (c *container) execSync(t *testing.T, timeout int64, cmd ...string) (*runtime.ExecSyncResponse, error) {
	t.Helper()
	ctx, cancel := c.p.s.ctx()
	defer cancel()
	return c.p.s.rt.ExecSync(ctx, &runtime.ExecSyncRequest{ContainerId: c.id, Cmd: cmd, Timeout: timeout})
}

// sh runs script in the container with ExecSync and returns its stdout; the script must exit 0.
func (c *container) sh(t *testing.T, script string) string {
	t.Helper()
	r, err := c.execSync(t, 30, "sh", "-c", script)
	if err != nil {
		t.Fatalf("ExecSync %q in %s: %v", script, c.name, err)
	}
	if r.ExitCode != 0 {
		t.Fatalf("ExecSync %q in %s: exit %d, stderr %q", script, c.name, r.ExitCode, r.Stderr)
	}
	return strings.TrimSpace(string(r.Stdout))
}

// stop is StopContainer with a grace period in seconds.
func (c *container) stop(t *testing.T, grace int64) {
	t.Helper()
	ctx, cancel := c.p.s.ctx()
	defer cancel()
	if _, err := c.p.s.rt.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: c.id, Timeout: grace}); err != nil {
		t.Fatalf("StopContainer %s: %v", c.name, err)
	}
}

// teardown does what the kubelet does when a pod is deleted: stop and remove every container,
// then stop and remove the sandbox. Then nothing of the pod may be left: no cgroups, mounts,
// shim, runtime or containerd state, network namespace. Last, the pod cgroup (the kubelet's)
// is removed.
func (p *pod) teardown(t *testing.T) {
	t.Helper()
	if p.removed {
		return
	}
	p.removed = true
	if p.id == "" {
		removeEmptyCgroups(p.config.Linux.CgroupParent)
		return
	}
	ctx, cancel := p.s.ctx()
	defer cancel()
	// Grace period 0: SIGKILL at once. The graceful path has its own case (TestStopContainer);
	// most containers here run sleep as PID 1, which ignores SIGTERM.
	for _, c := range p.containers {
		if _, err := p.s.rt.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: c.id, Timeout: 0}); err != nil {
			t.Errorf("StopContainer %s: %v", c.name, err)
		}
		if _, err := p.s.rt.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: c.id}); err != nil {
			t.Errorf("RemoveContainer %s: %v", c.name, err)
		}
	}
	if _, err := p.s.rt.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
		t.Errorf("StopPodSandbox: %v", err)
	}
	if _, err := p.s.rt.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: p.id}); err != nil {
		t.Errorf("RemovePodSandbox: %v", err)
	}
	// The shim exits on its own once its last task is deleted: give it a moment.
	var left []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		left = p.leftovers()
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, l := range left {
		t.Errorf("left behind by pod %s (handler %s): %s", p.config.Metadata.Name, p.h.name, l)
	}
	if groups := removeEmptyCgroups(p.config.Linux.CgroupParent); len(groups) > 0 {
		t.Errorf("pod cgroup not empty after removal: %v", groups)
	}
}

// ids is the sandbox's id and its containers'.
func (p *pod) ids() []string {
	ids := []string{p.id}
	for _, c := range p.containers {
		ids = append(ids, c.id)
	}
	return ids
}

// leftovers lists what of the pod still exists after its removal.
func (p *pod) leftovers() []string {
	var left []string
	paths := []string{p.cgroupsPath}
	for _, c := range p.containers {
		paths = append(paths, c.cgroupsPath)
	}
	for _, cg := range paths {
		if cg == "" {
			continue
		}
		for _, dir := range cgroupDirs(cg) {
			left = append(left, "cgroup "+dir)
		}
	}
	for _, id := range p.ids() {
		for _, m := range mountsMentioning(id) {
			left = append(left, "mount "+m)
		}
		for _, dir := range []string{
			filepath.Join(p.h.root, criNamespace, id),
			p.s.path("state", "io.containerd.runtime.v2.task", criNamespace, id),
			p.s.path("sandboxes", "containers", id),
		} {
			if _, err := os.Lstat(dir); err == nil {
				left = append(left, "state dir "+dir)
			}
		}
	}
	for _, sh := range shimsOf(p.s.sock, p.id) {
		left = append(left, fmt.Sprintf("shim pid %d", sh.pid))
	}
	if p.netnsPath != "" {
		if _, err := os.Lstat(p.netnsPath); err == nil {
			left = append(left, "netns "+p.netnsPath)
		}
		for _, m := range mountsMentioning(p.netnsPath) {
			left = append(left, "netns mount "+m)
		}
	}
	return left
}
