#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mpoolstat against the module's real sysfs files: load the pool and the
# test driver, drive known activity through the driver's control file,
# and check that what mpoolstat prints is the sysfs values and what was
# driven, that -i's deltas are the activity driven between two samples
# and its rates those deltas over the interval it reports, and that a
# pool destroyed between two samples is left out.  TAP output.
#
# Both pools are mpool_create()'s, of one region: the columns of 1.2.0
# (max_blocks, regions) and its JSON fields and Prometheus series must be
# the sysfs values, 1 region and max_blocks = nr_blocks, and -i must show
# no region grown or given back.  Growth itself is tested on the host,
# against fake trees (tools/mpoolstat/host_test.sh).
#
# No activity has to land in a window of time: mpoolstat -i is stopped
# (SIGSTOP) in its sleep after the first sample, the activity is driven,
# and only then does it go on to its second sample (see
# sample_then_stop).
#
# The driver's commands (selftests/mempool_mod/test_mempool_mod.c): each
# alloc and free is one block; "double_free" allocates a block, frees it
# and frees it again; "free_outside" frees a pointer of no pool.

K=${MPOOL_KO_DIR:-/mpool}
S=/sys/kernel/mempool_mod
C=/sys/kernel/debug/test_mempool_mod/control
M=$K/mpoolstat
T=$(mktemp -d)
. "$(dirname "$0")/tap.sh"

ctl() {
	echo "$*" >$C
}

sysval() {
	cat "$S/$1/$2" 2>/dev/null
}

# table_cell FILE POOL COLUMN: a cell of a one-sample table.
table_cell() {
	awk -v pool="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$1 == pool { print $c }' "$1"
}

# json_value FILE SAMPLE POOL KEY [OBJECT]: KEY of POOL in the document
# of sample SAMPLE, or of its OBJECT (delta or rate) when given.
json_value() {
	awk -v sample="$2" -v pool="$3" -v key="$4" -v obj="${5:-}" '
	index($0, "{\"sample\":" sample ",") == 1 {
		n = split($0, chunk, "[{]\"name\":")
		for (i = 2; i <= n; i++) {
			if (index(chunk[i], "\"" pool "\",") != 1)
				continue
			s = chunk[i]
			if (obj != "") {
				if (!match(s, "\"" obj "\":\\{[^}]*\\}"))
					exit
				s = substr(s, RSTART, RLENGTH)
			}
			if (match(s, "\"" key "\":[^,}]*")) {
				v = substr(s, RSTART, RLENGTH)
				sub(/^"[^"]*":/, "", v)
				print v
			}
		}
	}' "$1"
}

# json_sample FILE SAMPLE KEY: a top-level value (interval_s, gone).
json_sample() {
	awk -v sample="$2" -v key="$3" '
	index($0, "{\"sample\":" sample ",") == 1 &&
	    match($0, "\"" key "\":(\\[[^]]*\\]|[^,}]*)") {
		v = substr($0, RSTART, RLENGTH)
		sub(/^"[^"]*":/, "", v)
		print v
	}' "$1"
}

# Sum of the sysfs values of POOL named after it.
sysval_sum() {
	pool=$1
	shift
	sum=0
	for f in "$@"; do
		sum=$((sum + $(sysval "$pool" "$f")))
	done
	echo $sum
}

# wait_for TRIES COMMAND...: poll COMMAND every 50 ms until it succeeds,
# TRIES times at most (a hang guard, not a measure); its status.
wait_for() {
	tries=$1
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		usleep 50000
	done
}

has_samples() {
	[ "$(wc -l <"$T/live.json")" -ge "$1" ]
}

# Whether $bg is stopped, or done (a zombie, or reaped).
stopped_or_done() {
	case "$(cut -d' ' -f3 "/proc/$bg/stat" 2>/dev/null)" in
	T | Z | "") return 0 ;;
	esac
	return 1
}

# The syscall of stopped $bg: clock_nanosleep is where mpoolstat sleeps
# between two samples, and nowhere else.  Its number is the
# architecture's: 230 on x86_64, asm-generic's 115 on arm64 and riscv64.
case $(uname -m) in
x86_64) clock_nanosleep_nr=230 ;;
aarch64 | riscv64) clock_nanosleep_nr=115 ;;
*)
	echo "Bail out! clock_nanosleep's number on $(uname -m) is not known here"
	exit 1 ;;
esac
in_sleep_between_samples() {
	[ "$(cut -d' ' -f1 "/proc/$bg/syscall" 2>/dev/null)" = "$clock_nanosleep_nr" ]
}

# sample_then_stop ARGS...: mpoolstat ARGS in the background, into
# $T/live.json and $T/live.err, stopped once its first sample is out,
# in its sleep before the second: what the test does until
# resume_sampling comes between the two samples, however slow the guest.
# Where the stop caught it is checked, not when: a stop that came after
# the sleep (the shell slower than the interval) starts it over.  The
# files are made here, not by the background shell's redirections, which
# may come after the first look.
sample_then_stop() {
	for try in 1 2 3 4 5; do
		: >"$T/live.json"
		: >"$T/live.err"
		"$M" "$@" >>"$T/live.json" 2>>"$T/live.err" &
		bg=$!
		wait_for 1200 has_samples 1 || break
		kill -STOP $bg 2>/dev/null
		wait_for 1200 stopped_or_done || break
		if ! has_samples 2 && in_sleep_between_samples; then
			return 0
		fi
		echo "# mpoolstat was not stopped in its sleep (try $try): again"
		kill -KILL $bg
		wait $bg
	done
	echo "# mpoolstat did not stop in its sleep between two samples"
	kill -KILL $bg 2>/dev/null
	return 1
}

# Let mpoolstat go on to its second sample; its exit status in $rc.
resume_sampling() {
	kill -CONT $bg
	wait $bg
	rc=$?
}

echo "TAP version 13"
echo "1..11"

insmod "$K/mempool_mod.ko" && insmod "$K/test_mempool_mod.ko" &&
	[ -d $S/default ] && [ "$(sysval default nr_blocks)" -gt 0 ]
ok $? "the module and the driver load; $S/default is there"

# The default pool: 10 allocs, 10 frees (create gives back what the
# driver holds).  Our pool mpst, 256 blocks of 48 bytes, P and U: 100
# allocs, 30 frees, a double free (one more alloc and free), a foreign
# free: in_use 70, allocs 101, frees 31, refused 2.
ctl alloc 10 && ctl free 4 && ctl create mpst 48 0 256 PU &&
	ctl alloc 100 && ctl free 30 && ctl double_free && ctl free_outside
ok $? "the driver made the activity"

"$M" >"$T/table" 2>"$T/table.err"
rc=$?
bad=0
for pool in default mpst; do
	for col in block_size nr_blocks max_blocks in_use free peak_in_use \
		   allocs frees alloc_failures flags; do
		[ "$(table_cell "$T/table" $pool $col)" = "$(sysval $pool $col)" ] ||
			{ echo "# $pool $col: $(table_cell "$T/table" $pool $col), sysfs $(sysval $pool $col)"; bad=1; }
	done
	[ "$(table_cell "$T/table" $pool regions)" = "$(sysval $pool nr_regions)" ] ||
		{ echo "# $pool regions: $(table_cell "$T/table" $pool regions), sysfs $(sysval $pool nr_regions)"; bad=1; }
	[ "$(table_cell "$T/table" $pool refused)" = \
	  "$(sysval_sum $pool invalid_frees double_frees)" ] || bad=1
	[ "$(table_cell "$T/table" $pool errors)" = \
	  "$(sysval_sum $pool poison_errors redzone_errors freelist_errors)" ] || bad=1
done
[ $rc -eq 0 ] && [ $bad -eq 0 ]
ok $? "the table: every cell of both pools is its sysfs value"

[ "$(table_cell "$T/table" mpst in_use)" = 70 ] &&
	[ "$(table_cell "$T/table" mpst allocs)" = 101 ] &&
	[ "$(table_cell "$T/table" mpst frees)" = 31 ] &&
	[ "$(table_cell "$T/table" mpst refused)" = 2 ] &&
	[ "$(table_cell "$T/table" mpst free)" = 186 ] &&
	[ "$(table_cell "$T/table" mpst nr_blocks)" = 256 ] &&
	[ "$(table_cell "$T/table" mpst max_blocks)" = 256 ] &&
	[ "$(table_cell "$T/table" mpst regions)" = 1 ] &&
	[ "$(table_cell "$T/table" mpst block_size)" = 48 ] &&
	[ "$(table_cell "$T/table" mpst flags)" = PU ] &&
	[ "$(table_cell "$T/table" default allocs)" = 10 ] &&
	[ "$(table_cell "$T/table" default frees)" = 10 ]
ok $? "the table: mpst in_use 70, allocs 101, frees 31, refused 2, free 186 of 256 (max 256, 1 region); default 10 allocs and frees"

"$M" --json >"$T/one.json"
rc=$?
bad=0
for pool in default mpst; do
	for f in block_size align stride nr_blocks region_bytes meta_bytes \
		 redzone_bytes cache_size in_use free cached peak_in_use allocs \
		 frees alloc_failures invalid_frees double_frees poison_errors \
		 redzone_errors freelist_errors quarantined min_blocks max_blocks \
		 nr_regions grows shrinks grow_failures; do
		[ "$(json_value "$T/one.json" 1 $pool $f)" = "$(sysval $pool $f)" ] ||
			{ echo "# $pool $f: $(json_value "$T/one.json" 1 $pool $f), sysfs $(sysval $pool $f)"; bad=1; }
	done
	[ "$(json_value "$T/one.json" 1 $pool flags)" = "\"$(sysval $pool flags)\"" ] || bad=1
done
[ $rc -eq 0 ] && [ $bad -eq 0 ]
ok $? "--json: every raw value of both pools is its sysfs value"

"$M" --prometheus >"$T/prom"
[ $? -eq 0 ] &&
	grep -qx "mempool_mod_blocks_in_use{pool=\"mpst\"} $(sysval mpst in_use)" "$T/prom" &&
	grep -qx "mempool_mod_allocs_total{pool=\"mpst\"} $(sysval mpst allocs)" "$T/prom" &&
	grep -qx "mempool_mod_refused_frees_total{pool=\"mpst\",reason=\"double\"} $(sysval mpst double_frees)" "$T/prom" &&
	grep -qx "mempool_mod_blocks{pool=\"default\"} $(sysval default nr_blocks)" "$T/prom" &&
	grep -qx "mempool_mod_regions{pool=\"mpst\"} 1" "$T/prom" &&
	grep -qx "mempool_mod_blocks_max{pool=\"mpst\"} 256" "$T/prom" &&
	grep -qx "mempool_mod_grows_total{pool=\"mpst\"} $(sysval mpst grows)" "$T/prom"
ok $? "--prometheus: the sysfs values, by pool label; mpst's 1 region of at most 256 blocks"

# Between two samples at least 3 s apart: 40 allocs and 15 frees, then
# the 161 blocks left (256 - 95), one alloc that fails, and 50 frees:
# allocs +201, frees +65, alloc_failures +1, in_use +136.
drove=1 rc=1
if sample_then_stop -i 3 -c 2 --json; then
	ctl alloc 40 && ctl free 15 && ctl alloc 161 &&
		! ctl alloc 1 2>/dev/null && ctl free 50
	drove=$?
	resume_sampling
fi
[ $drove -eq 0 ] && [ $rc -eq 0 ] &&
	[ "$(json_value "$T/live.json" 2 mpst allocs delta)" = 201 ] &&
	[ "$(json_value "$T/live.json" 2 mpst frees delta)" = 65 ] &&
	[ "$(json_value "$T/live.json" 2 mpst alloc_failures delta)" = 1 ] &&
	[ "$(json_value "$T/live.json" 2 mpst in_use delta)" = 136 ] &&
	[ "$(json_value "$T/live.json" 2 mpst in_use)" = "$(sysval mpst in_use)" ]
ok $? "-i 3 -c 2: mpst's deltas are the activity driven between the samples (201 65 1 136)"

interval=$(json_sample "$T/live.json" 2 interval_s)
rates="$(json_value "$T/live.json" 2 mpst allocs rate) $(json_value "$T/live.json" 2 mpst frees rate) $(json_value "$T/live.json" 2 mpst alloc_failures rate)"
awk -v i="$interval" -v r="$rates" 'BEGIN {
	if (i + 0 < 3)
		exit 1
	split(r, got, " "); split("201 65 1", d, " ")
	for (k = 1; k <= 3; k++) {
		want = d[k] / i
		if (got[k] == "" || got[k] - want > 0.001 + want * 1e-5 ||
		    want - got[k] > 0.001 + want * 1e-5)
			exit 1
	}
}'
ok $? "-i: interval_s $interval >= 3, and the rates ($rates) are the deltas over it"

[ "$(json_value "$T/live.json" 2 default allocs delta)" = 0 ] &&
	[ "$(json_value "$T/live.json" 2 default in_use delta)" = 0 ] &&
	[ "$(json_value "$T/live.json" 2 default grows delta)" = 0 ] &&
	[ "$(json_value "$T/live.json" 2 mpst grows delta)" = 0 ] &&
	[ "$(json_value "$T/live.json" 2 mpst shrinks delta)" = 0 ]
ok $? "-i: the default pool, left alone, shows no activity; neither pool grew nor shrank"

# A pool destroyed between two samples.
drove=1 rc=1
if sample_then_stop -i 2 -c 2 --json; then
	ctl destroy
	drove=$?
	resume_sampling
fi
[ $drove -eq 0 ] && [ $rc -eq 0 ] && [ ! -e $S/mpst ] &&
	[ -n "$(json_value "$T/live.json" 1 mpst nr_blocks)" ] &&
	[ -z "$(json_value "$T/live.json" 2 mpst nr_blocks)" ] &&
	[ -n "$(json_value "$T/live.json" 2 default nr_blocks)" ] &&
	[ "$(json_sample "$T/live.json" 2 gone)" = '["mpst"]' ] &&
	grep -q "pool mpst is gone" "$T/live.err"
ok $? "-i: a pool destroyed between samples is left out, listed in gone and said on stderr"

rmmod test_mempool_mod && rmmod mempool_mod
"$M" >"$T/none" 2>"$T/none.err"
rc=$?
[ $rc -eq 3 ] && grep -q "mempool_mod is not loaded" "$T/none.err" && [ ! -s "$T/none" ]
ok $? "after rmmod: exit status 3, 'mempool_mod is not loaded'"

rm -rf "$T"
exit $failed
