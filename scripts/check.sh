#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: build the debug kernel (cached), build every module and the
# selftests against it with all warnings on, run the static checks, boot
# the kernel in QEMU and run the KUnit suites, the kselftests and the
# sample's test in it, then judge the results and the kernel console.
# The last line is "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${KVER:-6.1}
out=$MPOOL_ROOT/out/check-$series
rm -rf "$out"
mkdir -p "$out"
ledger=$out/ledger

need_packages $BASE_PACKAGES sparse "linux-source-$series"
kdir=$("$MPOOL_ROOT"/scripts/build-kernel.sh "$series")
ksrc=$(readlink -f "$kdir/source")

pass() { echo "ok $*" >>"$ledger"; }
fail() { echo "FAIL $*" >>"$ledger"; }
# Record one host-side check: NAME LOG COMMAND...; pass if it succeeds.
host_check() {
	local name=$1 log=$2
	shift 2
	if run_logged "$name" "$log" "$@"; then pass "$name"; else fail "$name"; fi
}
# Pass when LOG has no line matching the extended regex PATTERN, leaving
# out the lines that match IGNORE.
log_clean() {
	local name=$1 log=$2 pattern=$3 ignore=${4:-^$}
	if grep -En "$pattern" "$log" 2>/dev/null | grep -Ev "$ignore" >"$out/matches"; then
		echo "FAILED: $name:" >&2
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
	if run_logged "$name" "$log" "$@"; then
		pass "$name"
		log_clean "$name: no warning" "$log" \
			'warning:|WARNING:|error:|ERROR:' "$ignore"
	else
		fail "$name"
	fi
}

src=$out/src
copy_tree "$src"
build_check "build: modules against the debug kernel (W=1, sparse)" \
	"$out/build.log" '' make -C "$kdir" M="$src" W=1 C=2 modules

# What users build against: Debian's stock headers, no KUnit there.  Its
# kernel may come from another gcc-12 build than the host's: the headers
# say so, and that is not the code's warning.
abi=$(stock_abi 6.1)
need_packages "linux-headers-$abi"
stock=$out/stock
copy_tree "$stock"
build_check "build: modules against Debian's stock $abi headers (W=1)" \
	"$out/stock-build.log" \
	'the compiler differs from the one used to build the kernel' \
	make -C "/usr/src/linux-headers-$abi" M="$stock" W=1 modules

# A consumer written elsewhere needs only the header and Module.symvers;
# modpost's warnings say whether it resolved every symbol.
consumer=$out/consumer
mkdir -p "$consumer"
cp "$src/mempool_mod.h" "$src/samples/mpool_sample.c" "$consumer/"
echo 'obj-m += mpool_sample.o' >"$consumer/Kbuild"
build_check "build: a consumer out of tree, from mempool_mod.h alone" \
	"$out/consumer.log" '' make -C "$kdir" M="$consumer" W=1 \
	KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" modules
host_check "build: selftest program" "$out/selftest-build.log" \
	make -C "$src/selftests/mempool_mod" \
	KSELFTEST_DIR="$ksrc/tools/testing/selftests" OUTPUT="$out"

checkpatch() (
	cd "$src" && find . -name '*.[ch]' -not -name '*.mod.c' | sort |
		xargs "$ksrc/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--show-types -f
)
# kernel-doc itself does not ask for Context: or Return:; ask per export.
kernel_doc() (
	cd "$src" || exit 1
	complaints=$("$ksrc/scripts/kernel-doc" -none -v mempool_mod.c \
		mempool_mod.h 2>&1 | grep -v ': info: ' || true)
	[ -z "$complaints" ] || { echo "$complaints"; exit 1; }
	awk '/^\/\*\*/ { doc = ""; indoc = 1 }
	     indoc { doc = doc $0 "\n" }
	     /\*\// { indoc = 0 }
	     /^EXPORT_SYMBOL/ {
		n++
		if (doc !~ /\n \* Context: / || doc !~ /\n \* Return: /) {
			print "no Context: or Return: before " $0; bad = 1
		}
		doc = ""
	     }
	     END { print n " exports checked"; exit bad }' mempool_mod.c
)
host_check "style: checkpatch --strict" "$out/checkpatch.log" checkpatch
host_check "style: kernel-doc with Context: on every export" \
	"$out/kernel-doc.log" kernel_doc

# The guest loads the sample as its user would build it: out of tree.
kos="$src/mempool_mod.ko $src/kunit/mempool_mod_kunit.ko
	$src/selftests/mempool_mod/test_mempool_mod.ko $consumer/mpool_sample.ko"
if ! ls $kos "$out/mempool_mod_test" >/dev/null 2>&1; then
	fail "guest: everything to boot with was built"
else
	run_logged "pack initramfs" "$out/initramfs.log" \
		"$MPOOL_ROOT"/scripts/make-initramfs.sh "$out/initramfs.cpio.gz" \
		"$MPOOL_ROOT"/scripts/guest/check-job.sh $kos "$out/mempool_mod_test" \
		"$src/selftests/mempool_mod/sample_test.sh"
	echo "==> boot $series debug kernel in QEMU and run the tests" >&2
	rc=0
	"$MPOOL_ROOT"/scripts/run-guest.sh "$kdir/arch/x86/boot/bzImage" \
		"$out/initramfs.cpio.gz" "$out" 1500 || rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "guest: finished within 1500 s"
	elif [ "$rc" -ne 0 ]; then
		fail "guest: qemu exited with status $rc"
	fi
	touch "$out/results.txt" "$out/console.log"
	awk -v required="guest kunit selftests sample scan" \
		-f "$MPOOL_ROOT"/scripts/parse-results.awk "$out/results.txt" >>"$ledger"
	log_clean "console: no kernel splat" "$out/console.log" \
		'BUG:|WARNING:|KASAN:|UBSAN:|Oops|Kernel panic|general protection|Call Trace:|INFO: |suspected memory leak|unreferenced object|leak detector disabled|Memory pool empty'
fi

echo
sed -e 's/^ok /PASS /' "$ledger"
if grep -q '^FAIL\|^SKIP' "$ledger"; then
	echo
	echo "logs and console: $out"
fi
passed=$(grep -c '^ok ' "$ledger" || true)
failed=$(grep -c '^FAIL \|^SKIP ' "$ledger" || true)
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
