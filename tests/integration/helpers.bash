# Shared setup for the bats integration suites, in the manner of runc's own: each test gets a
# fresh bundle (made by the runtime's `spec`, edited with python3) and its own --root, runs the
# runtime through run_runtime (which logs command, status and output for failed tests) and polls
# with a bounded retry instead of sleeping.
#
# RUNTIME  the runtime under test (default: ./contain at the top of the checkout); any
#          runc-compatible binary works: RUNTIME=/usr/sbin/runc bats tests/integration
# ROOTFS   a prebuilt busybox rootfs to copy into bundles (default: built once per bats run by
#          tests/rootfs/build.sh into $BATS_RUN_TMPDIR)

# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # lines is read by the .bats files; status is set by bats' run

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INTEGRATION_DIR/../.." && pwd)
# shellcheck source=tests/signals.bash
. "$REPO_DIR/tests/signals.bash"
RUNTIME=${RUNTIME:-$REPO_DIR/contain}
RUNTIME_NAME=$(basename "$RUNTIME")

# The cgroups this test asked for (relative names, so they nest under our own cgroup).
CGROUP_NAMES=()

# run_runtime ARGS... — bats' run around the runtime with this test's --root. The output goes
# through a file of its own, not bats' pipe: a created or detached container inherits the
# runtime's stdout and would hold the pipe (and so the test) open until it exits.
function run_runtime() {
	local out
	out=$(mktemp "$BATS_TEST_TMPDIR/runtime-out.XXXXXX")
	# shellcheck disable=SC2016
	run bash -c 'exec "$@" </dev/null >"$0" 2>&1' "$out" "$RUNTIME" --root "$ROOT" "$@"
	output=$(cat "$out")
	# As bats does: one element per non-empty line.
	IFS=$'\n' read -d '' -r -a lines <<<"$output" || true
	# bats shows a test's stderr only when it fails: a record of every call.
	echo "$RUNTIME_NAME $* (status=$status):" >&2
	echo "$output" >&2
}

# runtime ARGS... — run the runtime directly (no bats run), for setup steps.
function runtime() {
	"$RUNTIME" --root "$ROOT" "$@"
}

function fail() {
	echo "$*" >&2
	return 1
}

function rand_name() { # PREFIX
	echo "$1$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# update_config PYTHON — edit $BUNDLE/config.json; the statement sees it as the dict c.
# jq may be missing on a fresh machine; python3 is a CI dependency anyway.
function update_config() {
	python3 - "$BUNDLE/config.json" "$1" <<'PY'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
with open(path) as f:
    c = json.load(f)
exec(stmt, {"c": c})
with open(path, "w") as f:
    json.dump(c, f, indent="\t")
PY
}

# set_args ARG... — the container's process args.
function set_args() {
	update_config "c['process']['args'] = $(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@")"
}

# new_cgroup — give the bundle a fresh relative cgroupsPath (one per container: two containers
# must not share a cgroup).
function new_cgroup() {
	local name
	name=$(rand_name bats-)
	CGROUP_NAMES+=("$name")
	update_config "c['linux']['cgroupsPath'] = '$name'"
}

function ensure_rootfs() {
	if [[ -n ${ROOTFS:-} ]]; then
		[[ -x $ROOTFS/bin/busybox ]] || fail "ROOTFS=$ROOTFS holds no bin/busybox"
		return
	fi
	ROOTFS=$BATS_RUN_TMPDIR/rootfs
	# Idempotent and quick the second time: every test calls it.
	bash "$REPO_DIR/tests/rootfs/build.sh" "$ROOTFS" >&2
}

# setup_bundle — a fresh --root and bundle for this test: the runtime's `spec` with no terminal,
# process `true`, a private copy of the busybox rootfs and a unique cgroup.
function setup_bundle() {
	[[ $(id -u) == 0 ]] || skip "needs root (uid 0): mounts, namespaces and cgroups"
	[[ -x $RUNTIME ]] || fail "no runtime at $RUNTIME (make build, or set RUNTIME)"
	ensure_rootfs
	ROOT=$BATS_TEST_TMPDIR/root
	# contain's sandboxes go to the test's dir, never /var/lib/contain (runc ignores the variable).
	export CONTAIN_WORK_DIR=$BATS_TEST_TMPDIR/work
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	(cd "$BUNDLE" && "$RUNTIME" spec) || fail "$RUNTIME spec failed"
	cp -a "$ROOTFS" "$BUNDLE/rootfs"
	update_config "c['process']['terminal'] = False; c['process']['args'] = ['true']; c['root']['path'] = 'rootfs'"
	new_cgroup
	cd "$BUNDLE" || return
}

# cgroup_dirs NAME — where a relative cgroupsPath NAME lands in each hierarchy: our own cgroup
# joined with NAME.
function cgroup_dirs() {
	local ctrls path mnt
	while IFS=: read -r _ ctrls path; do
		if [[ -z $ctrls ]]; then
			if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
				mnt=/sys/fs/cgroup
			elif [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]]; then
				mnt=/sys/fs/cgroup/unified
			else
				continue
			fi
		else
			mnt=/sys/fs/cgroup/${ctrls#name=}
			[[ -d $mnt ]] || mnt=/sys/fs/cgroup/${ctrls%%,*}
			[[ -d $mnt ]] || continue
		fi
		echo "$mnt${path%/}/$1"
	done </proc/self/cgroup
}

# teardown_bundle — delete every container of this test (delete --force), then fail the test if
# its state root or any of its cgroups survived (removing them so nothing leaks).
function teardown_bundle() {
	[[ -n ${ROOT:-} ]] || return 0
	cd "$BATS_TEST_TMPDIR" || true
	local id d leftover=0
	if [[ -d $ROOT ]]; then
		for id in "$ROOT"/*; do
			[[ -e $id ]] || continue
			"$RUNTIME" --root "$ROOT" delete --force "$(basename "$id")" >&2 || true
		done
		if [[ -n $(ls -A "$ROOT") ]]; then
			echo "state root not empty after delete --force: $(ls -A "$ROOT")" >&2
			leftover=1
		fi
	fi
	for name in "${CGROUP_NAMES[@]}"; do
		for d in $(cgroup_dirs "$name"); do
			[[ -d $d ]] || continue
			echo "cgroup $d left behind" >&2
			leftover=1
			# Only our container's processes can be in it; kill them by pid, then rmdir.
			while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$d/cgroup.procs"
			retry 50 0.1 rmdir "$d" || true
		done
	done
	return $leftover
}

# retry N DELAY CMD... — run CMD until it succeeds, at most N times, DELAY seconds apart.
function retry() {
	local n=$1 delay=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep "$delay"
	done
	echo "retry: '$*' still failing after $n attempts" >&2
	return 1
}

# container_status ID — prints the status field of `state ID`.
function container_status() {
	runtime state "$1" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}

function status_is() { # ID STATUS
	[[ $(container_status "$1") == "$2" ]]
}

# wait_for_status ID STATUS [SECONDS] — poll until the container has STATUS (default max 5 s).
function wait_for_status() {
	local secs=${3:-5}
	retry $((secs * 10)) 0.1 status_is "$1" "$2" || fail "container $1 did not reach status $2 in ${secs}s (now: $(container_status "$1"))"
}

# json_get PATH — reads JSON from stdin and prints the value at the dotted PATH.
function json_get() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if not isinstance(v, str) else v)' "$1"
}
