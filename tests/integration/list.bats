#!/usr/bin/env bats
# list in table and json formats, and --quiet.

load helpers

setup() {
	setup_bundle
	set_args sleep 60
	ID1=$(rand_name bats-a-)
	ID2=$(rand_name bats-b-)
	runtime create --bundle "$BUNDLE" "$ID1"
	new_cgroup
	runtime create --bundle "$BUNDLE" "$ID2"
	runtime start "$ID2"
	wait_for_status "$ID2" running
}

teardown() {
	teardown_bundle
}

@test "list shows a table with a header and both containers" {
	run_runtime list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == ID*PID*STATUS*BUNDLE* ]]
	[ "${#lines[@]}" -eq 3 ]
	echo "$output" | grep -E "^$ID1 +[0-9]+ +created +$BUNDLE "
	echo "$output" | grep -E "^$ID2 +[0-9]+ +running +$BUNDLE "
}

@test "list --format table is the default" {
	run_runtime list --format table
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == ID*PID*STATUS* ]]
}

@test "list --format json" {
	run_runtime list --format json
	[ "$status" -eq 0 ]
	run python3 -c '
import json, sys
got = {c["id"]: c for c in json.loads(sys.argv[1])}
assert set(got) == {sys.argv[2], sys.argv[3]}, got
assert got[sys.argv[2]]["status"] == "created", got
assert got[sys.argv[3]]["status"] == "running", got
for c in got.values():
    assert c["pid"] > 0 and c["bundle"] == sys.argv[4], c
' "$output" "$ID1" "$ID2" "$BUNDLE"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "list --quiet prints only the ids" {
	run_runtime list --quiet
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "$ID1" "$ID2" | sort)" ]
}

@test "list of an empty root prints only the header" {
	ROOT=$BATS_TEST_TMPDIR/empty-root
	mkdir "$ROOT"
	run_runtime list
	# shellcheck disable=SC2034 # teardown (helpers.bash) reads ROOT
	ROOT=$BATS_TEST_TMPDIR/root
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -le 1 ]
}

@test "list --quiet prints the ids whatever --format says, and a bad --format alone fails" {
	run_runtime list --quiet --format bogus
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "$ID1" "$ID2" | sort)" ]
	run_runtime list --format bogus
	[ "$status" -ne 0 ]
}
