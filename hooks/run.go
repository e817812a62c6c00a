// Package hooks runs one phase of OCI hooks (prestart, createRuntime, createContainer,
// startContainer, poststart, poststop): each hook gets the container's state JSON on stdin, a
// clean environment of its own, an optional timeout, and its output is kept for the error.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/timerslack"
	"github.com/contain-runtime/contain/spec/specjson"
)

const (
	// outputLimit is how much of a hook's combined stdout+stderr is kept (its tail).
	outputLimit = 4096
	// waitDelay bounds how long we keep reading a hook's output after the hook itself exited:
	// a background child it left behind may hold the pipe open forever.
	waitDelay = 2 * time.Second
)

// Run runs hooks in order with the state JSON on stdin, and stops at the first failure (the
// spec's rule for prestart, createRuntime, createContainer and startContainer). Each hook starts
// with timer slack callerSlack (see package timerslack; 0: the thread's own).
func Run(ctx context.Context, phase string, hs []specs.Hook, st *specs.State, callerSlack uint64) error {
	if len(hs) == 0 {
		return nil
	}
	stdin, err := encodeState(phase, st)
	if err != nil {
		return err
	}
	for i, h := range hs {
		if err := runHook(ctx, phase, i, h, stdin, callerSlack); err != nil {
			return err
		}
	}
	return nil
}

// RunAll runs every hook even when some fail (poststart/poststop semantics: the caller logs each
// failure as a warning and continues); it returns one error per failed hook.
func RunAll(ctx context.Context, phase string, hs []specs.Hook, st *specs.State, callerSlack uint64) []error {
	if len(hs) == 0 {
		return nil
	}
	stdin, err := encodeState(phase, st)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for i, h := range hs {
		if err := runHook(ctx, phase, i, h, stdin, callerSlack); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func encodeState(phase string, st *specs.State) ([]byte, error) {
	if st == nil {
		return nil, fmt.Errorf("%s hooks: no container state to pass", phase)
	}
	data, err := specjson.MarshalState(st) // json.Marshal's bytes, without its cold start
	if err != nil {
		return nil, fmt.Errorf("%s hooks: encode state: %w", phase, err)
	}
	return data, nil
}

// runHook runs hook number i (from 0) of a phase and says, on failure, which one failed, how,
// and what it printed, in runc's words: "error running prestart hook #1: exit status 1: <output>".
func runHook(ctx context.Context, phase string, i int, h specs.Hook, stdin []byte, callerSlack uint64) error {
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	// The environment is exactly h.Env: a nil Env would make exec hand the hook the runtime's
	// own environment, which the spec does not allow and which may hold secrets.
	env := h.Env
	if env == nil {
		env = []string{}
	}
	out := newOutputTail(outputLimit)
	cmd := &exec.Cmd{
		Path: h.Path,
		Args: args, // argv[0] exactly as given: some hooks dispatch on it
		Env:  env,
		// stdin, stdout and stderr are pipes, never the caller's terminal. exec adds no other
		// fd, but execve keeps any fd without FD_CLOEXEC, so contain opens everything O_CLOEXEC.
		Stdin:  bytes.NewReader(stdin),
		Stdout: out,
		Stderr: out,
		// Own process group, so a timeout kills what the hook started too: a grandchild left
		// alive would keep our output pipe open and the hook's work going.
		SysProcAttr: &unix.SysProcAttr{Setpgid: true},
		WaitDelay:   waitDelay,
	}
	fail := func(how error) error {
		if o := out.String(); o != "" {
			return fmt.Errorf("error running %s hook #%d: %w: %s", phase, i, how, o)
		}
		return fmt.Errorf("error running %s hook #%d: %w", phase, i, how)
	}

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if h.Timeout != nil && *h.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
	}
	defer cancel()
	if err := runCtx.Err(); err != nil {
		return fail(err)
	}

	if err := timerslack.StartWith(callerSlack, cmd.Start); err != nil {
		return fail(err)
	}
	pid := cmd.Process.Pid
	var (
		mu      sync.Mutex
		exited  bool // set once the hook is a zombie: from then on there is nothing to kill
		killed  bool
		stopped = make(chan struct{})
	)
	go func() {
		select {
		case <-runCtx.Done():
			mu.Lock()
			if !exited {
				// The hook is not reaped yet (at worst a zombie), so its pid, which is the
				// group id, cannot have been reused: the kill reaches the hook's group only.
				_ = unix.Kill(-pid, unix.SIGKILL)
				killed = true
			}
			mu.Unlock()
		case <-stopped:
		}
	}()
	// Wait for the exit without reaping (WNOWAIT), so the watcher above never signals a group id
	// that the kernel has already freed and maybe handed to someone else; cmd.Wait reaps after.
	waitExit(pid)
	mu.Lock()
	exited = true
	mu.Unlock()
	close(stopped)
	err := cmd.Wait()

	if killed {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		return fail(fmt.Errorf("timed out after %ds", *h.Timeout))
	}
	// The hook exited 0 but something it started still holds our pipe: its job is done, and
	// what it left running is its own business (hooks that start daemons do this).
	if errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// waitExit blocks until process pid has exited, leaving it unreaped.
func waitExit(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			// Any other error (ECHILD) means there is nothing left to wait for; cmd.Wait
			// reports what happened.
			return
		}
	}
}
