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
	local apt=$MPOOL_CACHE/apt-arm64 opts ver dir
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	# The system's Debian sources, each line for arm64 only.
	{
		awk '/^[ \t]*$/ { if (uris != "") emit(); uris = suites = comps = key = ""; next }
		     $1 == "Types:" && $2 != "deb" { skip = 1 }
		     $1 == "URIs:" { uris = $2 }
		     $1 == "Suites:" { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
		     $1 == "Components:" { comps = $0; sub(/^Components:[ \t]*/, "", comps) }
		     $1 == "Signed-By:" { key = $2 }
		     function emit(   n, s, i, o) {
			if (!skip) {
				n = split(suites, s, " ")
				o = "arch=arm64" (key != "" ? " signed-by=" key : "")
				for (i = 1; i <= n; i++)
					print "deb [" o "] " uris " " s[i] " " comps
			}
			skip = 0
		     }
		     END { if (uris != "") emit() }' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(.*\)/deb [arch=arm64] \2/p' \
			/etc/apt/sources.list 2>/dev/null
	} >"$apt/sources.list"
	opts=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
		-o Dir::Etc::sourcelist="$apt/sources.list"
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt/cache" -o Dir::State::status=/dev/null)
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || true
	ver=$(apt-cache "${opts[@]}" policy busybox-static:arm64 2>/dev/null |
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
		(cd "$apt/deb" && apt-get "${opts[@]}" download "busybox-static:arm64=$ver") \
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
