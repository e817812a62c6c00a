# shellcheck shell=bash
# Sourced by the bats helpers (tests/integration, tests/clients).
#
# handles_signal PID SIGNAL... — true once process PID has a handler for every SIGNAL (TERM, 15).
# A pid namespace's init gets only the signals it handles: a test that kills a container's shell
# right after start, before the shell has run its `trap`, loses the signal and hangs or times out
# (the validation suite's killsig does, see tests/validation/known-race.txt). Poll this first.
handles_signal() {
	local pid=$1 caught sig n
	shift
	caught=$(awk '$1 == "SigCgt:" {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
	[[ -n $caught ]] || return 1
	for sig in "$@"; do
		n=$sig
		[[ $n =~ ^[0-9]+$ ]] || n=$(kill -l "$sig") || return 1
		(((16#$caught >> (n - 1)) & 1)) || return 1
	done
}
