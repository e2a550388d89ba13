#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check's runner: every host test, built under AddressSanitizer +
# UBSan (build/asan/) and under ThreadSanitizer (build/tsan/), one TAP
# section each on stdout.  Exits nonzero if any program fails, reports
# anything a sanitizer sees, or runs past $TIMEOUT seconds.
#
# Usage: run_tests.sh BUILD_DIR; SYMBOLIZER= the llvm-symbolizer to use.

set -u
build=$1
timeout=${TIMEOUT:-120}
failed=0

# A report ends the program with this status, whatever the test printed.
san_exit=86
common="halt_on_error=1:exitcode=$san_exit${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}"
export ASAN_OPTIONS="$common:abort_on_error=0:detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="$common:print_stacktrace=1"
export TSAN_OPTIONS="$common:second_deadlock_stack=1"

# run VARIANT PROGRAM [NAME=VALUE...]: one TAP section, its environment
# as given, and its verdict.
run() {
	variant=$1
	prog=$2
	shift 2
	# Names this program's results, in a section that holds them all.
	echo "# Subtest: $variant/$prog"
	start=$(date +%s)
	timeout "$timeout" env "$@" "$build/$variant/$prog"
	status=$?
	secs=$(( $(date +%s) - start ))
	case $status in
	0)	echo "# $variant/$prog: passed in ${secs}s" ;;
	$san_exit)
		echo "# $variant/$prog: FAILED: sanitizer report (stderr) after ${secs}s"
		failed=1 ;;
	124)	echo "# $variant/$prog: FAILED: still running after ${timeout}s"
		failed=1 ;;
	*)	echo "# $variant/$prog: FAILED: exit status $status after ${secs}s"
		failed=1 ;;
	esac
}

# ThreadSanitizer runs 5-15 times slower: the interrupts case takes fewer
# steps (as many cases and interrupts).  About 50 s in all on 2 cores.
run asan logic_test
run asan model_test
run asan irq_test
run asan wait_test
run asan fuzz_replay
run asan report_test
run asan report_test_nopc
run asan logic_test_word
run asan model_test_word
run asan irq_test_word
run tsan logic_test
run tsan model_test
run tsan irq_test STEPS=20000
run tsan wait_test
run tsan fuzz_replay
run tsan report_test
run tsan report_test_nopc
run tsan logic_test_word
run tsan model_test_word
run tsan irq_test_word STEPS=20000

if [ $failed = 0 ]; then
	echo "# mpool host tests: all passed"
else
	echo "# mpool host tests: FAILED"
fi
exit $failed
