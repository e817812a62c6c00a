# Shared setup for the client suites: real containerd and podman driving the runtime under test,
# unmodified, against one image built from the project's busybox rootfs (no registry).
#
# RUNTIME  the runtime the engines call (default: ./contain at the top of the checkout). The
#          suites pass with RUNTIME=/usr/sbin/runc too, so a difference is a contain bug.
# ROOTFS   the busybox rootfs the image is made of (default: build/rootfs, else built once into
#          this file's work dir by tests/rootfs/build.sh)
#
# Each .bats file owns one work dir (mktemp under /tmp, short enough for unix socket paths) made
# in setup_file and removed in teardown_file, after every mount under it is gone.

# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # variables are read by the .bats files; status/output by bats

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CLIENTS_DIR/../.." && pwd)
# shellcheck source=tests/signals.bash
. "$REPO_DIR/tests/signals.bash"
RUNTIME=$(realpath "${RUNTIME:-$REPO_DIR/contain}")
RUNTIME_NAME=$(basename "$RUNTIME")
IMAGE=localhost/contain-busybox:test
# Every engine call is bounded: a hung engine fails the test instead of the CI job.
CALL_TIMEOUT=${CALL_TIMEOUT:-60}
# Without a standard input the engines' first opened file (a fifo, a socket) would become fd 0
# and be read as the container's stdin: give them /dev/null, as a shell would.
[[ -e /proc/self/fd/0 ]] || exec </dev/null

function fail() {
	echo "$*" >&2
	return 1
}

# require_commands CMD... — fail (not skip: CI installs them, see tests/deps.sh) when missing.
function require_commands() {
	local c
	[[ $(id -u) == 0 ]] || skip "needs root (uid 0): the engines create namespaces, mounts and cgroups"
	[[ -x $RUNTIME ]] || fail "no runtime at $RUNTIME (make build, or set RUNTIME)"
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "$c is not installed (tests/deps.sh)"
	done
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

function rand_name() { # PREFIX
	echo "$1$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# make_work_dir PREFIX — the file's work dir, exported so the tests see it.
function make_work_dir() {
	WORK=$(mktemp -d "/tmp/$1.XXXXXX")
	export WORK
}

# build_rootfs_tar — $WORK/rootfs.tar: the busybox rootfs, the image's only layer (podman import).
function build_rootfs_tar() {
	local rootfs=${ROOTFS:-$REPO_DIR/build/rootfs}
	if [[ ! -x $rootfs/bin/busybox ]]; then
		rootfs=$WORK/rootfs
		bash "$REPO_DIR/tests/rootfs/build.sh" "$rootfs" >&2
	fi
	tar -C "$rootfs" --numeric-owner -cf "$WORK/rootfs.tar" .
}

# build_oci_tar — $WORK/oci.tar: an OCI image layout (for ctr image import) whose one layer is
# rootfs.tar, so both engines run the same content. umoci's tag "test" becomes the image name
# through ctr's --base-name.
function build_oci_tar() {
	build_rootfs_tar
	umoci init --layout "$WORK/oci"
	umoci new --image "$WORK/oci:test"
	umoci raw add-layer --image "$WORK/oci:test" "$WORK/rootfs.tar"
	umoci config --image "$WORK/oci:test" \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd /bin/sh
	tar -C "$WORK/oci" -cf "$WORK/oci.tar" .
}

# unmount_under DIR — unmount whatever is still mounted below DIR, deepest first. Only mounts the
# engines made for this file's work dir can be there.
function unmount_under() {
	local m
	findmnt -rn -o TARGET | { grep -F "$1/" || true; } | sort -r | while read -r m; do
		echo "unmounting leftover $m" >&2
		umount -l "$m" || true
	done
}

# remove_work_dir — unmount leftovers and remove $WORK.
function remove_work_dir() {
	[[ -n ${WORK:-} && -d $WORK ]] || return 0
	unmount_under "$WORK"
	rm -rf "$WORK"
}

# wait_pid_gone PID SECONDS — poll until the process is gone.
function pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# lines_of FILE — how many lines FILE has (0 when missing).
function lines_of() {
	if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}

# counter_script — a shell loop appending one line to /data/count every 50 ms: a paused
# container's file stops growing.
# shellcheck disable=SC2016 # expanded by the container's shell
COUNTER_SCRIPT='i=0; while :; do i=$((i+1)); echo $i >>/data/count; sleep 0.05; done'

# assert_counter_frozen FILE — FILE does not grow over half a second.
function assert_counter_frozen() {
	local a b
	a=$(lines_of "$1")
	sleep 0.5 # the thing under test is that nothing happens during this time
	b=$(lines_of "$1")
	[[ $a == "$b" ]] || fail "counter advanced while paused: $a -> $b"
}

# counter_advances FILE FROM — FILE has grown past FROM lines.
function counter_advances() {
	(($(lines_of "$1") > $2))
}

# A memory hog: doubles a shell string until the memory cgroup's OOM killer ends it.
# shellcheck disable=SC2016 # expanded by the container's shell
HOG='x=a; while :; do x=$x$x; done'

# write_podman_config DIR NAME=PATH... — a podman configuration of its own under DIR (storage,
# run root, tmp dir, events log, CNI dir) with the runtimes NAME=PATH registered, the first one
# the default, and exported in the environment (CONTAINERS_CONF and friends).
function write_podman_config() {
	local dir=$1 rt names=() table=""
	shift
	for rt in "$@"; do
		names+=("\"${rt%%=*}\"")
		table+="${rt%%=*} = [\"${rt#*=}\"]"$'\n'
	done
	mkdir -p "$dir"/{tmp,xdg,graph,run,libpod-tmp,cni}
	local IFS=,
	cat >"$dir/containers.conf" <<EOF
[containers]
netns = "none"
# This host lacks CAP_SYS_RESOURCE: podman's default nofile of 1048576 fails for any runtime.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[network]
network_config_dir = "$dir/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
lock_type = "file"
tmp_dir = "$dir/libpod-tmp"
runtime = ${names[0]}
# Without its name here podman passes the runtime no --log/--log-format json.
runtime_supports_json = ["crun", "runc", ${names[*]}]

[engine.runtimes]
$table
EOF
	cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/graph"
runroot = "$dir/run"
EOF
	echo 'unqualified-search-registries = []' >"$dir/registries.conf"
	export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
		CONTAINERS_REGISTRIES_CONF=$dir/registries.conf XDG_RUNTIME_DIR=$dir/xdg TMPDIR=$dir/tmp
}
