//go:build linux

package cri

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Two containers of a pod share an emptyDir-style volume: a host directory the kubelet makes
// per pod and bind-mounts into both. One writes, the other reads; a read-only mount refuses
// writes; the host sees what was written.
func TestSharedVolume(t *testing.T) {
	eachHandler(t, "pod: two containers share an emptyDir volume", func(t *testing.T, h handler) {
		p := newPod(t, h, "volume-"+h.name, podOptions{})
		dir := suite.path("volumes", p.uid, "cache")
		if err := os.MkdirAll(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(dir)) })
		writer := containerConfig("writer", "echo from-writer >/cache/msg && exec sleep 3600")
		writer.Mounts = []*runtime.Mount{{ContainerPath: "/cache", HostPath: dir}}
		p.start(t, writer)
		reader := containerConfig("reader", `i=0; while [ ! -s /cache/msg ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
cat /cache/msg
if touch /cache/from-reader 2>/dev/null; then echo writable; else echo read-only; fi`)
		reader.Mounts = []*runtime.Mount{{ContainerPath: "/cache", HostPath: dir, Readonly: true}}
		st, out := p.run(t, reader)
		if st.ExitCode != 0 || out != "from-writer\nread-only\n" {
			t.Errorf("reader: exit %d, output %q; want exit 0, %q", st.ExitCode, out, "from-writer\nread-only\n")
		}
		if b, err := os.ReadFile(filepath.Join(dir, "msg")); err != nil || string(b) != "from-writer\n" {
			t.Errorf("the host's volume dir holds %q (%v)", b, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "from-reader")); err == nil {
			t.Error("the read-only mount let the reader write")
		}
	})
}

// mountPropagation: a volume on a shared host mount. With HostToContainer a mount the node
// makes inside it later appears in the container, with None (private) it does not; with
// Bidirectional (privileged only) a mount made in the container appears on the node.
func TestMountPropagation(t *testing.T) {
	eachHandler(t, "pod: mountPropagation None, HostToContainer, Bidirectional", func(t *testing.T, h handler) {
		p := newPod(t, h, "propagation-"+h.name, podOptions{privileged: true})
		vol := suite.path("volumes", p.uid, "shared")
		if err := os.MkdirAll(vol, 0o755); err != nil {
			t.Fatal(err)
		}
		// The kubelet requires the volume to sit on a shared mount for these modes: make it one.
		if err := unix.Mount(vol, vol, "", unix.MS_BIND, ""); err != nil {
			t.Fatalf("bind %s: %v", vol, err)
		}
		t.Cleanup(func() {
			for _, m := range append(mountsUnder(vol), vol) {
				unix.Unmount(m, unix.MNT_DETACH)
			}
			os.RemoveAll(filepath.Dir(vol))
		})
		if err := unix.Mount("", vol, "", unix.MS_SHARED, ""); err != nil {
			t.Fatalf("make %s shared: %v", vol, err)
		}
		start := func(name string, mode runtime.MountPropagation, privileged bool) *container {
			cfg := containerConfig(name, "exec sleep 3600")
			cfg.Mounts = []*runtime.Mount{{ContainerPath: "/vol", HostPath: vol, Propagation: mode}}
			cfg.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{Privileged: privileged}
			return p.start(t, cfg)
		}
		private := start("private", runtime.MountPropagation_PROPAGATION_PRIVATE, false)
		slave := start("host-to-container", runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER, false)
		shared := start("bidirectional", runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL, true)

		mountedIn := func(c *container, path string) bool {
			return c.sh(t, "awk -v p="+path+" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo") != "0"
		}
		fromNode := filepath.Join(vol, "from-node")
		if err := os.Mkdir(fromNode, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", fromNode, "tmpfs", 0, "size=1m"); err != nil {
			t.Fatalf("mount on the node: %v", err)
		}
		if mountedIn(private, "/vol/from-node") {
			t.Error("a node mount reached the container with propagation None")
		}
		if !mountedIn(slave, "/vol/from-node") {
			t.Error("a node mount did not reach the container with propagation HostToContainer")
		}
		if !mountedIn(shared, "/vol/from-node") {
			t.Error("a node mount did not reach the container with propagation Bidirectional")
		}
		shared.sh(t, "mkdir -p /vol/from-container && mount -t tmpfs -o size=1m tmpfs /vol/from-container")
		if len(mountsMentioning(filepath.Join(vol, "from-container"))) == 0 {
			t.Error("a mount made in the container with propagation Bidirectional did not reach the node")
		}
		if !mountedIn(slave, "/vol/from-container") {
			t.Error("the container's mount did not reach the HostToContainer container by way of the node")
		}
		shared.sh(t, "umount /vol/from-container")
		if len(mountsMentioning(filepath.Join(vol, "from-container"))) != 0 {
			t.Error("the container's unmount did not reach the node")
		}
	})
}
