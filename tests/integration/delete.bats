#!/usr/bin/env bats
# delete, with and without --force.

load helpers

setup() {
	setup_bundle
	ID=$(rand_name bats-)
	set_args sleep 60
}

teardown() {
	teardown_bundle
}

@test "delete of a running container without --force fails" {
	runtime run --detach "$ID"
	wait_for_status "$ID" running
	run_runtime delete "$ID"
	[ "$status" -ne 0 ]
	status_is "$ID" running
}

@test "delete --force of a running container" {
	runtime run --detach "$ID"
	wait_for_status "$ID" running
	pid=$(runtime state "$ID" | json_get pid)
	run_runtime delete --force "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	# The process is gone (or a zombie about to be reaped by its parent).
	retry 50 0.1 bash -c "[[ ! -e /proc/$pid ]] || grep -q '^State:.*Z' /proc/$pid/status"
	run_runtime state "$ID"
	[ "$status" -ne 0 ]
}

@test "delete --force twice: the second exits 0" {
	runtime run --detach "$ID"
	run_runtime delete --force "$ID"
	[ "$status" -eq 0 ]
	run_runtime delete --force "$ID"
	[ "$status" -eq 0 ]
}

@test "delete of a missing id fails with container does not exist" {
	run_runtime delete "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"container does not exist"* ]]
}

@test "delete removes the container's cgroups" {
	runtime run --detach "$ID"
	wait_for_status "$ID" running
	runtime kill "$ID" KILL
	wait_for_status "$ID" stopped
	run_runtime delete "$ID"
	[ "$status" -eq 0 ]
	for d in $(cgroup_dirs "${CGROUP_NAMES[0]}"); do
		[ ! -d "$d" ] || fail "cgroup $d survived delete"
	done
}
