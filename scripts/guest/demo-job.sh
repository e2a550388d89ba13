#!/bin/sh
# The `make demo` job, run in the guest on Debian's stock kernel: what a
# user sees when they load the pool and a consumer.
D=/sys/kernel/debug/mempool_mod
K=$MPOOL_KO_DIR

show() {
	echo
	echo "\$ $*"
	"$@"
}

echo "kernel: $(uname -r)"
show insmod $K/mempool_mod.ko || exit 1
show cat /sys/module/mempool_mod/parameters/pool_size \
	/sys/module/mempool_mod/parameters/block_size \
	/sys/module/mempool_mod/parameters/align
show cat $D/pools
show cat $D/default/stats
show insmod $K/mpool_sample.ko || exit 1
show cat $D/pools
show cat $D/mpool_sample/stats
show rmmod mpool_sample
show cat $D/default/stats
show rmmod mempool_mod
show ls /sys/kernel/debug/mempool_mod
echo
echo "kernel log of the modules:"
dmesg | grep -E 'mempool_mod|mpool_sample'
