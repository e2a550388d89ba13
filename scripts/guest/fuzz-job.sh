#!/bin/sh
# The `make fuzz` job, run in the guest: load the pool, then the
# model-checked test with the parameters in fuzz-params (its suite runs at
# insmod), then a kmemleak scan.  Framed for scripts/parse-results.awk.
K=$MPOOL_KO_DIR
KMEMLEAK=/sys/kernel/debug/kmemleak

echo clear >$KMEMLEAK

echo "### BEGIN ktap fuzz"
rc=0
if insmod $K/mempool_mod.ko; then
	# shellcheck disable=SC2046 # one word per parameter
	insmod $K/mempool_mod_model_kunit.ko $(cat $K/fuzz-params) || rc=1
	cat /sys/kernel/debug/kunit/mpool_model/results
	rmmod mempool_mod_model_kunit || rc=1
	rmmod mempool_mod || rc=1
else
	rc=1
fi
echo "### END rc=$rc"

# kmemleak reports only objects older than 5 s, from the second scan on.
echo "### BEGIN kmemleak scan"
rc=0
sleep 6
echo scan >$KMEMLEAK || rc=1
echo scan >$KMEMLEAK || rc=1
cat $KMEMLEAK
echo "### END rc=$rc"
