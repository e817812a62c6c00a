//go:build linux

package cri

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const (
	// criNamespace is where the CRI plugin keeps its containers and images in containerd.
	criNamespace = "k8s.io"
	busyboxImage = "localhost/contain-cri/busybox:1"
	pauseImage   = "localhost/contain-cri/pause:1"
	// cgroupBase is the parent of every pod's cgroup (the kubelet's /kubepods): one fixed name,
	// so a crashed earlier run's empty groups are removed by the next.
	cgroupBase = "/contain-cri-test"
	// callTimeout bounds every CRI call: a hung runtime fails the case instead of the CI job.
	callTimeout = 60 * time.Second
)

// criConfig is what the suite runs: the two handlers' binaries and the image content.
type criConfig struct {
	contain   string // handler contain's BinaryName
	runc      string // handler runc's BinaryName; "" for the shim's PATH lookup of "runc"
	rootfs    string // the busybox rootfs
	cniBinDir string
}

func configFromEnv() (criConfig, error) {
	cfg := criConfig{
		contain:   envOr("CONTAIN_BINARY", "../../contain"),
		runc:      os.Getenv("RUNC_BINARY"),
		rootfs:    envOr("ROOTFS", "../../build/rootfs"),
		cniBinDir: envOr("CNI_BIN_DIR", "/usr/lib/cni"),
	}
	if cfg.runc == "" {
		if _, err := os.Stat("../../build/ref/runc"); err == nil {
			cfg.runc = "../../build/ref/runc"
		}
	}
	for _, p := range []*string{&cfg.contain, &cfg.runc, &cfg.rootfs} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return cfg, fmt.Errorf("resolve %s: %w", *p, err)
		}
		*p = abs
	}
	if _, err := os.Stat(cfg.contain); err != nil {
		return cfg, fmt.Errorf("no contain binary (make build, or set CONTAIN_BINARY): %w", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.rootfs, "bin/busybox")); err != nil {
		return cfg, fmt.Errorf("no busybox rootfs (make rootfs, or set ROOTFS): %w", err)
	}
	for _, plugin := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(cfg.cniBinDir, plugin)); err != nil {
			return cfg, fmt.Errorf("CNI plugin %s missing (apt-get install containernetworking-plugins): %w", plugin, err)
		}
	}
	for _, cmd := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "tar", "cc"} {
		if _, err := exec.LookPath(cmd); err != nil {
			return cfg, fmt.Errorf("%s is not installed (tests/cri/run.sh installs what the suite needs)", cmd)
		}
	}
	return cfg, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// handler is one CRI runtime handler: a RuntimeClass's handler name and its runc-shim options.
type handler struct {
	name   string
	binary string // BinaryName; "" leaves the shim's default ("runc" in PATH)
	root   string // Root: the runtime's state root (the shim adds /<namespace>)
}

// criSuite is one private containerd with the CRI plugin, and the clients that talk to it.
type criSuite struct {
	cfg        criConfig
	work       string // everything of the run lives here (short: unix socket paths)
	sock       string
	containerd *exec.Cmd
	conn       *grpc.ClientConn
	rt         runtime.RuntimeServiceClient
	images     runtime.ImageServiceClient
	handlers   []handler
	report     *report
	// The host's shared dirs containerd and CNI create on first use: removed afterwards if they
	// were not there before and are empty.
	sharedDirs []string
}

func startSuite(cfg criConfig) (*criSuite, error) {
	work, err := os.MkdirTemp("", "contain-cri.")
	if err != nil {
		return nil, fmt.Errorf("make work dir: %w", err)
	}
	s := &criSuite{cfg: cfg, work: work, sock: filepath.Join(work, "containerd.sock"), report: newReport()}
	for _, dir := range []string{"/run/containerd/s", "/run/containerd", "/var/lib/cni/results", "/var/lib/cni"} {
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			s.sharedDirs = append(s.sharedDirs, dir)
		}
	}
	containName, err := runtimeClassHandler()
	if err != nil {
		return s, err
	}
	s.handlers = []handler{
		{name: containName, binary: cfg.contain, root: filepath.Join(work, "state-contain")},
		{name: "runc", binary: cfg.runc, root: filepath.Join(work, "state-runc")},
	}
	for _, dir := range []string{"tmp", "pods", "volumes", "sandboxes", "cni/conf", "cni/data", "images"} {
		if err := os.MkdirAll(filepath.Join(work, dir), 0o755); err != nil {
			return s, err
		}
	}
	removeEmptyCgroups(cgroupBase)
	if err := s.writeConfig(); err != nil {
		return s, err
	}
	if err := s.startContainerd(); err != nil {
		return s, err
	}
	if err := s.importImages(); err != nil {
		return s, err
	}
	return s, nil
}

func (s *criSuite) path(elem ...string) string {
	return filepath.Join(append([]string{s.work}, elem...)...)
}

// The shipped snippets the suite runs with: the containerd handler table (its BinaryName and
// Root are pointed at the tree's contain and our work dir) and the RuntimeClass, whose handler
// name is the one the contain pods ask for.
const (
	handlerSnippet     = "../../contrib/containerd/config.toml.snippet"
	runtimeClassFile   = "../../contrib/kubernetes/runtimeclass.yaml"
	snippetBinaryName  = `BinaryName = "/usr/local/sbin/contain"`
	snippetRuntimeRoot = `Root = "/run/containerd/contain"`
)

// runtimeClassHandler is the handler named in the shipped RuntimeClass manifest.
func runtimeClassHandler() (string, error) {
	b, err := os.ReadFile(runtimeClassFile)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "handler:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("%s names no handler", runtimeClassFile)
}

// containHandlerTables is the shipped handler snippet without its version line, with the paths
// of this run.
func containHandlerTables(h handler) (string, error) {
	b, err := os.ReadFile(handlerSnippet)
	if err != nil {
		return "", err
	}
	s := string(b)
	for _, must := range []string{snippetBinaryName, snippetRuntimeRoot, "\nversion = 2\n",
		`[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.` + h.name + `.options]`} {
		if !strings.Contains(s, must) {
			return "", fmt.Errorf("%s no longer holds %s: update the suite with it", handlerSnippet, must)
		}
	}
	s = strings.Replace(s, "\nversion = 2\n", "\n", 1)
	s = strings.Replace(s, snippetBinaryName, fmt.Sprintf("BinaryName = %q", h.binary), 1)
	return strings.Replace(s, snippetRuntimeRoot, fmt.Sprintf("Root = %q", h.root), 1), nil
}

// writeConfig writes containerd's config (own root, state, sockets and opt dir; the CRI plugin
// with both handlers, the imported pause image and a CNI conf dir of its own) and the CNI bridge
// network.
func (s *criSuite) writeConfig() error {
	contain, runc := s.handlers[0], s.handlers[1]
	containTables, err := containHandlerTables(contain)
	if err != nil {
		return err
	}
	runtimes := containTables + fmt.Sprintf(`
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.%[1]s]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.%[1]s.options]
    BinaryName = %[2]q
    Root = %[3]q
`, runc.name, runc.binary, runc.root)
	config := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
[plugins."io.containerd.internal.v1.opt"]
  path = %[5]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[6]q
  # No AppArmor here; and the CRI plugin would load a profile into the host's kernel.
  disable_apparmor = true
  # Pod network namespaces are bind-mounted under our state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  # This host withholds CAP_SYS_RESOURCE: the sandbox's oom_score_adj of -998 cannot be set (with
  # any runtime). Clamp it to containerd's own, as for a rootless node.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # How often the writable layers' usage (ContainerStats) is recomputed; the default is 10 s.
  stats_collect_period = 1
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[7]q
    conf_dir = %[8]q
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
%[9]s`,
		s.path("root"), s.path("state"), s.sock, s.sock+".ttrpc", s.path("opt"), pauseImage,
		s.cfg.cniBinDir, s.path("cni/conf"), runtimes)
	if err := os.WriteFile(s.path("config.toml"), []byte(config), 0o644); err != nil {
		return err
	}
	// The bridge lives in the suite's network namespace. No ipMasq and no portmap: nothing is
	// written to iptables. host-local keeps its leases in our work dir.
	network := fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "contain-cri",
  "plugins": [{
    "type": "bridge",
    "bridge": "cricontain0",
    "isGateway": true,
    "ipMasq": false,
    "ipam": {
      "type": "host-local",
      "dataDir": %q,
      "ranges": [[{"subnet": %q}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
`, s.path("cni/data"), podSubnet)
	return os.WriteFile(s.path("cni/conf/10-contain-cri.conflist"), []byte(network), 0o644)
}

// podSubnet is the CNI bridge's address range.
const podSubnet = "10.88.77.0/24"

func (s *criSuite) startContainerd() error {
	logFile, err := os.Create(s.path("containerd.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command("containerd", "--config", s.path("config.toml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The shims inherit containerd's environment and pass it to the runtime: contain's
	// per-container sandboxes land in our work dir (runc ignores the variable).
	cmd.Env = append(os.Environ(), "TMPDIR="+s.path("tmp"), "CONTAIN_WORK_DIR="+s.path("sandboxes"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	s.containerd = cmd
	conn, err := grpc.NewClient("unix://"+s.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial containerd: %w", err)
	}
	s.conn = conn
	s.rt = runtime.NewRuntimeServiceClient(conn)
	s.images = runtime.NewImageServiceClient(conn)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := s.rt.Status(ctx, &runtime.StatusRequest{})
		cancel()
		if err == nil && networkReady(st) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd's CRI did not become ready (status %v, err %v); log:\n%s", st, err, tail(s.path("containerd.log"), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func networkReady(st *runtime.StatusResponse) bool {
	if st.GetStatus() == nil {
		return false
	}
	for _, c := range st.GetStatus().GetConditions() {
		if !c.GetStatus() {
			return false
		}
	}
	return true
}

// tail is the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *criSuite) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// stop removes what the tests left in the CRI (each such thing is a leftover), stops containerd
// and its shims, and removes the work dir and the run's cgroups. It returns what it found left
// behind.
func (s *criSuite) stop() []string {
	var left []string
	if s.rt != nil && s.containerd != nil {
		left = append(left, s.removeAllPods()...)
	}
	if s.conn != nil {
		s.conn.Close()
	}
	if s.containerd != nil {
		s.containerd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.containerd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			s.containerd.Process.Kill()
			<-done
			left = append(left, "containerd did not stop on SIGTERM within 20 s")
		}
	}
	// Shims outlive containerd; ours are the ones serving our socket.
	for _, p := range shimsOf(s.sock, "") {
		left = append(left, fmt.Sprintf("shim %d (%s)", p.pid, p.cmdline))
		syscall.Kill(p.pid, syscall.SIGKILL)
		os.Remove(shimSocket(p))
	}
	// What the shims left running in the pods' cgroups: ours to end, so none outlives the run.
	if killed := killCgroupProcs(cgroupBase); len(killed) > 0 {
		left = append(left, killed...)
		time.Sleep(500 * time.Millisecond) // SIGKILLed tasks leave their cgroups when reaped
	}
	for _, m := range mountsUnder(s.work) {
		left = append(left, "mount "+m)
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	for _, h := range s.handlers {
		if names := dirNames(filepath.Join(h.root, criNamespace)); len(names) > 0 {
			left = append(left, fmt.Sprintf("runtime state of handler %s: %v", h.name, names))
		}
	}
	if groups := removeEmptyCgroups(cgroupBase); len(groups) > 0 {
		left = append(left, fmt.Sprintf("non-empty cgroups: %v", groups))
	}
	if os.Getenv("CRI_KEEP_WORK") == "" {
		os.RemoveAll(s.work)
	} else {
		fmt.Fprintf(os.Stderr, "cri: work dir kept: %s\n", s.work)
	}
	for _, dir := range s.sharedDirs {
		os.Remove(dir) // only when empty: anything else is someone else's
	}
	return left
}

// removeAllPods stops and removes every sandbox and container still known to the CRI.
func (s *criSuite) removeAllPods() []string {
	var left []string
	ctx, cancel := s.ctx()
	defer cancel()
	if cs, err := s.rt.ListContainers(ctx, &runtime.ListContainersRequest{}); err == nil {
		for _, c := range cs.Containers {
			left = append(left, "container "+c.Metadata.GetName()+" "+c.Id)
			s.rt.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: c.Id})
			s.rt.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: c.Id})
		}
	}
	if ps, err := s.rt.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{}); err == nil {
		for _, p := range ps.Items {
			left = append(left, "pod "+p.Metadata.GetName()+" "+p.Id)
			s.rt.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: p.Id})
			s.rt.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: p.Id})
		}
	}
	return left
}

func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
