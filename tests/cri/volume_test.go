//go:build linux

package cri

import (
	"os"
	"path/filepath"
	"testing"

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
