#!/bin/bash
# run.sh CONTAIN ROOTFS OUTDIR — contain against runc (RUNC, the reference runc under make bench)
# side by side on the same bundles, with hyperfine: `run /bin/true`, `exec /bin/true`, the
# create/start/delete cycle, `state`, `list` of BENCH_LIST containers (1,000), and BENCH_PAR
# containers (100) started 2 at a time. Every pair runs twice, contain first and runc first.
# Debian's runc ("old": BENCH_OLD_RUNC, default /usr/sbin/runc, 1.1.5 here) is paired with
# contain on run, exec and the cycle too, where installed. crun is not: it refuses this host's
# hybrid cgroups, and its own setup (a cgroup2-only /sys/fs/cgroup, --cgroup-manager=disabled) has
# no counterpart in contain or runc, whose cgroup driver would enable controllers in a cgroup2
# tree this machine's rules keep them out of.
# Writes OUTDIR/results.tsv (work, order, contain and runc medians in ms, ratio), bench.md (the
# table, and where the time of contain's run and exec goes, step by step: phases.py), bench.png
# (the ratios as a bar chart, when gnuplot is installed) and each hyperfine run's JSON, and
# prints the table. BENCH_RUNS: the least runs hyperfine makes of a command (20).
#
# Each runtime gets its own --root under OUTDIR and its own container ids. The one-container
# bundle of `run` uses a relative cgroupsPath, so its cgroups nest under ours; the other
# bundles have none (each container's cgroup is named by its id). Everything the runs
# create is removed at the end, and the many-container steps check that nothing was left behind.
set -euo pipefail

die() { echo "bench: $*" >&2; exit 1; }

[[ $# -eq 3 ]] || die "usage: run.sh CONTAIN ROOTFS OUTDIR"
contain=$(realpath "$1")
rootfs=$(realpath "$2")
out=$3
runc=$(command -v "${RUNC:-runc}") || die "no runc on PATH (set RUNC)"
command -v hyperfine >/dev/null || die "no hyperfine (apt-get install hyperfine)"
[[ $(id -u) == 0 ]] || die "needs root"
list_n=${BENCH_LIST:-1000}
par_n=${BENCH_PAR:-100}
(( par_n <= list_n )) || die "BENCH_PAR ($par_n) must not exceed BENCH_LIST ($list_n)"

mkdir -p "$out"
out=$(realpath "$out")
rm -f "$out"/*.json "$out/results.tsv"
tag=$$
declare -A bin=([contain]=$contain [runc]=$runc)
declare -A root=([contain]=$out/root-contain [runc]=$out/root-runc)
declare -A prefix=([contain]=bc$tag- [runc]=br$tag-)
# Debian's runc (1.1.5 on this distribution), where installed: paired with contain on run, exec
# and the cycle as well. BENCH_OLD_RUNC names another; "none" skips it.
old=${BENCH_OLD_RUNC:-/usr/sbin/runc}
if [[ $old != none && -x $old && $(realpath "$old") != "$(realpath "$runc")" ]]; then
	bin[old]=$old root[old]=$out/root-old prefix[old]=bo$tag-
fi

# bundle DIR ARGS CGROUP: a bundle on the shared read-only rootfs running ARGS (a JSON list).
bundle() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$1" && "$contain" spec)
	python3 - "$1/config.json" "$rootfs" "$2" "$3" <<'PY'
import json, sys
path, rootfs, args, cg = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = json.loads(args)
c["root"] = {"path": rootfs, "readonly": True}
if cg:
    c["linux"]["cgroupsPath"] = cg
json.dump(c, open(path, "w"), indent="\t")
PY
}
bundle "$out/bundle-true" '["/bin/true"]' "contain-bench-$tag"
bundle "$out/bundle-sleep" '["sleep", "1000000"]' ""
bundle "$out/bundle-many" '["/bin/true"]' ""

# leftovers RT: what the many-container steps could leave: state dirs, cgroups, processes.
leftovers() {
	local p=${prefix[$1]}
	local f
	for f in "${root[$1]}/$p"*; do
		[[ -e $f ]] && echo "$f"
	done
	# Without a cgroupsPath a container's cgroup is named by its id, below ours on cgroup v1.
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "$p*" 2>/dev/null || true
	pgrep -a -f -- "$p" || true
}

delete_all() {
	local rt=$1
	local f ids=()
	for f in "${root[$rt]}/${prefix[$rt]}"*; do
		[[ -e $f ]] && ids+=("${f##*/}")
	done
	printf '%s\n' "${ids[@]}" | xargs -r -P2 -n1 "${bin[$rt]}" --root "${root[$rt]}" delete --force >/dev/null 2>&1 || true
}

cleanup() {
	for rt in "${!bin[@]}"; do
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "${prefix[$rt]}sleep" >/dev/null 2>&1 || true
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "${prefix[$rt]}cycle" >/dev/null 2>&1 || true
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "${prefix[$rt]}true" >/dev/null 2>&1 || true
		delete_all "$rt"
		rm -rf "${root[$rt]}"
	done
	rm -rf "$out/bundle-true" "$out/bundle-sleep" "$out/bundle-many"
}
trap cleanup EXIT

# record WORK ORDER CONTAIN_S RUNC_S: one line of results.tsv (times in seconds).
record() {
	python3 - "$@" >>"$out/results.tsv" <<'PY'
import sys
work, order, c, r = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
print(f"{work}\t{order}\t{c*1000:.1f}\t{r*1000:.1f}\t{c/r:.2f}")
PY
}

# pair WORK CMD_TEMPLATE [OTHER]: hyperfine of the template for contain and OTHER (runc, or old),
# in both orders. In the template, @RT@ stands for the runtime binary with its --root, and @ID@
# for a container id prefix. Rows against old are named "WORK (VERSION)".
pair() {
	local work=$1 tmpl=$2 other=${3:-runc} order first second
	if [[ $other != runc ]]; then
		work="$work ($("${bin[$other]}" --version | head -1))"
	fi
	for order in contain-first other-first; do
		first=contain second=$other
		[[ $order == other-first ]] && first=$other second=contain
		local args=()
		for rt in $first $second; do
			local cmd=${tmpl//@RT@/${bin[$rt]} --root ${root[$rt]}}
			args+=(-n "$rt" "${cmd//@ID@/${prefix[$rt]}}")
		done
		local json=$out/${work%% *}-$other-$order.json
		hyperfine --warmup 3 --min-runs "${BENCH_RUNS:-20}" --style basic --export-json "$json" "${args[@]}"
		local medians
		medians=$(python3 - "$json" "$other" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(r["contain"], r[sys.argv[2]])
PY
)
		record "$work" "${order/other/$other}" "${medians% *}" "${medians#* }"
	done
}

pair run "@RT@ run --bundle $out/bundle-true @ID@true"
for rt in contain runc; do
	"${bin[$rt]}" --root "${root[$rt]}" run -d --bundle "$out/bundle-sleep" "${prefix[$rt]}sleep" </dev/null >/dev/null
done
pair exec "@RT@ exec @ID@sleep /bin/true"
# Where contain's time goes, step by step, from its --debug log (tests/bench/phases.py).
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
python3 "$here/phases.py" "$contain" "${root[contain]}" "${BENCH_RUNS:-20}" -- \
	run --bundle "$out/bundle-true" "${prefix[contain]}ph{i}" >"$out/phases-run.md"
python3 "$here/phases.py" "$contain" "${root[contain]}" "${BENCH_RUNS:-20}" -- \
	exec "${prefix[contain]}sleep" /bin/true >"$out/phases-exec.md"
pair state "@RT@ state @ID@sleep"
for rt in contain runc; do
	"${bin[$rt]}" --root "${root[$rt]}" delete --force "${prefix[$rt]}sleep"
done
pair cycle "@RT@ create --bundle $out/bundle-sleep @ID@cycle && @RT@ start @ID@cycle && @RT@ delete --force @ID@cycle"
if [[ -v bin[old] ]]; then
	pair run "@RT@ run --bundle $out/bundle-true @ID@true" old
	"${bin[old]}" --root "${root[old]}" run -d --bundle "$out/bundle-sleep" "${prefix[old]}sleep" </dev/null >/dev/null
	"${bin[contain]}" --root "${root[contain]}" run -d --bundle "$out/bundle-sleep" "${prefix[contain]}sleep" </dev/null >/dev/null
	pair exec "@RT@ exec @ID@sleep /bin/true" old
	for rt in contain old; do
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "${prefix[$rt]}sleep"
	done
	pair cycle "@RT@ create --bundle $out/bundle-sleep @ID@cycle && @RT@ start @ID@cycle && @RT@ delete --force @ID@cycle" old
fi

# many RT FROM TO: containers FROM..TO of /bin/true started with run -d, 2 at a time; fails
# unless every one succeeded.
many() {
	local rt=$1
	seq "$2" "$3" | xargs -P2 -I{} "${bin[$rt]}" --root "${root[$rt]}" run -d \
		--bundle "$out/bundle-many" "${prefix[$rt]}{}" >/dev/null
}
# parallel ORDER: BENCH_PAR containers 2 at a time, timed once per runtime; then all deleted and
# nothing may be left.
parallel() {
	local -A took
	for rt in "$@"; do
		local t0 t1
		t0=$(date +%s%N)
		many "$rt" 1 "$par_n" || die "$rt: not every one of $par_n containers started 2 at a time"
		t1=$(date +%s%N)
		took[$rt]=$(( t1 - t0 ))
		local n
		n=$("${bin[$rt]}" --root "${root[$rt]}" list -q | grep -c "^${prefix[$rt]}")
		(( n == par_n )) || die "$rt: $n of $par_n containers listed"
		delete_all "$rt"
		local left
		left=$(leftovers "$rt")
		[[ -z $left ]] || die "$rt: left behind after delete: $left"
	done
	echo "parallel-$par_n: contain ${took[contain]} ns, runc ${took[runc]} ns"
	record "parallel-$par_n" "$1-first" "${took[contain]}e-9" "${took[runc]}e-9"
}
parallel contain runc
parallel runc contain

for rt in contain runc; do
	many "$rt" 1 "$list_n" || die "$rt: not every one of $list_n containers started"
done
pair "list-$list_n" "@RT@ list"
for rt in contain runc; do
	delete_all "$rt"
	left=$(leftovers "$rt")
	[[ -z $left ]] || die "$rt: left behind after deleting $list_n containers: $left"
done

python3 - "$out/results.tsv" "$out/bench.md" "$(basename "$runc")" "$("$runc" --version | head -1)" "$out" <<'PY'
import sys
tsv, md, name, version = sys.argv[1:5]
rows = [l.rstrip("\n").split("\t") for l in open(tsv)]
with open(md, "w") as f:
    f.write(f"contain against {version} ({name}), medians in ms; ratio = contain / runc\n\n")
    f.write("| work | order | contain | runc | ratio |\n|---|---|---:|---:|---:|\n")
    for w, o, c, r, x in rows:
        f.write(f"| {w} | {o} | {c} | {r} | **{x}** |\n")
    for part in ("run", "exec"):
        f.write(f"\n### Where the time of `{part}` goes (contain's --debug log)\n\n")
        f.write(open(f"{sys.argv[5]}/phases-{part}.md").read())
PY
if command -v gnuplot >/dev/null; then
	awk -F'\t' '{ print $1 " (" substr($2, 1, index($2, "-") - 1) " 1st)\t" $5 }' "$out/results.tsv" >"$out/ratios.dat"
	gnuplot <<EOF
set terminal pngcairo size 900,450
set output "$out/bench.png"
set title "contain / runc, median time (lower is faster)"
set style fill solid 0.8
set boxwidth 0.7
set yrange [0:*]
set ylabel "ratio"
set xtics rotate by -30
set datafile separator "\t"
set key off
plot "$out/ratios.dat" using 0:2:xtic(1) with boxes lc rgb "#3070b0", 1 with lines lc rgb "#c03030", 0.5 with lines dt 2 lc rgb "#808080"
EOF
	rm -f "$out/ratios.dat"
fi
cat "$out/bench.md"
