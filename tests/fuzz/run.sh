#!/bin/bash
# run.sh FUZZTIME — `make fuzz`: one `go test -fuzz` per Fuzz target of the module (-fuzz takes
# a single target per package run), FUZZTIME each; every target runs, then the failed ones are
# named. Exit status 1 if any failed. GO is the go command (a stub in tests/fuzz/run.bats).
#
# A run that fails with only "context deadline exceeded" (no input written under testdata/fuzz,
# no panic, no error line of a test file) is Go's fuzzing coordinator racing its own -fuzztime
# deadline (golang/go#75804, fixed in Go 1.27, not in 1.26): that target runs again, up to three
# runs in all, and fails only if every run does. Two runs were not enough: the four CI runs of
# 2026-12-06's second session hit the race five times among their 29 targets each (about 4 % of
# target runs), so the same target twice in a row would fail about one CI run in twenty, with no
# finding; three in a row, about one in 500. A real finding writes its input and fails at once.
set -uo pipefail

fuzztime=${1:?usage: run.sh FUZZTIME}
go=${GO:-go}

# deadline_race OUTPUT: whether a failed run's output is the coordinator's race and nothing else.
deadline_race() {
	grep -q 'context deadline exceeded' <<<"$1" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<<"$1"
}

failed=()
retried=0
root=$PWD
dirs=$($go list -f '{{.Dir}}' ./...) || exit 1
for dir in $dirs; do
	names=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u)
	for name in $names; do
		for attempt in 1 2 3; do
			echo "== $name (${dir#"$root"/})"
			out=$($go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$dir" 2>&1)
			rc=$?
			printf '%s\n' "$out"
			((rc == 0)) && break
			if ((attempt < 3)) && deadline_race "$out"; then
				echo "fuzz: $name failed with only 'context deadline exceeded' and no input (golang/go#75804): running it again"
				retried=$((retried + 1))
				continue
			fi
			failed+=("$name")
			break
		done
	done
done
if ((${#failed[@]} > 0)); then
	echo "make fuzz: FAIL: ${failed[*]}"
	exit 1
fi
if ((retried > 0)); then
	echo "make fuzz: PASS ($retried re-run(s) after the coordinator's deadline race)"
else
	echo "make fuzz: PASS"
fi
