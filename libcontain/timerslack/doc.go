// Package timerslack gives the runtime's own threads a timer slack of 1 ms (prctl
// PR_SET_TIMERSLACK), and gives every program the runtime starts the slack of the runtime's
// caller back.
//
// Why: the Go runtime's monitor thread (sysmon) sleeps 20 µs at a time while any goroutine runs
// or sits in a system call, which is all of a short command's life. With the kernel's default
// slack of 50 µs that is a wake-up, a timer interrupt and two context switches every ~90 µs on
// each of the two Go processes of a create, on two CPUs shared with the work that matters: in a
// nested VM each costs exits to the hypervisor. With 1 ms of slack the kernel may defer those
// wake-ups to the next interrupt within a millisecond. `contain run /bin/true` took 0.92 of its
// time with 2 ms and 0.5 ms of slack alike, and as little with a Go runtime patched so that
// sysmon sleeps 10 ms (0.915); 0.2 ms was 3 % slower than 0.5 ms (alternating hyperfine rounds,
// 180 runs each). Every other timer of the runtime (time.Sleep in retry loops, timeouts) may end
// up to 1 ms late, which none of them minds.
//
// The slack is per thread, inherited by threads and children and kept across execve, so:
//
//   - The constructor (timerslack.c) raises it on the main thread before the Go runtime starts,
//     so every thread of the runtime has it, and keeps the caller's value (Caller). It changes
//     nothing when the caller's slack is 1 ms or more already, or 0 (a real-time thread, which
//     has no slack), nor in nsenter's child (package nsenter), which is an exec's process.
//   - Programs the runtime starts get Caller's value through StartWith: hooks, the host's
//     helpers (ps, newuidmap) and the isolators' monitor, a contain of its own that may run
//     hooks (started so, it records the right caller value itself); a process exec'd on a
//     runtime thread through Restore on that thread. contain's short-lived helpers of its own
//     (the user namespace holder, the mount-source helper) keep the raised slack.
//   - The container's init (and exec's child) keeps the raised slack, which helps it the same
//     way, and gets the caller's value in its config: it Restores it on its thread right before
//     the container's process is exec'd, and passes it to the hooks it runs.
//
// The container's process thus sees the slack it would under runc, which sets none: the one its
// runtime's caller had (tests/e2e TestParityTimerSlackIsTheCallers, run against runc as well).
// Without cgo there is no constructor: Caller is 0 and nothing changes.
package timerslack
