#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` (TIER=check) and `make check-full` (TIER=full): run what
# tests.manifest lists for each place, judge the results, and end with
# "N passed, N failed" over all of them.
#
# The places, in KVER (default: all of them, in this order):
#   host     the static checks (checkpatch, kernel-doc, the manifest against
#            the tree), the builds that do not depend on a kernel, and the
#            manifest's host suites (the pool's core on this CPU);
#   package  the packaging checks of scripts/check-package.sh;
#   6.1, 6.12, 6.12-rt
#            a debug kernel from Debian's linux-source-<series> (cached),
#            the pool with its test hooks and every test module built
#            against it with all warnings on, then the manifest's suites
#            for that kernel in QEMU, and the kernel console judged;
#   6.12-arm64
#            the same for a 6.12 debug kernel cross-built for arm64,
#            booted in qemu-system-aarch64 -M virt under TCG, with the
#            guest's programs cross-built static for it; no build against
#            Debian's stock arm64 headers (their fixdep and modpost are
#            arm64 programs, which cannot run here).
# The debug kernels build in the background, niced, one after another,
# while the host, the packaging and the guests of the kernels built
# before them run.  Every step's time is logged; the seconds of each
# suite are in the results.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/check-package.sh"
. "$(dirname "$0")/check-builds.sh"
. "$(dirname "$0")/manifest.sh"

tier=${TIER:-check}
case $tier in
check | full) ;;
*) echo "TIER=$tier: want check or full" >&2; exit 2 ;;
esac
read -ra places <<<"${KVER:-host package riscv64 armhf newest 6.1 6.12 6.12-rt 6.12-arm64}"
kernels=()
for place in "${places[@]}"; do
	case $place in
	host | package | riscv64 | armhf) ;;
	# Built in make check, booted too in make check-full.
	newest) [ "$tier" = check ] || kernels+=("$place") ;;
	6.1 | 6.12 | 6.12-rt | 6.12-arm64) kernels+=("$place") ;;
	*) echo "KVER=$place: want host, package, riscv64, armhf, newest, 6.1, 6.12, 6.12-rt or 6.12-arm64" >&2; exit 2 ;;
	esac
done

checks=$MPOOL_ROOT/out/check
rm -rf "$checks"
mkdir -p "$checks"
export MPOOL_STEPS=$checks/steps
: >"$MPOOL_STEPS"

# The cross toolchain, its static libc, and QEMU for the arm64 guest.
ARM64_PACKAGES="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
# One apt run for every place's packages.
host_packages=$(sed -n 's/^HOST_PACKAGES := //p' "$MPOOL_ROOT/tools/testing/mpool/Makefile")
pkgs="$BASE_PACKAGES sparse jq python3-docutils $PACKAGING_PACKAGES $BUILDS_PACKAGES $host_packages"
pkgs+=" linux-source-6.12 linux-headers-$(stock_abi 6.1) linux-headers-$(stock_abi 6.12)"
for series in "${kernels[@]}"; do
	case $series in
	*-arm64) pkgs+=" linux-source-${series%-arm64} $ARM64_PACKAGES" ;;
	newest) ;;
	*) pkgs+=" linux-source-${series%-rt} linux-headers-$(stock_abi "$series")" ;;
	esac
done
# shellcheck disable=SC2086
need_packages $pkgs

# The kernel sources, unpacked before anything builds from them: the
# newest one's scripts and kselftest headers serve every place.
for series in "${kernels[@]}" 6.12; do
	# sid out of reach is check_newest's to say.
	"$MPOOL_ROOT"/scripts/build-kernel.sh --source "$series" >"$checks/source-$series" ||
		[ "$series" = newest ]
done
ksrc=$(cat "$checks/source-6.12")

# The debug kernels, in the background, one after another, niced: they
# use what the guests (mostly one busy CPU of two) leave.  Each leaves
# its build directory, or nothing, in kernel-SERIES, then a .done file.
kernel_builder() {
	local series
	for series in "${kernels[@]}"; do
		nice -n 10 "$MPOOL_ROOT"/scripts/build-kernel.sh "$series" \
			>"$checks/kernel-$series" 2>"$checks/kernel-$series.log" ||
			: >"$checks/kernel-$series"
		touch "$checks/kernel-$series.done"
	done
}
builder=
if [ ${#kernels[@]} -gt 0 ]; then
	# A process group of its own (job control on): whatever ends this
	# script takes the builder's make with it.
	set -m
	kernel_builder &
	builder=$!
	set +m
	trap 'kill -- -"$builder" 2>/dev/null || true' EXIT
fi

# Print the build directory of SERIES's debug kernel, once it is built.
wait_for_kernel() {
	local started=$SECONDS
	echo "==> $(stamp) $1: wait for its debug kernel (log: $checks/kernel-$1.log)" >&2
	while [ ! -f "$checks/kernel-$1.done" ]; do
		sleep 2
	done
	step_done "$started" "$1: wait for its debug kernel"
	[ -s "$checks/kernel-$1" ] || { cat "$checks/kernel-$1.log" >&2; return 1; }
	cat "$checks/kernel-$1"
}

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

# Against the kernel tree KDIR, which WHAT names in the results, build the
# pool with its test hooks and every test module (W=1, sparse) in
# $out/src, then the sample in $out/consumer as a consumer written
# elsewhere builds it, from the API an installed mempool_mod leaves:
# mempool_mod.h and Module.symvers in a directory of their own (modpost's
# warnings say whether it resolved every symbol).  IGNORE and
# SAMPLE_IGNORE: the lines of each build's log that are not the code's
# warnings; the rest of the arguments go to both makes.
build_pool_and_sample() {
	local what=$1 kdir=$2 ignore=$3 sample_ignore=$4
	shift 4
	src=$out/src
	copy_tree "$src"
	build_check "build: the pool and the tests against $what (W=1, sparse)" \
		"$out/build.log" "$ignore" make -C "$src" -j"$(nproc)" tests \
		KDIR="$kdir" W=1 C=2 MPOOL_TEST_HOOKS=y "$@"

	local consumer=$out/consumer api=$out/consumer-api
	mkdir -p "$api"
	# A failed build has no Module.symvers: the sample then fails too.
	cp "$src/mempool_mod.h" "$src/Module.symvers" "$api/" 2>/dev/null || true
	cp -r "$src/samples/mpool_sample" "$consumer"
	build_check "build: the sample out of tree, from the installed API alone" \
		"$out/consumer.log" "$sample_ignore" make -C "$consumer" KDIR="$kdir" \
		MPOOL_DIR="$api" W=1 "$@"
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
		make -C "$dir" -j"$(nproc)" KVER="$abi" W=1
	host_check "build: make against $abi builds mempool_mod.ko and no other module" \
		"$dir-modules.log" only_the_pool_built "$dir"
}

# make bench ABLATE=NAME patches a copy of the tree with
# bench/ablate/NAME.patch: each must still apply to the tree as it is.
ablations_apply() (
	local patch
	for patch in "$MPOOL_ROOT"/bench/ablate/*.patch; do
		patch -d "$MPOOL_ROOT" -p1 --dry-run -s -i "$patch" ||
			{ echo "${patch#"$MPOOL_ROOT"/} no longer applies"; exit 1; }
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
		-not -path ./mempool_mod.h -not -path ./src/trace_events.h \
		-not -path './tools/testing/*' |
		sort | xargs -P "$(nproc)" -n 4 $strict &&
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

# The reference pages are plain reStructuredText (no Sphinx directive):
# docutils parses each, and any warning fails.
docs_parse() {
	local rst
	for rst in "$src"/Documentation/*.rst; do
		echo "$rst"
		rst2html --halt=warning --report=warning "$rst" >/dev/null || return 1
	done
}

# Run the host suites of the manifest, each in a BEGIN/END frame with its
# times, as a guest's job frames its suites.
host_suites() {
	local name budget kind cmd rc
	while read -r name budget kind cmd; do
		echo "==> $(stamp) host: $name" >&2
		echo "### BEGIN tap $name t=$SECONDS"
		# A failing suite is a result, not the end of the run.
		rc=0
		(cd "$src" && eval "$cmd") </dev/null 2>&1 || rc=$?
		echo "### END rc=$rc t=$SECONDS"
	done < <(manifest_entries "$tier" host)
	echo "### DONE"
}

# Follow FILE as a guest writes it, and print each "###" line with the
# host's time, t=SECONDS, as it arrives; until killed.
stamp_lines() {
	local line
	tail -n +1 -F "$1" 2>/dev/null | while IFS= read -r line; do
		case $line in
		'### '*) echo "${line%$'\r'} t=$SECONDS" ;;
		esac
	done
}

# The manifest's budgets, as "SUITE=SECONDS ..." for the results parser.
budgets_of() {
	manifest_entries "$tier" "$1" | awk '{ printf "%s=%s ", $1, $2 }'
}

# What does not depend on a kernel, once: the static checks, the user-space
# builds every guest takes, and the host suites.
check_host() {
	series=host
	out=$checks/host
	ledger=$out/ledger
	mkdir -p "$out"
	src=$out/src
	copy_tree "$src"

	host_check "manifest: well formed, and every test of the tree has an entry" \
		"$out/manifest.log" manifest_covers_the_tree
	host_check "style: checkpatch --strict" "$out/checkpatch.log" checkpatch
	host_check "style: kernel-doc with Context: on every export" \
		"$out/kernel-doc.log" kernel_doc
	host_check "bench: the ablation patches still apply" \
		"$out/ablations.log" ablations_apply
	host_check "docs: Documentation/*.rst parse without a warning" \
		"$out/docs.log" docs_parse
	# The guests' user space: static (the initramfs has no libc), and
	# built with the newest kselftest harness, whose -f filters the
	# manifest uses.
	host_check "build: selftest programs" "$out/selftest-build.log" \
		make -C "$src/selftests/mempool_mod" -j"$(nproc)" \
		KSELFTEST_DIR="$ksrc/tools/testing/selftests" OUTPUT="$out"
	build_check "build: make tools, mpoolstat static (-Wall -Wextra)" \
		"$out/tools.log" '' make -C "$src" tools LDFLAGS=-static

	host_suites >"$out/results.txt"
	awk -v required="$(manifest_entries "$tier" host | cut -d' ' -f1 | tr '\n' ' ')" \
		-v series=host -v budgets="$(budgets_of host)" \
		-f "$MPOOL_ROOT"/scripts/parse-results.awk "$out/results.txt" >>"$ledger"
}

# Every check against one debug kernel, into out/check/SERIES/ledger.
check_kernel() {
	out=$checks/$series
	ledger=$out/ledger
	mkdir -p "$out"

	local kdir
	if ! kdir=$(wait_for_kernel "$series"); then
		# Debian sid out of reach: check_newest said so.
		if [ "$series" = newest ] && grep -q '^NOTRUN ' "$ledger"; then
			not_run "guest: the newest kernel was not built"
			return
		fi
		fail "build: the debug kernel"
		return
	fi
	local kksrc
	kksrc=$(readlink -f "$kdir/source")

	# The kernel's architecture: kbuild's ARCH (and CROSS_COMPILE), and
	# the image QEMU boots.
	local cross=() image=$kdir/arch/x86/boot/bzImage arm64=0 arch=x86_64
	local sparse=() ignore='^$' stock=1
	case $series in
	*-arm64)
		arm64=1 arch=arm64 stock=0
		cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		image=$kdir/arch/arm64/boot/Image
		;;
	newest)
		# check_newest's sparse (sid's) and what it ignores.
		stock=0
		sparse=(CHECK="$("$MPOOL_ROOT"/scripts/newest-source.sh --sparse)")
		ignore=$NEWEST_SPARSE_IGNORE ;;
	esac

	build_pool_and_sample "the debug kernel" "$kdir" "$ignore" '^$' \
		"${cross[@]}" "${sparse[@]}"

	# Debian's arm64 headers cannot build here (their kbuild programs
	# are arm64 binaries), and sid's newest kernel has no stock build
	# in Debian 12: the stock build is the other x86 kernels' check.
	if [ "$stock" = 1 ]; then
		local abi
		abi=$(stock_abi "$series")
		product_build_check "Debian's stock" "$abi" "$out/stock"
	fi

	# The guest's programs: the host place's, or, for another
	# architecture, the same built here with its cross compiler.
	local progdir=$checks/host mpoolstat=$checks/host/src/tools/mpoolstat/mpoolstat
	if [ "$arm64" = 1 ]; then
		progdir=$out/progs mpoolstat=$src/tools/mpoolstat/mpoolstat
		host_check "build: selftest programs for arm64" "$out/selftest-build.log" \
			make -C "$src/selftests/mempool_mod" -j"$(nproc)" \
			CC=aarch64-linux-gnu-gcc \
			KSELFTEST_DIR="$ksrc/tools/testing/selftests" OUTPUT="$progdir"
		build_check "build: make tools, mpoolstat static for arm64 (-Wall -Wextra)" \
			"$out/tools.log" '' make -C "$src" tools \
			CC=aarch64-linux-gnu-gcc LDFLAGS=-static
	fi

	# The suites of this kernel, in the manifest's order; the guest
	# runs every one it is given, and the parser requires each.
	manifest_entries "$tier" "$series" >"$out/suites"
	local kos="$src/mempool_mod.ko $src/kunit/*.ko
		$src/selftests/mempool_mod/test_mempool_mod.ko
		$out/consumer/mpool_sample.ko"
	local progs="$progdir/mempool_mod_test $progdir/mempool_mod_trace_test
		$progdir/mempool_mod_sysfs_test $mpoolstat"
	# shellcheck disable=SC2086
	if ! ls $kos $progs >/dev/null 2>&1; then
		fail "guest: everything to boot with was built"
		return
	fi
	# shellcheck disable=SC2086
	if ! MPOOL_ARCH=$arch run_logged "$series: pack initramfs" "$out/initramfs.log" \
		"$MPOOL_ROOT"/scripts/make-initramfs.sh "$out/initramfs.cpio.gz" \
		"$MPOOL_ROOT"/scripts/guest/check-job.sh $kos "$out/suites" \
		$progs "$src"/selftests/mempool_mod/*.sh; then
		fail "guest: the initramfs was packed"
		return
	fi

	# Twice the suites' budgets, and boot and kmemleak's scan besides.
	local limit=$((2 * $(manifest_budget "$tier" "$series") + 300))
	local rc=0 started=$SECONDS stamper
	echo "==> $(stamp) $series: boot the debug kernel in QEMU and run $(wc -l <"$out/suites") suites (timeout $limit s)" >&2
	stamp_lines "$out/results.txt" >"$out/times.txt" &
	stamper=$!
	# The test kernels print pointers as they are (%p would hash them
	# only once the RNG has seeded a key, in a work item of its own).
	# The RT kernel's guest has 16 possible CPUs, 4 online: see
	# configs/debug-rt.config.
	local smp=4,sockets=4
	[ "$series" = 6.12-rt ] && smp=4,maxcpus=16,sockets=16
	MPOOL_SMP=$smp "$MPOOL_ROOT"/scripts/run-guest.sh "$image" \
		"$out/initramfs.cpio.gz" "$out" "$limit" no_hash_pointers || rc=$?
	sleep 1
	pkill -P "$stamper" 2>/dev/null || true
	wait "$stamper" 2>/dev/null || true
	step_done "$started" "$series: the guest"
	if [ "$rc" -eq 124 ]; then
		fail "guest: finished within $limit s"
	elif [ "$rc" -ne 0 ]; then
		fail "guest: qemu exited with status $rc"
	fi
	touch "$out/results.txt" "$out/console.log"
	awk -v required="guest $(cut -d' ' -f1 "$out/suites" | tr '\n' ' ') scan" \
		-v series="$series" -v budgets="$(budgets_of "$series")" \
		-v times="$out/times.txt" \
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

# The host place builds what the guests run: it comes first whenever a
# kernel is checked.
case " ${places[*]} " in
*" host "*) ;;
*) [ ${#kernels[@]} -eq 0 ] || places=(host "${places[@]}") ;;
esac
for series in "${places[@]}"; do
	case $series in
	host) check_host ;;
	package) check_package ;;
	riscv64 | armhf) check_cross ;;
	newest)
		check_newest
		[ "$tier" = check ] || check_kernel ;;
	*) check_kernel ;;
	esac
done
[ -z "$builder" ] || wait "$builder" || true

passed=0 failed=0 notrun=0
echo
for series in "${places[@]}"; do
	ledger=$checks/$series/ledger
	touch "$ledger"
	grep -v '^TIME ' "$ledger" | sed -e 's/^ok /PASS /'
	passed=$((passed + $(grep -c '^ok ' "$ledger" || true)))
	failed=$((failed + $(grep -c '^FAIL \|^SKIP ' "$ledger" || true)))
	notrun=$((notrun + $(grep -c '^NOTRUN ' "$ledger" || true)))
done
echo
echo "Seconds per suite:"
cat "$checks"/*/ledger | sed -n 's/^TIME /    /p'
echo "Seconds per step (the kernels built in the background meanwhile):"
sed 's/^/    /' "$MPOOL_STEPS"
echo "Kernel builds (background):"
for series in "${kernels[@]}"; do
	grep -h "^    .* s: $series: make [A-Za-z]*Image modules\$" "$checks/kernel-$series.log" 2>/dev/null || true
done
for series in "${places[@]}"; do
	if grep -q '^FAIL\|^SKIP\|^NOTRUN' "$checks/$series/ledger"; then
		echo
		echo "logs and console: $checks/$series"
	fi
done
echo "$(stamp) in all"
echo
# A check this machine could not make is neither passed nor failed: said
# here, so that the last line stays the plain count.
[ "$notrun" -eq 0 ] || echo "$notrun not run (NOTRUN above), not counted as passed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
