#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mpoolstat against fake sysfs trees (MPOOLSTAT_SYSFS), on the host: no
# module, no QEMU.  Every expected value is computed here from what this
# script wrote into the tree, never taken from the tool's output.  TAP.
#
# Nothing depends on timing: where the tool must be caught at a point (in
# the middle of a sample, between two samples), a FIFO in the tree holds
# it there until the script has done what comes at that point, and a
# sample reads one tree from its first file to its last.
#
# Usage: host_test.sh [PATH_TO_MPOOLSTAT]	(needs jq)
set -u

tool=$(readlink -f "${1:-$(dirname "$0")/mpoolstat}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../../selftests/mempool_mod/tap.sh"

# set_value ROOT POOL FILE VALUE: as sysfs shows it, replaced at once so
# that a sample never reads a half-written file.
set_value() {
	printf '%s\n' "$4" >"$1/$2/.$3.new" && mv "$1/$2/.$3.new" "$1/$2/$3"
}

# value ROOT POOL FILE
value() {
	cat "$1/$2/$3"
}

# make_pool ROOT NAME SEED FLAGS: a pool of a 1.2 module, made by
# mpool_create() (one region, min_blocks = max_blocks = nr_blocks, never
# grown), whose every value derives from SEED, consistent as the module
# keeps them (free = nr_blocks - in_use - quarantined, in_use = allocs -
# frees).
make_pool() {
	local root=$1 name=$2 s=$3 flags=$4
	local nr_blocks=$((1000 + s * 10)) in_use=$((s * 37 % 900)) quarantined=$((s % 3))
	local frees=$((s * 1000 + 11))
	mkdir -p "$root/$name"
	set_value "$root" "$name" block_size $((16 * s))
	set_value "$root" "$name" align 8
	set_value "$root" "$name" stride $((16 * s + 8))
	set_value "$root" "$name" nr_blocks $nr_blocks
	set_value "$root" "$name" region_bytes $((nr_blocks * (16 * s + 8)))
	set_value "$root" "$name" meta_bytes $((4096 + s))
	set_value "$root" "$name" redzone_bytes $((s % 2 * 8))
	set_value "$root" "$name" cache_size $((s % 5 * 4))
	set_value "$root" "$name" in_use $in_use
	set_value "$root" "$name" free $((nr_blocks - in_use - quarantined))
	set_value "$root" "$name" cached $((s % 7))
	set_value "$root" "$name" peak_in_use $((in_use + s))
	set_value "$root" "$name" allocs $((frees + in_use))
	set_value "$root" "$name" frees $frees
	set_value "$root" "$name" alloc_failures $((s * 3))
	set_value "$root" "$name" invalid_frees $((s + 1))
	set_value "$root" "$name" double_frees $((s + 2))
	set_value "$root" "$name" poison_errors $((s % 4))
	set_value "$root" "$name" redzone_errors $((s % 3 + 1))
	set_value "$root" "$name" freelist_errors $((s % 2))
	set_value "$root" "$name" quarantined $quarantined
	set_value "$root" "$name" min_blocks $nr_blocks
	set_value "$root" "$name" max_blocks $nr_blocks
	set_value "$root" "$name" nr_regions 1
	set_value "$root" "$name" grows 0
	set_value "$root" "$name" shrinks 0
	set_value "$root" "$name" grow_failures 0
	set_value "$root" "$name" flags "$flags"
}

# The files mempool_mod 1.2.0 added; a 1.1 module has none of them.
region_fields="min_blocks max_blocks nr_regions grows shrinks grow_failures"

# make_old_pool ROOT NAME SEED FLAGS: the same pool on a 1.1 module.
make_old_pool() {
	local f
	make_pool "$@"
	for f in $region_fields; do
		rm "$1/$2/$f"
	done
}

# grow_pool ROOT NAME GROW_BLOCKS MAX_REGIONS GROWS SHRINKS FAILURES: make
# pool NAME (as make_pool left it) one of mpool_create_args(), its first
# region its min_blocks, up to MAX_REGIONS regions of GROW_BLOCKS more,
# which grew GROWS times, shrank SHRINKS times and failed to grow
# FAILURES times: it has 1 + GROWS - SHRINKS regions, and its nr_blocks,
# region_bytes and free follow.
grow_pool() {
	local root=$1 name=$2 grow=$3 regions=$4 grows=$5 shrinks=$6 failures=$7
	local min nr_blocks
	min=$(value "$root" "$name" min_blocks)
	nr_blocks=$((min + (grows - shrinks) * grow))
	set_value "$root" "$name" max_blocks $((min + (regions - 1) * grow))
	set_value "$root" "$name" nr_regions $((1 + grows - shrinks))
	set_value "$root" "$name" grows "$grows"
	set_value "$root" "$name" shrinks "$shrinks"
	set_value "$root" "$name" grow_failures "$failures"
	set_value "$root" "$name" nr_blocks $nr_blocks
	set_value "$root" "$name" region_bytes $((nr_blocks * $(value "$root" "$name" stride)))
	set_value "$root" "$name" free $((nr_blocks - $(value "$root" "$name" in_use) -
					  $(value "$root" "$name" quarantined)))
}

# Every file of a pool that holds a number, as the spec lists them.
fields="block_size align stride nr_blocks region_bytes meta_bytes
	redzone_bytes cache_size in_use free cached peak_in_use allocs frees
	alloc_failures invalid_frees double_frees poison_errors redzone_errors
	freelist_errors quarantined $region_fields"

refused() {
	echo $(($(value "$1" "$2" invalid_frees) + $(value "$1" "$2" double_frees)))
}

errors() {
	echo $(($(value "$1" "$2" poison_errors) + $(value "$1" "$2" redzone_errors) +
		$(value "$1" "$2" freelist_errors)))
}

# run ROOT ARGS...: the tool on ROOT, its output in $tmp/out, its
# messages in $tmp/err, its exit status in $rc.
run() {
	local root=$1
	shift
	MPOOLSTAT_SYSFS=$root "$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# start ROOT ARGS...: the tool in the background, as run; wait_done
# returns when it ended.
start() {
	local root=$1
	shift
	MPOOLSTAT_SYSFS=$root "$tool" "$@" >"$tmp/out" 2>"$tmp/err" &
	bg=$!
}
wait_done() {
	wait "$bg"
	rc=$?
}

# hold_at FIFO VALUE COMMAND...: once the tool opened FIFO, a file of its
# tree, to read it (the open for writing waits for that, with a hang
# guard of 60 s), run COMMAND (a program, not a function of this script)
# while the tool waits for the value, then give it VALUE.  COMMAND runs
# while the tool is where it reads FIFO, wherever that is in time.  False
# if the tool never opened FIFO, or COMMAND failed; then the tool is
# killed, for wait_done not to wait for ever.
hold_at() {
	local fifo=$1 value=$2
	shift 2
	timeout 60 bash -c '
		fifo=$1 value=$2
		shift 2
		exec 3>"$fifo" || exit 1
		"$@"
		status=$?
		printf "%s\n" "$value" >&3
		exit $status' _ "$fifo" "$value" "$@" && return 0
	kill "$bg" 2>/dev/null
	return 1
}

# table_cell NAME COLUMN [N]: the cell of pool NAME under header COLUMN
# in the table of sample N (default 1) in $tmp/out; samples are
# paragraphs, each with its header.
table_cell() {
	awk -v pool="$1" -v col="$2" -v n="${3:-1}" '
		/^$/ { t++; next }
		t + 1 != n { next }
		!c { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$1 == pool { print $c }' "$tmp/out"
}

# table_pools [N]: the pools of the table of sample N, in order.
table_pools() {
	awk -v n="${1:-1}" '
		/^$/ { t++; h = 0; next }
		t + 1 != n { next }
		!h++ { next }
		{ print $1 }' "$tmp/out" | paste -sd' '
}

# prom_well_formed: each family's HELP and TYPE once in $tmp/out, before
# its samples, its samples grouped; _total for counters only.
prom_well_formed() {
	awk '
		/^# HELP / { help[$3]++; next }
		/^# TYPE / { if (!($3 in help) || ($3 in seen)) bad = 1; type[$3] = $4; next }
		{
			name = $1; sub(/\{.*/, "", name)
			if (!(name in type)) { print "# no TYPE before " name; bad = 1 }
			if (type[name] == "counter" && name !~ /_total$/) bad = 1
			if (type[name] != "counter" && name ~ /_total$/) bad = 1
			if (name !~ /^mempool_mod_/ || $0 !~ /\{pool="/) bad = 1
			if (last != "" && name != last && (name in seen)) { print "# " name " split"; bad = 1 }
			seen[name] = 1; last = name; n++
		}
		END {
			for (f in help) if (help[f] != 1) bad = 1
			for (f in type) if (!(f in seen)) { print "# " f " has no sample"; bad = 1 }
			exit bad || n == 0
		}' "$tmp/out"
}

# sorted_by ROOT COLUMN POOL...: the POOLs in mpoolstat's order for -s
# COLUMN, computed from the file COLUMN of each (largest first, ties in
# name order).
sorted_by() {
	local root=$1 col=$2 pool
	shift 2
	for pool; do
		echo "$pool $(value "$root" "$pool" "$col")"
	done | sort -k2,2nr -k1,1 | cut -d' ' -f1 | paste -sd' '
}

# json POOL FILTER: FILTER applied to pool POOL of sample N (default 1)
# of the JSON in $tmp/out.
json() {
	jq -r --arg pool "$1" "select(.sample == ${3:-1}) | .pools[] | select(.name == \$pool) | $2" \
		"$tmp/out"
}

echo "TAP version 13"
echo "1..35"

# ---- the module is not loaded -------------------------------------------
run "$tmp/no-such-dir"
[ "$rc" -eq 3 ] && grep -q "no such directory" "$tmp/err" && [ ! -s "$tmp/out" ]
ok $? "no pool directory: exit status 3, said on stderr, nothing on stdout"

run "$tmp/no-such-dir" --json
[ "$rc" -eq 3 ] && [ ! -s "$tmp/out" ]
ok $? "no pool directory with --json: exit status 3, no document"

# ---- one sample ---------------------------------------------------------
root=$tmp/three
make_pool "$root" alpha 5 PU
make_pool "$root" beta 2 -
make_pool "$root" gamma 9 PZU
# Each sort key a different order: in_use gamma alpha beta, allocs beta
# alpha gamma, block_size alpha gamma beta, refused beta gamma alpha.
set_pool() {
	set_value "$root" "$1" in_use "$2"
	set_value "$root" "$1" allocs "$3"
	set_value "$root" "$1" frees $(($3 - $2))
	set_value "$root" "$1" block_size "$4"
	set_value "$root" "$1" invalid_frees "$5"
	set_value "$root" "$1" double_frees "$6"
}
set_pool alpha 300 9000 512 1 1
set_pool beta 50 12000 64 10 0
set_pool gamma 700 800 128 0 5

run "$root"
bad=0
for pool in alpha beta gamma; do
	for col in block_size nr_blocks max_blocks in_use free peak_in_use allocs frees \
		   alloc_failures flags; do
		[ "$(table_cell $pool $col)" = "$(value "$root" $pool $col)" ] ||
			{ echo "# $pool $col: $(table_cell $pool $col), wrote $(value "$root" $pool $col)"; bad=1; }
	done
	[ "$(table_cell $pool regions)" = "$(value "$root" $pool nr_regions)" ] || bad=1
	[ "$(table_cell $pool refused)" = "$(refused "$root" $pool)" ] || bad=1
	[ "$(table_cell $pool errors)" = "$(errors "$root" $pool)" ] || bad=1
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 4 ]
ok $? "table: a row per pool, every cell the value written, refused and errors summed"

[ "$(awk 'NR > 1 { print $1 }' "$tmp/out" | paste -sd' ')" = "alpha beta gamma" ]
ok $? "table: sorted by name by default"

for col in in_use allocs block_size; do
	want=$(for pool in alpha beta gamma; do
		echo "$pool $(value "$root" $pool $col)"
	done | sort -k2,2nr -k1,1 | cut -d' ' -f1 | paste -sd' ')
	run "$root" -s $col
	[ "$rc" -eq 0 ] && [ "$(awk 'NR > 1 { print $1 }' "$tmp/out" | paste -sd' ')" = "$want" ]
	ok $? "table: -s $col sorts largest first ($want)"
done

run "$root" -s refused
want=$(for pool in alpha beta gamma; do
	echo "$pool $(refused "$root" $pool)"
done | sort -k2,2nr -k1,1 | cut -d' ' -f1 | paste -sd' ')
[ "$rc" -eq 0 ] && [ "$(awk 'NR > 1 { print $1 }' "$tmp/out" | paste -sd' ')" = "$want" ]
ok $? "table: -s refused sorts by invalid_frees + double_frees ($want)"

run "$root" --json
bad=0
for pool in alpha beta gamma; do
	for f in $fields flags; do
		[ "$(json $pool ".$f")" = "$(value "$root" $pool $f)" ] ||
			{ echo "# $pool $f: $(json $pool ".$f"), wrote $(value "$root" $pool $f)"; bad=1; }
	done
	[ "$(json $pool .refused)" = "$(refused "$root" $pool)" ] || bad=1
	[ "$(json $pool .errors)" = "$(errors "$root" $pool)" ] || bad=1
	[ "$(json $pool '.delta, .rate' | paste -sd' ')" = "null null" ] || bad=1
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] &&
	[ "$(jq -c '[.sample, .interval_s, .gone]' "$tmp/out")" = '[1,null,[]]' ]
ok $? "--json: one document, every raw value written, no delta without -i"

# Prometheus: every sample line's value, HELP and TYPE once per family
# and before its samples, counters named _total.
run "$root" --prometheus
bad=0
for pool in alpha beta gamma; do
	for pair in allocs_total:allocs frees_total:frees alloc_failures_total:alloc_failures \
		    blocks:nr_blocks blocks_in_use:in_use blocks_free:free \
		    block_size_bytes:block_size region_bytes:region_bytes; do
		grep -qx "mempool_mod_${pair%%:*}{pool=\"$pool\"} $(value "$root" $pool ${pair#*:})" "$tmp/out" ||
			{ echo "# $pool: no mempool_mod_${pair%%:*} $(value "$root" $pool ${pair#*:})"; bad=1; }
	done
	grep -qx "mempool_mod_refused_frees_total{pool=\"$pool\",reason=\"double\"} $(value "$root" $pool double_frees)" "$tmp/out" || bad=1
	grep -qx "mempool_mod_corruptions_total{pool=\"$pool\",kind=\"redzone\"} $(value "$root" $pool redzone_errors)" "$tmp/out" || bad=1
	grep -qx "mempool_mod_pool_info{pool=\"$pool\",flags=\"$(value "$root" $pool flags)\"} 1" "$tmp/out" || bad=1
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]
ok $? "--prometheus: each pool's values as written, with a pool label"

prom_well_formed
ok $? "--prometheus: each family's HELP and TYPE once, before its samples, grouped; _total for counters only"

# A name that needs escaping, in JSON and in a label value.
root=$tmp/quote
make_pool "$root" 'q"x\y' 1 -
run "$root" --json
[ "$rc" -eq 0 ] && [ "$(jq -r '.pools[0].name' "$tmp/out")" = 'q"x\y' ]
ok $? "--json: a pool name with a quote and a backslash comes back intact"
run "$root" --prometheus
grep -qx 'mempool_mod_allocs_total{pool="q\\"x\\\\y"} '"$(value "$root" 'q"x\y' allocs)" "$tmp/out"
ok $? "--prometheus: the same name escaped in its label"

# ---- broken trees: errors, not a crash or a silent drop -----------------
root=$tmp/broken
make_pool "$root" alpha 3 -
rm "$root/alpha/frees"
run "$root"
[ "$rc" -eq 1 ] && grep -q "alpha/frees" "$tmp/err"
ok $? "a pool missing a file: exit status 1, the file named"

make_pool "$root" alpha 3 -
set_value "$root" alpha in_use 12abc
run "$root"
[ "$rc" -eq 1 ] && grep -q "alpha/in_use: not a value" "$tmp/err"
ok $? "a file that is not a number: exit status 1, the file named"

# ---- regions (1.2): grown pools -----------------------------------------
# fixed is mpool_create()'s one region; grown has 4 of its 10 regions of
# 100 blocks (grew 4 times, shrank once, failed twice); wide has 2 of 3 of
# 2000.  Each sort key a different order: name fixed grown wide,
# nr_regions grown wide fixed, max_blocks wide grown fixed.
root=$tmp/regions
make_pool "$root" fixed 3 -
make_pool "$root" grown 1 P
grow_pool "$root" grown 100 10 4 1 2
make_pool "$root" wide 2 -
grow_pool "$root" wide 2000 3 1 0 0

run "$root"
bad=0
for pool in fixed grown wide; do
	for col in nr_blocks max_blocks free; do
		[ "$(table_cell $pool $col)" = "$(value "$root" $pool $col)" ] ||
			{ echo "# $pool $col: $(table_cell $pool $col), wrote $(value "$root" $pool $col)"; bad=1; }
	done
	[ "$(table_cell $pool regions)" = "$(value "$root" $pool nr_regions)" ] ||
		{ echo "# $pool regions: $(table_cell $pool regions), wrote $(value "$root" $pool nr_regions)"; bad=1; }
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ ! -s "$tmp/err" ] &&
	[ "$(table_cell grown regions)" = 4 ] && [ "$(table_cell grown max_blocks)" = 1910 ]
ok $? "regions: the table shows each pool's nr_blocks, max_blocks and regions as written (grown: 4 regions, max 1910)"

bad=0
for col in regions max_blocks; do
	file=$col
	[ $col = regions ] && file=nr_regions
	want=$(sorted_by "$root" $file fixed grown wide)
	run "$root" -s $col
	[ "$rc" -eq 0 ] && [ "$(table_pools)" = "$want" ] ||
		{ echo "# -s $col: $(table_pools), want $want"; bad=1; }
done
[ "$bad" -eq 0 ] && [ "$(sorted_by "$root" nr_regions fixed grown wide)" = "grown wide fixed" ] &&
	[ "$(sorted_by "$root" max_blocks fixed grown wide)" = "wide grown fixed" ]
ok $? "regions: -s regions and -s max_blocks sort largest first"

run "$root" --json
bad=0
for pool in fixed grown wide; do
	for f in $region_fields nr_blocks; do
		[ "$(json $pool ".$f")" = "$(value "$root" $pool $f)" ] ||
			{ echo "# $pool $f: $(json $pool ".$f"), wrote $(value "$root" $pool $f)"; bad=1; }
	done
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] &&
	[ "$(json grown '[.grows, .shrinks, .grow_failures] | join(" ")')" = "4 1 2" ]
ok $? "regions: --json has the six fields of 1.2 as written"

run "$root" --prometheus
bad=0
for pool in fixed grown wide; do
	for pair in blocks_min:min_blocks blocks_max:max_blocks regions:nr_regions \
		    grows_total:grows shrinks_total:shrinks grow_failures_total:grow_failures; do
		grep -qx "mempool_mod_${pair%%:*}{pool=\"$pool\"} $(value "$root" $pool ${pair#*:})" "$tmp/out" ||
			{ echo "# $pool: no mempool_mod_${pair%%:*} $(value "$root" $pool ${pair#*:})"; bad=1; }
	done
done
for family in blocks_min:gauge blocks_max:gauge regions:gauge grows_total:counter \
	      shrinks_total:counter grow_failures_total:counter; do
	grep -qx "# TYPE mempool_mod_${family%%:*} ${family#*:}" "$tmp/out" &&
		grep -q "^# HELP mempool_mod_${family%%:*} [A-Z]" "$tmp/out" ||
		{ echo "# no HELP or TYPE ${family#*:} for mempool_mod_${family%%:*}"; bad=1; }
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && prom_well_formed
ok $? "regions: --prometheus has gauges blocks_min, blocks_max, regions and counters grows, shrinks, grow_failures, with HELP"

# ---- an older module (1.1): no region files -----------------------------
root=$tmp/old
make_old_pool "$root" alpha 5 PU
make_old_pool "$root" beta 2 -
run "$root"
bad=0
for pool in alpha beta; do
	for col in nr_blocks in_use free allocs flags; do
		[ "$(table_cell $pool $col)" = "$(value "$root" $pool $col)" ] || bad=1
	done
	[ "$(table_cell $pool max_blocks) $(table_cell $pool regions)" = "- -" ] ||
		{ echo "# $pool: max_blocks and regions $(table_cell $pool max_blocks) $(table_cell $pool regions)"; bad=1; }
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ ! -s "$tmp/err" ] && [ ! -e "$root/alpha/nr_regions" ]
ok $? "1.1 module: the table, status 0, nothing on stderr; max_blocks and regions show -"

run "$root" --json
bad=0
for pool in alpha beta; do
	for f in $region_fields; do
		[ "$(json $pool "has(\"$f\") and .$f == null")" = true ] ||
			{ echo "# $pool $f: $(json $pool ".$f")"; bad=1; }
	done
	for f in nr_blocks in_use allocs; do
		[ "$(json $pool ".$f")" = "$(value "$root" $pool $f)" ] || bad=1
	done
done
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ ! -s "$tmp/err" ]
ok $? "1.1 module: --json, status 0; the six fields of 1.2 are there and null, the others as written"

run "$root" --prometheus
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] &&
	! grep -Eq 'mempool_mod_(blocks_min|blocks_max|regions|grows_total|shrinks_total|grow_failures_total)' "$tmp/out" &&
	grep -qx "mempool_mod_allocs_total{pool=\"alpha\"} $(value "$root" alpha allocs)" "$tmp/out" &&
	prom_well_formed
ok $? "1.1 module: --prometheus, status 0; no family of 1.2 (not even its HELP), the others as before"

# Sorting by a column a 1.1 pool has no value for: such pools last, in
# name order, after the 1.2 pool zeta (last by name).
cp -a "$tmp/old" "$tmp/mixed"
make_pool "$tmp/mixed" zeta 7 -
bad=0
for col in regions max_blocks; do
	run "$tmp/mixed" -s $col
	[ "$rc" -eq 0 ] && [ "$(table_pools)" = "zeta alpha beta" ] ||
		{ echo "# -s $col: $(table_pools)"; bad=1; }
	[ "$(table_cell zeta regions)" = 1 ] && [ "$(table_cell alpha regions)" = - ] || bad=1
done
run "$root" -s regions
[ "$bad" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(table_pools)" = "alpha beta" ]
ok $? "-s regions and -s max_blocks: pools without the value (1.1) last, in name order"

# A 1.2 pool missing one of its region files is broken, not old.
root=$tmp/partial
make_pool "$root" alpha 3 -
rm "$root/alpha/grows"
run "$root"
[ "$rc" -eq 1 ] && grep -q "alpha/grows" "$tmp/err"
ok $? "a pool with some of 1.2's files but not grows: exit status 1, the file named"

make_pool "$root" alpha 3 -
rm "$root/alpha/min_blocks"
run "$root"
[ "$rc" -eq 1 ] && grep -q "alpha/min_blocks" "$tmp/err"
ok $? "a pool with every file of 1.2 but min_blocks: exit status 1, the file named"

# ---- a pool destroyed while it is read ----------------------------------
# beta's in_use is a FIFO: the tool waits for its value, with beta's
# directory open.  Then beta goes, and the value comes: the tool's next
# file of beta is not there any more.
root=$tmp/midread
make_pool "$root" alpha 3 -
make_pool "$root" beta 4 -
rm "$root/beta/in_use"
mkfifo "$root/beta/in_use"
start "$root" --json
hold_at "$root/beta/in_use" 5 rm -rf "$root/beta"
reading=$?
wait_done
[ "$reading" -eq 0 ] && [ "$rc" -eq 0 ] &&
	[ "$(jq -c '[.pools[].name]' "$tmp/out")" = '["alpha"]' ] &&
	[ "$(jq -c .gone "$tmp/out")" = '["beta"]' ] &&
	grep -q "pool beta is gone" "$tmp/err"
ok $? "a pool destroyed while it is read: left out, listed in gone and said on stderr, status 0"

# ---- -i: activity between samples, pools that come and go --------------
# Two trees: what the first sample reads ($tmp/before) and the second
# ($tmp/after).  The tool reads $tmp/live, a link to the first; while it
# is held in the middle of its first sample (a FIFO of alpha's), the link
# is moved to the second.  A sample reads the tree it opened from first
# file to last, and the second sample opens the link again: the first
# sample is all before, the second all after, whatever the timing.
before=$tmp/before
root=$tmp/after
make_pool "$before" alpha 4 PU
grow_pool "$before" alpha 64 6 2 0 0
make_pool "$before" beta 6 -
make_pool "$before" gamma 8 Z
make_pool "$before" zulu 3 -
grow_pool "$before" zulu 32 8 3 1 0
# old stands for a 1.1 module's pool: mpoolstat decides pool by pool.
make_old_pool "$before" old 5 -
cp -a "$before" "$root"
# Between the samples: alpha allocates 500 blocks and frees 320, 7
# allocs fail, it grows 3 regions, gives 1 back and fails to grow twice;
# zulu grows 1 region and gives 2 back; old allocates and frees 10;
# beta is destroyed; gamma is destroyed and created again (its counters
# start over); delta appears.
for f in allocs frees alloc_failures in_use; do
	eval "alpha_$f=\$(value \"\$before\" alpha $f)"
done
set_value "$root" alpha allocs $((alpha_allocs + 500))
set_value "$root" alpha frees $((alpha_frees + 320))
set_value "$root" alpha alloc_failures $((alpha_alloc_failures + 7))
set_value "$root" alpha in_use $((alpha_in_use + 180))
grow_pool "$root" alpha 64 6 5 1 2
grow_pool "$root" zulu 32 8 4 3 0
set_value "$root" old allocs $(($(value "$before" old allocs) + 10))
set_value "$root" old frees $(($(value "$before" old frees) + 10))
rm -rf "$root/beta"
rm -rf "$root/gamma"
make_pool "$root" gamma 1 Z
make_pool "$root" delta 2 -
alpha_cached=$(value "$before" alpha cached)
rm "$before/alpha/cached"
mkfifo "$before/alpha/cached"
# two_samples ARGS...: the tool with -i 1 -c 2 ARGS, its first sample
# of $before, its second of $root ($tmp/after); $held 0 if it was held.
two_samples() {
	ln -sfn before "$tmp/live"
	ln -sfn after "$tmp/live.next"
	start "$tmp/live" -i 1 -c 2 "$@"
	hold_at "$before/alpha/cached" "$alpha_cached" mv -T "$tmp/live.next" "$tmp/live"
	held=$?
	wait_done
}
two_samples --json

[ "$held" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
	[ "$(json alpha .delta 1)" = null ] &&
	[ "$(json alpha '.delta | [.allocs, .frees, .alloc_failures, .in_use] | join(" ")' 2)" = "500 320 7 180" ]
ok $? "-i 1 -c 2 --json: two documents; alpha's delta is what the test did between them"

# The interval is measured: at least the one second asked for (and
# however long the first sample was held: no upper bound).
interval=$(jq -r 'select(.sample == 2) | .interval_s' "$tmp/out")
awk -v i="$interval" 'BEGIN { exit !(i >= 1) }'
ok $? "-i 1: the measured interval ($interval s) is at least 1 s"

rates=$(json alpha '.rate | [.allocs, .frees, .alloc_failures] | join(" ")' 2)
awk -v i="$interval" -v r="$rates" 'BEGIN {
	split(r, got, " "); split("500 320 7", d, " ")
	for (k = 1; k <= 3; k++) {
		want = d[k] / i
		if (got[k] == "" || got[k] - want > 0.001 + want * 1e-5 ||
		    want - got[k] > 0.001 + want * 1e-5)
			exit 1
	}
}'
ok $? "-i: alpha's rates ($rates) are its deltas (500 320 7) over interval_s"

[ "$(jq -c 'select(.sample == 2) | .gone' "$tmp/out")" = '["beta"]' ] &&
	[ "$(jq -c 'select(.sample == 2) | [.pools[].name]' "$tmp/out")" = '["alpha","delta","gamma","old","zulu"]' ] &&
	[ "$(jq -c 'select(.sample == 1) | [.pools[].name]' "$tmp/out")" = '["alpha","beta","gamma","old","zulu"]' ] &&
	grep -q "pool beta is gone" "$tmp/err"
ok $? "-i: a pool destroyed between samples is left out, listed in gone and said on stderr"

[ "$(json gamma .delta 2)" = null ] && [ "$(json delta .delta 2)" = null ] &&
	[ "$(json gamma .allocs 2)" = "$(value "$root" gamma allocs)" ]
ok $? "-i: no delta for a new pool, nor for one created again (counters went back)"

[ "$(json alpha '.delta | [.grows, .shrinks, .grow_failures] | join(" ")' 2)" = "3 1 2" ] &&
	[ "$(json zulu '.delta | [.grows, .shrinks, .grow_failures] | join(" ")' 2)" = "1 2 0" ] &&
	[ "$(json alpha .nr_regions 2)" = 5 ] && [ "$(json zulu .nr_regions 2)" = 2 ] &&
	[ "$(json old '.delta | [.allocs, .frees, .grows, .shrinks, .grow_failures] | tostring' 2)" = \
	  '[10,10,null,null,null]' ]
ok $? "-i --json: the region counters' deltas (alpha 3 1 2, zulu 1 2 0); null for a 1.1 pool, whose other deltas are there"

# The table's grows_delta and shrinks_delta, and each as a sort key: in
# the second sample alpha grew most and zulu shrank most; pools without
# them (new, created again, 1.1) last, in name order.
two_samples -s grows_delta
bad=0
[ "$held" -eq 0 ] && [ "$rc" -eq 0 ] || bad=1
[ "$(table_pools 1)" = "alpha beta gamma old zulu" ] ||
	{ echo "# first sample: $(table_pools 1)"; bad=1; }
[ "$(table_pools 2)" = "alpha zulu delta gamma old" ] ||
	{ echo "# -s grows_delta: $(table_pools 2)"; bad=1; }
for cell in alpha:grows_delta:3 alpha:shrinks_delta:1 zulu:grows_delta:1 \
	    zulu:shrinks_delta:2 old:grows_delta:- old:shrinks_delta:- \
	    gamma:grows_delta:- alpha:regions:5 zulu:regions:2 old:regions:-; do
	IFS=: read -r pool col want <<<"$cell"
	[ "$(table_cell $pool $col 2)" = "$want" ] ||
		{ echo "# $pool $col: $(table_cell $pool $col 2), want $want"; bad=1; }
done
[ "$(table_cell alpha grows_delta 1)" = - ] && [ "$(table_cell old allocs/s 2)" != - ] || bad=1
[ "$bad" -eq 0 ]
ok $? "-i table: grows_delta and shrinks_delta (alpha 3 1, zulu 1 2), - where not known; -s grows_delta sorts by them"

two_samples -s shrinks_delta
[ "$held" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(table_pools 2)" = "zulu alpha delta gamma old" ]
ok $? "-i -s shrinks_delta: zulu (2) before alpha (1), unknown last ($(table_pools 2))"

# ---- usage --------------------------------------------------------------
bad=0
for args in "-c 2" "-s nosuch" "-i 0" "-i x" "--json --prometheus" \
	    "-i 1 --prometheus" "-s allocs/s" "-s grows_delta" "-s shrinks_delta" \
	    "-s nr_regions" "extra"; do
	run "$tmp/three" $args
	[ "$rc" -eq 2 ] && grep -q -- "--help" "$tmp/err" || { echo "# $args: status $rc"; bad=1; }
done
run "$tmp/three" -h
[ "$bad" -eq 0 ] && [ "$rc" -eq 0 ] && grep -q "^Usage: mpoolstat" "$tmp/out"
ok $? "bad options: exit status 2 and a hint; -h: the usage, status 0"

exit $failed
