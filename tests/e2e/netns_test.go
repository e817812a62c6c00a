package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestRunForegroundNetnsThread: create makes the container's network namespace on a runtime
// thread of its own and forks init from it (netnsAhead). The container gets a namespace of its
// own, and while a foreground `run` waits for it, no thread of the runtime is in it: that thread
// ended with the fork.
func TestRunForegroundNetnsThread(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "30"))
	cmd := exec.Command(binary, r.global("run", "--bundle", c.bundle, c.id)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() {
		r.run("delete", "--force", c.id)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
		}
	})
	st := r.waitStatus(c.id, specs.StateRunning)
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := os.Readlink("/proc/" + strconv.Itoa(st.Pid) + "/ns/net"); err != nil || ns == host {
		t.Fatalf("container's network namespace %q (%v), want one of its own (host %s)", ns, err, host)
	}
	// The runtime's threads may still be settling right after start: the check is repeated
	// until it holds, for a second at most.
	tasks := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task"
	var in []string
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		in = nil
		ents, err := os.ReadDir(tasks)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if ns, err := os.Readlink(filepath.Join(tasks, e.Name(), "ns", "net")); err == nil && ns != host {
				in = append(in, e.Name()+" in "+ns)
			}
		}
		if len(in) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(in) > 0 {
		t.Errorf("runtime threads outside the host's network namespace: %v", in)
	}
}
