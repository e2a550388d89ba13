#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot KERNEL with INITRAMFS in QEMU (TCG) under a hard timeout.  The
# kernel console goes to OUTDIR/console.log, the job's output (the guest's
# /dev/ttyS1) to OUTDIR/results.txt.  Exits 124 on timeout.
#
# Usage: run-guest.sh KERNEL INITRAMFS OUTDIR [TIMEOUT_S [EXTRA_CMDLINE]]
set -uo pipefail

kernel=$1 initrd=$2 outdir=$3 limit=${4:-1200} extra=${5:-}
mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/results.txt"

timeout --foreground -k 10 "$limit" \
	qemu-system-x86_64 -smp 4,sockets=4 -m 2G \
	-display none -monitor none -no-reboot \
	-serial "file:$outdir/console.log" \
	-serial "file:$outdir/results.txt" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic $extra" \
	</dev/null
