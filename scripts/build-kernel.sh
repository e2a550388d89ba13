#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug test kernel from Debian's linux-source-<series> package
# and print its build directory (usable as KDIR) on stdout.
#
# The build is cached under $MPOOL_CACHE, keyed by the exact source package
# version and the hash of the config fragment, so a changed fragment or a
# new Debian point release rebuilds and an unchanged one is reused.
#
# Usage: build-kernel.sh [--source] [series]
#   series: 6.1 (the default), 6.12, or 6.12-rt: 6.12 with PREEMPT_RT,
#   configs/debug-rt.config merged on top of configs/debug.config; or
#   6.12-arm64: 6.12 cross-built for arm64 (QEMU's virt machine) with
#   aarch64-linux-gnu-gcc, configs/arm64.config merged on top of
#   configs/debug.config, its image arch/arm64/boot/Image; or newest:
#   the newest linux-source-* of Debian sid (scripts/newest-source.sh),
#   x86_64, as 6.12 is configured; status 3 when sid is out of reach.
#   --source: unpack the source only, and print its directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

source_only=0
if [ "${1:-}" = --source ]; then
	source_only=1
	shift
fi
series=${1:-6.1}
fragments=("$MPOOL_ROOT/configs/debug.config")
# The x86 kernels' key is what it was before arm64 came: the recipe
# string and the host gcc.  An arm64 kernel's key has its own recipe and
# the cross gcc's version.
arch=x86_64 cross='' kcc=gcc target=bzImage
recipe="tinyconfig+fragments; bzImage modules; recipe 2"
extra_packages=''
case $series in
*-rt) fragments+=("$MPOOL_ROOT/configs/debug-rt.config") ;;
*-arm64)
	fragments+=("$MPOOL_ROOT/configs/arm64.config")
	arch=arm64 cross=aarch64-linux-gnu- kcc=aarch64-linux-gnu-gcc target=Image
	recipe="tinyconfig+fragments; ARCH=arm64 Image modules; recipe 1"
	extra_packages=gcc-aarch64-linux-gnu ;;
esac
base=${series%-rt}
base=${base%-arm64}
pkg=linux-source-$base

if [ "$series" = newest ]; then
	# shellcheck disable=SC2086
	need_packages $BASE_PACKAGES
	# Its status (3: sid out of reach) is this script's.
	sid=$("$MPOOL_ROOT"/scripts/newest-source.sh) || exit
	read -r pkg srcver tarball <<<"$sid"
else
	# shellcheck disable=SC2086
	need_packages $BASE_PACKAGES $extra_packages "$pkg"
	srcver=$(dpkg-query -W -f='${Version}' "$pkg")
	tarball=$(ls /usr/src/"$pkg".tar.xz)
fi
# Modules must be built with the kernel's compiler: a new gcc rebuilds.
# The recipe below (configure, then bzImage and modules) is part of the
# key by its version, not by this file's text, so that changing how the
# build is scheduled does not throw away every cached kernel: bump it
# when what is built changes (it is set above, by architecture).
key=$( (cat "${fragments[@]}"; echo "$recipe"; $kcc --version | head -n 1) |
	sha256sum | cut -c1-12)
srcdir=$MPOOL_CACHE/src/$pkg-$srcver
builddir=$MPOOL_CACHE/kernel/$series-$srcver-$key
mkdir -p "$MPOOL_CACHE/src" "$MPOOL_CACHE/kernel"

if [ ! -f "$srcdir/.extracted" ]; then
	# sid moves: one unpacked newest source at a time.
	if [ "$series" = newest ]; then
		for old in "$MPOOL_CACHE"/src/*; do
			[ ! -f "$old/.sid" ] || rm -rf "$old"
		done
	fi
	rm -rf "$srcdir"
	mkdir -p "$srcdir"
	run_logged "extract $pkg $srcver" "$MPOOL_CACHE/extract.log" \
		tar -C "$srcdir" --strip-components=1 -xf "$tarball"
	[ "$series" != newest ] || touch "$srcdir/.sid"
	touch "$srcdir/.extracted"
fi
if [ "$source_only" = 1 ]; then
	echo "$srcdir"
	exit 0
fi

if [ ! -f "$builddir/.built" ]; then
	rm -rf "$builddir"
	mkdir -p "$builddir"
	log=$builddir/build.log
	kmake() {
		make -C "$srcdir" O="$builddir" ARCH=$arch ${cross:+CROSS_COMPILE=$cross} "$@"
	}
	configure() {
		kmake tinyconfig &&
		"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$builddir" \
			"$builddir/.config" "${fragments[@]}" &&
		kmake olddefconfig
	}
	run_logged "configure $series debug kernel" "$builddir/config.log" configure
	# olddefconfig silently drops what a dependency forbids: insist.
	missing=$(cat "${fragments[@]}" | grep '^CONFIG_.*=y' | while read -r opt; do
		grep -qx "$opt" "$builddir/.config" || echo "$opt"
	done)
	if [ -n "$missing" ]; then
		echo "kernel config lost options from ${fragments[*]##*/}:" $missing >&2
		exit 1
	fi
	run_logged "$series: make $target modules" "$log" \
		kmake -j"$(($(nproc) + 1))" "$target" modules
	touch "$builddir/.built"
	# Builds under an older key will not be used again.
	for old in "$MPOOL_CACHE/kernel/$series"-[0-9]*; do
		[ "$old" = "$builddir" ] || rm -rf "$old"
	done
fi
echo "$builddir"
