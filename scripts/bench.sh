#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: build mempool_mod and bench/mpool_bench against Debian's
# stock 6.1 and 6.12 headers, boot each stock kernel in QEMU twice, as
# Debian ships it (init_on_alloc=1) and with init_on_alloc=0, and turn the
# guests' result lines into bench/results/latest.md (printed at the end),
# latest.csv and latest.png; out/bench/latest.txt keeps the raw lines.
# The results are replaced only when every run finished.  Each boot runs
# under KVM where it works, else TCG (scripts/run-guest.sh), and the
# results say which, boot by boot.
#
# KVER=6.1 or KVER=6.12 runs one series.  BENCH_PARAMS adds mpool_bench
# parameters (pairs=, reps=, warmup=, big_mib=), for a quick try.
#
# ABLATE=NAME measures what one of the pool's guarantees costs: every
# tree built is first patched with bench/ablate/NAME.patch, which takes
# that guarantee out, and the results go to bench/results/ablate-NAME.*
# (raw lines in out/bench-ablate-NAME/), never to latest.*.  What is
# measured then is not the product.
#
# HOST=1 measures this machine's running kernel instead, once, as it was
# booted: as root, both modules are built against its headers
# (/lib/modules/$(uname -r)/build), the guests' job loads them on the host
# itself, and the same files come out, marked "host".  Only HOST=1 means
# that: some shells export HOST as the machine's name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$MPOOL_ROOT/out/bench
results=$MPOOL_ROOT/bench/results
name=latest
ablation=
if [ -n "${ABLATE:-}" ]; then
	ablation=$MPOOL_ROOT/bench/ablate/$ABLATE.patch
	if [ ! -f "$ablation" ]; then
		names=
		for patch in "$MPOOL_ROOT"/bench/ablate/*.patch; do
			patch=${patch##*/}
			names+=" ${patch%.patch}"
		done
		echo "make bench: no $ablation; ABLATE= takes one of:$names" >&2
		exit 1
	fi
	out=$MPOOL_ROOT/out/bench-ablate-$ABLATE
	name=ablate-$ABLATE
fi
raw=$out/latest.txt
started=$(date +%s)
on_host=0
[ "${HOST:-}" != 1 ] || on_host=1

die() {
	echo "make bench HOST=1: $*" >&2
	exit 1
}

# Build both modules against the kernel tree KDIR in DIR/src, each its own
# pass: bench/Kbuild's KBUILD_EXTRA_SYMBOLS resolves the pool's exports.
# DIR/ko then holds what the job loads, and its parameters.
build() {
	local what=$1 kdir=$2 dir=$3

	copy_tree "$dir/src"
	if [ -n "$ablation" ]; then
		run_logged "$what: patch with ${ablation#"$MPOOL_ROOT"/}" \
			"$dir/patch.log" patch -d "$dir/src" -p1 -i "$ablation"
	fi
	run_logged "$what: build mempool_mod" "$dir/build.log" \
		make -C "$kdir" M="$dir/src" modules
	run_logged "$what: build mpool_bench" "$dir/bench-build.log" \
		make -C "$kdir" M="$dir/src/bench" modules
	mkdir -p "$dir/ko"
	cp "$dir/src/mempool_mod.ko" "$dir/src/bench/mpool_bench.ko" \
		"$dir/src/bench/mpool_bench_dma.ko" "$dir/ko/"
	echo "${BENCH_PARAMS:-}" >"$dir/ko/bench-params"
}

# Append a run's raw lines, and say whether it finished: RUN's results.txt
# must end the benchmark's lines with "end ok".
record() {
	local abi=$1 boot=$2 accel=$3 run=$4 rc=$5

	touch "$run/results.txt"
	{
		echo "run $abi $boot"
		echo "host accel $accel"
		# real, user and sys seconds of QEMU, then the host's busy ones.
		[ ! -s "$run/time" ] ||
			echo "host cpu $(cat "$run/time") $(cat "$run/busy")"
		tr -d '\r' <"$run/results.txt"
	} >>"$raw"
	if [ "$rc" -ne 0 ] || ! grep -q '^end ok' "$run/results.txt"; then
		echo "FAILED: $abi, $boot (exit $rc); see $run/" >&2
		tail -n 5 "$run/results.txt" "$run"/console.log >&2 2>/dev/null || true
		failed=1
	fi
}

# CPU time the host spent busy so far, in clock ticks: with QEMU's own,
# it tells how much of the host others took while a guest measured.
host_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Boot each series' stock kernel once per entry of boots, one QEMU at a
# time: the guests' 4 vCPUs need every host core there is.
bench_guests() {
	local boots=(default init_on_alloc=0) abis=() pkgs='' series abi dir image
	local all_series boot run extra busy rc accel

	read -ra all_series <<<"${KVER:-6.1 6.12}"
	need_packages $BASE_PACKAGES gnuplot-nox
	for series in "${all_series[@]}"; do
		abi=$(stock_abi "$series")
		abis+=("$abi")
		pkgs+=" linux-headers-$abi"
	done
	need_packages $pkgs
	rm -rf "$out"
	mkdir -p "$out"

	TIMEFORMAT='%R %U %S'
	for abi in "${abis[@]}"; do
		dir=$out/$abi
		image=$(stock_image "$abi" "$out/download-$abi.log")
		build "$abi" "/usr/src/linux-headers-$abi" "$dir"
		run_logged "$abi: pack initramfs" "$dir/initramfs.log" \
			"$MPOOL_ROOT/scripts/make-initramfs.sh" "$dir/initramfs.cpio.gz" \
			"$MPOOL_ROOT/scripts/guest/bench-job.sh" "$dir"/ko/*
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
			echo $((($(host_busy) - busy) / $(getconf CLK_TCK))) >"$run/busy"
			accel=unknown
			[ ! -s "$run/accel" ] ||
				accel=$(tr '[:lower:]' '[:upper:]' <"$run/accel")
			record "$abi" "$boot" "$accel" "$run" "$rc"
		done
	done

	# Where the numbers come from: only ratios within one boot compare.
	ran_on=$(qemu-system-x86_64 --version | sed -n '1s/ emulator version//p')
}

# Load the modules into the running kernel, on this machine.  No "host
# cpu" line: the benchmark's kthreads are nobody's children, so the job's
# CPU times would count them as the others' load.
bench_host() {
	local abi kdir dir run rc=0 m

	abi=$(uname -r)
	kdir=/lib/modules/$abi/build
	[ "$(id -u)" -eq 0 ] || die "it loads modules into the running kernel: run it as root"
	[ -f "$kdir/Makefile" ] ||
		die "no headers of the running kernel $abi at $kdir: install linux-headers-$abi"
	for m in mpool_bench mempool_mod; do
		[ ! -e "/sys/module/$m" ] || die "$m is loaded already: rmmod it first"
	done
	[ -z "${KVER:-}" ] || echo "make bench HOST=1: KVER=$KVER ignored, the running kernel is $abi" >&2
	need_packages build-essential kmod gnuplot-nox
	rm -rf "$out"
	mkdir -p "$out"

	dir=$out/$abi
	run=$dir/host
	build "$abi" "$kdir" "$dir"
	mkdir -p "$run"

	# Whatever happens from here on, leave the kernel as it was found.
	debugfs_mounted=0
	trap unload_host EXIT
	if ! mountpoint -q /sys/kernel/debug; then
		mount -t debugfs debugfs /sys/kernel/debug ||
			die "cannot mount debugfs on /sys/kernel/debug, where mpool_bench puts its results"
		debugfs_mounted=1
	fi
	echo "==> $abi: load the modules into this machine's kernel and measure (output: $run/results.txt)" >&2
	MPOOL_KO_DIR=$dir/ko PATH=$PATH:/usr/sbin:/sbin \
		sh "$MPOOL_ROOT/scripts/guest/bench-job.sh" >"$run/results.txt" 2>&1 || rc=$?
	if grep -q '^error insmod mempool_mod' "$run/results.txt"; then
		echo "make bench HOST=1: this kernel loads no mempool_mod.ko: is module loading disabled, or are unsigned modules refused (module.sig_enforce, lockdown, Secure Boot)?" >&2
	fi
	unload_host
	trap - EXIT
	record "$abi" host host "$run" "$rc"

	# Where the numbers come from.
	ran_on="running $abi ($(uname -v))"
}

# What bench_host loaded and mounted, and only that: it refused to start
# if either module was loaded already.  Interrupted, insmod still runs
# mpool_bench's init, every measurement, and no signal ends that: wait.
unload_host() {
	local m

	if [ "$(cat /sys/module/mpool_bench/initstate 2>/dev/null)" = coming ]; then
		echo "make bench HOST=1: waiting for mpool_bench's measurements to end, to unload it" >&2
		while [ "$(cat /sys/module/mpool_bench/initstate 2>/dev/null)" = coming ]; do
			sleep 1
		done
	fi
	for m in mpool_bench mempool_mod; do
		[ ! -e "/sys/module/$m" ] || rmmod "$m" ||
			echo "make bench HOST=1: rmmod $m failed: unload it by hand" >&2
	done
	if [ "$debugfs_mounted" = 1 ]; then
		umount /sys/kernel/debug || true
		debugfs_mounted=0
	fi
}

failed=0
if [ "$on_host" = 1 ]; then
	bench_host
	how="make bench HOST=1"
else
	bench_guests
	how="make bench"
fi
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | sed -n 1p)
machine="$(nproc)-core host ($cpu), $ran_on"

# The commit measured, and whether files other than the results differed.
tree=$(git -C "$MPOOL_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$MPOOL_ROOT" status --porcelain -- . ':!bench/results' 2>/dev/null)" ]; then
	tree+=" with uncommitted changes"
fi
[ -z "$ablation" ] || how+=" ABLATE=$ABLATE"
awk -v md="$out/latest.md" -v csv="$out/latest.csv" -v host="$machine" \
	-v how="$how" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v tree="$tree" \
	-v raw="${raw#"$MPOOL_ROOT"/}" -v ablation="${ablation#"$MPOOL_ROOT"/}" \
	-f "$MPOOL_ROOT/bench/format.awk" "$raw" || failed=1
# Cell by cell against the speed targets, at the end of latest.md; for an
# ablation, with every cell the product's published results miss.
if [ -s "$out/latest.csv" ]; then
	against=()
	[ -z "$ablation" ] || [ ! -s "$results/latest.csv" ] ||
		against=(bench/results/latest.csv)
	(cd "$MPOOL_ROOT" && awk -F, -f bench/targets.awk "${against[@]}" \
		"${out#"$MPOOL_ROOT"/}/latest.csv") >>"$out/latest.md" || failed=1
fi
# Nothing to draw when every run failed.
if [ -f "$out/latest.csv" ] && [ "$(wc -l <"$out/latest.csv")" -gt 1 ]; then
	awk -v png="$out/latest.png" -f "$MPOOL_ROOT/bench/plot.awk" \
		"$out/latest.csv" >"$out/latest.gp"
	run_logged "plot $out/latest.png" "$out/plot.log" gnuplot "$out/latest.gp" || failed=1
else
	failed=1
fi

cat "$out/latest.md"
elapsed=$(($(date +%s) - started))
echo >&2
if [ "$failed" -ne 0 ]; then
	echo "bench failed after ${elapsed}s; partial results in $out/, bench/results/ left alone" >&2
	exit 1
fi
mkdir -p "$results"
for f in md csv png; do
	cp "$out/latest.$f" "$results/$name.$f"
done
echo "bench done in ${elapsed}s: bench/results/$name.{md,csv,png}, raw lines in $raw" >&2
