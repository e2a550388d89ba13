#!/bin/sh
# The `make check` job, run in the guest: the KUnit suites, the kselftests
# (the module's, its trace events', its sysfs files'), the sample's test
# and mpoolstat's, then a kmemleak scan.  Each part is framed by
# "### BEGIN/END" lines for scripts/parse-results.awk.
K=$MPOOL_KO_DIR
KMEMLEAK=/sys/kernel/debug/kmemleak

# Forget what boot allocated: only what the tests leak is of interest.
echo clear >$KMEMLEAK

# The concurrency cases are only as good as the CPUs they run on.
echo "### BEGIN tap guest"
echo "1..1"
cpus=$(grep -c ^processor /proc/cpuinfo)
if [ "$cpus" -eq 4 ]; then
	echo "ok 1 4 CPUs online"
else
	echo "not ok 1 4 CPUs online: $cpus"
fi
echo "### END rc=0"

# Every KUnit module the host built, listed in kunit-modules: each runs
# its suites at insmod, whose results stay in debugfs until its rmmod.
echo "### BEGIN ktap kunit"
rc=0
kunit=$(cat $K/kunit-modules)
if insmod $K/mempool_mod.ko; then
	for ko in $kunit; do
		insmod $K/$ko || rc=1
	done
	for suite in /sys/kernel/debug/kunit/*/; do
		cat "$suite/results"
	done
	for ko in $kunit; do
		rmmod ${ko%.ko} || rc=1
	done
	rmmod mempool_mod || rc=1
else
	rc=1
fi
echo "### END rc=$rc"

echo "### BEGIN tap selftests"
$K/mempool_mod_test
echo "### END rc=$?"

echo "### BEGIN tap trace"
$K/mempool_mod_trace_test
echo "### END rc=$?"

echo "### BEGIN tap sysfs"
$K/mempool_mod_sysfs_test
echo "### END rc=$?"

echo "### BEGIN tap sample"
sh $K/sample_test.sh
echo "### END rc=$?"

# mpoolstat, built static, against the pools' sysfs files.
echo "### BEGIN tap mpoolstat"
sh $K/mpoolstat_test.sh
echo "### END rc=$?"

# kmemleak reports only objects older than 5 s, and only from the second
# scan on: the first one records every object's checksum.
echo "### BEGIN kmemleak scan"
rc=0
sleep 6
echo scan >$KMEMLEAK || rc=1
echo scan >$KMEMLEAK || rc=1
cat $KMEMLEAK
echo "### END rc=$rc"
