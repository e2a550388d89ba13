#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What building against the newest kernel takes, from Debian sid.
#
#   newest-source.sh           the highest linux-source-* of sid: fetch its
#                              tarball into $MPOOL_CACHE (once per package
#                              version) and print "PACKAGE VERSION TARBALL"
#   newest-source.sh --sparse  a sparse for that kernel: sid's, built from
#                              its source into $MPOOL_CACHE (once per
#                              version); print the program's path.  Since
#                              6.15 or so the kernel's C=2 asks sparse for
#                              __typeof_unqual__, which bookworm's 0.6.4
#                              lacks (the kernel then quietly skips sparse),
#                              and sid's binary package needs sid's libc.
#
# The system's apt state is not touched: sid is read through a private
# sources file and private lists and cache directories, and nothing of
# sid is installed (the .deb is unpacked with dpkg -x).
#
# Exit status: 0 done; 3 sid cannot be reached (one line on stderr says
# so); 1 anything else.
#
# MPOOL_SID_URI: the archive to ask (default: the Debian mirror of
# /etc/apt/sources.list.d/debian.sources); a bogus one tests status 3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

UNREACHABLE=3
what=linux
case ${1:-} in
'') ;;
--sparse) what=sparse ;;
*) echo "usage: newest-source.sh [--sparse]" >&2; exit 1 ;;
esac

mirror() {
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
		tr ' ' '\n' | grep -v -- '-security' | sed -n 1p)
	[ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]].*/\2/p' \
		/etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | sed -n 1p)
	echo "${uri:-http://deb.debian.org/debian}"
}
uri=${MPOOL_SID_URI:-$(mirror)}

state=$MPOOL_CACHE/sid/apt
mkdir -p "$state"
printf 'deb [trusted=yes] %s sid main\ndeb-src [trusted=yes] %s sid main\n' \
	"$uri" "$uri" >"$state/sources.list"
sid_apt() { private_apt "$state" "$@"; }

log=$MPOOL_CACHE/sid/update.log
# apt-get update keeps the lists of an earlier run when a fetch fails,
# and says so only as a warning: a failed fetch is unreachable, stale
# lists or not.
if ! sid_apt apt-get update >"$log" 2>&1 ||
	grep -q '^\(W: Failed to fetch\|E: \|Err:\)' "$log"; then
	why=$(awk '/^Err:/ { getline reason; sub(/^ +/, "", reason); print reason; exit }
		   /^(E|W): / { print; exit }' "$log")
	echo "newest-source: Debian sid at $uri cannot be reached: ${why:-apt-get update failed} (log: $log)" >&2
	exit $UNREACHABLE
fi

# The newest version of package $1 in sid, as apt-cache shows its
# binary (show) or source (showsrc) stanzas.
sid_version() {
	sid_apt apt-cache "$2" "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n 1
}

if [ "$what" = sparse ]; then
	need_packages build-essential
	version=$(sid_version sparse showsrc)
	[ -n "$version" ] || { echo "newest-source: no sparse source in sid" >&2; exit 1; }
	dir=$MPOOL_CACHE/sid/sparse-$version
	if [ ! -x "$dir/sparse" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/src"
		# The upstream tarball alone, built with this host's compiler:
		# Debian's patches are about its own build (sid's gcc).
		build() {
			cd "$dir/src" &&
			sid_apt apt-get source --download-only "sparse=$version" &&
			tar --strip-components=1 -xf sparse_*.orig.tar.* &&
			nice -n 10 make -j"$(nproc)" sparse HAVE_SQLITE=no HAVE_GTK=no \
				HAVE_LLVM=no HAVE_LIBXML=no &&
			mv sparse "$dir/sparse.tmp" &&
			cd / && rm -rf "$dir/src" && mv "$dir/sparse.tmp" "$dir/sparse"
		}
		run_logged "build sparse $version of sid" "$MPOOL_CACHE/sid/sparse.log" build || exit 1
		for old in "$MPOOL_CACHE"/sid/sparse-*; do
			[ "$old" = "$dir" ] || rm -rf "$old"
		done
	fi
	echo "$dir/sparse"
	exit 0
fi

pkg=$(sid_apt apt-cache pkgnames linux-source- |
	grep -E '^linux-source-[0-9]+(\.[0-9]+)+$' | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "newest-source: no linux-source-* in sid at $uri" >&2; exit 1; }
version=$(sid_version "$pkg" show)
[ -n "$version" ] || { echo "newest-source: $pkg has no version in sid" >&2; exit 1; }

dir=$MPOOL_CACHE/sid/$pkg-$version
tarball=$dir/$pkg.tar.xz
if [ ! -f "$tarball" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && sid_apt apt-get download "$pkg=$version") >>"$log" 2>&1 || {
		echo "newest-source: apt-get download $pkg=$version failed (log: $log)" >&2
		exit 1
	}
	dpkg -x "$dir"/deb/*.deb "$dir/deb/root"
	mv "$dir/deb/root/usr/src/$pkg.tar.xz" "$tarball.tmp"
	rm -rf "$dir/deb"
	mv "$tarball.tmp" "$tarball"
	# Older versions will not be used again.
	for old in "$MPOOL_CACHE"/sid/linux-source-*; do
		[ "$old" = "$dir" ] || rm -rf "$old"
	done
fi
echo "$pkg $version $tarball"
