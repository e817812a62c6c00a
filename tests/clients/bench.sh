#!/bin/bash
# bench.sh [CONTAIN [RUNC]] — hyperfine, side by side: the wall time of
# `podman run --rm IMAGE /bin/true` with contain and with runc as podman's runtime (defaults:
# ./contain at the top of the checkout, runc from PATH). Both runtimes are registered in one
# podman configuration of its own (see helpers.bash) and run the same busybox image; prints
# hyperfine's table and the ratio of the medians. Everything it made is removed at the end.
#
# RUNS (default 20) and WARMUP (default 3) tune hyperfine; OUT, when set, keeps bench.md/json.
set -euo pipefail

die() { echo "bench: $*" >&2; exit 1; }

# helpers.bash is written for bats; what bench uses from it is plain bash.
# shellcheck source=tests/clients/helpers.bash
source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

contain=$(realpath "${1:-$REPO_DIR/contain}")
runc=$(realpath "$(command -v "${2:-runc}")") || die "no runc (give its path)"
[[ $(id -u) == 0 ]] || die "needs root"
for c in podman conmon hyperfine python3; do
	command -v "$c" >/dev/null || die "$c is not installed (tests/deps.sh)"
done
[[ -x $contain ]] || die "no contain at $contain (make build)"

make_work_dir contain-bench
cleanup() {
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
	podman rmi -a -f >/dev/null 2>&1 || true
	# podman gives the runtime none of our environment: contain's sandboxes of the benchmark's
	# containers go to its default work dir; the event log names them.
	python3 - "$WORK/events.log" <<'PY' | while read -r id; do rm -rf "/var/lib/contain/containers/$id"; done
import json, sys
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e.get("Type") == "container" and e.get("Status") == "create":
            print(e["ID"])
except FileNotFoundError:
    pass
PY
	remove_work_dir
}
trap cleanup EXIT

write_podman_config "$WORK" "contain=$contain" "runc=$runc"
build_rootfs_tar
podman import "$WORK/rootfs.tar" "$IMAGE" >/dev/null 2>&1

out=${OUT:-$WORK/out}
mkdir -p "$out"
hyperfine --warmup "${WARMUP:-3}" --runs "${RUNS:-20}" --style basic \
	--export-markdown "$out/bench.md" --export-json "$out/bench.json" \
	-n "podman+contain" "podman --runtime contain run --rm $IMAGE /bin/true" \
	-n "podman+runc" "podman --runtime runc run --rm $IMAGE /bin/true"

cat "$out/bench.md"
python3 - "$out/bench.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
c, k = r["podman+contain"], r["podman+runc"]
print(f"podman run --rm /bin/true, median: contain {c*1000:.0f} ms, runc {k*1000:.0f} ms, "
      f"contain/runc = {c/k:.2f}")
PY
