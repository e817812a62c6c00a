package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func testState() *specs.State {
	return &specs.State{
		Version: specs.Version, ID: "c1", Status: specs.StateCreating, Pid: 42,
		Bundle: "/b", Annotations: map[string]string{"k": "v"},
	}
}

// sh is a hook running script with /bin/sh; $0 is "sh" and $1.. are args.
func sh(script string, args ...string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: append([]string{"sh", "-c", script, "sh"}, args...)}
}

func timeout(s int) *int { return &s }

func TestRunOrder(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	var hs []specs.Hook
	for i := range 4 {
		hs = append(hs, sh(`echo "$1" >> "$2"`, strconv.Itoa(i), log))
	}
	if err := Run(context.Background(), "prestart", hs, testState(), 0); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "0\n1\n2\n3\n" {
		t.Errorf("hooks ran as %q, want 0 1 2 3 in order", got)
	}
}

func TestRunStdinIsState(t *testing.T) {
	out := filepath.Join(t.TempDir(), "stdin")
	st := testState()
	if err := Run(context.Background(), "createRuntime", []specs.Hook{sh(`cat > "$1"`, out)}, st, 0); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got specs.State
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("stdin was not state JSON: %v: %q", err, data)
	}
	if !reflect.DeepEqual(&got, st) {
		t.Errorf("hook read %+v, want %+v", got, *st)
	}
}

func TestRunArgv0AndEnv(t *testing.T) {
	dir := t.TempDir()
	// argv[0] and the environment of the hook process itself, as execve received them (a
	// shell's `env` would add PWD of its own).
	const script = `tr '\0' '\n' < /proc/$$/cmdline | head -n 1 > "$1"; tr '\0' '\n' < /proc/$$/environ > "$2"`
	tests := []struct {
		name      string
		argv0     string
		env       []string
		wantArgv0 string
		wantEnv   string
	}{
		{"argv0 as given", "not-sh", []string{"A=1", "B=two words"}, "not-sh", "A=1\nB=two words\n"},
		{"nil env is empty, not inherited", "sh", nil, "sh", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv0 := filepath.Join(dir, strconv.Itoa(i)+".argv0")
			env := filepath.Join(dir, strconv.Itoa(i)+".env")
			h := specs.Hook{Path: "/bin/sh", Args: []string{tt.argv0, "-c", script, "x", argv0, env}, Env: tt.env}
			if err := Run(context.Background(), "prestart", []specs.Hook{h}, testState(), 0); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, argv0); got != tt.wantArgv0+"\n" {
				t.Errorf("argv[0] = %q, want %q", got, tt.wantArgv0)
			}
			if got := readFile(t, env); got != tt.wantEnv {
				t.Errorf("environment = %q, want exactly %q", got, tt.wantEnv)
			}
		})
	}
}

func TestRunNoArgsUsesPath(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hook")
	out := filepath.Join(dir, "out")
	writeScript(t, script, "#!/bin/sh\necho \"$0 $#\" > "+out+"\n")
	if err := Run(context.Background(), "prestart", []specs.Hook{{Path: script}}, testState(), 0); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, out), script+" 0\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	hs := []specs.Hook{
		sh(`echo 1 >> "$1"`, log),
		sh(`echo 2 >> "$1"; echo bad thing >&2; exit 3`, log),
		sh(`echo 3 >> "$1"`, log),
	}
	err := Run(context.Background(), "prestart", hs, testState(), 0)
	if err == nil {
		t.Fatal("Run succeeded with a failing hook")
	}
	if want := "error running prestart hook #1: exit status 3: bad thing"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("error does not carry the exit status: %v", err)
	}
	if got := readFile(t, log); got != "1\n2\n" {
		t.Errorf("hooks ran: %q, want 1 2 only", got)
	}
}

func TestRunAllContinues(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	hs := []specs.Hook{
		sh(`echo 1 >> "$1"; exit 1`, log),
		sh(`echo 2 >> "$1"`, log),
		{Path: "/nonexistent/hook"},
		sh(`echo 4 >> "$1"; exit 4`, log),
	}
	errs := RunAll(context.Background(), "poststop", hs, testState(), 0)
	if got := readFile(t, log); got != "1\n2\n4\n" {
		t.Errorf("hooks ran: %q, want 1 2 4", got)
	}
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(errs), errs)
	}
	for i, want := range []string{"#0: exit status 1", "#2: fork/exec /nonexistent/hook: no such file or directory", "#3: exit status 4"} {
		if want = "error running poststop hook " + want; !strings.HasPrefix(errs[i].Error(), want) {
			t.Errorf("error %d = %q, want %s...", i, errs[i], want)
		}
	}
	if errs := RunAll(context.Background(), "poststart", hs[1:2], testState(), 0); errs != nil {
		t.Errorf("RunAll of a good hook: %v", errs)
	}
}

func TestRunMissingBinary(t *testing.T) {
	err := Run(context.Background(), "createContainer", []specs.Hook{{Path: "/nonexistent/hook"}}, testState(), 0)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") ||
		!strings.HasPrefix(err.Error(), "error running createContainer hook #0: ") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error does not wrap ENOENT: %v", err)
	}
}

func TestRunTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The hook starts a grandchild that also holds the output pipe, then waits on it.
	h := sh(`sleep 100 & echo $! > "$1"; echo started; wait`, pidFile)
	h.Timeout = timeout(1)
	start := time.Now()
	err := Run(context.Background(), "prestart", []specs.Hook{h}, testState(), 0)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("a hook sleeping 100s did not time out")
	}
	if want := "error running prestart hook #0: timed out after 1s: started"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if elapsed > 5*time.Second {
		t.Errorf("took %v to time out a 1s hook", elapsed)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

func TestRunContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, "prestart", []specs.Hook{sh("exit 0")}, testState(), 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestRunOutputTruncated(t *testing.T) {
	// 10000 'a's then a final line: the error keeps the end, which says why it failed.
	h := sh(`head -c 10000 /dev/zero | tr '\0' a; echo; echo the real reason; exit 1`)
	err := Run(context.Background(), "prestart", []specs.Hook{h}, testState(), 0)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasSuffix(msg, "the real reason") || !strings.Contains(msg, "[output truncated]") {
		t.Errorf("error does not end with the hook's last output: ...%q", msg[max(0, len(msg)-100):])
	}
	if len(msg) > outputLimit+200 {
		t.Errorf("error is %d bytes, want about %d", len(msg), outputLimit)
	}
}

// TestRunBackgroundChildKeepsPipe: a hook that exits 0 leaving a child holding its stdout must
// not hang the runtime, nor count as failed.
func TestRunBackgroundChildKeepsPipe(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	h := sh(`sleep 100 & echo $! > "$1"; exit 0`, pidFile)
	start := time.Now()
	if err := Run(context.Background(), "poststart", []specs.Hook{h}, testState(), 0); err != nil {
		t.Errorf("got %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err == nil {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	if elapsed := time.Since(start); elapsed > waitDelay+3*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestRunNilState(t *testing.T) {
	if err := Run(context.Background(), "prestart", []specs.Hook{sh("exit 0")}, nil, 0); err == nil {
		t.Error("Run with nil state succeeded")
	}
	if err := Run(context.Background(), "prestart", nil, nil, 0); err != nil {
		t.Errorf("Run with no hooks: %v", err)
	}
}

// TestRunStdioNotInherited: the hook's stdio are pipes (or a closed reader), never the runtime's
// own stdin/stdout/stderr, which may be the user's terminal.
func TestRunStdioNotInherited(t *testing.T) {
	out := filepath.Join(t.TempDir(), "links")
	// $$ is the hook itself; the command substitution runs in a subshell, so the hook's own fds
	// are untouched while they are read (dash applies a command's redirections in the shell).
	h := sh(`l=$(for fd in 0 1 2; do readlink /proc/$$/fd/$fd; done); printf '%s\n' "$l" > "$1"`, out)
	if err := Run(context.Background(), "prestart", []specs.Hook{h}, testState(), 0); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, out)), "\n") {
		if !strings.HasPrefix(l, "pipe:") {
			t.Errorf("hook stdio fd is %q, want a pipe", l)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeScript writes an executable hook. os.WriteFile has closed it on return; tests here do not
// run in parallel, so no concurrent fork can hold a write fd to it (which would make execve fail
// with ETXTBSY).
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// waitGone polls until pid has exited (gone, or a zombie awaiting its new parent's reaping).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return
		}
		if err == nil {
			// state is the field after the parenthesised comm
			if i := strings.LastIndexByte(string(data), ')'); i > 0 && i+2 < len(data) && data[i+2] == 'Z' {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = unix.Kill(pid, unix.SIGKILL) // still alive, so still our sleep: do not leak it
	t.Fatalf("grandchild %d still alive 5s after the hook timed out", pid)
}

// TestHookGetsCallerSlack: a hook starts with the slack it is given, not the runtime thread's.
func TestHookGetsCallerSlack(t *testing.T) {
	out := filepath.Join(t.TempDir(), "slack")
	if err := Run(context.Background(), "prestart", []specs.Hook{sh(`cat /proc/self/timerslack_ns > "$1"`, out)}, testState(), 73_000); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != "73000" {
		t.Errorf("hook's timer slack %s, want 73000", got)
	}
}
