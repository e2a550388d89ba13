#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: build mempool_mod and bench/mpool_bench against Debian's
# stock 6.1 and 6.12 headers, boot each stock kernel in QEMU twice, as
# Debian ships it (init_on_alloc=1) and with init_on_alloc=0, and turn the
# guests' result lines into bench/results/latest.md (printed at the end),
# latest.csv and latest.png; out/bench/latest.txt keeps the raw lines.
# The results are replaced only when every run finished.
#
# KVER=6.1 or KVER=6.12 runs one series.  BENCH_PARAMS adds mpool_bench
# parameters (pairs=, reps=, warmup=, big_mib=), for a quick try.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

read -ra all_series <<<"${KVER:-6.1 6.12}"
boots=(default init_on_alloc=0)
out=$MPOOL_ROOT/out/bench
results=$MPOOL_ROOT/bench/results
started=$(date +%s)

need_packages $BASE_PACKAGES gnuplot-nox
abis=()
pkgs=
for series in "${all_series[@]}"; do
	abi=$(stock_abi "$series")
	abis+=("$abi")
	pkgs+=" linux-headers-$abi"
done
need_packages $pkgs

rm -rf "$out"
mkdir -p "$out"

# Build both modules against ABI's headers and pack them with the job.
build() {
	local abi=$1 dir=$2 kdir=/usr/src/linux-headers-$1

	copy_tree "$dir/src"
	run_logged "$abi: build mempool_mod" "$dir/build.log" \
		make -C "$kdir" M="$dir/src" modules
	run_logged "$abi: build mpool_bench" "$dir/bench-build.log" \
		make -C "$kdir" M="$dir/src/bench" modules
	echo "${BENCH_PARAMS:-}" >"$dir/bench-params"
	run_logged "$abi: pack initramfs" "$dir/initramfs.log" \
		"$MPOOL_ROOT/scripts/make-initramfs.sh" "$dir/initramfs.cpio.gz" \
		"$MPOOL_ROOT/scripts/guest/bench-job.sh" "$dir/src/mempool_mod.ko" \
		"$dir/src/bench/mpool_bench.ko" "$dir/bench-params"
}

# CPU time the host spent busy so far, in clock ticks: with QEMU's own,
# it tells how much of the host others took while a guest measured.
host_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# One QEMU at a time: the guests' 4 vCPUs need every host core there is.
raw=$out/latest.txt
failed=0
TIMEFORMAT='%R %U %S'
for abi in "${abis[@]}"; do
	dir=$out/$abi
	image=$(stock_image "$abi" "$out/download-$abi.log")
	build "$abi" "$dir"
	for boot in "${boots[@]}"; do
		run=$dir/$boot
		extra=
		[ "$boot" = default ] || extra=$boot
		echo "==> $abi, $boot: boot and measure (console: $run/console.log)" >&2
		mkdir -p "$run"
		busy=$(host_busy)
		rc=0
		{ time "$MPOOL_ROOT/scripts/run-guest.sh" "$image" \
			"$dir/initramfs.cpio.gz" "$run" "${BENCH_TIMEOUT:-900}" \
			"$extra" 2>&3 || rc=$?; } 3>&2 2>"$run/time"
		busy=$(($(host_busy) - busy))
		touch "$run/results.txt"
		{
			echo "run $abi $boot"
			# real, user and sys seconds of QEMU, then the host's busy ones.
			echo "host cpu $(cat "$run/time") $((busy / $(getconf CLK_TCK)))"
			tr -d '\r' <"$run/results.txt"
		} >>"$raw"
		if [ "$rc" -ne 0 ] || ! grep -q '^end ok' "$run/results.txt"; then
			echo "FAILED: $abi, $boot (qemu exit $rc); see $run/" >&2
			tail -n 5 "$run/results.txt" "$run/console.log" >&2 || true
			failed=1
		fi
	done
done

# Where the numbers come from: only ratios within one boot are comparable.
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | sed -n 1p)
qemu=$(qemu-system-x86_64 --version | sed -n '1s/ emulator version//p')
host="$(nproc)-core host ($cpu), $qemu, TCG, no KVM"
# The commit measured, and whether files other than the results differed.
tree=$(git -C "$MPOOL_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$MPOOL_ROOT" status --porcelain -- . ':!bench/results' 2>/dev/null)" ]; then
	tree+=" with uncommitted changes"
fi
awk -v md="$out/latest.md" -v csv="$out/latest.csv" -v host="$host" \
	-v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v tree="$tree" \
	-f "$MPOOL_ROOT/bench/format.awk" "$raw" || failed=1
awk -v png="$out/latest.png" -f "$MPOOL_ROOT/bench/plot.awk" \
	"$out/latest.csv" >"$out/latest.gp"
run_logged "plot $out/latest.png" "$out/plot.log" gnuplot "$out/latest.gp" || failed=1

cat "$out/latest.md"
elapsed=$(($(date +%s) - started))
echo >&2
if [ "$failed" -ne 0 ]; then
	echo "bench failed after ${elapsed}s; partial results in $out/, bench/results/ left alone" >&2
	exit 1
fi
mkdir -p "$results"
cp "$out"/latest.{md,csv,png} "$results/"
echo "bench done in ${elapsed}s: bench/results/latest.{md,csv,png}, raw lines in $raw" >&2
