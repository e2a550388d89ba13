# SPDX-License-Identifier: GPL-2.0
# Reading tests.manifest: sourced by scripts/check.sh, not run.  The
# manifest's own header says what its columns mean.

MANIFEST=${MANIFEST:-$MPOOL_ROOT/tests.manifest}
# The debug kernels "all" stands for.
MANIFEST_KERNELS="6.1 6.12 6.12-rt 6.12-arm64"

# Print "SUITE BUDGET KIND COMMAND..." for each suite that TIER (check or
# full) runs on PLACE (host, or a debug kernel's series), in the
# manifest's order.
manifest_entries() {
	awk -v tier="$1" -v place="$2" -v kernels="$MANIFEST_KERNELS" '
	/^[ \t]*(#|$)/ { next }
	{
		where = ($3 == "all") ? kernels : $3
		gsub(/,/, " ", where)
		n = split(where, at, " ")
		runs = 0
		if (tier == "full")
			runs = (where == "host") == (place == "host")
		else if ($2 == "check")
			for (i = 1; i <= n; i++)
				if (at[i] == place)
					runs = 1
		if (!runs)
			next
		line = $1 " " $4
		for (i = 5; i <= NF; i++)
			line = line " " $i
		print line
	}' "$MANIFEST"
}

# The seconds PLACE's suites may take in TIER, in all.
manifest_budget() {
	manifest_entries "$1" "$2" | awk '{ s += $2 } END { print s + 0 }'
}

# Check the manifest against the tree: every line well formed, every
# suite named once, every place known; and every test the tree has run
# by some entry of `make check`: each KUnit module kunit/Kbuild builds,
# each fixture of each kselftest program (an entry without -f runs all of
# them), each guest shell test, the host build's check.  Prints what is
# wrong; fails if anything is.
manifest_covers_the_tree() (
	cd "$MPOOL_ROOT" || exit 1
	bad=0
	awk -v kernels="$MANIFEST_KERNELS" '
	/^[ \t]*(#|$)/ { next }
	{
		if (NF < 6 || ($2 != "check" && $2 != "full") ||
		    $4 !~ /^[1-9][0-9]*$/ ||
		    $5 !~ /^(kunit|kselftest|shell|host)$/) {
			print "tests.manifest:" NR ": malformed: " $0
			bad = 1
		}
		if ($1 in seen) {
			print "tests.manifest:" NR ": " $1 " named twice"
			bad = 1
		}
		seen[$1] = 1
		n = split($3, at, ",")
		for (i = 1; i <= n; i++)
			if (at[i] != "all" && at[i] != "host" &&
			    index(" " kernels " ", " " at[i] " ") == 0) {
				print "tests.manifest:" NR ": no kernel " at[i]
				bad = 1
			}
		if (($3 == "host") != ($5 == "host")) {
			print "tests.manifest:" NR ": host suites run on the host, and only they"
			bad = 1
		}
	}
	END { exit bad }' "$MANIFEST" || bad=1

	# What make check runs: "KIND COMMAND..." of every check entry.
	list=${TMPDIR:-/tmp}/manifest-check.$$
	awk '!/^[ \t]*(#|$)/ && $2 == "check" {
		line = $5
		for (i = 6; i <= NF; i++)
			line = line " " $i
		print line
	}' "$MANIFEST" >"$list"
	runs() { grep -q "$1" "$list"; }

	for ko in $(sed -n 's/^obj-m += \(.*\)\.o$/\1/p' kunit/Kbuild); do
		runs "^kunit $ko\.ko\b" ||
			{ echo "kunit/$ko.ko: no entry of make check runs it"; bad=1; }
	done
	for c in selftests/mempool_mod/*_test.c; do
		prog=$(basename "$c" .c)
		# An entry without -f runs every fixture.
		grep -E "^kselftest( [A-Z_]+=[^ ]*)* $prog\$" \
			"$list" >/dev/null && continue
		for f in $(sed -n 's/^FIXTURE(\([a-z0-9_]*\)) {$/\1/p' "$c"); do
			runs "^kselftest\( [A-Z_]*=[^ ]*\)* $prog .*-f $f\b" ||
				{ echo "$c: fixture $f: no entry of make check runs it"; bad=1; }
		done
		grep -Eq "^kselftest( [A-Z_]+=[^ ]*)* $prog( |\$)" \
			"$list" ||
			{ echo "$c: no entry of make check runs it"; bad=1; }
	done
	for sh in selftests/mempool_mod/*_test.sh; do
		runs "^shell ${sh##*/}\$" ||
			{ echo "$sh: no entry of make check runs it"; bad=1; }
	done
	for dir in tools/testing/*/; do
		runs "^host .*-C ${dir%/} check\$" ||
			{ echo "$dir: no entry of make check runs its check"; bad=1; }
	done
	rm -f "$list"
	exit $bad
)
