#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench NATIVE=1`: the pool's core and the kernel's own objpool,
# dma_pool and gen_pool (compiled unchanged from linux-source-6.12), all
# built for user space against tools/testing/mpool/shim and timed on this
# machine's CPU, one pinned thread per core (tools/testing/mpool/native).
# The ablations (bench/ablate/*.patch) are built and measured in the same
# run.  Writes bench/results/native.{md,csv,png}; out/bench-native/ keeps
# the raw lines.  The results are replaced only when every run finished.
#
# Each repetition runs every binary once, for init_on_alloc=1 (Debian's
# default) and =0, so that the repetitions interleave over the variants
# as well as over the allocators; the tables give medians and spreads.
#
# QUICK=1 is make check's mode (tests.manifest, host.bench-native): one
# repetition of a few thousand operations a cell, checked for completion
# and sane output, never timed against anything, written to
# out/bench-native-quick/ and never to bench/results; its results are
# TAP on stdout.  REPS= and OPS= change the full run's repetitions and
# operations per cell.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

native=$MPOOL_ROOT/tools/testing/mpool/native
results=$MPOOL_ROOT/bench/results
quick=0
[ "${QUICK:-}" != 1 ] || quick=1
out=$MPOOL_ROOT/out/bench-native
[ "$quick" = 0 ] || out=$MPOOL_ROOT/out/bench-native-quick
reps=${REPS:-5}
ops=${OPS:-1000000}
variants=(product unchecked unchecked-unzeroed untraced)
started=$SECONDS

# QUICK=1's results, as TAP: "ok" if the status of "$@" is 0.
tests=0
tap() {
	local what=$1 rc=0
	shift
	"$@" || rc=$?
	tests=$((tests + 1))
	[ "$quick" = 0 ] ||
		echo "$([ "$rc" = 0 ] || echo "not ")ok $tests - $what"
	return "$rc"
}

need_packages gcc make patch xz-utils linux-source-6.12
[ "$quick" = 1 ] || need_packages gnuplot-nox
rm -rf "$out"
mkdir -p "$out"
if ! tap "build: the product, ${variants[*]:1} and the peers" \
	run_logged "build the native bench (product and ablations)" \
		"$out/build.log" make -C "$native" -j"$(nproc)" all; then
	[ "$quick" = 0 ] || echo "1..$tests"
	exit 1
fi

raw=$out/latest.txt
: >"$raw"
# One binary's run, appended to the raw lines; false unless it ended ok.
measure() {
	local variant=$1 zero=$2 rep=$3 args=()

	if [ "$quick" = 1 ]; then
		args=(-q)
	else
		args=(-r 1 -n "$ops")
	fi
	# An ablation changes mpool alone: its peers are the product's.
	[ "$variant" = product ] || args+=(-a mpool,mpool_nopcpu)
	"$native/build/$variant/bench_native" "${args[@]}" -V "$variant" \
		-z "$zero" >"$out/run.txt" 2>"$out/run.err" || true
	sed "s/^sample \([^ ]* [^ ]* [^ ]* [^ ]* [^ ]* [^ ]* [^ ]*\) [0-9]*/sample \1 $rep/" \
		"$out/run.txt" >>"$raw"
	if ! tail -n 1 "$out/run.txt" | grep -qx 'end ok'; then
		echo "FAILED: $variant, init_on_alloc=$zero, repetition $rep:" >&2
		grep -v '^sample' "$out/run.txt" "$out/run.err" >&2 || true
		return 1
	fi
}

failed=0
[ "$quick" = 1 ] && reps=1
echo "==> $(stamp) measure: $reps repetitions of ${variants[*]}, init_on_alloc=1 and 0" >&2
measured=$SECONDS
for ((rep = 0; rep < reps; rep++)); do
	for zero in 1 0; do
		for variant in "${variants[@]}"; do
			tap "$variant, init_on_alloc=$zero: every cell ran, end ok" \
				measure "$variant" "$zero" "$rep" || failed=1
		done
	done
done
step_done "$measured" "measure"
if [ "$failed" = 1 ]; then
	[ "$quick" = 0 ] || echo "1..$tests"
	echo "make bench NATIVE=1: a run failed; results left as they were" >&2
	exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
kversion=$(cat "$native/build/linux/version")
tree=$(git -C "$MPOOL_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

if [ "$quick" = 1 ]; then
	# Sane: every cell there, every time a positive finite number.
	sane() { awk -f "$MPOOL_ROOT/bench/native-sane.awk" "$raw" >&2; }
	tap "output: $(grep -c '^sample' "$raw") cells, each workload of each variant and every peer, every time in (0, 1 s)" \
		sane || failed=1
	echo "1..$tests"
	echo "bench NATIVE=1 QUICK=1 done in $((SECONDS - started))s, raw lines in $raw" >&2
	exit "$failed"
fi

awk -v md="$out/native.md" -v csv="$out/native.csv" -v cpu="$cpu" \
	-v cores="$cores" -v kversion="$kversion" -v tree="$tree" \
	-v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v reps="$reps" -v ops="$ops" \
	-f "$MPOOL_ROOT/bench/native-format.awk" "$raw"
awk -F, -v png="$out/native.png" -v cpu="$cpu" \
	-f "$MPOOL_ROOT/bench/native-plot.awk" "$out/native.csv" >"$out/native.gp"
run_logged "plot $out/native.png" "$out/plot.log" gnuplot "$out/native.gp"
for f in md csv png; do
	cp "$out/native.$f" "$results/native.$f"
done
cat "$results/native.md"
echo "bench NATIVE=1 done in $((SECONDS - started))s: bench/results/native.{md,csv,png}, raw lines in $raw" >&2
