package libcontain

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwarded are the signals `run` passes on to the container's init, as runc does when it has
// no terminal of its own to manage.
var forwarded = []os.Signal{
	unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH,
}

// Run creates and starts a container. Detached, it returns once the container runs (exit code 0).
// Otherwise it forwards signals to init, waits for it, deletes the container and returns the
// container's exit code: the process's status, or 128+N when it was killed by signal N.
func Run(rt *Runtime, o CreateOpts, detach bool) (int, error) {
	var sigs chan os.Signal
	if !detach {
		// Catch signals from before init starts, so none is lost between create and the wait.
		// Go installs each handler by a round trip to a thread of its own, 0.3 ms for these
		// eight: that runs beside the spec's loading, and create waits for it before it starts
		// init (signalsCaught).
		sigs = make(chan os.Signal, 16)
		pipes := make(chan os.Signal, 1)
		caught := make(chan struct{})
		go func() {
			signal.Notify(sigs, forwarded...)
			// A write to a closed stdout or stderr fails with EPIPE instead of killing the
			// runtime (Go's default on fds 1 and 2): a foreground run whose reader went away
			// (`contain run … | head`) must still delete its container, or its state and
			// cgroups stay behind. Go's handler does not outlive execve: init and hooks get the
			// default back.
			signal.Notify(pipes, unix.SIGPIPE)
			close(caught)
		}()
		o.signalsCaught = caught
		defer func() {
			<-caught // create may have failed before it waited
			stopAfterReturn(sigs, pipes)
		}()
	}
	o.Foreground = !detach
	c, err := Create(rt, o)
	if err != nil {
		return -1, err
	}
	if err := c.Start(); err != nil {
		_ = c.Delete(true)
		return -1, err
	}
	if o.Progress != nil && o.Spec != nil && o.Spec.Process != nil {
		o.Progress("running: " + strings.Join(o.Spec.Process.Args, " "))
	}
	if detach {
		return 0, nil
	}
	c.keep = o.Keep
	return c.waitForeground(sigs)
}

// stopAfterReturn stops the delivery of signals to chans, in the background: the container is
// gone, and Go takes one round trip to its signal thread per signal (0.2 ms for run's eight),
// which the command would otherwise wait for right before it exits. A caller that goes on
// running sees those signals handled as before within that time.
func stopAfterReturn(chans ...chan os.Signal) {
	go func() {
		for _, c := range chans {
			signal.Stop(c)
		}
	}()
}

func (c *Container) waitForeground(sigs chan os.Signal) (int, error) {
	code, ps, werr := c.wait(sigs)
	c.rt.Log.Debug("run: the container's process exited")
	if c.onExit != nil && werr == nil {
		c.onExit(c.exitInfo(ps, code, c.wantUsage))
	}
	if !c.keep {
		if c.progress != nil {
			c.progress("cleaning up cgroups")
		}
		if err := c.Delete(true); err != nil && !errors.Is(err, ErrNotExist) {
			return code, fmt.Errorf("delete after exit: %w", err)
		}
	}
	if werr != nil {
		return -1, fmt.Errorf("wait for init: %w", werr)
	}
	return code, nil
}

// waitOnly waits for the process with signals forwarded and the terminal proxied (exec).
func (c *Container) waitOnly(sigs chan os.Signal) (int, error) {
	code, _, err := c.wait(sigs)
	if err != nil {
		return -1, fmt.Errorf("wait: %w", err)
	}
	return code, nil
}

// wait forwards signals to the process and proxies its terminal until it exits.
func (c *Container) wait(sigs chan os.Signal) (int, *os.ProcessState, error) {
	proc := c.init
	var cons *consoleProxy
	if c.console != nil {
		cons = startConsoleProxy(c.console)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == unix.SIGWINCH && cons != nil {
					cons.resize() // the kernel signals the pty's foreground group itself
					continue
				}
				if s == unix.SIGHUP && cons != nil {
					cons.hangup() // our terminal hung up: so does the container's
				}
				_ = proc.Signal(s)
			case <-done:
				return
			}
		}
	}()
	ps, err := proc.Wait()
	close(done)
	if cons != nil {
		cons.finish()
	}
	return exitCode(ps), ps, err
}

func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
