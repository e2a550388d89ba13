#!/bin/sh
# The `make bench` job, run in the guest on Debian's stock kernel, or by
# `make bench HOST=1` on the host's running kernel: load the pool, then
# the benchmarks, whose inits run every measurement, and hand their
# result lines to the host.  Parameters for mpool_bench come from the file
# bench-params next to the modules.
K=$MPOOL_KO_DIR

# The kernel's messages since this job began: a host's log holds its
# whole uptime, whose old warnings say nothing about this run.
mark="mpool_bench job $$ $(date +%s)"
echo "$mark" >/dev/kmsg 2>/dev/null || mark=
kmsg() {
	if [ -n "$mark" ]; then
		dmesg | sed -n "/$mark/,\$p" | sed 1d
	else
		dmesg
	fi
}

echo "info cmdline $(cat /proc/cmdline)"
echo "info mem_total_kb $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
if ! insmod "$K/mempool_mod.ko"; then
	echo "error insmod mempool_mod.ko"
	kmsg | tail -n 20 | sed 's/^/error dmesg /'
	exit 1
fi
# shellcheck disable=SC2046 # one word per parameter
if ! insmod "$K/mpool_bench.ko" $(cat "$K/bench-params"); then
	echo "error insmod mpool_bench.ko"
	kmsg | tail -n 20 | sed 's/^/error dmesg /'
	rmmod mempool_mod
	exit 1
fi
cat /sys/kernel/debug/mpool_bench/results
rmmod mpool_bench
# dma_pool's own workload, on one CPU (bench/mpool_bench_dma.c).
if insmod "$K/mpool_bench_dma.ko"; then
	cat /sys/kernel/debug/mpool_bench_dma/results
	rmmod mpool_bench_dma
else
	echo "error insmod mpool_bench_dma.ko"
	kmsg | tail -n 20 | sed 's/^/error dmesg /'
fi
rmmod mempool_mod
# What the kernel said about the run: warnings here spoil the numbers.
kmsg | grep -E 'mpool|mempool_mod|WARNING|BUG|[Ss]tall|[Ll]ockup|Call Trace|Oops' |
	grep -v 'taints kernel' | sed 's/^/dmesg /'
