#!/usr/bin/env bash
# Build the cgroup v2 payload for tests/vm/run.sh:
#
#   tests/vm/payload.sh [OUT]          (default OUT: build/vm-payload)
#   tests/vm/run.sh build/vm-payload   (then: boot the v2 kernel and run it)
#
# OUT gets:
#   bin/contain   the runtime, static (libseccomp, libc and the nsenter cgo part linked in:
#                 the guest has no libc), built like `make build-static`
#   e2e.test      tests/e2e compiled static; it tests $CONTAIN_BINARY instead of building one
#   rootfs/       the busybox rootfs (tests/rootfs/build.sh); the tests' bundles are built in the
#                 guest from its busybox (BUSYBOX, set by run-tests)
#   run-tests     the guest-side runner (tests/vm/v2-run-tests): the cgroup-touching e2e tests
#                 and the v2-only tests, per-test results, "N passed, M failed"
#   vm-disk-mb    asks run.sh for a 16 MiB virtio disk (/dev/vda): the io tests need a device
#   pass-env      host variables the guest sees (CONTAIN_V2_RUN: a -test.run override)
#
# The two Go builds run in parallel; with a warm build cache the whole script takes a few seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/vm-payload}
GO=${GO:-go}

log() { echo "payload: $*" >&2; }

mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
cd "$repo"

version=$(cat VERSION 2>/dev/null || echo unknown)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
static=(-trimpath -tags 'urfave_cli_no_docs netgo osusergo')
ldflags='-linkmode external -extldflags "-static"'

log "building $out/bin/contain and $out/e2e.test"
CGO_ENABLED=1 "$GO" build "${static[@]}" \
	-ldflags "-X main.gitCommit=$commit -X main.version=$version $ldflags" \
	-o "$out/bin/contain.tmp" . &
build_contain=$!
# The e2e package has no cgo: a plain CGO_ENABLED=0 build is static already.
CGO_ENABLED=0 "$GO" test -c -trimpath -o "$out/e2e.test.tmp" ./tests/e2e &
build_tests=$!
rc=0
wait "$build_contain" || rc=1
wait "$build_tests" || rc=1
[[ $rc -eq 0 ]] || { log "error: go build failed"; exit 1; }
for f in "$out/bin/contain" "$out/e2e.test"; do
	# A dynamic binary would fail in the guest with a baffling "not found" from execve.
	if LC_ALL=C readelf -l "$f.tmp" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		log "error: $f is dynamically linked"
		exit 1
	fi
	mv "$f.tmp" "$f"
done

bash tests/rootfs/build.sh "$out/rootfs" >/dev/null
install -m 0755 "$here/v2-run-tests" "$out/run-tests"
# A 16 MiB sparse virtio disk for the io controller tests (run.sh attaches it).
echo 16 >"$out/vm-disk-mb"
printf '%s\n' CONTAIN_V2_RUN CONTAIN_TEST_VERBOSE >"$out/pass-env"
log "ready: $(du -sh "$out" | cut -f1) in $out"
