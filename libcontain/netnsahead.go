package libcontain

import "golang.org/x/sys/unix"

// netnsAhead makes a new container's network namespace on a runtime thread of its own while
// create prepares the rest, and forks init from that thread, so that init is cloned without
// CLONE_NEWNET and starts in that namespace. Making a network namespace (the kernel's setup_net,
// every protocol's per-namespace setup) is the largest part of a fork with new namespaces: about
// 0.4 ms here, now off the path to init's fork. The thread is never handed back: its goroutine
// returns still locked to it and the Go runtime ends it, so nothing else of the runtime ever runs
// in the container's network namespace; if init is not started, the namespace goes with it.
//
// The fork is handed to the thread before the namespace is known to exist: the caller then waits
// for one wake-up (the fork's result), not two (the namespace made, then the fork run), each of
// which cost 0.1-0.4 ms here between the two CPUs.
type netnsAhead struct {
	run  chan func() error // the fork to make on the thread (buffered); closed: none
	done chan forkResult
	used bool // fork or discard has been called
}

type forkResult struct {
	made bool // the namespace was made and the fork ran in it
	err  error
}

func startNetnsAhead() *netnsAhead {
	a := &netnsAhead{run: make(chan func() error, 1), done: make(chan forkResult, 1)}
	go onThrowawayThread(a.thread)
	return a
}

func (a *netnsAhead) thread() {
	err := unix.Unshare(unix.CLONE_NEWNET)
	fork, ok := <-a.run
	switch {
	case !ok:
	case err != nil:
		a.done <- forkResult{}
	default:
		a.done <- forkResult{made: true, err: fork()}
	}
}

// fork runs fork (cmd.Start) on the thread, in the new namespace. made is false, and fork did not
// run, when the namespace could not be made there: the caller clones one as usual.
func (a *netnsAhead) fork(fork func() error) (made bool, err error) {
	a.used = true
	a.run <- fork
	r := <-a.done
	return r.made, r.err
}

// discard lets the thread end without forking, when init was not started from it.
func (a *netnsAhead) discard() {
	if a.used {
		return
	}
	a.used = true
	close(a.run)
}
