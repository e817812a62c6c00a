//go:build linux

package interactive

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitTimeout bounds waiting for one thing to appear on the screen. Generous: the first
// `contain run` of a machine may wait for a cold page cache.
const waitTimeout = 15 * time.Second

// terminal is one tmux server of a test, with one window running a host shell.
type terminal struct {
	t      *testing.T
	sock   string // the server's private socket: nothing of anyone else's tmux is touched
	target string
}

// newTerminal starts a tmux server on a private socket with one cols x rows window running
// /bin/sh with a clean environment, and registers killing the server.
func newTerminal(t *testing.T, cols, rows int) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux (apt-get install tmux)")
	}
	term := &terminal{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), target: "main"}
	shell := "env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm HOME=/root PS1='host$ ' /bin/sh"
	term.tmux("-f", "/dev/null", "new-session", "-d", "-s", term.target, "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), shell)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screen at the end:\n%s", term.screen())
		}
		_ = exec.Command("tmux", "-S", term.sock, "kill-server").Run()
	})
	term.waitFor(regexp.MustCompile(`(?m)^host\$ `))
	return term
}

// tmux runs a tmux command against the test's server and returns its output.
func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", term.sock}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typeLine types line literally, then Enter.
func (term *terminal) typeLine(line string) {
	term.t.Helper()
	term.tmux("send-keys", "-t", term.target, "-l", line)
	term.tmux("send-keys", "-t", term.target, "Enter")
}

// screen is the whole pane, history included, wrapped lines joined.
func (term *terminal) screen() string {
	out, err := exec.Command("tmux", "-S", term.sock, "capture-pane", "-p", "-J", "-S", "-", "-t", term.target).Output()
	if err != nil {
		return "(capture-pane: " + err.Error() + ")"
	}
	return string(out)
}

// waitFor polls the screen until re matches it and returns the screen, failing the test after
// waitTimeout.
func (term *terminal) waitFor(re *regexp.Regexp) string {
	term.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s := term.screen()
		if re.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("%v did not appear within %v; screen:\n%s", re, waitTimeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run types cmd followed by `echo MARK` where MARK is written so that only its output, not the
// typed line, matches, waits for it and returns what the screen shows between the typed line
// and the marker: cmd's output.
func (term *terminal) run(cmd, mark string) string {
	term.t.Helper()
	// "$(printf X)" expands to X: the typed line shows the unexpanded form only.
	typed := cmd + "; echo " + mark + "-$(printf done)"
	term.typeLine(typed)
	s := term.waitFor(regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mark) + `-done\s*$`))
	i := strings.LastIndex(s, typed)
	j := strings.LastIndex(s, mark+"-done")
	if i < 0 || j < i {
		term.t.Fatalf("cannot find the output of %q on the screen:\n%s", cmd, s)
	}
	return s[i+len(typed) : j]
}

// TestInteractive is the seed's session: `contain run --rootfs R --memory 64M --hostname sandbox
// -- /bin/sh` in a terminal, hostname, ps, the cgroup, the window size, exit, and the host
// terminal as it was before.
func TestInteractive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (uid 0): mounts, namespaces and cgroups")
	}
	h := newHost(t)
	term := newTerminal(t, 120, 40)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "stty.before"), filepath.Join(dir, "stty.after")
	term.run("stty -g > "+before, "B")

	name := h.name()
	term.typeLine(h.command("run", "--rootfs", h.rootfs, "--memory", "64M", "--hostname", "sandbox", "--name", name, "--", "/bin/sh") +
		`; echo "contain-exit=$?"`)
	s := term.waitFor(regexp.MustCompile(`(?m)^\[contain\] running: /bin/sh\s*$[\s\S]*^/ # `))
	for _, l := range []string{"creating namespaces:", "setting hostname: sandbox", "applying cgroup limits: memory=64M", "pivoting root", "mounting /proc"} {
		if !strings.Contains(s, "[contain] "+l) {
			t.Errorf("no %q line before the prompt", "[contain] "+l)
		}
	}

	t.Run("hostname", func(t *testing.T) {
		if out := strings.TrimSpace(term.run("hostname", "H")); out != "sandbox" {
			t.Errorf("hostname printed %q, want sandbox", out)
		}
	})
	t.Run("ps shows only the container's processes", func(t *testing.T) {
		out := term.run("ps aux", "P")
		procLine := regexp.MustCompile(`^\s*(\d+)\s+\S+\s+(.*?)\s*$`)
		var procs []string
		for _, l := range strings.Split(out, "\n") {
			if m := procLine.FindStringSubmatch(l); m != nil {
				procs = append(procs, m[1]+" "+m[2])
			}
		}
		// busybox names a forked applet {ps} before its parent's command line.
		if len(procs) != 2 || procs[0] != "1 /bin/sh" || !strings.Contains(procs[1], "ps") {
			t.Errorf("want PID 1 /bin/sh and ps only, got %q\n%s", procs, out)
		}
	})
	t.Run("its cgroup", func(t *testing.T) {
		out := term.run("cat /proc/self/cgroup", "C")
		if !regexp.MustCompile(`(?m):(memory|[^:]*,memory[^:]*|):\S*/contain/` + regexp.QuoteMeta(name) + `\s*$`).MatchString(out) {
			t.Errorf("/proc/self/cgroup does not put the shell's memory in contain/%s:\n%s", name, out)
		}
		h.wantMemoryLimit(name, 64<<20)
	})
	t.Run("window size", func(t *testing.T) {
		if out := strings.TrimSpace(term.run("stty size", "S1")); out != "40 120" {
			t.Fatalf("stty size inside = %q, want the pane's 40 120", out)
		}
		// A child of the shell in the terminal's foreground group: it gets the SIGWINCH the
		// kernel sends when the pty's size changes (busybox's line editor would eat it).
		term.typeLine(`sh -c 'trap "echo WINCH-\$(printf fired)" WINCH; echo ARMED-$(printf yes); while :; do sleep 0.1; done'`)
		term.waitFor(regexp.MustCompile(`(?m)^ARMED-yes\s*$`))
		term.tmux("resize-window", "-t", term.target, "-x", "100", "-y", "30")
		term.waitFor(regexp.MustCompile(`(?m)^WINCH-fired\s*$`))
		// ^C reaches the child through the pty's line discipline: the terminal is raw on the
		// host side, so the container's pty makes the SIGINT.
		term.tmux("send-keys", "-t", term.target, "C-c")
		if out := strings.TrimSpace(term.run("stty size", "S2")); out != "30 100" {
			t.Errorf("stty size after the resize = %q, want 30 100", out)
		}
	})

	term.typeLine("exit")
	s = term.waitFor(regexp.MustCompile(`(?m)^contain-exit=\d+\s*$`))
	if !regexp.MustCompile(`(?m)^contain-exit=0\s*$`).MatchString(s) {
		t.Errorf("contain run did not exit 0")
	}
	for _, l := range []string{"container exited: exit status 0", "cleaning up cgroups"} {
		if !regexp.MustCompile(`(?m)^\[contain\] ` + regexp.QuoteMeta(l) + `\s*$`).MatchString(s) {
			t.Errorf("no %q line after exit", "[contain] "+l)
		}
	}
	h.gone(name)

	// The host terminal is as it was: same settings, and what is typed is echoed again.
	echoed := "stty -g > " + after
	out := term.run(echoed, "A")
	if strings.TrimSpace(out) != "" {
		t.Errorf("stty -g printed %q", out)
	}
	if !strings.Contains(term.screen(), "host$ "+echoed) {
		t.Errorf("the typed line is not echoed: the terminal was not restored")
	}
	b, errB := os.ReadFile(before)
	a, errA := os.ReadFile(after)
	if err := errors.Join(errB, errA); err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("terminal settings changed by contain run:\nbefore %s\nafter  %s", b, a)
	}
}
