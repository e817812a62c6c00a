package libcontain

import "golang.org/x/sys/unix"

// netnsAhead makes a new container's network namespace on a runtime thread of its own while
// create prepares the rest, and forks init from that thread, so that init is cloned without
// CLONE_NEWNET and starts in that namespace. Making a network namespace (the kernel's setup_net,
// every protocol's per-namespace setup) is the largest part of a fork with new namespaces: about
// 0.4 ms here, now off the path to init's fork. The thread is never handed back: its goroutine
// returns still locked to it and the Go runtime ends it, so nothing else of the runtime ever runs
// in the container's network namespace; if init is not started, the namespace goes with it.
type netnsAhead struct {
	made chan error        // the unshare's result
	run  chan func() error // the fork to make on the thread; closed: none
	done chan error
	used bool // fork or discard has been called
}

func startNetnsAhead() *netnsAhead {
	a := &netnsAhead{made: make(chan error, 1), run: make(chan func() error), done: make(chan error, 1)}
	go onThrowawayThread(a.thread)
	return a
}

func (a *netnsAhead) thread() {
	err := unix.Unshare(unix.CLONE_NEWNET)
	a.made <- err
	if err != nil {
		return
	}
	if fork, ok := <-a.run; ok {
		a.done <- fork()
	}
}

// fork runs fork (cmd.Start) on the thread, in the new namespace. made is false, and fork did not
// run, when the namespace could not be made there: the caller clones one as usual.
func (a *netnsAhead) fork(fork func() error) (made bool, err error) {
	a.used = true
	if <-a.made != nil {
		return false, nil
	}
	a.run <- fork
	return true, <-a.done
}

// discard lets the thread end without forking, when init was not started from it.
func (a *netnsAhead) discard() {
	if a.used {
		return
	}
	a.used = true
	if <-a.made == nil {
		close(a.run)
	}
}
