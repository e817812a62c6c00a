#!/usr/bin/env bash
# Run a test payload inside a real cgroup v2 kernel under qemu (KVM when it proves to work,
# software emulation otherwise: tests/vm/accel.sh).
#
#   tests/vm/run.sh [-9p] PAYLOAD_DIR [ARGS...]
#
# PAYLOAD_DIR must hold an executable `run-tests`; the whole directory is visible in the guest
# at /payload, which is also the payload's working directory, and ARGS are passed to it. In
# the guest, / is a tmpfs (so pivot_root works), /tmp is a tmpfs, cgroup2 is mounted at
# /sys/fs/cgroup (nsdelegate) with memory pids cpu cpuset io (hugetlb) enabled in the root's
# cgroup.subtree_control and no v1 hierarchy, and overlay/veth/bridge/loop load on first use.
# Environment for the payload: the variables named in PAYLOAD_DIR/pass-env (one name a line)
# and in $VM_PASS_ENV are copied from this script's environment when set.
#
# Payload delivery: by default PAYLOAD_DIR is appended to the initramfs as an uncompressed
# cpio (measured faster to boot than 9p for a payload of tens of MB, and the payload can
# write anywhere without touching the host). -9p (or VM_PAYLOAD_MODE=9p) shares it read-only
# over virtio-9p with cache=loose instead, which avoids copying very large payloads.
#
# Environment knobs:
#   VM_TIMEOUT        overall limit for the VM, seconds (default 600)
#   VM_TEST_TIMEOUT   limit for run-tests inside the guest (default VM_TIMEOUT-60)
#   VM_MEM, VM_SMP    guest memory in MiB (2048) and CPUs (2)
#   VM_MODULES        extra kernel modules to put in the initramfs
#   VM_APPEND         extra kernel command line
#   VM_CACHE_DIR      cache for the kernel and busybox (default tests/.cache/vm)
#   VM_KERNEL_PKG     kernel package to use (default: newest linux-image-6.1.0-N-amd64)
#   VM_DISK_MB        attach a blank sparse virtio-blk disk of this size (/dev/vda once the
#                     guest loads virtio_pci and virtio_blk); PAYLOAD_DIR/vm-disk-mb, a file
#                     holding the size, asks for one too. Default: no disk.
#   VM_ACCEL          kvm or tcg: force qemu's accelerator (default: kvm if it proves to work)
#   VM_KVM_PROBE, VM_FIRST_OUTPUT  seconds kvm/tcg get to show guest output (accel.sh)
#   VM_KERNEL, VM_KERNEL_MODULES, VM_BUSYBOX
#                     boot this kernel image with its lib/modules/RELEASE dir (holding
#                     modules.dep) and this static busybox, all three together; no apt at all
#
# Exit status:
#   0          the payload exited 0
#   1..119     the payload's exit code (a code >= 120, e.g. death by a signal, becomes 119;
#              the real one is printed)
#   120        the payload ran longer than VM_TEST_TIMEOUT and was killed in the guest
#   121        the whole VM ran longer than VM_TIMEOUT and qemu was killed (no verdict)
#   122        the guest stopped without a verdict line (kernel panic, /init died, ...)
#   123        the harness itself failed (fetching, building the initramfs, starting qemu,
#              or the guest's /init could not set up)
#   124        the guest never ran: no allowed accelerator got it to print anything (KVM
#              error, qemu dead or wedged); the log line names the cause
#   130, 143   run.sh was interrupted (SIGINT, SIGTERM); its qemu is stopped
set -euo pipefail

readonly EXIT_HARNESS=123 # the others: tests/vm/verdict.sh

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

log() { echo "vm: $*" >&2; }
# now: microseconds; since T: seconds (one decimal) since an earlier $(now).
now() { echo "${EPOCHREALTIME/./}"; }
since() { local d=$(($(now) - $1)); printf '%d.%ds' $((d / 1000000)) $((d % 1000000 / 100000)); }
die() {
	log "error: $*"
	exit "$EXIT_HARNESS"
}

mode=${VM_PAYLOAD_MODE:-cpio}
if [[ ${1:-} == -9p ]]; then
	mode=9p
	shift
fi
[[ $# -ge 1 ]] || die "usage: $0 [-9p] PAYLOAD_DIR [ARGS...]"
payload=$(cd "$1" && pwd) || die "payload dir $1 not found"
shift
[[ -x $payload/run-tests ]] || die "$payload/run-tests is missing or not executable"
[[ $mode == cpio || $mode == 9p ]] || die "VM_PAYLOAD_MODE must be cpio or 9p, not $mode"

vm_timeout=${VM_TIMEOUT:-600}
test_timeout=${VM_TEST_TIMEOUT:-$((vm_timeout > 120 ? vm_timeout - 60 : vm_timeout / 2))}
cache=${VM_CACHE_DIR:-$repo/tests/.cache/vm}
# Only what the runtime's tests need, plus virtio for 9p and a future virtio-blk disk (the
# io controller has no device to limit without one), and ext4 for the id-mapped mount tests
# (this kernel's tmpfs has no id-mapped mounts; an ext4 on that disk does; it needs crc32c).
modules="overlay veth bridge loop 9p 9pnet_virtio virtio_pci virtio_blk ext4 crc32c_generic ${VM_MODULES:-}"

t_start=$(now)
work=$(mktemp -d "${TMPDIR:-/tmp}/contain-vm.XXXXXX") || die "make a temp dir"
# shellcheck source=tests/vm/accel.sh
. "$here/accel.sh"
# shellcheck source=tests/vm/verdict.sh
. "$here/verdict.sh"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	vm_qemu_stop # only the qemu (under timeout(1)) this script started, by pid
	rm -rf "$work"
}
trap cleanup EXIT
# Any unexpected failure is the harness's, never mistaken for the payload's exit code.
set -E
trap 'log "error: command failed (status $?) at line $LINENO"; exit "$EXIT_HARNESS"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$cache"

# ---- host tools --------------------------------------------------------------------------

apt_updated=
apt_update() {
	[[ -z $apt_updated ]] || return 0
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update"
	apt_updated=1
}

if ! command -v qemu-system-x86_64 >/dev/null; then
	log "installing qemu-system-x86"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2 ||
		die "apt-get install qemu-system-x86"
fi

# ---- kernel and busybox (downloaded with apt-get download, never installed) ---------------

# fetch_deb PKG DIR: download PKG's candidate .deb into DIR, updating the index once on failure
# (a stale index names versions the mirror no longer has).
fetch_deb() {
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2) && return 0
	apt_update
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2) || die "apt-get download $1"
}

# resolve: set kpkg, kver_pkg (newest linux-image-6.1.0-N-amd64 and its version) and bbver
# from the apt index; empty when apt knows none.
resolve() {
	kpkg=${VM_KERNEL_PKG:-$(apt-cache pkgnames linux-image-6.1.0- |
		grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 1 || true)}
	kver_pkg='' bbver=''
	local pol
	pol=$(apt-cache policy ${kpkg:+"$kpkg"} busybox-static 2>/dev/null || true)
	# policy prints "pkg:" then "  Candidate: version" for each package, in order.
	kver_pkg=$(awk -v p="$kpkg:" '$1 == p {f = 1} f && $1 == "Candidate:" {print $2; exit}' <<<"$pol")
	bbver=$(awk '$1 == "busybox-static:" {f = 1} f && $1 == "Candidate:" {print $2; exit}' <<<"$pol")
	[[ $kver_pkg != "(none)" ]] || kver_pkg=
	[[ $bbver != "(none)" ]] || bbver=
}

# fetch: set vmlinux, kv, moddir and bb from the cache, filling it first when needed.
fetch() {
	# The cache is shared by concurrent runs: populate it under a lock.
	exec 9>"$cache/.lock"
	flock 9

	# apt-cache costs ~1.5 s a run; its answer changes only when the index does, so remember it
	# for the index's mtime (apt-get update touches /var/lib/apt/lists).
	resolved_key="$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none) ${VM_KERNEL_PKG:-newest}"
	kdir='' bbdir=''
	if [[ -f $cache/resolved ]]; then
		{ read -r key && read -r kdir && read -r bbdir; } <"$cache/resolved" || true
		if [[ $key != "$resolved_key" || ! -s $kdir/vmlinux || ! -x $bbdir/busybox ]]; then
			kdir='' bbdir=''
		fi
	fi
	if [[ -z $kdir ]]; then
		resolve
		if [[ -z $kpkg || -z $kver_pkg || -z $bbver ]]; then
			apt_update
			resolve
		fi
		if [[ -n $bbver ]]; then
			bbdir=$cache/busybox-static_${bbver//:/_}
		else
			# No usable index (offline?): fall back to what is cached.
			bbdir=$(find "$cache" -maxdepth 1 -name 'busybox-static_*' ! -name '*.tmp' | sort -V | tail -n 1)
			[[ -n $bbdir ]] || die "apt-cache knows no busybox-static and none is cached"
		fi
		if [[ -n $kpkg && -n $kver_pkg ]]; then
			kdir=$cache/${kpkg}_${kver_pkg//:/_}
		else
			kdir=$(find "$cache" -mindepth 2 -maxdepth 2 -name vmlinux -printf '%h\n' | sort -V | tail -n 1)
			[[ -n $kdir ]] || die "apt-cache knows no linux-image-6.1.0-*-amd64 and none is cached"
			log "apt knows no kernel package; using cached $(basename "$kdir")"
		fi

		if [[ ! -x $bbdir/busybox ]]; then
			log "fetching busybox-static $bbver"
			rm -rf "$bbdir" "$bbdir.tmp"
			mkdir -p "$bbdir.tmp"
			fetch_deb busybox-static "$bbdir.tmp"
			dpkg-deb -x "$bbdir.tmp"/*.deb "$bbdir.tmp/root"
			cp "$bbdir.tmp/root/bin/busybox" "$bbdir.tmp/busybox"
			rm -rf "$bbdir.tmp"/*.deb "$bbdir.tmp/root"
			mv "$bbdir.tmp" "$bbdir"
		fi

		if [[ ! -s $kdir/vmlinux ]]; then
			t0=$(now)
			log "fetching $kpkg $kver_pkg"
			rm -rf "$kdir" "$kdir.tmp"
			mkdir -p "$kdir.tmp"
			fetch_deb "$kpkg" "$kdir.tmp"
			dpkg-deb -x "$kdir.tmp"/*.deb "$kdir.tmp/root"
			rm -f "$kdir.tmp"/*.deb
			kv=$(ls "$kdir.tmp/root/lib/modules")
			printf '%s\n' "$kv" >"$kdir.tmp/kernel-release"
			# Debian ships no modules.dep: a busybox depmod of the whole tree (~3 s) gives the
			# dependency closure used for the initramfs.
			"$bbdir/busybox" depmod -b "$kdir.tmp/root" "$kv" || die "depmod $kv"
			# The bzImage holds an xz-compressed vmlinux; decompressing it costs ~5 s on every
			# emulated boot, so do it once here. Find the xz magic and decompress from there
			# (data after the stream makes xz exit non-zero: check the result, not the status).
			vmlinuz=$(ls "$kdir.tmp/root/boot"/vmlinuz-*)
			mapfile -t offsets < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1)
			for off in "${offsets[@]}"; do
				tail -c "+$((off + 1))" "$vmlinuz" | xz -dc >"$kdir.tmp/vmlinux" 2>/dev/null || true
				[[ $(head -c 4 "$kdir.tmp/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] && break
				rm -f "$kdir.tmp/vmlinux"
			done
			[[ -s $kdir.tmp/vmlinux ]] || die "no xz-compressed vmlinux found in $vmlinuz"
			mv "$kdir.tmp" "$kdir"
			log "kernel $kv ready in $(since "$t0")"
		fi
		printf '%s\n' "$resolved_key" "$kdir" "$bbdir" >"$cache/resolved.tmp"
		mv "$cache/resolved.tmp" "$cache/resolved"
	fi
	flock -u 9
	kv=$(cat "$kdir/kernel-release")
	moddir=$kdir/root/lib/modules/$kv
	bb=$bbdir/busybox
	vmlinux=$kdir/vmlinux
}

if [[ -n ${VM_KERNEL:-}${VM_KERNEL_MODULES:-}${VM_BUSYBOX:-} ]]; then
	# A kernel of the caller's (e.g. a stand-in for the harness's own tests): no apt at all.
	[[ -f ${VM_KERNEL:-} && -f ${VM_KERNEL_MODULES:-}/modules.dep && -x ${VM_BUSYBOX:-} ]] ||
		die "VM_KERNEL (a kernel image), VM_KERNEL_MODULES (its lib/modules/RELEASE with modules.dep) and VM_BUSYBOX (a static busybox) go together"
	vmlinux=$VM_KERNEL moddir=$(cd "$VM_KERNEL_MODULES" && pwd) bb=$VM_BUSYBOX
	kv=$(basename "$moddir")
else
	fetch
fi

# ---- initramfs ---------------------------------------------------------------------------
t_build=$(now)
rd=$work/initramfs
mkdir -p "$rd"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,vm,payload,"lib/modules/$kv"}
cp "$bb" "$rd/bin/busybox"
ln -s busybox "$rd/bin/sh" # /init makes the other applet links: 400 ln(1) here cost ~1 s
cp "$here/init" "$rd/init"
chmod 0755 "$rd/init"

# Dependency closure of $modules from modules.dep ("kernel/x.ko: kernel/dep.ko ...").
declare -A want=()
queue=()
for m in $modules; do
	path=$(awk -v m="$m" -F: '{n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n)} n == m {print $1; exit}' "$moddir/modules.dep")
	if [[ -z $path ]]; then
		# e.g. the -cloud-amd64 flavour has no 9p; only a guest that uses it will notice.
		log "warning: kernel $kv has no module $m"
		continue
	fi
	queue+=("$path")
done
while [[ ${#queue[@]} -gt 0 ]]; do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	[[ -z ${want[$p]:-} ]] || continue
	want[$p]=1
	read -r -a deps <<<"$(awk -v p="$p:" '$1 == p {$1 = ""; print; exit}' "$moddir/modules.dep")"
	for d in "${deps[@]}"; do
		queue+=("$d")
	done
done
for p in "${!want[@]}"; do
	mkdir -p "$rd/lib/modules/$kv/$(dirname "$p")"
	cp "$moddir/$p" "$rd/lib/modules/$kv/$p"
done
cp "$moddir/modules.builtin" "$rd/lib/modules/$kv/" 2>/dev/null || true
# A modules.dep (and modules.alias, for the kernel's "fs-overlay" style requests) of what
# the initramfs actually carries.
"$bb" depmod -b "$rd" "$kv" || die "depmod for the initramfs"

shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
printf 'VM_MODE=%s\nVM_TEST_TIMEOUT=%s\n' "$mode" "$test_timeout" >"$rd/vm/config"
{
	names=${VM_PASS_ENV:-}
	[[ -f $payload/pass-env ]] && names="$names $(grep -v '^#' "$payload/pass-env" || true)"
	for n in $names; do
		[[ $n =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad variable name in pass-env: $n"
		[[ -n ${!n+set} ]] && echo "export $n=$(shquote "${!n}")"
	done
	printf 'set --'
	for a in "$@"; do printf ' %s' "$(shquote "$a")"; done
	echo
} >"$rd/vm/env"

initrd=$work/initrd.cpio
# -R 0:0: the guest sees root-owned files even when the harness runs unprivileged.
(cd "$rd" && find . -mindepth 1 | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) >"$initrd"
if [[ $mode == cpio ]]; then
	# The kernel silently ignores an appended archive that does not start 4-byte aligned.
	pad=$(((4 - $(stat -c %s "$initrd") % 4) % 4))
	head -c "$pad" /dev/zero >>"$initrd"
	# payload/ exists in the first archive; the link only lets cpio read "payload/..." names.
	mkdir "$work/p"
	ln -s "$payload" "$work/p/payload"
	(cd "$payload" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\.|payload|') |
		(cd "$work/p" && "$bb" cpio -o -H newc -R 0:0 2>/dev/null) >>"$initrd" ||
		die "pack payload"
fi
log "initramfs $(($(stat -c %s "$initrd") / 1024)) KiB ($mode payload) built in $(since "$t_build")"

# ---- boot ---------------------------------------------------------------------------------
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# The accelerator is not named here: accel.sh adds it, chosen by evidence.
qemu=(-nodefaults -display none -serial stdio -no-reboot
	-m "${VM_MEM:-2048}" -smp "${VM_SMP:-2}"
	-kernel "$vmlinux" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 quiet cgroup_no_v1=all containvm.nonce=$nonce ${VM_APPEND:-}")
disk_mb=${VM_DISK_MB:-}
[[ -n $disk_mb || ! -f $payload/vm-disk-mb ]] || disk_mb=$(tr -d ' \n' <"$payload/vm-disk-mb")
if [[ -n $disk_mb && $disk_mb != 0 ]]; then
	[[ $disk_mb =~ ^[0-9]+$ ]] || die "disk size must be a number of MiB, not $disk_mb"
	# For the io controller (io.max, io.weight need a block device); sparse, so it costs nothing.
	# werror/rerror=report: a full host disk fails the guest's write instead of pausing the VM.
	truncate -s "${disk_mb}M" "$work/disk.img"
	qemu+=(-drive "file=$work/disk.img,if=virtio,format=raw,cache=unsafe,werror=report,rerror=report")
fi
if [[ $mode == 9p ]]; then
	qemu+=(-virtfs "local,path=$payload,mount_tag=host0,security_model=passthrough,id=host0,readonly=on")
fi

console=$work/console.log
log "booting $kv (timeout ${vm_timeout}s, payload timeout ${test_timeout}s)"
t_boot=$(now)
# The serial console is streamed (CR stripped) so CI logs show each test; cleanup() stops qemu
# if we are interrupted.
qrc=0
# A broken KVM stays broken until the machine reboots: later runs skip the probe.
VM_ACCEL_MEMO=${VM_ACCEL_MEMO-$cache/kvm-failed} vm_boot "$vm_timeout" "$console" "${qemu[@]}" || qrc=$?
elapsed="boot+run $(since "$t_boot") under $vm_accel, total $(since "$t_start")"
rc=0
vm_verdict "$console" "$nonce" "$qrc" "$vm_timeout" "$test_timeout" "$elapsed" || rc=$?
exit "$rc"
