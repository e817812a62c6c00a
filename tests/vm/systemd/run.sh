#!/usr/bin/env bash
# Boot the systemd VM (image.sh: Debian 12, systemd as PID 1) with a payload and report its
# verdict.
#
#   tests/vm/systemd/run.sh PAYLOAD_DIR
#
# PAYLOAD_DIR holds an executable run-tests. The guest boots with cgroup v2 only, waits for
# systemd to be up, copies PAYLOAD_DIR (shared read-only over virtio-9p) to /var/tmp/payload,
# sources its `env` file if there is one, runs ./run-tests there as root (in the system's
# contain-vm-tests.service, not a wrapper: systemd, D-Bus, logind and podman are the image's
# own) and powers off. The disk is booted with snapshot=on: every run starts from the same image
# and nothing a run does reaches it.
#
# Knobs: VM_TIMEOUT (default 600 s for the whole VM), VM_TEST_TIMEOUT (run-tests' limit in the
# guest, default VM_TIMEOUT-90), VM_MEM (2048 MiB), VM_SMP (2), VM_APPEND (kernel command
# line), VM_CGROUP=v1 (boot systemd with the legacy v1 hierarchies instead), VM_ACCEL, VM_KVM_PROBE,
# VM_FIRST_OUTPUT, VM_ACCEL_MEMO (tests/vm/accel.sh), VM_CACHE_DIR (the image cache, image.sh,
# and the kvm memo).
#
# Exit status, as tests/vm/run.sh's: 0 run-tests passed; 1..119 its exit code; 120 it outlived
# VM_TEST_TIMEOUT; 121 the VM outlived VM_TIMEOUT; 122 no verdict (the guest died); 123 harness
# or guest setup error (image build, boot failure into emergency mode); 124 the guest never ran.
set -euo pipefail

readonly EXIT_HARNESS=123 # the others: tests/vm/verdict.sh

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "systemd-vm: $*" >&2; }
die() {
	log "error: $*"
	exit "$EXIT_HARNESS"
}

[[ $# -eq 1 ]] || die "usage: $0 PAYLOAD_DIR"
payload=$(cd "$1" && pwd) || die "payload dir $1 not found"
[[ -x $payload/run-tests ]] || die "$payload/run-tests is missing or not executable"
vm_timeout=${VM_TIMEOUT:-600}
test_timeout=${VM_TEST_TIMEOUT:-$((vm_timeout - 90))}
((test_timeout > 0)) || die "VM_TEST_TIMEOUT must be positive (VM_TIMEOUT $vm_timeout is too small)"

if ! command -v qemu-system-x86_64 >/dev/null; then
	log "installing qemu-system-x86"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2 ||
		{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2; } ||
		die "apt-get install qemu-system-x86"
fi

# The accelerator is chosen by evidence (tests/vm/accel.sh, shared with tests/vm/run.sh): kvm
# only when it proves to work, else tcg at once; a kvm failure is remembered in the cache
# (VM_ACCEL_MEMO, as the v2 harness does) so later boots go straight to tcg.
# shellcheck source=tests/vm/accel.sh
. "$here/../accel.sh"
# shellcheck source=tests/vm/verdict.sh
. "$here/../verdict.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/contain-systemd-vm.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	vm_qemu_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$SECONDS
img=$(bash "$here/image.sh") || die "image build failed"

# The image's initramfs plus /init, appended as a second archive (4-byte aligned, or the kernel
# ignores it).
cp "$img/initrd.cpio" "$work/initrd"
size=$(stat -c %s "$work/initrd")
head -c $(((4 - size % 4) % 4)) /dev/zero >>"$work/initrd"
mkdir "$work/rd"
install -m 0755 "$here/initramfs-init" "$work/rd/init"
(cd "$work/rd" && echo init | "$img/busybox" cpio -o -H newc -R 0:0 2>/dev/null) >>"$work/initrd" || die "pack /init"

cgroup="systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
if [[ ${VM_CGROUP:-v2} == v1 ]]; then
	cgroup="systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1"
fi
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
qemu=(-nodefaults -display none -serial stdio -no-reboot -m "${VM_MEM:-2048}" -smp "${VM_SMP:-2}"
	-kernel "$img/vmlinuz" -initrd "$work/initrd"
	-append "console=ttyS0 panic=-1 quiet loglevel=3 $cgroup containvm.nonce=$nonce containvm.timeout=$test_timeout ${VM_APPEND:-}"
	-drive "file=$img/root.img,if=virtio,format=raw,snapshot=on"
	-virtfs "local,path=$payload,mount_tag=host0,security_model=passthrough,id=host0,readonly=on")
log "booting $(basename "$img") (${VM_CGROUP:-v2}; timeout ${vm_timeout}s, payload ${test_timeout}s)"
t_boot=$SECONDS
qrc=0
cache=${VM_CACHE_DIR:-$here/../../.cache/vm}
console=$work/console.log
VM_ACCEL_MEMO=${VM_ACCEL_MEMO-$cache/kvm-failed} vm_boot "$vm_timeout" "$console" "${qemu[@]}" || qrc=$?
elapsed="boot+run $((SECONDS - t_boot)) s, total $((SECONDS - t0)) s, ${vm_accel:-?}"

rc=0
vm_verdict "$console" "$nonce" "$qrc" "$vm_timeout" "$test_timeout" "$elapsed" || rc=$?
exit "$rc"
