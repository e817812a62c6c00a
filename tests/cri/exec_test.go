//go:build linux

package cri

import (
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ExecSync as the kubelet's exec probes use it: exit codes, stdout and stderr apart, a timeout
// that ends the process, and a missing executable reported as an error.
func TestExecSync(t *testing.T) {
	eachHandler(t, "exec: ExecSync exit codes, output, timeout", func(t *testing.T, h handler) {
		p := newPod(t, h, "execsync-"+h.name, podOptions{})
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		r, err := c.execSync(t, 10, "sh", "-c", "echo out; echo err >&2; exit 7")
		if err != nil {
			t.Fatalf("ExecSync: %v", err)
		}
		if r.ExitCode != 7 || string(r.Stdout) != "out\n" || string(r.Stderr) != "err\n" {
			t.Errorf("ExecSync: exit %d stdout %q stderr %q, want 7 \"out\\n\" \"err\\n\"", r.ExitCode, r.Stdout, r.Stderr)
		}
		if r, err := c.execSync(t, 10, "true"); err != nil || r.ExitCode != 0 {
			t.Errorf("ExecSync true: %v %v", r, err)
		}
		start := time.Now()
		if _, err := c.execSync(t, 2, "sleep", "1234"); err == nil {
			t.Error("ExecSync of sleep 1234 with a 2 s timeout returned no error")
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("ExecSync with a 2 s timeout took %v", took)
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Contains(c.sh(t, "ps -o args"), "sleep 1234") {
			if time.Now().After(deadline) {
				t.Fatal("the timed-out exec is still running")
			}
			time.Sleep(100 * time.Millisecond)
		}
		_, err = c.execSync(t, 10, "/no/such/binary")
		if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
			t.Errorf("ExecSync of a missing executable: %v, want an error saying no such file or directory", err)
		}
	})
}

// Exec through the CRI streaming server, as `kubectl exec` reaches it: stdin, stdout and stderr
// on their channels and the exit code on the error channel; and with a terminal, as
// `kubectl exec -it` asks for it (without stdin, containerd 1.6 loses a terminal's output now
// and then, with any runtime).
func TestExecStream(t *testing.T) {
	eachHandler(t, "exec: streaming Exec (stdin, tty, exit code)", func(t *testing.T, h handler) {
		p := newPod(t, h, "execstream-"+h.name, podOptions{})
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		ctx, cancel := suite.ctx()
		defer cancel()
		resp, err := suite.rt.Exec(ctx, &runtime.ExecRequest{ContainerId: c.id,
			Cmd:   []string{"sh", "-c", "read line; echo got-$line; echo to-stderr >&2; exit 5"},
			Stdin: true, Stdout: true, Stderr: true})
		if err != nil {
			t.Fatalf("Exec: %v", err)
		}
		out, err := streamExec(resp.Url, []byte("ping\n"))
		if err != nil {
			t.Fatalf("stream %s: %v", resp.Url, err)
		}
		if string(out.stdout) != "got-ping\n" || string(out.stderr) != "to-stderr\n" || out.exitCode != 5 {
			t.Errorf("streamed exec: stdout %q stderr %q exit %d, want \"got-ping\\n\" \"to-stderr\\n\" 5", out.stdout, out.stderr, out.exitCode)
		}
		resp, err = suite.rt.Exec(ctx, &runtime.ExecRequest{ContainerId: c.id,
			Cmd: []string{"tty"}, Tty: true, Stdin: true, Stdout: true})
		if err != nil {
			t.Fatalf("Exec with a tty: %v", err)
		}
		out, err = streamExec(resp.Url, nil)
		if err != nil {
			t.Fatalf("stream %s: %v", resp.Url, err)
		}
		if !strings.HasPrefix(string(out.stdout), "/dev/pts/") || out.exitCode != 0 {
			t.Errorf("exec with a tty: output %q exit %d, want a /dev/pts/N terminal and exit 0", out.stdout, out.exitCode)
		}
	})
}
