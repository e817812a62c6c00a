#!/usr/bin/env bats
# kill with named and numeric signals.

load helpers

setup() {
	setup_bundle
	ID=$(rand_name bats-)
	# Exits 0 on TERM, 10 on USR1: a pid namespace's init gets only signals it handles.
	set_args sh -c 'trap "exit 0" TERM; trap "exit 10" USR1; echo ready; while :; do sleep 1; done'
}

teardown() {
	teardown_bundle
}

start_container() {
	runtime create --bundle "$BUNDLE" "$ID"
	runtime start "$ID"
	wait_for_status "$ID" running
	local pid
	pid=$(runtime state "$ID" | json_get pid)
	retry 50 0.1 handles_signal "$pid" TERM USR1 || fail "the container's shell set no TERM and USR1 traps"
}

@test "kill with the default signal (SIGTERM) stops the container" {
	start_container
	run_runtime kill "$ID"
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
}

@test "kill with named signals: TERM, SIGTERM, KILL, SIGKILL" {
	for sig in TERM SIGTERM KILL SIGKILL; do
		start_container
		run_runtime kill "$ID" "$sig"
		[ "$status" -eq 0 ]
		wait_for_status "$ID" stopped
		runtime delete "$ID"
	done
}

@test "kill with numeric signals: 15 and 9" {
	for sig in 15 9; do
		start_container
		run_runtime kill "$ID" "$sig"
		[ "$status" -eq 0 ]
		wait_for_status "$ID" stopped
		runtime delete "$ID"
	done
}

@test "kill with signal 0 leaves the container running" {
	start_container
	run_runtime kill "$ID" 0
	# runc refuses 0 (not a valid signal name); either way the container keeps running.
	wait_for_status "$ID" running
}

@test "kill --all" {
	start_container
	run_runtime kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
}

@test "kill with an unknown signal fails and leaves the container running" {
	start_container
	run_runtime kill "$ID" SIGNOTASIGNAL
	[ "$status" -ne 0 ]
	status_is "$ID" running
}

@test "kill of a created container" {
	runtime create --bundle "$BUNDLE" "$ID"
	wait_for_status "$ID" created
	run_runtime kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
}
