//go:build linux

package cri

import (
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// What a pod spec's container fields become: args after the image's entrypoint, env, the
// working directory.
func TestContainerProcess(t *testing.T) {
	eachHandler(t, "container: command, args, env, workingDir", func(t *testing.T, h handler) {
		p := newPod(t, h, "process-"+h.name, podOptions{})
		cfg := containerConfig("proc", "")
		cfg.Command = []string{"sh", "-c"}
		cfg.Args = []string{`echo "args $0 $1"; echo "env $GREETING"; echo "cwd $(pwd)"`, "first"}
		cfg.Envs = []*runtime.KeyValue{{Key: "GREETING", Value: []byte("hello world")}}
		cfg.WorkingDir = "/tmp/work"
		st, out := p.run(t, cfg)
		if want := "args first \nenv hello world\ncwd /tmp/work\n"; st.ExitCode != 0 || out != want {
			t.Errorf("exit %d output %q, want 0 %q", st.ExitCode, out, want)
		}
	})
}

// A container with tty: true (kubectl run -it): the runtime hands the terminal to the shim over
// the console socket, and the output reaches the log.
func TestContainerTTY(t *testing.T) {
	eachHandler(t, "container: tty (console socket)", func(t *testing.T, h handler) {
		p := newPod(t, h, "tty-"+h.name, podOptions{})
		cfg := containerConfig("tty", "tty; echo done")
		cfg.Tty, cfg.Stdin = true, true
		c := p.start(t, cfg)
		st := c.waitExited(t, 30*time.Second)
		out := strings.ReplaceAll(c.logs(t).stdout(), "\r", "")
		if st.ExitCode != 0 || !strings.HasPrefix(out, "/dev/pts/") || !strings.HasSuffix(out, "\ndone\n") {
			t.Errorf("exit %d, log %q; want 0 and a /dev/pts/N terminal", st.ExitCode, out)
		}
	})
}

// The kubelet restarts an exited container as a new one with the same name and the next
// attempt number, and removes the old one: the pod keeps working and the old container's state
// goes.
func TestContainerRestart(t *testing.T) {
	eachHandler(t, "lifecycle: container restart (attempt 1)", func(t *testing.T, h handler) {
		p := newPod(t, h, "restart-"+h.name, podOptions{})
		first := p.start(t, containerConfig("app", "echo attempt-0; exit 1"))
		if st := first.waitExited(t, 30*time.Second); st.ExitCode != 1 {
			t.Fatalf("attempt 0 exited %d", st.ExitCode)
		}
		cfg := containerConfig("app", "echo attempt-1; exec sleep 3600")
		cfg.Metadata.Attempt = 1
		cfg.LogPath = "app/1.log"
		second := p.start(t, cfg)
		ctx, cancel := suite.ctx()
		defer cancel()
		if _, err := suite.rt.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: first.id}); err != nil {
			t.Fatalf("RemoveContainer of attempt 0: %v", err)
		}
		p.containers = p.containers[1:]
		waitLog(t, second, "attempt-1\n")
		if st := second.status(t).Status; st.State != runtime.ContainerState_CONTAINER_RUNNING || st.Metadata.Attempt != 1 {
			t.Errorf("attempt 1: %v, attempt %d", st.State, st.Metadata.Attempt)
		}
		gone := &pod{s: p.s, h: p.h, id: "-", config: p.config, containers: []*container{first}}
		for _, l := range gone.leftovers() {
			if strings.Contains(l, first.id) {
				t.Errorf("attempt 0 left behind: %s", l)
			}
		}
	})
}
