#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build the modules against Debian's stock 6.1 headers, boot
# that stock kernel in QEMU, load the pool with its default parameters and
# the sample consumer, and show the debugfs stats before, during and after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$MPOOL_ROOT/out/demo
rm -rf "$out"
mkdir -p "$out"

need_packages $BASE_PACKAGES
abi=$(stock_abi 6.1)
need_packages "linux-headers-$abi"
kdir=/usr/src/linux-headers-$abi

image=$(stock_image "$abi" "$out/download.log")

src=$out/src
copy_tree "$src"
run_logged "build mempool_mod against $kdir" "$out/build.log" \
	make -C "$src" KDIR="$kdir"
run_logged "build the sample against it" "$out/sample-build.log" \
	make -C "$src/samples/mpool_sample" KDIR="$kdir" MPOOL_DIR="$src"
run_logged "pack initramfs" "$out/initramfs.log" \
	"$MPOOL_ROOT/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
	"$MPOOL_ROOT/scripts/guest/demo-job.sh" \
	"$src/mempool_mod.ko" "$src/samples/mpool_sample/mpool_sample.ko"
echo "==> boot Debian's $abi in QEMU" >&2
rc=0
"$MPOOL_ROOT/scripts/run-guest.sh" "$image" "$out/initramfs.cpio.gz" "$out" 300 || rc=$?
touch "$out/results.txt"
grep -v "^### DONE" "$out/results.txt" || true
if [ "$rc" -ne 0 ] || ! grep -q '^### DONE' "$out/results.txt"; then
	echo "demo did not finish; kernel console: $out/console.log" >&2
	exit 1
fi
