#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a kernel tree to build external modules against, for an
# architecture this host does not run or for the newest kernel source,
# and print its build directory (usable as KDIR) on stdout.
#
# Only `make modules_prepare`: no kernel image, so the tree has no
# Module.symvers of vmlinux, and modpost cannot resolve the kernel's
# symbols (build modules with KBUILD_MODPOST_WARN=1 and expect an
# "undefined!" warning for each).  It is a build check, not a kernel
# to boot: the debug kernels of build-kernel.sh are.
#
# Usage: build-tree.sh ARCH [SOURCE]
#   ARCH:   riscv64, armhf (ARCH=arm, ARMv7) or x86_64;
#   SOURCE: a series of Debian's linux-source-<series> (default 6.12),
#           or "newest": the newest linux-source-* of Debian sid
#           (scripts/newest-source.sh), status 3 when sid is out of reach.
#
# Configured as tinyconfig + configs/debug.config + configs/build-ARCH.config
# (the debug fragment's options that the architecture lacks drop out;
# the ARCH fragment's =y and "is not set" lines must hold).  Cached under
# $MPOOL_CACHE, keyed by the source package's version, the fragments, the
# recipe and the (cross) compiler's version; the builds run niced.
#
# Beside the tree, for those who build against it:
#   make-args  what kbuild must be told on every make of a module against
#              the tree: ARCH= and CROSS_COMPILE= (nothing for x86_64);
#   exports    the symbols the source exports by name (EXPORT_SYMBOL*), and
#              export-prefixes  the prefixes of those exported by a macro
#              that pastes the name (EXPORT_SYMBOL(param_ops_##name)), and
#              exports-ns  "SYMBOL NAMESPACE" of each EXPORT_SYMBOL_NS*: what
#              modpost would have checked against vmlinux's Module.symvers,
#              short of the configuration (a symbol exported only under an
#              option that is off passes) and of DEFAULT_SYMBOL_NAMESPACE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: build-tree.sh ARCH [SOURCE]}
source=${2:-6.12}

# The (kernel ARCH, CROSS_COMPILE) of each, and its compiler's package.
cross_of() {
	case $1 in
	riscv64) echo "riscv riscv64-linux-gnu- gcc-riscv64-linux-gnu" ;;
	armhf) echo "arm arm-linux-gnueabihf- gcc-arm-linux-gnueabihf" ;;
	x86_64) echo "x86_64 - gcc" ;;
	*) return 1 ;;
	esac
}
read -r karch cross gccpkg < <(cross_of "$arch") ||
	{ echo "build-tree.sh: ARCH=$arch: want riscv64, armhf or x86_64" >&2; exit 2; }
[ "$cross" != - ] || cross=

need_packages $BASE_PACKAGES "$gccpkg"

# The source, unpacked once for build-kernel.sh and this script alike,
# in $MPOOL_CACHE/src/PACKAGE-VERSION; status 3 when sid is out of reach.
srcdir=$("$MPOOL_ROOT"/scripts/build-kernel.sh --source "$source") || exit

fragments=("$MPOOL_ROOT/configs/debug.config" "$MPOOL_ROOT/configs/build-$arch.config")
# Bump when what is built changes.
recipe="tinyconfig+fragments; modules_prepare; recipe 2"
key=$( (cat "${fragments[@]}"; echo "$recipe"; "${cross}gcc" --version | head -n 1) |
	sha256sum | cut -c1-12)
name=$arch-${srcdir##*/}
builddir=$MPOOL_CACHE/tree/$name-$key
mkdir -p "$MPOOL_CACHE/tree"

if [ ! -f "$builddir/.built" ]; then
	rm -rf "$builddir"
	mkdir -p "$builddir"
	kmake() {
		nice -n 10 make -C "$srcdir" O="$builddir" ARCH="$karch" \
			${cross:+CROSS_COMPILE="$cross"} "$@"
	}
	configure() {
		kmake tinyconfig &&
		"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$builddir" \
			"$builddir/.config" "${fragments[@]}" &&
		kmake olddefconfig
	}
	run_logged "$name: configure" "$builddir/config.log" configure
	# olddefconfig silently drops what a dependency forbids: the
	# architecture's fragment says what must stay.
	missing=$(grep -E '^CONFIG_.*=y$|^# CONFIG_.* is not set$' "${fragments[1]}" |
		while read -r opt; do
			case $opt in
			# shellcheck disable=SC2086 # "# CONFIG_X is not set": $2
			'#'*) set -- $opt
				! grep -q "^$2=" "$builddir/.config" || echo "$opt" ;;
			*) grep -qx "$opt" "$builddir/.config" || echo "$opt" ;;
			esac
		done)
	if [ -n "$missing" ]; then
		echo "$name: kernel config lost options of ${fragments[1]##*/}:" $missing >&2
		exit 1
	fi
	# What of the debug fragment this architecture has not, for the log.
	grep '^CONFIG_.*=y' "${fragments[0]}" | while read -r opt; do
		grep -qx "$opt" "$builddir/.config" || echo "dropped: $opt"
	done >"$builddir/dropped.txt"
	run_logged "$name: make modules_prepare" "$builddir/build.log" \
		kmake -j"$(($(nproc) + 1))" modules_prepare
	echo "ARCH=$karch${cross:+ CROSS_COMPILE=$cross}" >"$builddir/make-args"
	# Every directory but the other architectures' and what is not
	# kernel code; with the namespace of an EXPORT_SYMBOL_NS*.
	exported() {
		(cd "$srcdir" && find . -mindepth 1 -maxdepth 1 -type d \
			-not -name arch -not -name Documentation -not -name tools \
			-not -name samples -not -name scripts -not -name usr -print0 |
			xargs -0 grep -rhoE --include='*.[chS]' \
				'EXPORT_[A-Z_]*SYMBOL[A-Z_]*\([[:space:]]*[A-Za-z0-9_]+([[:space:]]*##)?([[:space:]]*,[[:space:]]*"?[A-Za-z0-9_]+)?' \
				"arch/${karch/x86_64/x86}") |
			sed -e 's/.*([[:space:]]*//' -e 's/[[:space:]]*,[[:space:]]*"\{0,1\}/ /' | sort -u
	}
	exported >"$builddir/exports.all"
	grep -v '#' "$builddir/exports.all" | cut -d' ' -f1 | sort -u >"$builddir/exports" || true
	grep -v '#' "$builddir/exports.all" | awk 'NF == 2' >"$builddir/exports-ns" || true
	sed -n 's/^\([A-Za-z0-9_]\{4,\}\)[[:space:]]*##.*/\1/p' "$builddir/exports.all" |
		sort -u >"$builddir/export-prefixes"
	rm "$builddir/exports.all"
	touch "$builddir/.built"
	# One tree per architecture is kept: make check uses one each, and
	# an older key or source version will not be used again.
	for old in "$MPOOL_CACHE/tree/$arch"-*; do
		[ "$old" = "$builddir" ] || rm -rf "$old"
	done
fi
echo "$builddir"
