#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: the model-checked random test (kunit/mempool_mod_model_kunit.c)
# for a while, in the debug kernel under QEMU.  Builds the kernel (cached),
# the pool and the test against it, boots, loads the pool and then the test
# with seed= and seconds=, and prints the result: the seeds that passed, or
# the failing seed, step and operation, to replay with SEED=.  Exits 0 when
# every case passed and the console has no kernel splat, 1 otherwise.
#
# Usage: fuzz.sh [SECONDS [SEED]]
#   SECONDS: how long each of the test's two cases runs seeds (default 60;
#            0: the fixed seeds `make check` runs)
#   SEED:    the first seed (default: a random one, printed)
#   KVER=6.1 (the default), 6.12 or 6.12-rt in the environment picks the
#   kernel; several, separated by spaces, run one after the other.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

seconds=${1:-60}
seed=${2:-}
read -ra all_series <<<"${KVER:-6.1}"

case $seconds in
'' | *[!0-9]*) echo "SECONDS=$seconds: not a number of seconds" >&2; exit 1 ;;
esac
if [ -z "$seed" ]; then
	# Not 0, which means the fixed seeds.
	seed=$(($(od -An -N4 -tu4 /dev/urandom) + 1))
fi
case $seed in
'' | *[!0-9]*) echo "SEED=$seed: not a number" >&2; exit 1 ;;
esac

need_packages $BASE_PACKAGES

# Whatever the test prints, the guest ends this long after it should
# have: two cases of SECONDS each, the last seed of each, boot, kmemleak.
limit=$((2 * seconds + 600))

fuzz_series() {
	local series=$1 out=$MPOOL_ROOT/out/fuzz-$1 kdir

	rm -rf "$out"
	mkdir -p "$out"
	kdir=$("$MPOOL_ROOT"/scripts/build-kernel.sh "$series") || return 1
	copy_tree "$out/src"
	run_logged "$series: build the pool and the test" "$out/build.log" \
		make -C "$out/src" tests KDIR="$kdir" || return 1
	echo "seed=$seed seconds=$seconds" >"$out/fuzz-params"
	run_logged "$series: pack initramfs" "$out/initramfs.log" \
		"$MPOOL_ROOT"/scripts/make-initramfs.sh "$out/initramfs.cpio.gz" \
		"$MPOOL_ROOT"/scripts/guest/fuzz-job.sh "$out/src/mempool_mod.ko" \
		"$out/src/kunit/mempool_mod_model_kunit.ko" "$out/fuzz-params" ||
		return 1

	echo "==> $series: seeds from $seed for ${seconds} s per case (log: $out/console.log)" >&2
	local rc=0
	"$MPOOL_ROOT"/scripts/run-guest.sh "$kdir/arch/x86/boot/bzImage" \
		"$out/initramfs.cpio.gz" "$out" "$limit" || rc=$?
	touch "$out/results.txt" "$out/console.log"
	{
		[ "$rc" -eq 124 ] && echo "FAIL $series: guest: finished within $limit s"
		[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
			echo "FAIL $series: guest: qemu exited with status $rc"
		awk -v required="fuzz scan" -v series="$series" \
			-f "$MPOOL_ROOT"/scripts/parse-results.awk "$out/results.txt"
		# As make check judges the console.
		if grep -En 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|Kernel panic|general protection|Call Trace:|INFO: |suspected memory leak|unreferenced object|leak detector disabled|Memory pool empty' \
			"$out/console.log" >"$out/splats"; then
			echo "FAIL $series: console: kernel splat"
			head -n 20 "$out/splats" | sed 's/^/    /'
		fi
	} >"$out/ledger"

	# The seeds run, and each failure with its seed, step and operation.
	local seeds
	seeds=$(sed -n 's/.*mpool_model: \([a-z_]*\): seed \([0-9]*\): [0-9]* \(steps\|threads\).*/\1 \2/p' \
		"$out/console.log" | awk '
		{ n[$1]++; if (!($1 in first)) first[$1] = $2; last[$1] = $2 }
		END { for (c in n) printf "%s: %d seeds, %s to %s\n", c, n[c], first[c], last[c] }' |
		sort)
	echo
	echo "$series: ${seeds:-no seed ran}"
	grep -E 'replay with seed=|diff == "' "$out/console.log" |
		sed 's/^\[ *[0-9.]*\] *//' | head -n 40 || true
	grep -v '^ok ' "$out/ledger" || true
	! grep -q '^FAIL\|^SKIP' "$out/ledger"
}

status=0
for series in "${all_series[@]}"; do
	if fuzz_series "$series"; then
		echo "PASS $series: seeds from $seed, ${seconds} s per case"
	else
		echo "FAIL $series: logs and console in $MPOOL_ROOT/out/fuzz-$series"
		status=1
	fi
done
exit $status
