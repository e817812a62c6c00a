#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite (58 programs under validation/) against a runtime
# and judges each program. See tests/validation/README.md.
#
# usage: tests/validation/run.sh [options]
#   --runtime PATH     runtime to test (default: $RUNTIME, else ./contain)
#   --ratchet          exit non-zero if a program listed in expected-pass.txt did not pass
#                      (also: RATCHET=1); programs of known-race.txt run but never count
#   --suite-bug-pass   also run delete_resources, linux_cgroups_pids, linux_cgroups_relative_pids
#                      built from the 2022 commit that predates their *int64 comparison bug
#   --all              also run the programs listed in cannot-pass.txt (normally reported as SKIP)
#   --only a,b,...     run only these programs
#   --timeout SECS     per-program timeout (default 60; also VALIDATION_TIMEOUT)
#   --log-dir DIR      where to keep each program's output (default tests/.cache/validation/logs/<run>)
#   --write-baseline F write the names of the programs that passed to F
#
# Exit status: 0 ok; 1 ratchet regression; 2 usage or setup error; 3 the run leaked mounts,
# cgroups or containers it could not clean up.
set -euo pipefail

# The suite is pinned here and nowhere else. It comes only from the Go module proxy: the module
# zip holds the programs, cmd/runtimetest and rootfs-amd64.tar.gz. @latest resolves to v0.9.0
# (2019), which no longer compiles.
SUITE_MODULE=github.com/opencontainers/runtime-tools
SUITE_VERSION=v0.9.1-0.20251114084447-edf4cb3d2116
# The last commit before delete_resources and the pids tests started comparing *int64 pointers.
SUITE_BUG_VERSION=v0.9.1-0.20221107090550-2e043c6bd626
SUITE_BUG_PROGRAMS=(delete_resources linux_cgroups_pids linux_cgroups_relative_pids)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=$REPO/tests/.cache/validation

die() { echo "run.sh: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Inner mode: runs the programs inside the private mount namespace that the outer mode created
# with unshare. linux_ns_itype drops every namespace, so the runtime mounts the container's
# rootfs, proc, dev and sys into *our* mount namespace; in a private one they vanish with it
# instead of leaking onto the host.
# ---------------------------------------------------------------------------------------------
run_programs() {
	local bin=$1 run_dir=$2 logs=$3 tmp_root=$4; shift 4
	local name rc start end ids id
	for name in "$@"; do
		mkdir -p "$tmp_root/$name"
		chmod 0755 "$tmp_root/$name"
		: >"$logs/$name.ids"
		: >"$logs/$name.cmds"
		awk '{print $5}' /proc/self/mountinfo | sort >"$logs/.mounts.before"
		start=$(date +%s.%N)
		set +e
		(
			cd "$run_dir"
			# timeout puts the program in its own process group and signals that group, so
			# only processes this program started are killed.
			exec env TMPDIR="$tmp_root/$name" RUNTIME="$VAL_WRAPPER" CONTAIN_WORK_DIR="$tmp_root/$name/contain-work" \
				VAL_IDS="$logs/$name.ids" VAL_CMDS="$logs/$name.cmds" \
				timeout -k 10 "$VAL_TIMEOUT" "$bin/$name"
		) >"$logs/$name.out" 2>"$logs/$name.err" </dev/null
		rc=$?
		set -e
		end=$(date +%s.%N)
		echo "$rc" >"$logs/$name.rc"
		awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f\n", e-s}' >"$logs/$name.time"
		printf '  %-36s exit %-3s %5ss\n' "$name" "$rc" "$(cat "$logs/$name.time")" >&2

		# Containers the program left behind (a failed delete, a timeout) would keep their
		# cgroups busy and spoil the next program: delete them through the runtime, by the ids
		# the wrapper recorded, so nothing we did not create is touched.
		ids=$(sort -u "$logs/$name.ids")
		for id in $ids; do
			if "$VAL_RUNTIME" state "$id" >/dev/null 2>&1; then
				echo "container $id left behind; deleting it with --force" >>"$logs/$name.leaks"
				"$VAL_RUNTIME" delete --force "$id" >>"$logs/$name.leaks" 2>&1 ||
					echo "delete --force $id: exit $?" >>"$logs/$name.leaks"
			fi
		done
		awk '{print $5}' /proc/self/mountinfo | sort >"$logs/.mounts.after"
		if ! cmp -s "$logs/.mounts.before" "$logs/.mounts.after"; then
			# Informational: these die with the private namespace, but a runtime that leaves
			# mounts in its caller's namespace is worth knowing about.
			comm -13 "$logs/.mounts.before" "$logs/.mounts.after" |
				sed 's/^/mount left in the caller'\''s namespace: /' >>"$logs/$name.leaks"
		fi
	done
	rm -f "$logs/.mounts.before" "$logs/.mounts.after"
}

if [[ ${1:-} == --inner ]]; then
	shift
	run_programs "$@"
	exit 0
fi

# ---------------------------------------------------------------------------------------------
# Outer mode.
# ---------------------------------------------------------------------------------------------
runtime=${RUNTIME:-./contain}
ratchet=${RATCHET:-0}
suite_bug_pass=0
run_all=0
only=
timeout_secs=${VALIDATION_TIMEOUT:-60}
log_dir=
baseline_out=
while [[ $# -gt 0 ]]; do
	case $1 in
	--runtime) runtime=${2:?--runtime needs a path}; shift 2 ;;
	--runtime=*) runtime=${1#*=}; shift ;;
	--ratchet) ratchet=1; shift ;;
	--suite-bug-pass) suite_bug_pass=1; shift ;;
	--all) run_all=1; shift ;;
	--only) only=${2:?--only needs names}; shift 2 ;;
	--only=*) only=${1#*=}; shift ;;
	--timeout) timeout_secs=${2:?--timeout needs seconds}; shift 2 ;;
	--log-dir) log_dir=${2:?--log-dir needs a dir}; shift 2 ;;
	--write-baseline) baseline_out=${2:?--write-baseline needs a file}; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $ratchet == 1 ]] || ratchet=0

[[ $(id -u) == 0 ]] || die "needs root: the runtime creates namespaces, mounts and cgroups"
for tool in go unshare timeout awk comm find; do
	command -v "$tool" >/dev/null || die "needs $tool on PATH"
done
if [[ $runtime != */* ]]; then
	runtime=$(command -v "$runtime") || die "runtime $runtime not found on PATH"
fi
[[ -f $runtime && -x $runtime ]] || die "runtime $runtime is not an executable file"
runtime=$(realpath "$runtime")

all_programs() { # the 58 programs, from the module's own tree
	local dir=$1
	find "$dir/validation" -mindepth 1 -maxdepth 1 -type d ! -name util -printf '%f\n' | sort
}

module_dir() { # go mod download -json prints the extracted module dir as "Dir"
	local version=$1 json
	json=$(cd / && go mod download -json "$SUITE_MODULE@$version") ||
		die "go mod download $SUITE_MODULE@$version: $json"
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# build_suite VERSION PROGRAMS... builds into $CACHE/VERSION/bin once; a stamp file naming the
# programs marks a complete build so a second run does not rebuild.
build_suite() {
	local version=$1; shift
	local out=$CACHE/$version bin=$CACHE/$version/bin stamp pkgs=() p
	stamp=$out/built-$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
	if [[ -f $stamp ]]; then
		return 0
	fi
	mkdir -p "$bin"
	for p in "$@"; do pkgs+=("$SUITE_MODULE/validation/$p@$version"); done
	echo "building runtime-tools $version (${#pkgs[@]} programs + runtimetest) into $bin" >&2
	local t0=$SECONDS
	# pkg@version builds in module-aware mode from the proxy with the suite's own go.mod/go.sum.
	# The go commands run from / so that nothing can read or touch our go.mod/go.sum.
	if ! (cd / && GOBIN=$bin go install "${pkgs[@]}") >"$out/build.log" 2>&1 ||
		! (cd / && GOBIN=$bin CGO_ENABLED=0 go install -tags 'netgo osusergo' \
			"$SUITE_MODULE/cmd/runtimetest@$version") >>"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "building runtime-tools $version failed (log: $out/build.log)"
	fi
	echo "built in $((SECONDS - t0))s" >&2
	printf '%s\n' "$@" >"$stamp"
}

mkdir -p "$CACHE"
suite_dir=$(module_dir "$SUITE_VERSION")
[[ -d $suite_dir/validation ]] || die "no validation/ in $suite_dir"
mapfile -t programs < <(all_programs "$suite_dir")
[[ ${#programs[@]} -gt 0 ]] || die "found no programs in $suite_dir/validation"
build_suite "$SUITE_VERSION" "${programs[@]}"

judge=$CACHE/judge
# readonly: building the judge (standard library only) must never rewrite go.mod/go.sum, which
# other engineers edit.
(cd "$REPO" && GOFLAGS='-mod=readonly -buildvcs=false' go build -o "$judge" ./tests/validation/judge) ||
	die "building the judge failed"

# Which programs to run.
declare -A cannot_pass=()
while read -r name _; do
	[[ -z $name || $name == \#* ]] || cannot_pass[$name]=1
done <"$HERE/cannot-pass.txt"
run_list=()
if [[ -n $only ]]; then
	IFS=, read -r -a run_list <<<"$only"
	for name in "${run_list[@]}"; do
		[[ -x $CACHE/$SUITE_VERSION/bin/$name ]] || die "no program named $name"
	done
else
	for name in "${programs[@]}"; do
		if [[ $run_all == 1 || -z ${cannot_pass[$name]:-} ]]; then
			run_list+=("$name")
		fi
	done
fi

if [[ $ratchet == 1 ]] && grep -q '@suite-bug[[:space:]]*$' "$HERE/expected-pass.txt"; then
	suite_bug_pass=1 # the ratchet names programs of the second pass, so run it
fi
if [[ $suite_bug_pass == 1 ]]; then
	bug_dir=$(module_dir "$SUITE_BUG_VERSION")
	build_suite "$SUITE_BUG_VERSION" "${SUITE_BUG_PROGRAMS[@]}"
fi

# Work dir: the files the programs open relative to cwd, a TMPDIR per program for its bundles,
# and the runtime wrapper.
work=$(mktemp -d "${TMPDIR:-/tmp}/contain-validation.XXXXXX")
stamp=$(date +%Y%m%d-%H%M%S)
if [[ -z $log_dir ]]; then
	log_dir=$CACHE/logs/$(basename "$runtime")-$stamp
	mkdir -p "$CACHE/logs"
	ln -sfn "$(basename "$log_dir")" "$CACHE/logs/latest"
fi
mkdir -p "$log_dir"
log_dir=$(realpath "$log_dir")

# The wrapper records every runtime command and the id of every container created, so cleanup
# deletes exactly the containers and cgroups this run made. exec keeps the pid and the stdio
# the programs rely on.
cat >"$work/runtime" <<EOF
#!/bin/bash
printf '%s\n' "\$*" >>"\${VAL_CMDS:-/dev/null}"
if [[ \${1:-} == create ]]; then printf '%s\n' "\${@: -1}" >>"\${VAL_IDS:-/dev/null}"; fi
exec "$runtime" "\$@"
EOF
chmod 0755 "$work/runtime"

# Snapshots for the cleanup checks: every cgroup dir under each v1 controller (and the unified
# hierarchy), and the host namespace's mounts.
cgroup_mounts() {
	awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo
}
snapshot_cgroups() {
	local m
	for m in $(cgroup_mounts); do
		find "$m" -type d 2>/dev/null || true
	done | sort
}
snapshot_cgroups >"$work/cgroups.before"
awk '{print $1, $5}' /proc/self/mountinfo | sort >"$work/mountinfo.before"

cleanup_done=0
leaks=0
cleanup() {
	[[ $cleanup_done == 0 ]] || return 0
	cleanup_done=1
	local ids_file=$work/ids m path rel base id
	cat "$log_dir"/*.ids "$log_dir"/suite-bug/*.ids 2>/dev/null | sort -u >"$ids_file" || true

	# An interrupted run can leave the container of the program it was running; the inner loop
	# deletes the others. Only ids this run created are touched.
	while read -r id; do
		if "$runtime" state "$id" >/dev/null 2>&1; then
			echo "cleanup: deleting container $id left by an interrupted program" >&2
			"$runtime" delete --force "$id" >&2 || echo leak >>"$work/leaked"
		fi
	done <"$ids_file"

	# cgroups: rmdir only dirs that did not exist before the run, that the suite names
	# (/cgrouptest, testdir/cgrouptest/container, a container id of this run), deepest first.
	# rmdir of a cgroup fails while it holds tasks or children, so a busy one is never taken.
	snapshot_cgroups >"$work/cgroups.after"
	comm -13 "$work/cgroups.before" "$work/cgroups.after" >"$work/cgroups.new"
	: >"$work/cgroups.ours"
	while read -r path; do
		for m in $(cgroup_mounts); do
			[[ $path == "$m"/* ]] || continue
			rel=${path#"$m"}
			base=${rel##*/}
			if [[ $rel == /cgrouptest || $rel == /cgrouptest/* || $rel == */testdir ||
				$rel == */testdir/* ]] || grep -qxF -- "$base" "$ids_file"; then
				echo "$path" >>"$work/cgroups.ours"
			fi
		done
	done <"$work/cgroups.new"
	awk -F/ '{print NF "\t" $0}' "$work/cgroups.ours" | sort -rn | cut -f2- |
		while read -r path; do
			if rmdir "$path" 2>/dev/null; then
				echo "$path" >>"$work/cgroups.removed"
				echo "removed cgroup dir $path" >>"$log_dir/cleanup.log"
			else
				echo "cgroup left behind (not empty): $path" >&2
				echo leak >>"$work/leaked"
			fi
		done
	touch "$work/cgroups.removed"
	echo "cleanup: removed $(wc -l <"$work/cgroups.removed") empty cgroup dir(s) the suite left" \
		"$(head -n1 "$work/cgroups.removed" | sed 's/.\{1,\}/(e.g. &; all in cleanup.log)/')" >&2
	grep -vxF -f "$work/cgroups.ours" "$work/cgroups.new" 2>/dev/null |
		sed 's/^/note: cgroup created during the run by someone else, left alone: /' >&2 || true
	# Leftovers of an earlier run are not ours to remove, but they can spoil results.
	grep -E '^/sys/fs/cgroup/[^/]+/cgrouptest(/|$)' "$work/cgroups.before" |
		sed 's/^/warning: cgroup from before this run, left alone: /' >&2 || true

	# Mounts: nothing the run did may be visible in the host namespace.
	awk '{print $1, $5}' /proc/self/mountinfo | sort >"$work/mountinfo.after"
	comm -13 "$work/mountinfo.before" "$work/mountinfo.after" >"$work/mountinfo.new"
	while read -r _ path; do
		if [[ $path == "$work"/* || $path == "$work" ]]; then
			echo "mount leaked into the host namespace: $path" >&2
			echo leak >>"$work/leaked"
		else
			echo "note: new host mount not under this run's work dir (not ours): $path" >&2
		fi
	done <"$work/mountinfo.new"

	if [[ -s $work/leaked ]]; then
		leaks=1
	elif [[ ! -s $work/mountinfo.new ]]; then
		echo "cleanup: no mount leaked into the host namespace" >&2
	fi
	# --one-file-system: never descend into a leaked mount (it could be a bind of / or /sys).
	rm -rf --one-file-system "$work" 2>/dev/null || {
		echo "work dir $work could not be removed completely" >&2
		leaks=1
	}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_dir=$work/run
mkdir -p "$run_dir" "$work/tmp"
# mktemp makes 0700 dirs; a container whose root is mapped to another uid (linux_uid_mappings,
# linux_ns_nopath) must still be able to reach its bundle through them.
chmod 0755 "$work" "$work/tmp"
cp "$suite_dir/rootfs-amd64.tar.gz" "$CACHE/$SUITE_VERSION/bin/runtimetest" "$run_dir/"

export VAL_WRAPPER=$work/runtime VAL_RUNTIME=$runtime VAL_TIMEOUT=$timeout_secs
echo "runtime-tools $SUITE_VERSION against $runtime: ${#run_list[@]} programs, logs in $log_dir" >&2
t0=$(date +%s)
unshare -m --propagation private -- "$0" --inner \
	"$CACHE/$SUITE_VERSION/bin" "$run_dir" "$log_dir" "$work/tmp" "${run_list[@]}"
t1=$(date +%s)

join() {
	local IFS=,
	echo "$*"
}
runtime_version=$("$runtime" --version 2>/dev/null | head -n1 || true)
judge_args=(-logs "$log_dir" -cannot-pass "$HERE/cannot-pass.txt" -known-race "$HERE/known-race.txt"
	-expected "$HERE/expected-pass.txt"
	-programs "$(join "${programs[@]}")"
	-label "runtime $runtime ($runtime_version), runtime-tools $SUITE_VERSION, $(uname -r), $(date -u +%Y-%m-%d)")
if [[ -n $only ]]; then
	judge_args+=(-only "$only")
fi
if [[ $ratchet == 1 ]]; then
	judge_args+=(-ratchet)
fi
if [[ -n $baseline_out ]]; then
	judge_args+=(-write-baseline "$baseline_out")
fi

if [[ $suite_bug_pass == 1 ]]; then
	bug_run=$work/run-suite-bug
	mkdir -p "$bug_run" "$work/tmp-suite-bug" "$log_dir/suite-bug"
	chmod 0755 "$work/tmp-suite-bug"
	cp "$bug_dir/rootfs-amd64.tar.gz" "$CACHE/$SUITE_BUG_VERSION/bin/runtimetest" "$bug_run/"
	echo "suite-bug pass: runtime-tools $SUITE_BUG_VERSION" >&2
	unshare -m --propagation private -- "$0" --inner \
		"$CACHE/$SUITE_BUG_VERSION/bin" "$bug_run" "$log_dir/suite-bug" "$work/tmp-suite-bug" \
		"${SUITE_BUG_PROGRAMS[@]}"
	judge_args+=(-suite-bug-logs "$log_dir/suite-bug" -suite-bug-version "$SUITE_BUG_VERSION"
		-suite-bug-programs "$(join "${SUITE_BUG_PROGRAMS[@]}")")
fi
t2=$(date +%s)

cleanup
set +e
"$judge" "${judge_args[@]}"
status=$?
set -e
echo "programs took $((t1 - t0))s (suite-bug pass $((t2 - t1))s); logs in $log_dir" >&2
if [[ $status != 0 ]]; then
	exit "$status"
fi
if [[ $leaks == 1 ]]; then
	echo "run.sh: the run left mounts or cgroups behind (see above)" >&2
	exit 3
fi
exit 0
