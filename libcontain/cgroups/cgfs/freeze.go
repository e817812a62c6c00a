package cgfs

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Freezing is asynchronous on both versions: the write returns at once and the state file says
// when every task has stopped. Tasks in uninterruptible sleep (D state, e.g. blocked on NFS) can
// hold a freeze off, so waiting is bounded.
const (
	settleTimeout = 2 * time.Second
	settleFirst   = time.Millisecond
	settleMax     = 20 * time.Millisecond
)

// Settle calls step until it reports done or the bounded wait runs out. step may rewrite the
// request each time (v1 freezer needs that: writing FROZEN again retries tasks that were
// skipped).
func Settle(what string, step func() (done bool, err error)) error {
	deadline := time.Now().Add(settleTimeout)
	wait := settleFirst
	for {
		done, err := step()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not settled after %v", what, settleTimeout)
		}
		time.Sleep(wait)
		wait = min(wait*2, settleMax)
	}
}

// SignalAll sends sig to each pid. A pid that exited meanwhile (ESRCH) is not an error.
func SignalAll(pids []int, sig unix.Signal) error {
	var errs []error
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %d to pid %d: %w", sig, pid, err))
		}
	}
	return errors.Join(errs...)
}
