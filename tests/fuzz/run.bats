#!/usr/bin/env bats
# make fuzz's runner (tests/fuzz/run.sh) against a stand-in go command (tests/fuzz/stub/go): which
# failures it runs again, which it reports. No fuzzing, a second in all.

bats_require_minimum_version 1.5.0

setup() {
	dir=$(cd "$(dirname "$BATS_TEST_FILENAME")" && pwd)
	export GO=$dir/stub/go STUB_DIR=$BATS_TEST_TMPDIR/pkg STUB_LOG=$BATS_TEST_TMPDIR/log
	export STUB_PLAN=$BATS_TEST_TMPDIR/plan
	mkdir -p "$STUB_DIR"
	printf 'package p\n\nfunc FuzzA(f *testing.F) {}\n\nfunc FuzzB(f *testing.F) {}\n' >"$STUB_DIR/p_test.go"
	: >"$STUB_LOG"
	: >"$STUB_PLAN"
	cd "$BATS_TEST_TMPDIR" || return
}

# runs NAME: how many times NAME was fuzzed.
runs() { grep -c "^$1\$" "$STUB_LOG" || true; }

@test "every target passing: PASS, each run once" {
	run -0 bash "$dir/run.sh" 1s
	[[ $output == *"make fuzz: PASS"* ]]
	[[ $(runs FuzzA) == 1 && $(runs FuzzB) == 1 ]]
}

@test "a bare 'context deadline exceeded' (golang/go#75804) runs that target again, then PASS" {
	echo "FuzzA deadline" >"$STUB_PLAN"
	run -0 bash "$dir/run.sh" 1s
	[[ $output == *"golang/go#75804"* ]]
	[[ $output == *"make fuzz: PASS (1 re-run(s)"* ]]
	[[ $(runs FuzzA) == 2 && $(runs FuzzB) == 1 ]]
}

@test "the deadline race twice in a row: a third run, then PASS" {
	printf 'FuzzB deadline\nFuzzB deadline\n' >"$STUB_PLAN"
	run -0 bash "$dir/run.sh" 1s
	[[ $output == *"make fuzz: PASS (2 re-run(s)"* ]]
	[[ $(runs FuzzA) == 1 && $(runs FuzzB) == 3 ]]
}

@test "the deadline race three times in a row fails that target" {
	printf 'FuzzB deadline\nFuzzB deadline\nFuzzB deadline\n' >"$STUB_PLAN"
	run -1 bash "$dir/run.sh" 1s
	[[ $output == *"make fuzz: FAIL: FuzzB"* ]]
	[[ $(runs FuzzB) == 3 ]]
}

@test "a finding (an input written) fails at once, without a second run, and the rest still run" {
	echo "FuzzA finding" >"$STUB_PLAN"
	run -1 bash "$dir/run.sh" 1s
	[[ $output == *"make fuzz: FAIL: FuzzA"* ]]
	[[ $(runs FuzzA) == 1 && $(runs FuzzB) == 1 ]]
}
