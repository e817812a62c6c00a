#!/usr/bin/env bash
# Build, or find in the cache, the systemd test VM: Debian 12 with systemd as PID 1, built from
# Debian's packages alone (debootstrap, then apt in a chroot), booted by run.sh with cgroup v2
# only.
#
#   tests/vm/systemd/image.sh     prints the image dir: root.img (ext4), vmlinuz, initrd.cpio
#                                 (without /init), busybox, versions.txt
#
# The image is cached in $VM_CACHE_DIR (default tests/.cache/vm) as systemd-<key>, where key is
# a hash of this script and guest/ (the recipe): a changed recipe builds a new image, an
# unchanged one is reused whatever the mirror has published since (the kernel and package
# versions of a build are in its versions.txt). Older systemd-* images are removed when a new
# one is built. A cold build is 2-4 min (download and unpack of ~200 packages); a cached one 0 s.
#
# Needs root (debootstrap, chroot, device nodes), debootstrap (installed when missing), apt's
# Debian mirror (taken from the host's apt configuration; VM_DEBIAN_MIRROR overrides),
# mkfs.ext4 (e2fsprogs) and cpio-less packing via the image's own busybox.
# shellcheck disable=SC2016 # apt's, dpkg's and the chroot's shell expand what is quoted for them
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${VM_CACHE_DIR:-$repo/tests/.cache/vm}
suite=bookworm

log() { echo "systemd-image: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap and chroot)"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

key=$( (
	cat "$here/image.sh"
	cd "$here/guest" && find . -type f | LC_ALL=C sort | xargs sha256sum
) | sha256sum | cut -c1-16)
img=$cache/systemd-$key

ready() { [[ -s $img/root.img && -s $img/vmlinuz && -s $img/initrd.cpio && -x $img/busybox ]]; }
if ready; then
	echo "$img"
	exit 0
fi

# Concurrent runs share the cache: one builds, the others wait and reuse.
exec 8>"$cache/.systemd-lock"
flock 8
if ready; then
	echo "$img"
	exit 0
fi

t0=$SECONDS
if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2 ||
		{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2; } ||
		die "apt-get install debootstrap"
fi

# The host's Debian mirror (deb822 or one-line sources); the -security archive likewise.
uris=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u || true)
mirror=${VM_DEBIAN_MIRROR:-$(awk '$2 !~ /-security$/ && $1 !~ /security/ {print $1; exit}' <<<"$uris")}
security=$(awk '$2 ~ /-security$/ {print $1; exit}' <<<"$uris")
mirror=${mirror:-http://deb.debian.org/debian/}
security=${security:-http://deb.debian.org/debian-security/}

tree=$cache/.systemd-tree.$$
rm -rf "$img" "$img.tmp" "$cache"/.systemd-tree.*
mkdir -p "$img.tmp"
cleanup() { rm -rf "$tree" "$img.tmp"; }
trap cleanup EXIT

log "debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,dbus,kmod,iproute2 \
	"$suite" "$tree" "$mirror" >"$img.tmp/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$img.tmp/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap done ($((SECONDS - t0)) s)"

cat >"$tree/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"
chmod 0755 "$tree/usr/sbin/policy-rc.d"

# What the tests use: the kernel (its modules are loaded by the guest's udev), podman with
# conmon and crun (podman's default runtime, replaced by --runtime contain in the tests),
# CNI plugins and iptables for its default network, uidmap (newuidmap/newgidmap) and
# dbus-user-session for rootless users, logind (libpam-systemd) for their systemd instances,
# procps, busybox-static for the initramfs.
packages="linux-image-amd64 podman conmon crun containernetworking-plugins iptables libpam-systemd
	dbus-user-session uidmap procps busybox-static"
log "apt-get install in the chroot"
# A private mount namespace: /proc, /sys and /dev of the chroot vanish with it, whatever happens.
# INITRD=No: the kernel's postinst hook skips update-initramfs (run.sh boots a small initramfs of
# its own, built below).
unshare -m --propagation private bash -ec '
	tree=$1 packages=$2
	mount -t proc proc "$tree/proc"
	mount -t sysfs sysfs "$tree/sys"
	mount --rbind /dev "$tree/dev"
	export DEBIAN_FRONTEND=noninteractive INITRD=No LC_ALL=C
	chroot "$tree" apt-get update -qq
	chroot "$tree" apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade
	chroot "$tree" apt-get -y -qq -o Dpkg::Options::=--force-confold install --no-install-recommends $packages
	chroot "$tree" apt-get clean
' bash "$tree" "$packages" >"$img.tmp/apt.log" 2>&1 ||
	{ tail -n 30 "$img.tmp/apt.log" >&2; die "apt-get in the chroot failed"; }
rm -f "$tree/usr/sbin/policy-rc.d"
log "packages installed ($((SECONDS - t0)) s)"

kv=$(ls "$tree/lib/modules")
[[ $(wc -w <<<"$kv") == 1 ]] || die "want one kernel in the image, found: $kv"
{
	echo "built $(date -u +%FT%TZ) from $mirror"
	chroot "$tree" dpkg-query -W -f '${Package} ${Version}\n' "linux-image-$kv" systemd podman crun uidmap
} >"$img.tmp/versions.txt"

# Size: drivers a VM never loads, documentation, apt lists (~250 MB of 600).
for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging \
	drivers/bluetooth drivers/iio drivers/hid drivers/input/touchscreen net/wireless net/bluetooth net/mac80211; do
	rm -rf "$tree/lib/modules/$kv/kernel/$d"
done
chroot "$tree" depmod "$kv"
rm -rf "$tree"/usr/share/{doc,man,info,locale}/* "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin

# The guest's own configuration (guest/ mirrors the image's root), then units enabled and the
# ones that would only slow a test boot masked.
cp -a "$here/guest/." "$tree/"
chroot "$tree" systemctl enable -q contain-vm-tests.service
chroot "$tree" systemctl mask -q serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
	apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer podman-auto-update.timer podman-restart.service \
	podman-clean-transient.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
	dpkg-db-backup.timer 2>/dev/null || true
echo contain-systemd-vm >"$tree/etc/hostname"
echo '/dev/vda / ext4 defaults,noatime 0 1' >"$tree/etc/fstab"
# root logs in on nothing (no getty), so an empty password is harmless and keeps sudo-less su working.
chroot "$tree" passwd -qd root >/dev/null

# The initramfs without its /init (run.sh appends initramfs-init, so changing it rebuilds
# nothing): busybox and the modules that reach an ext4 root on virtio-blk, in load order.
rd=$img.tmp/initramfs
mkdir -p "$rd"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$tree/bin/busybox" "$rd/bin/busybox"
cp "$tree/bin/busybox" "$img.tmp/busybox"
ln -s busybox "$rd/bin/sh"
for m in $(for mod in virtio_pci virtio_blk crc32c_generic ext4; do
	chroot "$tree" modprobe -S "$kv" --show-depends "$mod"
done | awk '$1 == "insmod" && !seen[$2]++ {print $2}'); do
	rel=${m#"$tree"}
	mkdir -p "$rd/$(dirname "$rel")"
	cp "$tree$rel" "$rd$rel"
	echo "$rel" >>"$rd/lib/modules/load-order"
done
(cd "$rd" && find . -mindepth 1 | LC_ALL=C sort | "$tree/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$img.tmp/initrd.cpio"
rm -rf "$rd"
cp "$tree/boot/vmlinuz-$kv" "$img.tmp/vmlinuz"

# The root file system: an ext4 image made straight from the tree (no loop mount), with room
# for container images and test files; run.sh boots it with snapshot=on, so it never changes.
size_mb=$(($(du -sm "$tree" | cut -f1) + 1536))
mkfs.ext4 -q -F -L root -d "$tree" "$img.tmp/root.img" "${size_mb}M" >&2 || die "mkfs.ext4 -d"
rm -rf "$tree"
rm -f "$img.tmp"/*.log
mv "$img.tmp" "$img"
# Images of older recipes are dead weight.
find "$cache" -maxdepth 1 -name 'systemd-*' ! -name "systemd-$key" -exec rm -rf {} +
log "image ready in $((SECONDS - t0)) s: $img ($(du -sh "$img" | cut -f1) on disk); $(grep linux-image "$img/versions.txt")"
echo "$img"
