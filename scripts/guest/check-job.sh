#!/bin/sh
# The `make check` job, run in the guest: the suites the host listed in
# /mpool/suites (from tests.manifest: "SUITE BUDGET KIND COMMAND..."), in
# that order, then a kmemleak scan.  Each part is framed by
# "### BEGIN KIND NAME" and "### END rc=N" lines for
# scripts/parse-results.awk; the host times them as they arrive.
K=$MPOOL_KO_DIR
KMEMLEAK=/sys/kernel/debug/kmemleak

begin() { echo "### BEGIN $1 $2"; }
end() { echo "### END rc=$1"; }

# A KUnit module runs its suites at insmod; their results stay in
# debugfs until its rmmod.  The pool stays loaded from one to the next.
run_kunit() {
	local rc=0 ko=$1 suite
	shift
	[ -d /sys/module/mempool_mod ] || insmod $K/mempool_mod.ko || rc=1
	if [ $rc -eq 0 ] && insmod $K/$ko "$@"; then
		for suite in /sys/kernel/debug/kunit/*/; do
			cat "$suite/results"
		done
		rmmod ${ko%.ko} || rc=1
	else
		rc=1
	fi
	return $rc
}

# VAR=value words first, as its environment, then a program in $K and
# its options.
run_program() {
	local envs=
	while [ $# -gt 0 ]; do
		case $1 in
		*=*) envs="$envs $1"; shift ;;
		*) break ;;
		esac
	done
	local prog=$1
	shift
	# shellcheck disable=SC2086
	(cd $K && env $envs ./$prog "$@")
}

# The selftests and shell tests load the pool themselves, with their
# own parameters.
unload_pool() {
	[ ! -d /sys/module/mempool_mod ] || rmmod mempool_mod
}

# Forget what boot allocated: only what the tests leak is of interest.
echo clear >$KMEMLEAK

# The concurrency cases are only as good as the CPUs they run on.
begin tap guest
echo "1..1"
cpus=$(grep -c ^processor /proc/cpuinfo)
if [ "$cpus" -eq 4 ]; then
	echo "ok 1 4 CPUs online"
else
	echo "not ok 1 4 CPUs online: $cpus"
fi
end 0

while read -r name budget kind cmd; do
	case $kind in
	kunit)
		begin ktap "$name"
		# shellcheck disable=SC2086 # the module and its parameters
		run_kunit $cmd </dev/null
		end $?
		;;
	kselftest)
		unload_pool
		begin tap "$name"
		# shellcheck disable=SC2086 # words, as the manifest splits them
		run_program $cmd </dev/null
		end $?
		;;
	shell)
		unload_pool
		begin tap "$name"
		sh $K/$cmd </dev/null
		end $?
		;;
	*)
		begin tap "$name"
		echo "not ok 1 $name: no such kind of suite in the guest: $kind"
		end 1
		;;
	esac
done <$K/suites
unload_pool

# kmemleak reports only objects older than 5 s, and only from the second
# scan on: the first one records every object's checksum.
begin kmemleak scan
rc=0
sleep 6
echo scan >$KMEMLEAK || rc=1
echo scan >$KMEMLEAK || rc=1
cat $KMEMLEAK || rc=1
end $rc
