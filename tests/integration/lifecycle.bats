#!/usr/bin/env bats
# create, start, state, kill and delete of one container.

load helpers

setup() {
	setup_bundle
	ID=$(rand_name bats-)
}

teardown() {
	teardown_bundle
}

@test "create, state created, start, state running, kill, state stopped, delete" {
	set_args sleep 60
	run_runtime create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	wait_for_status "$ID" created

	run_runtime state "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_get id)" = "$ID" ]
	[ "$(echo "$output" | json_get ociVersion)" != "" ]
	pid=$(echo "$output" | json_get pid)
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	[ "$(echo "$output" | json_get bundle)" = "$BUNDLE" ]

	run_runtime start "$ID"
	[ "$status" -eq 0 ]
	wait_for_status "$ID" running

	run_runtime kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped

	run_runtime delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	run_runtime state "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"does not exist"* ]]
}

@test "create with --pid-file writes the init pid" {
	set_args sleep 60
	run_runtime create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	[ "$status" -eq 0 ]
	run_runtime state "$ID"
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(echo "$output" | json_get pid)" ]
}

@test "start of a running container fails" {
	set_args sleep 60
	runtime create --bundle "$BUNDLE" "$ID"
	runtime start "$ID"
	wait_for_status "$ID" running
	run_runtime start "$ID"
	[ "$status" -ne 0 ]
}

@test "the container stops by itself when its process exits" {
	set_args true
	runtime create --bundle "$BUNDLE" "$ID"
	runtime start "$ID"
	wait_for_status "$ID" stopped
	run_runtime delete "$ID"
	[ "$status" -eq 0 ]
}

@test "state of an unknown id fails with one line" {
	run_runtime state no-such-container
	[ "$status" -ne 0 ]
	[[ $output == *"container does not exist"* ]]
	[ "${#lines[@]}" -eq 1 ]
}
