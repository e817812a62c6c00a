#!/usr/bin/env bats
# podman 4.3 + conmon running containers through $RUNTIME, registered in a containers.conf of our
# own as the default runtime (with runtime_supports_json, so podman passes --log and
# --log-format json). podman's storage, run root, tmp dir, events log and CNI dir are ours and go
# away in teardown_file. Pitfalls (see shared notes): no static_dir (every --rm would wait 20 s),
# no --runtime-flag root (the cleanup's delete --force would not get it).
#
# As root podman passes no --root: the runtime keeps its state in its default root, /run/<name>.
# teardown_file checks that none of our containers are left there.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	require_commands podman conmon findmnt
	make_work_dir contain-podman
	mkdir -p "$WORK/data"
	write_podman_config "$WORK" "$RUNTIME_NAME=$RUNTIME"
	# podman must really call the runtime under test.
	pm info --format '{{.Host.OCIRuntime.Path}}' | grep -qx "$RUNTIME" || fail "podman does not use $RUNTIME: $(pm info --format '{{.Host.OCIRuntime.Path}}')"

	build_rootfs_tar
	pm import "$WORK/rootfs.tar" "$IMAGE" >&2
}

teardown_file() {
	[[ -n ${WORK:-} ]] || return 0
	local id leftover=0
	# Every container podman ever made in our storage (running or not).
	local ids
	ids=$(pm ps -a -q --no-trunc 2>/dev/null || true)
	if [[ -n $ids ]]; then
		echo "containers left: $ids" >&2
		pm rm -a -f -t 0 >&2 || true
	fi
	pm rmi -a -f >/dev/null 2>&1 || true
	# The runtime's state for every container of this file must be gone (delete --force ran).
	# podman's event log names every container it created, --rm ones included.
	for id in $(container_ids_from_events); do
		if [[ -e /run/$RUNTIME_NAME/$id ]]; then
			echo "runtime state left: /run/$RUNTIME_NAME/$id" >&2
			"$RUNTIME" delete --force "$id" >&2 || true
			leftover=1
		fi
		# podman passes the runtime no environment of ours: contain's per-container sandboxes go
		# to its default work dir. They are ours to remove.
		[[ $RUNTIME_NAME == contain ]] && rm -rf "/var/lib/contain/containers/$id"
	done
	remove_work_dir
	return $leftover
}

setup() {
	NAME=$(rand_name pm-)
}

teardown() {
	pm rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
}

# pm ARGS... — podman with our configuration, bounded in time.
function pm() {
	# From our work dir: conmon writes a file named "oom" into its working directory when the
	# container is OOM-killed, and podman starts it in its own.
	(cd "$WORK" && timeout "$CALL_TIMEOUT" podman "$@")
}

# run_pm [-N] ARGS... — bats' run of podman (stdout and stderr: what the user sees), recorded on
# stderr for failed tests. -N: the exit status expected (bats' own check, e.g. -127).
function run_pm() {
	local expect=()
	[[ $1 =~ ^-[0-9]+$ ]] && { expect=("$1"); shift; }
	run "${expect[@]}" pm "$@"
	echo "podman $* (status=$status):" >&2
	echo "$output" >&2
}

# container_ids_from_events — the id of every container podman created with our configuration.
function container_ids_from_events() {
	python3 - "$WORK/events.log" <<'PY'
import json, sys
ids = set()
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e.get("Type") == "container" and e.get("Status") == "create":
            ids.add(e["ID"])
except FileNotFoundError:
    pass
print("\n".join(sorted(ids)))
PY
}

function pm_status() { # NAME
	pm inspect --format '{{.State.Status}}' "$1"
}

function pm_status_is() { # NAME STATUS
	[[ $(pm_status "$1") == "$2" ]]
}

# start_detached ARGS... — podman run -d --name $NAME ARGS..., then wait until it is running.
function start_detached() {
	pm run -d --name "$NAME" "$@" >/dev/null || return
	retry 50 0.1 pm_status_is "$NAME" running || fail "$NAME not running: $(pm_status "$NAME")"
}

@test "podman run: echo hello prints hello" {
	run_pm run --name "$NAME" "$IMAGE" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "podman run --rm: the exit code of the container's process is podman's" {
	run_pm run --rm "$IMAGE" sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "podman run --rm removes the runtime's state of the container" {
	run_pm run --rm --name "$NAME" "$IMAGE" sh -c 'cat /proc/self/cgroup | grep -o "libpod-[0-9a-f]*" | head -1'
	[ "$status" -eq 0 ]
	local id=${output#libpod-}
	[ ${#id} -eq 64 ]
	[ ! -e "/run/$RUNTIME_NAME/$id" ]
}

@test "podman exec joins the container's namespaces" {
	start_detached "$IMAGE" sleep 1000
	run_pm exec "$NAME" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" -gt 1 ]
}

@test "podman run --preserve-fds: the container's process gets podman's fd 3" {
	echo "from the host" >"$WORK/preserved"
	# podman hands fd 3 to conmon, conmon to `$RUNTIME create --preserve-fds 1`.
	run_pm run --rm --preserve-fds 1 --name "$NAME" "$IMAGE" sh -c 'cat <&3; test -e /proc/self/fd/4 || echo no-fd-4' 3<"$WORK/preserved"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from the host" ]
	[ "${lines[1]}" = "no-fd-4" ]
}

@test "podman exec --preserve-fds: the exec'd process gets podman's fd 3" {
	start_detached "$IMAGE" sleep 1000
	echo "to the exec" >"$WORK/preserved"
	run_pm exec --preserve-fds 1 "$NAME" sh -c 'cat <&3' 3<"$WORK/preserved"
	[ "$status" -eq 0 ]
	[ "$output" = "to the exec" ]
}

@test "podman exec -t gets a terminal" {
	start_detached "$IMAGE" sleep 1000
	run_pm exec -t "$NAME" sh -c 'tty; test -t 1 && echo stdout-tty'
	[ "$status" -eq 0 ]
	[[ $output =~ /dev/pts/[0-9]+ ]]
	[[ $output == *stdout-tty* ]]
}

@test "podman run -t: the container's process has a terminal" {
	run_pm run --rm -t "$IMAGE" sh -c 'tty; test -t 0 && echo stdin-tty'
	[ "$status" -eq 0 ]
	[[ $output =~ /dev/pts/[0-9]+ ]]
	[[ $output == *stdin-tty* ]]
}

@test "podman stop: SIGTERM stops a container that traps it, with its exit code" {
	start_detached "$IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	retry 50 0.1 handles_signal "$(pm inspect --format '{{.State.Pid}}' "$NAME")" TERM ||
		fail "the container's shell set no TERM trap"
	local t0=$SECONDS
	# The timeout is long: stopping by SIGKILL after it would show in the time taken.
	run_pm stop -t 30 "$NAME"
	[ "$status" -eq 0 ]
	((SECONDS - t0 < 20))
	[ "$(pm inspect --format '{{.State.ExitCode}}' "$NAME")" -eq 7 ]
}

@test "podman kill ends a container that ignores SIGTERM, with exit code 137" {
	start_detached "$IMAGE" sh -c 'sleep 1000 & sleep 1001 & wait'
	run_pm kill "$NAME"
	[ "$status" -eq 0 ]
	retry 50 0.1 pm_status_is "$NAME" exited
	[ "$(pm inspect --format '{{.State.ExitCode}}' "$NAME")" -eq 137 ]
}

@test "podman run --timeout: conmon kills the container's process group, not itself" {
	# conmon ends a container past its --timeout with kill(-pgid, SIGKILL): the container's
	# process must lead a group of its own, or conmon kills itself and podman never learns
	# the container stopped. podman reports the timeout as 255.
	run_pm -255 run --rm --timeout 2 --name "$NAME" "$IMAGE" sleep 30
	run_pm ps -a -q --filter name="$NAME"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "podman pause/unpause freezes and thaws the container" {
	local data=$WORK/data/$NAME
	mkdir -p "$data"
	start_detached -v "$data:/data" "$IMAGE" sh -c "$COUNTER_SCRIPT"
	retry 50 0.1 counter_advances "$data/count" 2
	run_pm pause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pm_status "$NAME")" = paused ]
	assert_counter_frozen "$data/count"
	local n
	n=$(lines_of "$data/count")
	run_pm unpause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pm_status "$NAME")" = running ]
	retry 50 0.1 counter_advances "$data/count" "$n"
}

@test "podman top lists the container's processes" {
	start_detached "$IMAGE" sh -c 'sleep 1000 & sleep 1001 & wait'
	# shellcheck disable=SC2016 # $0 expands in the inner shell
	retry 50 0.1 bash -c 'podman top "$0" args | grep -q "sleep 1001"' "$NAME"
	run_pm top "$NAME" pid args
	[ "$status" -eq 0 ]
	[[ $output == *"sleep 1000"* ]]
	[[ $output == *"sleep 1001"* ]]
	# pid 1 is the container's shell: top saw the container's pid namespace.
	echo "$output" | grep -Eq '^1 +sh -c'
}

@test "podman run --memory: a memory hog is OOM-killed" {
	# The hog runs in a child shell; the container's shell then reads the kernel's counters.
	run_pm run --rm --memory 32m "$IMAGE" sh -c "sh -c '$HOG'; echo hog=\$?;
		if [ -f /sys/fs/cgroup/memory/memory.oom_control ]; then
			cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.oom_control
		else
			cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.events
		fi"
	[ "$status" -eq 0 ]
	[[ $output == *hog=137* ]]
	[[ $output == *$((32 << 20))* ]]
	echo "$output" | grep -Eq '^oom_kill [1-9]'
	# The hog as the container's process: podman reports the SIGKILL.
	run_pm run --rm --memory 32m "$IMAGE" sh -c "$HOG"
	[ "$status" -eq 137 ]
}

@test "podman run of a missing executable shows the runtime's error, exit 127" {
	run_pm -127 run --rm "$IMAGE" /no/such/binary
	[[ $output == *"/no/such/binary"* ]]
	[[ $output == *"no such file or directory"* ]]
	run_pm -127 run --rm "$IMAGE" no-such-command
	[[ $output == *"no-such-command"* ]]
}
