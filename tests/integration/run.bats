#!/usr/bin/env bats
# run: create + start in the foreground, exiting with the container's status.

load helpers

setup() {
	setup_bundle
	ID=$(rand_name bats-)
}

teardown() {
	teardown_bundle
}

@test "run exits 0 and removes the container" {
	set_args echo ok
	run_runtime run "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ ! -e "$ROOT/$ID" ]
}

@test "run passes exit status 3 through" {
	set_args sh -c 'exit 3'
	run_runtime run "$ID"
	[ "$status" -eq 3 ]
}

@test "run exits 137 when the process is killed by SIGKILL" {
	# A pid namespace's init cannot SIGKILL itself, so share the host's pid namespace.
	update_config 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
	set_args sh -c 'kill -9 $$'
	run_runtime run "$ID"
	[ "$status" -eq 137 ]
}

@test "run --bundle from another directory" {
	set_args hostname
	update_config 'c["hostname"] = "bats-host"'
	cd "$BATS_TEST_TMPDIR"
	run_runtime run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = bats-host ]
}

@test "run --detach leaves the container running" {
	set_args sleep 60
	run_runtime run --detach "$ID"
	[ "$status" -eq 0 ]
	wait_for_status "$ID" running
}
