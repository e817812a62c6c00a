#!/usr/bin/env bats
# The VM harness's accelerator choice (tests/vm/accel.sh), against a stub qemu
# (tests/vm/stub/qemu-system-x86_64) first on PATH: no root, no kernel, a few seconds in all.
# The last tests drive tests/vm/run.sh itself, with a stand-in kernel.

bats_require_minimum_version 1.5.0

VM_DIR=$(cd "$(dirname "$BATS_TEST_FILENAME")" && pwd)

setup() {
	PATH=$VM_DIR/stub:$PATH
	export STUB_LOG=$BATS_TEST_TMPDIR/starts
	: >"$STUB_LOG"
	# /dev/null stands in for a usable /dev/kvm (a read-write character device), so the kvm path
	# is taken on every machine; no test needs a real one.
	export VM_KVM_DEVICE=/dev/null
	unset VM_ACCEL VM_KVM_PROBE VM_FIRST_OUTPUT VM_ACCEL_MEMO STUB_KVM STUB_TCG STUB_EXIT
	# shellcheck source=tests/vm/accel.sh
	. "$VM_DIR/accel.sh"
	console=$BATS_TEST_TMPDIR/console
}

# boot: vm_boot with a 60 s limit and the arguments run.sh would pass; sets status, output
# (the console as streamed) and stderr (the harness's log), and elapsed (whole seconds).
boot() {
	local t0=$SECONDS
	# Not bats' run: that is a subshell, and vm_accel and vm_accel_why are part of the result.
	status=0
	vm_boot 60 "$console" -nodefaults -append "quiet containvm.nonce=0123abcd" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	elapsed=$((SECONDS - t0))
	output=$(cat "$BATS_TEST_TMPDIR/out") stderr=$(cat "$BATS_TEST_TMPDIR/err")
	echo "status=$status elapsed=${elapsed}s accel=$vm_accel why=$vm_accel_why" >&3
	printf 'log:\n%s\nconsole:\n%s\n' "$stderr" "$output"
}

# started: the accelerators the stub was started with, in order.
started() { awk '{printf "%s%s", sep, $1; sep = " "}' "$STUB_LOG"; }

# assert_stub_gone: no stub qemu of this test is still alive.
assert_stub_gone() {
	local accel pid
	while read -r accel pid; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid"
			echo "stub qemu ($accel, pid $pid) still running" >&2
			return 1
		fi
	done <"$STUB_LOG"
}

@test "KVM internal error and a hang: tcg takes over at once and runs the guest" {
	export STUB_KVM=kvm-error
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	[ "$elapsed" -le 5 ]
	[[ $stderr == *"kvm failed: qemu reports: KVM internal error. Suberror: 1"* ]]
	[[ $stderr == *"accelerator: tcg (kvm failed: "*"; falling back)"* ]]
	[ "$vm_accel" = tcg ]
	# The console is the tcg run's alone, CR stripped.
	grep -qx "init: stub under tcg" "$console"
	grep -qx "CONTAIN-VM-RESULT 0123abcd exit=0" "$console"
	assert_stub_gone
}

@test "VM_ACCEL=kvm and a KVM error: a clear failure naming the cause, no tcg" {
	export STUB_KVM=kvm-error VM_ACCEL=kvm
	boot
	[ "$status" -eq "$VM_EXIT_NO_GUEST" ]
	[ "$(started)" = kvm ]
	[ "$elapsed" -le 5 ]
	[[ $stderr == *"accelerator: kvm (forced by VM_ACCEL=kvm)"* ]]
	[[ $vm_accel_why == "kvm failed: qemu reports: KVM internal error. Suberror: 1 (after "*"s, qemu stopped)" ]]
	assert_stub_gone
}

@test "kvm that shows no guest output within VM_KVM_PROBE: tcg takes over" {
	export STUB_KVM=silent VM_KVM_PROBE=1
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	[ "$elapsed" -le 5 ]
	[[ $stderr == *"kvm failed: no guest output within 1s"* ]]
	assert_stub_gone
}

@test "a KVM error after the guest started: the run is redone under tcg" {
	export STUB_KVM=late-error
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	[[ $stderr == *"kvm failed: qemu reports: KVM internal error"* ]]
	grep -qx "init: stub under tcg" "$console"
	assert_stub_gone
}

@test "qemu that cannot open KVM and exits: tcg takes over" {
	export STUB_KVM=exit1
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	[[ $stderr == *"kvm failed: qemu reports: qemu-system-x86_64: -accel kvm: failed to initialize kvm"* ]]
}

@test "working kvm is used, with no tcg run" {
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = kvm ]
	[ "$vm_accel" = kvm ]
	[[ $stderr == *"accelerator: kvm (/dev/null is usable; kvm has 10s to show guest output, else tcg)"* ]]
	grep -qx "init: stub under kvm" "$console"
}

@test "no usable KVM device: tcg only, and the log says why" {
	export VM_KVM_DEVICE=$BATS_TEST_TMPDIR/no-kvm
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = tcg ]
	[[ $stderr == *"accelerator: tcg (no usable $VM_KVM_DEVICE)"* ]]
}

@test "VM_ACCEL=tcg is used even where kvm works" {
	export VM_ACCEL=tcg
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = tcg ]
	[[ $stderr == *"accelerator: tcg (forced by VM_ACCEL=tcg)"* ]]
}

@test "tcg wedged too: stopped after VM_FIRST_OUTPUT, the failure names both causes" {
	export STUB_KVM=kvm-error STUB_TCG=silent VM_FIRST_OUTPUT=2
	boot
	[ "$status" -eq "$VM_EXIT_NO_GUEST" ]
	[ "$(started)" = "kvm tcg" ]
	[ "$elapsed" -le 6 ]
	[[ $vm_accel_why == "kvm failed: qemu reports: KVM internal error"*"; tcg failed: no guest output within 2s (after 2s, qemu stopped)" ]]
	assert_stub_gone
}

@test "the payload's failure is qemu's normal exit, not an accelerator failure" {
	export STUB_KVM=kvm-error STUB_EXIT=3
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	grep -qx "CONTAIN-VM-RESULT 0123abcd exit=3" "$console"
}

@test "a kvm failure is remembered until the host reboots: the next VM boot goes to tcg" {
	export STUB_KVM=kvm-error VM_ACCEL_MEMO=$BATS_TEST_TMPDIR/memo
	boot
	[ "$status" -eq 0 ]
	[ "$(head -n 1 "$VM_ACCEL_MEMO")" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	: >"$STUB_LOG"
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = tcg ]
	[[ $vm_accel_why == "kvm failed earlier since this host booted: qemu reports: KVM internal error. Suberror: 1 (after "*"s, qemu stopped) (remembered in $VM_ACCEL_MEMO)" ]]
	# VM_ACCEL=kvm still tries kvm.
	: >"$STUB_LOG"
	VM_ACCEL=kvm boot
	[ "$(started)" = kvm ]
}

@test "a kvm failure remembered from another boot is ignored" {
	export VM_ACCEL_MEMO=$BATS_TEST_TMPDIR/memo
	printf '%s\n%s\n' 00000000-0000-0000-0000-000000000000 "an old failure" >"$VM_ACCEL_MEMO"
	boot
	[ "$status" -eq 0 ]
	[ "$(started)" = kvm ]
}

@test "an unknown VM_ACCEL is refused in one line" {
	export VM_ACCEL=hvf
	boot
	[ "$status" -eq "$VM_EXIT_NO_GUEST" ]
	[ -z "$(started)" ]
	[ "$stderr" = "vm: error: VM_ACCEL must be kvm or tcg, not 'hvf'" ]
}

# run.sh end to end: a stand-in kernel (the stub never reads it), an empty module tree and the
# host's static busybox, so the initramfs is built for real and no apt is needed.
run_sh() {
	local bb
	bb=$(command -v busybox) || skip "needs busybox (busybox-static) to build the initramfs"
	mkdir -p "$BATS_TEST_TMPDIR/modules/0.0.0-stub" "$BATS_TEST_TMPDIR/payload"
	: >"$BATS_TEST_TMPDIR/modules/0.0.0-stub/modules.dep"
	echo 'not a kernel' >"$BATS_TEST_TMPDIR/vmlinux"
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/payload/run-tests"
	chmod +x "$BATS_TEST_TMPDIR/payload/run-tests"
	local t0=$SECONDS
	run --separate-stderr env VM_KERNEL="$BATS_TEST_TMPDIR/vmlinux" \
		VM_KERNEL_MODULES="$BATS_TEST_TMPDIR/modules/0.0.0-stub" VM_BUSYBOX="$bb" \
		VM_CACHE_DIR="$BATS_TEST_TMPDIR/cache" VM_TIMEOUT=60 \
		bash "$VM_DIR/run.sh" "$BATS_TEST_TMPDIR/payload"
	elapsed=$((SECONDS - t0))
	printf 'status=%s elapsed=%ss\nlog:\n%s\n' "$status" "$elapsed" "$stderr"
}

@test "run.sh: a KVM error and a hang end in a tcg run that passes" {
	export STUB_KVM=kvm-error
	run_sh
	[ "$status" -eq 0 ]
	[ "$(started)" = "kvm tcg" ]
	[ "$elapsed" -le 20 ]
	[[ $stderr == *"vm: accelerator: tcg (kvm failed: qemu reports: KVM internal error. Suberror: 1"* ]]
	[[ $stderr == *"vm: PASS (boot+run "*" under tcg, total "* ]]
	assert_stub_gone
}

@test "run.sh: VM_ACCEL=kvm and a KVM error exit 124 naming the cause" {
	export STUB_KVM=kvm-error VM_ACCEL=kvm
	run_sh
	[ "$status" -eq 124 ]
	[ "$(started)" = kvm ]
	[[ $stderr == *"vm: NO GUEST: the VM never ran: kvm failed: qemu reports: KVM internal error. Suberror: 1"* ]]
	assert_stub_gone
}
