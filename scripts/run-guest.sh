#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot KERNEL with INITRAMFS in QEMU under a hard timeout.  The kernel
# console goes to OUTDIR/console.log, the job's output (the guest's
# /dev/ttyS1) to OUTDIR/results.txt, and the accelerator that ran the
# boot, "kvm" or "tcg", to OUTDIR/accel.  Exits 124 on timeout, else
# with QEMU's status.
#
# KVM (-accel kvm -cpu host) when $MPOOL_KVM_DEV (default /dev/kvm) is
# readable and writable, else TCG.  A /dev/kvm can be there and still not
# work (nested virtualisation that fails, or stops the guest at the first
# instruction it cannot emulate), so a KVM boot is watched: if QEMU exits
# before the guest has come up ("Run /init" on the console, or any output
# from the job), or reports a KVM internal error (it then stops the guest
# and waits forever), or the console is still empty after
# MPOOL_KVM_BOOT_S/3 seconds, or the guest has not come up after
# MPOOL_KVM_BOOT_S (default 60), that QEMU is killed and the same boot
# reruns under TCG, after one line on stderr saying why; KVM's own output
# stays in OUTDIR/qemu-kvm.log and console-kvm.log.  TIMEOUT_S bounds the
# whole run: the TCG rerun gets what the KVM try left of it, all but a
# second or two when QEMU fails at once, at most MPOOL_KVM_BOOT_S less
# when the guest does not come up.  A KVM that failed is not tried again
# until the host reboots (its boot id is kept in the cache), so a host
# with a broken /dev/kvm pays for the try once.  MPOOL_ACCEL=tcg never
# tries KVM;
# MPOOL_ACCEL=kvm tries it whatever the device looks like and never
# falls back (a failed KVM boot then exits non-zero).
#
# The guest's RNG is seeded at boot: RDRAND (emulated by TCG, the host's
# under KVM) and random.trust_cpu=on.
#
# The guest has four CPUs online; MPOOL_SMP replaces QEMU's -smp value
# (for example 4,maxcpus=16: 12 more possible CPUs, never online).  An
# arm64 guest with the default CPUs has two NUMA nodes of two CPUs and
# 1 GiB each, which its kernel finds in the device tree.
#
# An arm64 KERNEL (an Image: "ARM\x64" at byte 56) boots in
# qemu-system-aarch64 -M virt -cpu max under TCG only, KVM never tried.
# Its console is the machine's one UART, the PL011 (ttyAMA0), and the
# job's output goes to a virtio console (the guest's /dev/hvc0, named
# to scripts/guest/init by mpool_results= on the command line).  -cpu
# max has FEAT_RNG: RNDR seeds the RNG with random.trust_cpu=on, as
# RDRAND does on x86.  Its pointer authentication is QEMU's cheap
# implementation-defined algorithm (pauth-impdef=on): the architected
# QARMA5 is many helper calls per signed return under TCG.
#
# Usage: run-guest.sh KERNEL INITRAMFS OUTDIR [TIMEOUT_S [EXTRA_CMDLINE]]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 outdir=$3 limit=${4:-1200} extra=${5:-}
kvm_dev=${MPOOL_KVM_DEV:-/dev/kvm}
probation=${MPOOL_KVM_BOOT_S:-60}
kvm_failed=$MPOOL_CACHE/kvm-failed-boot
boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
mkdir -p "$outdir"
rm -f "$outdir"/{console.log,results.txt,accel,console-kvm.log,qemu-kvm.log}

arch=x86_64
[ "$(od -An -tx1 -j 56 -N 4 "$kernel" | tr -d ' \n')" != 41524d64 ] || arch=arm64

# shellcheck disable=SC2054 # commas inside -smp's value
qemu=(-smp "${MPOOL_SMP:-4,sockets=4}" -m 2G
	-display none -monitor none -no-reboot
	-serial "file:$outdir/console.log")
if [ "$arch" = arm64 ]; then
	# shellcheck disable=SC2054 # commas inside options' values
	qemu+=(-device virtio-serial-device
		-chardev "file,id=results,path=$outdir/results.txt"
		-device virtconsole,chardev=results
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyAMA0 panic=-1 oops=panic random.trust_cpu=on mpool_results=/dev/hvc0 $extra")
	# check.sh passes the default four CPUs as MPOOL_SMP=4,sockets=4.
	if [ "${MPOOL_SMP:-4,sockets=4}" = 4,sockets=4 ]; then
		# shellcheck disable=SC2054 # commas inside options' values
		qemu+=(-object memory-backend-ram,id=mem0,size=1G
			-object memory-backend-ram,id=mem1,size=1G
			-numa node,nodeid=0,cpus=0-1,memdev=mem0
			-numa node,nodeid=1,cpus=2-3,memdev=mem1)
	fi
else
	qemu+=(-serial "file:$outdir/results.txt"
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 oops=panic random.trust_cpu=on $extra")
fi

case ${MPOOL_ACCEL:-auto} in
auto)
	try_kvm=0
	[ -r "$kvm_dev" ] && [ -w "$kvm_dev" ] && try_kvm=1
	if [ "$try_kvm" = 1 ] && [ "$(cat "$kvm_failed" 2>/dev/null)" = "$boot_id" ]; then
		try_kvm=0
	fi ;;
kvm)	try_kvm=1 ;;
tcg)	try_kvm=0 ;;
*)
	echo "run-guest.sh: MPOOL_ACCEL=$MPOOL_ACCEL: want auto, kvm or tcg" >&2
	exit 2 ;;
esac
if [ "$arch" = arm64 ]; then
	if [ "$try_kvm" = 1 ] && [ "${MPOOL_ACCEL:-auto}" = kvm ]; then
		echo "run-guest.sh: an arm64 guest runs under TCG only" >&2
		exit 2
	fi
	try_kvm=0
fi

# User space started: the kernel's line before it runs /init, or the job
# wrote something (a kernel booted with quiet prints no such line).
came_up() {
	grep -qs 'Run /init as init process' "$outdir/console.log" ||
		[ -s "$outdir/results.txt" ]
}

started=$SECONDS
if [ "$try_kvm" = 1 ]; then
	echo kvm >"$outdir/accel"
	# In the background, to watch it; timeout still bounds it.
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
		-accel kvm -cpu host "${qemu[@]}" \
		</dev/null 2>"$outdir/qemu-kvm.log" &
	pid=$!
	# Never leave it behind, whatever ends this script.
	trap 'kill "$pid" 2>/dev/null || true' EXIT
	why='' up=0
	while kill -0 "$pid" 2>/dev/null; do
		waited=$((SECONDS - started))
		[ "$up" = 1 ] || ! came_up || up=1
		# QEMU stops the guest, but does not exit, on an internal error.
		if grep -qs 'KVM internal error' "$outdir/qemu-kvm.log"; then
			why="KVM internal error after $waited s"
		elif [ "$up" = 0 ] && [ "$waited" -ge $((probation / 3)) ] &&
			[ ! -s "$outdir/console.log" ]; then
			why="nothing on the guest's console after $waited s"
		elif [ "$up" = 0 ] && [ "$waited" -ge "$probation" ]; then
			why="the guest did not run /init within $waited s"
		fi
		[ -z "$why" ] || break
		sleep 1
	done
	rc=0
	if [ -n "$why" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		rc=1
	else
		wait "$pid" || rc=$?
		if ! came_up; then
			last=$(grep -v 'warning:' "$outdir/qemu-kvm.log" | tail -n 1 || true)
			why="QEMU exited with status $rc before the guest came up: $last"
		fi
	fi
	trap - EXIT
	if [ -z "$why" ]; then
		cat "$outdir/qemu-kvm.log" >&2
		exit "$rc"
	fi
	if [ "${MPOOL_ACCEL:-auto}" = kvm ]; then
		echo "run-guest.sh: KVM failed ($why; see $outdir/qemu-kvm.log), and MPOOL_ACCEL=kvm allows no TCG rerun" >&2
		exit $((rc ? rc : 1))
	fi
	mkdir -p "$MPOOL_CACHE"
	echo "$boot_id" >"$kvm_failed"
	mv "$outdir/console.log" "$outdir/console-kvm.log" 2>/dev/null || true
	rm -f "$outdir/results.txt"
	echo "run-guest.sh: KVM failed ($why), rerunning under TCG, and using TCG until the host reboots (KVM's output: $outdir/qemu-kvm.log; rm $kvm_failed to try KVM again)" >&2
fi

left=$((limit - (SECONDS - started)))
if [ "$left" -le 0 ]; then
	echo "run-guest.sh: no time left for TCG after the KVM try" >&2
	exit 124
fi
echo tcg >"$outdir/accel"
rc=0
# RDRAND (which TCG emulates), or arm64's RNDR, with random.trust_cpu=on
# seeds the guest's RNG at boot: no test waits for entropy.
if [ "$arch" = arm64 ]; then
	# shellcheck disable=SC2054 # commas inside options' values
	timeout --foreground -k 10 "$left" qemu-system-aarch64 \
		-M virt,gic-version=3 -accel tcg,thread=multi \
		-cpu "${MPOOL_TCG_CPU:-max,pauth-impdef=on}" "${qemu[@]}" </dev/null || rc=$?
else
	timeout --foreground -k 10 "$left" qemu-system-x86_64 \
		-cpu "${MPOOL_TCG_CPU:-qemu64,+rdrand}" "${qemu[@]}" </dev/null || rc=$?
fi
exit "$rc"
