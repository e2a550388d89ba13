#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: for each kernel series (KVER=6.1, 6.12 or 6.12-rt picks
# one, KVER=package the packaging checks of scripts/check-package.sh
# alone; default all) build the debug kernel (cached), build the pool
# with its test hooks (MPOOL_TEST_HOOKS=y), every test module and
# the selftests against it with all warnings on, boot it in QEMU and run
# the KUnit suites, the kselftests and the sample's test in it, then judge
# the results and the kernel console.  The static checks run once, with
# the last series' tools.  Each result names its series; the last line is
# "N passed, N failed" over all of them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/check-package.sh"

read -ra all_series <<<"${KVER:-6.1 6.12 6.12-rt package}"

# The static checks run once, with the last kernel series' tools.
style_series=
for series in "${all_series[@]}"; do
	[ "$series" = package ] || style_series=$series
done

# One apt run for every series' packages, and the packaging's.
need_packages $BASE_PACKAGES sparse jq $PACKAGING_PACKAGES
pkgs=" linux-headers-$(stock_abi 6.1) linux-headers-$(stock_abi 6.12)"
for series in "${all_series[@]}"; do
	[ "$series" = package ] ||
		pkgs+=" linux-source-${series%-rt} linux-headers-$(stock_abi "$series")"
done
need_packages $pkgs

pass() { echo "ok $series: $*" >>"$ledger"; }
fail() { echo "FAIL $series: $*" >>"$ledger"; }
# Record one host-side check: NAME LOG COMMAND...; pass if it succeeds.
host_check() {
	local name=$1 log=$2
	shift 2
	if run_logged "$series: $name" "$log" "$@"; then pass "$name"; else fail "$name"; fi
}
# Pass when LOG has no line matching the extended regex PATTERN, leaving
# out the lines that match IGNORE.
log_clean() {
	local name=$1 log=$2 pattern=$3 ignore=${4:-^$}
	if grep -En "$pattern" "$log" 2>/dev/null | grep -Ev "$ignore" >"$out/matches"; then
		echo "FAILED: $series: $name:" >&2
		head -n 40 "$out/matches" >&2
		fail "$name"
	else
		pass "$name"
	fi
}

# Build with COMMAND...: one result that it built and, if it did, one
# that its log has no warning (lines matching IGNORE aside).
build_check() {
	local name=$1 log=$2 ignore=$3
	shift 3
	if run_logged "$series: $name" "$log" "$@"; then
		pass "$name"
		log_clean "$name: no warning" "$log" \
			'warning:|WARNING:|error:|ERROR:' "$ignore"
	else
		fail "$name"
	fi
}

# Whether the build in DIR made mempool_mod.ko and no other module.
only_the_pool_built() {
	[ "$(cd "$1" && find . -name '*.ko')" = ./mempool_mod.ko ]
}

# What users build: `make` in a copy of the tree (DIR) against the stock
# headers of ABI, described by WHAT: no warning, and the pool alone.  Its
# kernel may come from another gcc-12 build than the host's: the headers
# say so, and that is not the code's warning.
product_build_check() {
	local what=$1 abi=$2 dir=$3
	copy_tree "$dir"
	build_check "build: make against $what $abi headers (W=1)" "$dir.log" \
		'the compiler differs from the one used to build the kernel' \
		make -C "$dir" KVER="$abi" W=1
	host_check "build: make against $abi builds mempool_mod.ko and no other module" \
		"$dir-modules.log" only_the_pool_built "$dir"
}

# make bench ABLATE=NAME patches a copy of the tree with
# bench/ablate/NAME.patch: each must still apply to the tree as it is.
ablations_apply() (
	local patch
	for patch in "$src"/bench/ablate/*.patch; do
		patch -d "$src" -p1 --dry-run -s -i "$patch" ||
			{ echo "${patch#"$src"/} no longer applies"; exit 1; }
	done
)

# The compat headers, and the API header's MPOOL_NS, are where a test of
# LINUX_VERSION_CODE belongs, so that one rule is off there and only there.
# A trace header is laid out as include/trace/events/ lays them out, which
# --strict's rules on open parentheses do not know.
checkpatch() (
	local strict="$ksrc/scripts/checkpatch.pl --no-tree --strict --quiet --show-types -f"
	cd "$src" &&
	find . -name '*.[ch]' -not -name '*.mod.c' -not -name '*compat.h' \
		-not -path ./mempool_mod.h -not -path ./src/trace_events.h |
		sort | xargs $strict &&
	find . -name '*compat.h' -o -path ./mempool_mod.h | sort |
		xargs $strict --ignore LINUX_VERSION_CODE &&
	$strict --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT src/trace_events.h
)
# kernel-doc itself does not ask for Context: or Return:; ask per export,
# in the module and in the src/ files it includes.
kernel_doc() (
	cd "$src" || exit 1
	shopt -s nullglob
	files=(mempool_mod.[ch] src/*.[ch])
	complaints=$("$ksrc/scripts/kernel-doc" -none -v "${files[@]}" 2>&1 |
		grep -v ': info: ' || true)
	[ -z "$complaints" ] || { echo "$complaints"; exit 1; }
	awk 'FNR == 1 { doc = ""; indoc = 0 }
	     /^\/\*\*/ { doc = ""; indoc = 1 }
	     indoc { doc = doc $0 "\n" }
	     /\*\// { indoc = 0 }
	     /^EXPORT_SYMBOL/ {
		n++
		if (doc !~ /\n \* Context: / || doc !~ /\n \* Return: /) {
			print FILENAME ": no Context: or Return: before " $0
			bad = 1
		}
		doc = ""
	     }
	     END { print n + 0 " exports checked"; exit bad }' "${files[@]}"
)

# mpoolstat's tests against fake sysfs trees, on the host: one ledger
# line per test, as the guest's tests get.
mpoolstat_host_tests() {
	local results=$out/mpoolstat-host.txt
	{
		echo "### BEGIN tap mpoolstat-host"
		"$src/tools/mpoolstat/host_test.sh" "$src/tools/mpoolstat/mpoolstat"
		echo "### END rc=$?"
		echo "### DONE"
	} >"$results" 2>&1
	awk -v required=mpoolstat-host -v series="$series" \
		-f "$MPOOL_ROOT"/scripts/parse-results.awk "$results" >>"$ledger"
}

# Every check against one series' kernel, into out/check-SERIES/ledger.
check_series() {
	out=$MPOOL_ROOT/out/check-$series
	ledger=$out/ledger
	rm -rf "$out"
	mkdir -p "$out"

	local kdir
	if ! kdir=$("$MPOOL_ROOT"/scripts/build-kernel.sh "$series"); then
		fail "build: the debug kernel"
		return
	fi
	ksrc=$(readlink -f "$kdir/source")

	src=$out/src
	copy_tree "$src"
	build_check "build: the pool and the tests against the debug kernel (W=1, sparse)" \
		"$out/build.log" '' make -C "$src" tests KDIR="$kdir" W=1 C=2 \
		MPOOL_TEST_HOOKS=y

	local abi
	abi=$(stock_abi "$series")
	product_build_check "Debian's stock" "$abi" "$out/stock"

	# A consumer written elsewhere, as an installed mempool_mod leaves
	# the API: mempool_mod.h and Module.symvers in a directory of their
	# own.  modpost's warnings say whether it resolved every symbol.
	local consumer=$out/consumer api=$out/consumer-api
	mkdir -p "$api"
	cp "$src/mempool_mod.h" "$src/Module.symvers" "$api/"
	cp -r "$src/samples/mpool_sample" "$consumer"
	build_check "build: the sample out of tree, from the installed API alone" \
		"$out/consumer.log" '' make -C "$consumer" KDIR="$kdir" \
		MPOOL_DIR="$api" W=1
	host_check "build: selftest programs" "$out/selftest-build.log" \
		make -C "$src/selftests/mempool_mod" \
		KSELFTEST_DIR="$ksrc/tools/testing/selftests" OUTPUT="$out"

	# mpoolstat static, for the guest's initramfs, which has no libc.
	build_check "build: make tools, mpoolstat static (-Wall -Wextra)" \
		"$out/tools.log" '' make -C "$src" tools LDFLAGS=-static

	# One series' tools judge the style: the sources are the same.
	if [ "$series" = "$style_series" ]; then
		host_check "style: checkpatch --strict" "$out/checkpatch.log" \
			checkpatch
		host_check "style: kernel-doc with Context: on every export" \
			"$out/kernel-doc.log" kernel_doc
		host_check "bench: the ablation patches still apply" \
			"$out/ablations.log" ablations_apply
		mpoolstat_host_tests
	fi

	# The guest loads the sample as its user would build it: out of
	# tree.  It loads every KUnit module built, whichever they are.
	local kunit=("$src"/kunit/*.ko)
	local kos="$src/mempool_mod.ko ${kunit[*]}
		$src/selftests/mempool_mod/test_mempool_mod.ko
		$consumer/mpool_sample.ko"
	local progs="$out/mempool_mod_test $out/mempool_mod_trace_test
		$out/mempool_mod_sysfs_test"
	if ! ls $kos $progs "$src/tools/mpoolstat/mpoolstat" >/dev/null 2>&1; then
		fail "guest: everything to boot with was built"
		return
	fi
	printf '%s\n' "${kunit[@]##*/}" >"$out/kunit-modules"
	run_logged "$series: pack initramfs" "$out/initramfs.log" \
		"$MPOOL_ROOT"/scripts/make-initramfs.sh "$out/initramfs.cpio.gz" \
		"$MPOOL_ROOT"/scripts/guest/check-job.sh $kos \
		"$out/kunit-modules" $progs \
		"$src/selftests/mempool_mod/tap.sh" \
		"$src/selftests/mempool_mod/sample_test.sh" \
		"$src/tools/mpoolstat/mpoolstat" \
		"$src/selftests/mempool_mod/mpoolstat_test.sh"
	echo "==> $series: boot the debug kernel in QEMU and run the tests" >&2
	local rc=0
	"$MPOOL_ROOT"/scripts/run-guest.sh "$kdir/arch/x86/boot/bzImage" \
		"$out/initramfs.cpio.gz" "$out" 1500 || rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "guest: finished within 1500 s"
	elif [ "$rc" -ne 0 ]; then
		fail "guest: qemu exited with status $rc"
	fi
	touch "$out/results.txt" "$out/console.log"
	awk -v required="guest kunit selftests trace sysfs sample mpoolstat scan" \
		-v series="$series" \
		-f "$MPOOL_ROOT"/scripts/parse-results.awk "$out/results.txt" >>"$ledger"
	# The test driver provokes one report on purpose, between these two
	# lines, and its selftest asserts that the report is there.
	awk '/test_mempool_mod: expected splat begins/ { skip = 1 }
	     !skip { print }
	     /test_mempool_mod: expected splat ends/ { skip = 0 }' \
		"$out/console.log" >"$out/console-unexpected.log"
	log_clean "console: no kernel splat" "$out/console-unexpected.log" \
		'BUG:|WARNING:|KASAN:|UBSAN:|Oops|Kernel panic|general protection|Call Trace:|INFO: |suspected memory leak|unreferenced object|leak detector disabled|Memory pool empty'
}

for series in "${all_series[@]}"; do
	if [ "$series" = package ]; then check_package; else check_series; fi
done

passed=0 failed=0
echo
for series in "${all_series[@]}"; do
	ledger=$MPOOL_ROOT/out/check-$series/ledger
	sed -e 's/^ok /PASS /' "$ledger"
	passed=$((passed + $(grep -c '^ok ' "$ledger" || true)))
	failed=$((failed + $(grep -c '^FAIL \|^SKIP ' "$ledger" || true)))
done
for series in "${all_series[@]}"; do
	if grep -q '^FAIL\|^SKIP' "$MPOOL_ROOT/out/check-$series/ledger"; then
		echo
		echo "logs and console: $MPOOL_ROOT/out/check-$series"
	fi
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
