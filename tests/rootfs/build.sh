#!/bin/bash
# build.sh OUT — make a minimal busybox root filesystem in OUT for tests and the README example.
#
# Uses only Debian's busybox-static (/bin/busybox, or $BUSYBOX): no downloads. The binary must be
# static because nothing else (no libc, no loader) goes into the rootfs. Idempotent and cheap on a
# second run: it only adds what is missing and refreshes busybox when it changed.
#
# Layout: bin/busybox plus one symlink per applet (`busybox --list`), etc/passwd and etc/group
# (root, nobody), tmp (1777), and empty mount points proc, sys, dev, root.
# The Go package tests/bundle builds the same layout in Go (bundle.Rootfs); keep the two in step.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: build.sh OUT"
out=$1
busybox=${BUSYBOX:-/bin/busybox}

[[ -x $busybox ]] || die "no busybox at $busybox: install busybox-static (apt-get install busybox-static)"
# A dynamically linked busybox (Debian's "busybox" package) would fail inside the container with
# "no such file or directory" from execve, which is a confusing way to learn this.
if LC_ALL=C readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	die "$busybox is dynamically linked: install busybox-static"
fi

mkdir -p "$out"/{bin,etc,proc,sys,dev,root,tmp}
chmod 0755 "$out" "$out"/bin "$out"/etc "$out"/proc "$out"/sys "$out"/dev
chmod 0700 "$out"/root
chmod 1777 "$out"/tmp

if ! cmp -s "$busybox" "$out/bin/busybox"; then
	# Copy to a temporary name and rename, so a container using an older copy never sees a
	# half-written binary.
	cp "$busybox" "$out/bin/.busybox.tmp"
	chmod 0755 "$out/bin/.busybox.tmp"
	mv -f "$out/bin/.busybox.tmp" "$out/bin/busybox"
fi

cd "$out/bin"
for applet in $("$busybox" --list); do
	[[ $applet == busybox || -L $applet || -e $applet ]] && continue
	ln -s busybox "$applet"
done
cd - >/dev/null

write_if_changed() { # FILE CONTENT
	if [[ ! -f $1 || $(<"$1") != "$2" ]]; then
		printf '%s\n' "$2" >"$1"
		chmod 0644 "$1"
	fi
}
write_if_changed "$out/etc/passwd" 'root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false'
write_if_changed "$out/etc/group" 'root:x:0:
nobody:x:65534:'
