//go:build linux

package cri

import (
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// StopContainer with a grace period: a container that handles SIGTERM exits by itself within
// it; one that ignores SIGTERM is killed when it runs out (exit 137).
func TestStopContainer(t *testing.T) {
	eachHandler(t, "lifecycle: StopContainer, graceful and forced", func(t *testing.T, h handler) {
		p := newPod(t, h, "stop-"+h.name, podOptions{})
		graceful := p.start(t, containerConfig("graceful", "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done"))
		stubborn := p.start(t, containerConfig("stubborn", "trap '' TERM; echo ready; while :; do sleep 0.1; done"))
		waitLog(t, graceful, "ready\n")
		waitLog(t, stubborn, "ready\n")

		start := time.Now()
		graceful.stop(t, 30)
		took := time.Since(start)
		st := graceful.status(t).Status
		if st.State != runtime.ContainerState_CONTAINER_EXITED || st.ExitCode != 0 || took > 10*time.Second {
			t.Errorf("graceful stop: state %v exit %d after %v, want exited 0 well within the 30 s grace period", st.State, st.ExitCode, took)
		}
		if out := graceful.logs(t).stdout(); !strings.HasSuffix(out, "got-term\n") {
			t.Errorf("the container's TERM handler did not run: %q", out)
		}

		start = time.Now()
		stubborn.stop(t, 2)
		took = time.Since(start)
		st = stubborn.status(t).Status
		if st.State != runtime.ContainerState_CONTAINER_EXITED || st.ExitCode != 137 || took < 2*time.Second || took > 20*time.Second {
			t.Errorf("forced stop: state %v exit %d after %v, want exited 137 after the 2 s grace period", st.State, st.ExitCode, took)
		}
	})
}

// Stop and Remove of containers and the sandbox leave nothing: the check first sees every kind
// of thing it looks for while the pod runs (so it can fail), then none of it after removal.
func TestStopRemoveLeavesNothing(t *testing.T) {
	eachHandler(t, "lifecycle: Stop/Remove leave nothing behind", func(t *testing.T, h handler) {
		p := newPod(t, h, "cleanup-"+h.name, podOptions{})
		a := p.start(t, containerConfig("a", "exec sleep 3600"))
		p.start(t, containerConfig("b", "exec sleep 3600"))
		a.sh(t, "true")
		running := strings.Join(p.leftovers(), "\n")
		for _, kind := range []string{"cgroup ", "mount ", "state dir ", "shim pid ", "netns "} {
			if !strings.Contains(running, kind) {
				t.Errorf("the leftover check finds no %q while the pod runs:\n%s", kind, running)
			}
		}

		ctx, cancel := suite.ctx()
		defer cancel()
		if _, err := suite.rt.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
			t.Fatalf("StopPodSandbox: %v", err)
		}
		if st := p.status(t).Status.State; st != runtime.PodSandboxState_SANDBOX_NOTREADY {
			t.Errorf("pod is %v after StopPodSandbox, want NOTREADY", st)
		}
		for _, c := range p.containers {
			if st := c.status(t).Status.State; st != runtime.ContainerState_CONTAINER_EXITED {
				t.Errorf("container %s is %v after StopPodSandbox", c.name, st)
			}
		}
		p.teardown(t) // removes, and fails the test on anything left
		pods, err := suite.rt.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{Filter: &runtime.PodSandboxFilter{Id: p.id}})
		if err != nil || len(pods.Items) != 0 {
			t.Errorf("ListPodSandbox after removal: %v %v", pods, err)
		}
		ctrs, err := suite.rt.ListContainers(ctx, &runtime.ListContainersRequest{Filter: &runtime.ContainerFilter{PodSandboxId: p.id}})
		if err != nil || len(ctrs.Containers) != 0 {
			t.Errorf("ListContainers after removal: %v %v", ctrs, err)
		}
	})
}
