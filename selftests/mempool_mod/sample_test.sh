#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The sample consumer, as a user runs it: load the pool and the sample,
# check that the sample's blocks show in debugfs, unload, check that every
# block came back and nothing is left.  TAP output.
#
# The sample holds SAMPLE_NR_SCRATCH (4) blocks of the default pool and
# SAMPLE_NR_MSGS (8) of its own pool of 2 * 8 blocks (samples/mpool_sample.c).

K=${MPOOL_KO_DIR:-/mpool}
D=/sys/kernel/debug/mempool_mod
. "$(dirname "$0")/tap.sh"

# stat FILE KEY: the value of "KEY: value" in a stats file.
stat() {
	sed -n "s/^$2: //p" "$1" 2>/dev/null
}

echo "TAP version 13"
echo "1..6"

insmod "$K/mempool_mod.ko"
ok $? "mempool_mod loads with its default parameters"

insmod "$K/mpool_sample.ko"
ok $? "the sample loads"

[ "$(stat $D/default/stats in_use)" = 4 ]
ok $? "the sample holds 4 blocks of the default pool"

[ "$(stat $D/mpool_sample/stats in_use)" = 8 ] &&
	[ "$(stat $D/mpool_sample/stats nr_blocks)" = 16 ] &&
	grep -q '^mpool_sample ' $D/pools
ok $? "the sample's own pool shows 8 of 16 blocks in use"

rmmod mpool_sample
[ $? -eq 0 ] && [ ! -e $D/mpool_sample ] &&
	[ "$(stat $D/default/stats in_use)" = 0 ] &&
	[ "$(stat $D/default/stats allocs)" = "$(stat $D/default/stats frees)" ]
ok $? "unloading the sample gives every block back and removes its pool"

rmmod mempool_mod
[ $? -eq 0 ] && [ ! -e $D ]
ok $? "unloading mempool_mod removes its debugfs directory"

exit $failed
