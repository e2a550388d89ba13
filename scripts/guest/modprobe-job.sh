#!/bin/sh
# The packaging check's job, run in the guest on Debian's stock kernel
# with the DKMS-installed /lib/modules tree and the example
# /etc/modprobe.d/mempool_mod.conf: what a user of the package does.
# TAP output.  The options asked for are in /mpool/options.
D=/sys/kernel/debug/mempool_mod
nr=0

ok() {
	nr=$((nr + 1))
	if [ "$1" -eq 0 ]; then echo "ok $nr $2"; else echo "not ok $nr $2"; fi
}

# stat KEY: the value of "KEY: value" in the default pool's stats.
stat() {
	sed -n "s/^$1: //p" $D/default/stats 2>/dev/null
}

# opt NAME: the value the modprobe.d file sets for NAME.
opt() {
	tr ' ' '\n' </mpool/options | sed -n "s/^$1=//p"
}

loaded() {
	grep -q "^$1 " /proc/modules
}

echo "### BEGIN tap modprobe"
echo "1..6"
echo "# kernel $(uname -r)"

modprobe mpool_sample
rc=$?
loaded mempool_mod && loaded mpool_sample
ok $((rc + $?)) "modprobe mpool_sample loads mempool_mod through modules.dep"

[ "$(cat /sys/module/mempool_mod/version)" = "$(cat /mpool/version)" ]
ok $? "the loaded module is version $(cat /mpool/version)"

size=$(opt pool_size) block=$(opt block_size)
stride=$(stat stride) blocks=$(stat nr_blocks)
[ "$(stat block_size)" = "$block" ] &&
	[ -n "$stride" ] && [ "$blocks" = $((size / stride)) ] && [ "$blocks" -gt 0 ]
ok $? "the default pool has the geometry of the options: block_size $block, $blocks blocks of stride $stride in $size bytes"

# The flags line has a letter per flag, as debug= spells them.
flags=$(stat flags) want=$(opt debug) rc=0
for letter in $(echo "$want" | sed 's/./& /g'); do
	case $flags in
	*"$letter"*) ;;
	*) rc=1 ;;
	esac
done
[ -n "$want" ]
ok $((rc + $?)) "the default pool has the debug flags of the options ($flags)"

[ "$(sed -n 's/^in_use: //p' $D/mpool_sample/stats 2>/dev/null)" = 8 ]
ok $? "the sample's pool works: 8 blocks in use"

modprobe -r mpool_sample mempool_mod
rc=$?
! loaded mpool_sample && ! loaded mempool_mod
ok $((rc + $?)) "modprobe -r mpool_sample mempool_mod unloads both"
echo "### END rc=0"
