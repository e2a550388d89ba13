#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a busybox initramfs whose /init runs JOB (a shell script) with the
# given files next to it in /mpool.  MPOOL_OVERLAY=DIR adds DIR's tree at
# the root (an installed /lib/modules, an /etc/modprobe.d).
#
# MPOOL_ARCH=arm64 packs busybox-static for arm64 instead of the host's:
# Debian's arm64 package, downloaded with a private apt configuration
# (the system's apt and dpkg state untouched: no foreign architecture is
# added) and unpacked into the cache, keyed by its version.  The FILEs
# must then be arm64 programs and modules themselves.
#
# Usage: make-initramfs.sh OUT.cpio.gz JOB [FILE...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Print the path of an arm64 busybox (static), fetched the first time
# and whenever Debian has a new version; a cached one serves when the
# archive cannot be reached.
arm64_busybox() {
	local apt=$MPOOL_CACHE/apt-arm64 ver dir
	export APT_ARCH=arm64
	foreign_apt apt-get update >"$apt/update.log" 2>&1 || true
	ver=$(foreign_apt apt-cache policy busybox-static 2>/dev/null |
		sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		# Offline: the newest one fetched before.
		dir=$(ls -d "$MPOOL_CACHE"/busybox-arm64/*/ 2>/dev/null | sort -V | tail -n 1)
		[ -n "$dir" ] || { echo "no busybox-static:arm64 in apt (see $apt/update.log)" >&2; return 1; }
		echo "${dir%/}/bin/busybox"
		return
	fi
	dir=$MPOOL_CACHE/busybox-arm64/${ver//:/_}
	if [ ! -x "$dir/bin/busybox" ]; then
		rm -rf "$dir" "$apt/deb"
		mkdir -p "$dir" "$apt/deb"
		(cd "$apt/deb" && foreign_apt apt-get download "busybox-static=$ver") \
			>"$apt/download.log" 2>&1 ||
			{ cat "$apt/download.log" >&2; return 1; }
		dpkg-deb -x "$apt"/deb/busybox-static_*_arm64.deb "$dir"
		rm -rf "$apt/deb"
	fi
	echo "$dir/bin/busybox"
}

out=$1 job=$2
shift 2
case ${MPOOL_ARCH:-x86_64} in
x86_64) busybox=/bin/busybox ;;
arm64) busybox=$(arm64_busybox) ;;
*) echo "make-initramfs.sh: MPOOL_ARCH=$MPOOL_ARCH: want x86_64 or arm64" >&2; exit 2 ;;
esac
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,mpool}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$MPOOL_ROOT/scripts/guest/init" "$root/init"
install -m 0755 "$job" "$root/mpool/job.sh"
for f in "$@"; do
	cp "$f" "$root/mpool/"
done
if [ -n "${MPOOL_OVERLAY:-}" ]; then
	cp -a "$MPOOL_OVERLAY/." "$root/"
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
