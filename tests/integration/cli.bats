#!/usr/bin/env bats
# The command line as runc 1.5.3 has it: help, list and ps output, flags after the container id,
# checkpoint/restore. Tagged parity: `make test-parity` runs this file against the reference runc.
# bats file_tags=parity

load helpers

setup() {
	setup_bundle
	ID=$(rand_name bats-)
}

teardown() {
	teardown_bundle
}

start_sleeper() {
	set_args sleep 60
	runtime run -d --bundle "$BUNDLE" "$ID" </dev/null
	wait_for_status "$ID" running
}

@test "COMMAND -h, --help and help COMMAND work for every command" {
	local cmd
	for cmd in checkpoint create delete events exec kill list pause ps restore resume run spec start state update features; do
		for form in "$cmd -h" "$cmd --help" "help $cmd"; do
			# shellcheck disable=SC2086 # form is two words on purpose
			run "$RUNTIME" $form
			echo "$RUNTIME_NAME $form (status=$status): ${lines[*]:0:2}" >&2
			[ "$status" -eq 0 ] || fail "$form exited $status"
			[[ ${lines[0]} == NAME:* ]] || fail "$form: no NAME: header"
			[[ $output == *" $cmd - "* ]] || fail "$form: does not name $cmd"
		done
	done
}

@test "-h, --help and help list the commands" {
	for form in "-h" "--help" "help"; do
		run "$RUNTIME" $form
		echo "$RUNTIME_NAME $form (status=$status): ${lines[*]:0:2}" >&2
		[ "$status" -eq 0 ]
		[[ ${lines[0]} == NAME:* ]]
		[[ $output == *"COMMANDS:"* ]]
	done
}

@test "help of a command that does not exist: No help topic, exit 3" {
	for form in "foo -h" "help foo" "foo"; do
		# shellcheck disable=SC2086
		run "$RUNTIME" $form
		echo "$RUNTIME_NAME $form (status=$status): $output" >&2
		[ "$status" -eq 3 ]
		[[ $output == *"No help topic for 'foo'"* ]]
	done
}

@test "list with a --root that does not exist fails and creates nothing" {
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/nonexistent" list
	echo "$output" >&2
	[ "$status" -ne 0 ]
	[[ $output == *"no such file or directory"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/nonexistent" ]
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/nonexistent" state "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/nonexistent" ]
}

@test "list --format json is runc's compact one-line array, null when empty" {
	mkdir -p "$ROOT"
	run_runtime list --format json
	[ "$status" -eq 0 ]
	[ "$output" = "null" ]

	start_sleeper
	run_runtime list --format json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	local pid
	pid=$(runtime state "$ID" | json_get pid)
	local re='^\[\{"ociVersion":"[0-9.]+","id":"'$ID'","pid":'$pid',"status":"running","bundle":"'$BUNDLE'","rootfs":"[^"]+","created":"[^"]+",("annotations":\{[^}]*\},)?"owner":"root"\}\]$'
	[[ $output =~ $re ]] || fail "list json differs from runc's shape: $output"
}

@test "ps of a stopped container exits 0 and lists nothing" {
	set_args true
	runtime run -d --bundle "$BUNDLE" "$ID" </dev/null
	wait_for_status "$ID" stopped
	run_runtime ps "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *PID* ]]
	run_runtime ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "null" ]
}

@test "ps --format json of a running container is one compact line" {
	start_sleeper
	local pid
	pid=$(runtime state "$ID" | json_get pid)
	run_runtime ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "[$pid]" ]
}

@test "kill --all of a stopped container succeeds" {
	set_args true
	runtime run -d --bundle "$BUNDLE" "$ID" </dev/null
	wait_for_status "$ID" stopped
	run_runtime kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	run_runtime kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ $output == *"container not running"* ]]
}

@test "flags may follow the container id" {
	start_sleeper
	run_runtime delete "$ID" --force
	[ "$status" -eq 0 ]
	run_runtime state "$ID"
	[ "$status" -ne 0 ]
}

@test "checkpoint and restore fail clearly and change nothing" {
	start_sleeper
	local images=$BATS_TEST_TMPDIR/images
	run_runtime checkpoint --image-path "$images" --work-path "$images" "$ID"
	[ "$status" -ne 0 ]
	status_is "$ID" running
	run_runtime restore --image-path "$images" --work-path "$images" --bundle "$BUNDLE" "$ID-restored"
	[ "$status" -ne 0 ]
	run_runtime state "$ID-restored"
	[ "$status" -ne 0 ]
	if [[ $RUNTIME_NAME == contain ]]; then
		run_runtime checkpoint "$ID"
		[[ $output == *"checkpoint is not supported"* ]]
	fi
}
