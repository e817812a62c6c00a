#!/usr/bin/env bats
# containerd 1.6 (containerd-shim-runc-v2, driven by ctr) running containers through $RUNTIME:
# `ctr run --runc-binary $RUNTIME --runc-root DIR`. containerd runs with a config of its own (own
# root, state, sockets, opt dir, TMPDIR; CRI and the noisy plugins off) and is stopped by its pid
# in teardown_file. Shim sockets always go to /run/containerd/s (fixed in the shim).

load helpers

NS=contain-clients

setup_file() {
	require_commands containerd ctr umoci script findmnt
	make_work_dir contain-ctrd
	export SOCK=$WORK/containerd.sock RUNTIME_ROOT=$WORK/runtime-root
	mkdir -p "$WORK"/{tmp,fifo,data,sandboxes} "$RUNTIME_ROOT"
	# Remember whether /run/containerd was ours to remove afterwards.
	[[ -e /run/containerd ]] && export RUN_CONTAINERD_EXISTED=1
	cat >"$WORK/config.toml" <<EOF
version = 2
root = "$WORK/root"
state = "$WORK/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
EOF
	# The shims inherit containerd's environment and pass it to the runtime: contain's
	# sandboxes land in our work dir (runc ignores the variable). fd 3 is bats' own: closed.
	TMPDIR=$WORK/tmp CONTAIN_WORK_DIR=$WORK/sandboxes \
		containerd --config "$WORK/config.toml" >"$WORK/containerd.log" 2>&1 3>&- &
	export CONTAINERD_PID=$!
	retry 100 0.1 ctr --address "$SOCK" version >/dev/null || fail "containerd did not come up: $(tail -20 "$WORK/containerd.log")"
	# Every event of our namespace, for the OOM test.
	ctr --address "$SOCK" events >"$WORK/events.log" 2>&1 3>&- &
	export EVENTS_PID=$!

	build_oci_tar
	ctrc image import --base-name localhost/contain-busybox "$WORK/oci.tar" >&2
	ctrc image ls -q | grep -qx "$IMAGE" || fail "image $IMAGE not imported"
}

teardown_file() {
	[[ -n ${WORK:-} ]] || return 0
	local id pid leftover=0
	if [[ -n ${CONTAINERD_PID:-} ]] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
		for id in $(ctrc task ls -q 2>/dev/null); do
			echo "task $id left running" >&2
			ctrc task kill -a -s SIGKILL "$id" || true
			retry 50 0.1 task_stopped "$id" || true
			ctrc task rm -f "$id" || true
		done
		for id in $(ctrc container ls -q 2>/dev/null); do ctrc container rm "$id" || true; done
		ctrc image rm "$IMAGE" >/dev/null || true
		ctrc namespace rm "$NS" || true
		kill "$CONTAINERD_PID"
		retry 100 0.1 pid_gone "$CONTAINERD_PID" || kill -9 "$CONTAINERD_PID" || true
	fi
	[[ -n ${EVENTS_PID:-} ]] && { kill "$EVENTS_PID" 2>/dev/null || true; }
	# Shims outlive containerd; ours are the ones serving our socket.
	for pid in $(pgrep -f -- "-address $SOCK( |$)"); do
		echo "shim $pid left behind: $(tr '\0' ' ' </proc/"$pid"/cmdline)" >&2
		kill -9 "$pid" || true
		leftover=1
	done
	if [[ -n $(ls -A "$RUNTIME_ROOT/$NS" 2>/dev/null) ]]; then
		echo "runtime state left in $RUNTIME_ROOT/$NS: $(ls -A "$RUNTIME_ROOT/$NS")" >&2
		leftover=1
	fi
	remove_work_dir
	# containerd names each container's cgroup /<namespace>/<id>: the namespace's group dirs (in
	# every hierarchy the engine and shim touch) are this suite's; rmdir removes only empty ones.
	local cg
	for cg in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/*/*/"$NS"; do
		[[ -d $cg ]] && { rmdir "$cg" 2>/dev/null || echo "cgroup $cg left (not empty)" >&2; }
	done
	if [[ -z ${RUN_CONTAINERD_EXISTED:-} ]]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
	fi
	return $leftover
}

setup() {
	ID=$(rand_name ctr-)
}

teardown() {
	# A test that failed half-way leaves its task: remove it so the next test starts clean.
	if ctrc task ls -q 2>/dev/null | grep -qx "$ID"; then
		ctrc task kill -a -s SIGKILL "$ID" || true
		retry 50 0.1 task_stopped "$ID" || true
		ctrc task rm -f "$ID" || true
	fi
	if ctrc container ls -q 2>/dev/null | grep -qx "$ID"; then
		ctrc container rm "$ID" || true
	fi
}

# ctrc ARGS... — ctr against our containerd and namespace, bounded in time.
function ctrc() {
	timeout "$CALL_TIMEOUT" ctr --address "$SOCK" --namespace "$NS" "$@"
}

# ctr_run ARGS... — `ctr run` through the runtime under test.
function ctr_run() {
	ctrc run --runc-binary "$RUNTIME" --runc-root "$RUNTIME_ROOT" --fifo-dir "$WORK/fifo" "$@"
}

# run_ctr ARGS... — bats' run of ctrc with stderr in the output (what the user sees); every
# call and its result go to stderr, which bats shows for failed tests.
function run_ctr() {
	run ctrc "$@" 2>&1
	echo "ctr $* (status=$status):" >&2
	echo "$output" >&2
}

function task_status() { # ID
	ctrc task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

function task_is() { # ID STATUS
	[[ $(task_status "$1") == "$2" ]]
}

function task_stopped() { # ID (or gone)
	local s
	s=$(task_status "$1")
	[[ -z $s || $s == STOPPED ]]
}

# start_detached ARGS... — ctr run -d IMAGE ID ARGS..., then wait until it is RUNNING.
function start_detached() {
	ctr_run -d "$@" || return
	retry 50 0.1 task_is "$ID" RUNNING || fail "task $ID not running: $(task_status "$ID")"
}

@test "ctr run: echo hello prints hello" {
	run ctr_run --rm "$IMAGE" "$ID" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "ctr run: the exit code of the container's process is ctr's" {
	run ctr_run --rm "$IMAGE" "$ID" sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "ctr task exec joins the container's namespaces" {
	start_detached "$IMAGE" "$ID" sleep 1000
	run_ctr task exec --fifo-dir "$WORK/fifo" --exec-id e1 "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	[ "$status" -eq 0 ]
	# The pid namespace is the container's: its pid 1 is sleep, and the exec'd shell is not 1.
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" -gt 1 ]
}

@test "ctr task exec -t gets a terminal" {
	start_detached "$IMAGE" "$ID" sleep 1000
	# ctr -t needs a terminal of its own: script(1) gives it one. script runs its command with
	# $SHELL (dash when unset, as in CI), which forks: timeout must leave ctr in the terminal's
	# foreground process group, or ctr stops on SIGTTOU when it puts the terminal in raw mode.
	run script -qec "timeout --foreground $CALL_TIMEOUT ctr --address $SOCK --namespace $NS task exec -t --fifo-dir $WORK/fifo --exec-id t1 $ID sh -c 'tty; test -t 0 && test -t 1 && echo both-tty'" /dev/null </dev/null
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output =~ /dev/pts/[0-9]+ ]]
	[[ $output == *both-tty* ]]
}

@test "ctr run -t: the container's process has a terminal" {
	run script -qec "timeout --foreground $CALL_TIMEOUT ctr --address $SOCK --namespace $NS run --rm -t --runc-binary $RUNTIME --runc-root $RUNTIME_ROOT --fifo-dir $WORK/fifo $IMAGE $ID sh -c 'tty; test -t 0 && echo stdin-tty'" /dev/null </dev/null
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output =~ /dev/pts/[0-9]+ ]]
	[[ $output == *stdin-tty* ]]
}

@test "ctr run --seccomp: containerd's default profile filters the container's syscalls" {
	run ctr_run --rm --seccomp "$IMAGE" "$ID" sh -c 'grep Seccomp: /proc/self/status; unshare -U true; echo unshare=$?'
	echo "$output" >&2
	[ "$status" -eq 0 ]
	# Mode 2 is a filter; the profile refuses unshare(CLONE_NEWUSER) to a container without
	# CAP_SYS_ADMIN.
	[[ $output == *"Seccomp:"*2* ]]
	[[ $output == *unshare=1* ]]
	# Without the profile the same call succeeds: the refusal is the filter's.
	run ctr_run --rm "$IMAGE" "$ID" sh -c 'unshare -U true; echo unshare=$?'
	[[ $output == *unshare=0* ]]
}

@test "ctr task kill: SIGTERM stops a container that traps it, with its exit code" {
	# A pid namespace's init only gets the signals it handles.
	ctr_run --rm "$IMAGE" "$ID" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' 3>&- &
	local ctr_pid=$!
	retry 50 0.1 task_is "$ID" RUNNING || fail "task $ID not running"
	local pid
	pid=$(ctrc task ls | awk -v id="$ID" '$1 == id {print $2}')
	retry 50 0.1 handles_signal "$pid" TERM || fail "the container's shell set no TERM trap"
	run_ctr task kill "$ID"
	[ "$status" -eq 0 ]
	local st=0
	wait "$ctr_pid" || st=$?
	[ "$st" -eq 7 ]
}

@test "ctr task kill -a -s SIGKILL ends a container that ignores SIGTERM" {
	start_detached "$IMAGE" "$ID" sh -c 'sleep 1000 & sleep 1000'
	run_ctr task kill "$ID"
	[ "$status" -eq 0 ]
	# sh as pid 1 has no TERM handler: the kernel drops the signal.
	sleep 0.3 # the thing under test is that nothing happens during this time
	task_is "$ID" RUNNING
	run_ctr task kill -a -s SIGKILL "$ID"
	[ "$status" -eq 0 ]
	retry 50 0.1 task_is "$ID" STOPPED
	run_ctr task rm "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"exit code 137"* ]]
}

@test "ctr task pause/resume freezes and thaws the container" {
	local data=$WORK/data/$ID
	mkdir -p "$data"
	start_detached --mount "type=bind,src=$data,dst=/data,options=rbind:rw" "$IMAGE" "$ID" sh -c "$COUNTER_SCRIPT"
	retry 50 0.1 counter_advances "$data/count" 2
	run_ctr task pause "$ID"
	[ "$status" -eq 0 ]
	[ "$(task_status "$ID")" = PAUSED ]
	assert_counter_frozen "$data/count"
	local n
	n=$(lines_of "$data/count")
	run_ctr task resume "$ID"
	[ "$status" -eq 0 ]
	[ "$(task_status "$ID")" = RUNNING ]
	retry 50 0.1 counter_advances "$data/count" "$n"
}

@test "ctr task ps lists the container's processes" {
	start_detached "$IMAGE" "$ID" sh -c 'sleep 1000 & sleep 1001 & wait'
	# Until both sleeps exist the list is shorter: poll for three processes.
	# shellcheck disable=SC2016 # $0..$2 expand in the inner shell
	retry 50 0.1 bash -c '[ $(ctr --address "$0" --namespace "$1" task ps "$2" | tail -n +2 | wc -l) -eq 3 ]' "$SOCK" "$NS" "$ID"
	run_ctr task ps "$ID"
	[ "$status" -eq 0 ]
	local pid cmds=()
	for pid in $(echo "$output" | tail -n +2 | awk '{ print $1 }'); do
		cmds+=("$(tr '\0' ' ' </proc/"$pid"/cmdline)")
	done
	echo "processes: ${cmds[*]}" >&2
	[[ " ${cmds[*]} " == *"sleep 1000 "* ]]
	[[ " ${cmds[*]} " == *"sleep 1001 "* ]]
	[[ " ${cmds[*]} " == *"sh -c "* ]]
}

@test "ctr run --memory-limit: a memory hog is OOM-killed and containerd reports the OOM" {
	run ctr_run --rm --memory-limit $((32 << 20)) "$IMAGE" "$ID" sh -c "$HOG"
	[ "$status" -eq 137 ]
	# The shim watches the container's memory cgroup and publishes /tasks/oom.
	retry 50 0.1 grep -q "/tasks/oom.*\"$ID\"" "$WORK/events.log"
}

@test "ctr run of a missing executable shows the runtime's error to the user" {
	run ctr_run --rm "$IMAGE" "$ID" /no/such/binary
	echo "$output" >&2
	[ "$status" -ne 0 ]
	# containerd shows the msg of the runtime's last error log line.
	[[ $output == *"OCI runtime create failed"* ]]
	[[ $output == *"/no/such/binary"* ]]
	[[ $output == *"no such file or directory"* ]]
	# The failed create was cleaned up (delete --force): no state left in the runtime's root.
	[ ! -e "$RUNTIME_ROOT/$NS/$ID" ]
}
