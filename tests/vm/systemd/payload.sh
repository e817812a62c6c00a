#!/usr/bin/env bash
# Build the payload of the systemd VM (`make test-systemd`):
#
#   tests/vm/systemd/payload.sh [OUT]        (default OUT: build/systemd-payload)
#   tests/vm/systemd/run.sh build/systemd-payload
#
# OUT gets what tests/vm/payload.sh builds for the cgroup v2 VM (bin/contain static, e2e.test,
# the busybox rootfs/), with this directory's guest-tests as run-tests, and an `env` file the
# guest sources: the host's CONTAIN_SYSTEMD_RUN (a -test.run pattern for the Go tests) and
# CONTAIN_SYSTEMD_ONLY (a regexp of the test names to run at all) when set.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-$repo/build/systemd-payload}

bash "$repo/tests/vm/payload.sh" "$out"
install -m 0755 "$here/guest-tests" "$out/run-tests"
# The v2 VM's extras (its disk, its pass-env) mean nothing here.
rm -f "$out/vm-disk-mb" "$out/pass-env"
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
: >"$out/env"
for n in CONTAIN_SYSTEMD_RUN CONTAIN_SYSTEMD_ONLY CONTAIN_TEST_VERBOSE; do
	if [[ -n ${!n:-} ]]; then
		echo "export $n=$(shquote "${!n}")" >>"$out/env"
	fi
done
