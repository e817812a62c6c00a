#!/bin/bash
# run.sh CONTAIN ROOTFS OUTDIR — time `contain run` against `runc run` of /bin/true on the same
# bundle with hyperfine, side by side. Writes OUTDIR/bench.md (markdown table) and bench.json,
# and prints how many times slower (or faster) contain is than runc.
#
# Each runtime gets its own --root under OUTDIR; the bundle uses a relative cgroupsPath so the
# containers' cgroups nest under ours. Everything the runs create is removed at the end.
set -euo pipefail

die() { echo "bench: $*" >&2; exit 1; }

[[ $# -eq 3 ]] || die "usage: run.sh CONTAIN ROOTFS OUTDIR"
contain=$(realpath "$1")
rootfs=$(realpath "$2")
out=$3
runc=$(command -v "${RUNC:-runc}") || die "no runc on PATH (set RUNC)"
command -v hyperfine >/dev/null || die "no hyperfine (apt-get install hyperfine)"
[[ $(id -u) == 0 ]] || die "needs root"

mkdir -p "$out"
out=$(realpath "$out")
bundle=$out/bundle
rm -rf "$bundle"
mkdir -p "$bundle"
(cd "$bundle" && "$contain" spec)
cg=contain-bench-$$
python3 - "$bundle/config.json" "$rootfs" "$cg" <<'PY'
import json, sys
path, rootfs, cg = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": True}
c["linux"]["cgroupsPath"] = cg
json.dump(c, open(path, "w"), indent="\t")
PY

cleanup() {
	"$contain" --root "$out/root-contain" delete --force bench-contain >/dev/null 2>&1 || true
	"$runc" --root "$out/root-runc" delete --force bench-runc >/dev/null 2>&1 || true
	rm -rf "$out/root-contain" "$out/root-runc" "$bundle"
}
trap cleanup EXIT

hyperfine --warmup 3 --style basic \
	--export-markdown "$out/bench.md" --export-json "$out/bench.json" \
	-n contain "$contain --root $out/root-contain run --bundle $bundle bench-contain" \
	-n runc "$runc --root $out/root-runc run --bundle $bundle bench-runc"

cat "$out/bench.md"
python3 - "$out/bench.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
ratio = r["contain"] / r["runc"]
print(f"contain/runc mean time ratio: {ratio:.2f} ({'slower' if ratio > 1 else 'faster'} than runc: "
      f"{r['contain']*1000:.1f} ms vs {r['runc']*1000:.1f} ms)")
PY
