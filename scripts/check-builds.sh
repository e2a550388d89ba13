# SPDX-License-Identifier: GPL-2.0
# The build-only places of `make check`, sourced by scripts/check.sh (as
# scripts/check-package.sh is), each into out/check/<place>/ledger:
#   riscv64, armhf  the pool, the tests and the sample, built with all
#                   warnings on and sparse against Debian's 6.12 configured
#                   for that architecture (check_cross);
#   newest          the same, for x86_64, against the newest kernel source
#                   of Debian sid (check_newest).
# Nothing of these boots: the trees are prepared for modules only
# (scripts/build-tree.sh), cheap enough for every run.
#
# They use check.sh's pass, fail, host_check and build_check, and its
# $checks; they set $series, $out and $ledger as check_kernel does.

# The cross compilers these places (and the package's arm64 DKMS build)
# build with.
BUILDS_PACKAGES="gcc-riscv64-linux-gnu gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu sparse"

# A tree of modules_prepare has no Module.symvers of vmlinux: modpost,
# told so (KBUILD_MODPOST_WARN=1), warns that the file is missing and
# that each of the kernel's symbols, then that some more, are undefined.
# Those lines, and only those, are not the code's warnings: whether the
# symbols exist is imports_exported's check.
NO_SYMVERS_IGNORE='WARNING: (.*/)?Module\.symvers is missing|WARNING: modpost: "[A-Za-z0-9_.]+" \[[^]]+\] undefined!$|WARNING: modpost: suppressed [0-9]+ unresolved symbol warnings because there were too many\)$'

# sparse's macro expander gives up on the gfp flags' table that
# show_gfp_flags() expands in a trace event, since 7.x: the kernel's own
# include/trace/events/kmem.h gets the same error.
NEWEST_SPARSE_IGNORE='src/trace_events\.h:[0-9]+:[0-9]+: error: too long token expansion$'

# Write "NOTRUN SERIES: WHAT" to the ledger: a check this run could not
# make, for a reason outside the code (Debian sid out of reach).  Neither
# passed nor failed: check.sh counts and lists these on their own.
not_run() { echo "NOTRUN $series: $*" >>"$ledger"; }

# What modpost could not check: every symbol that the modules KO... leave
# undefined is exported by the kernel source of KDIR (build-tree.sh's
# lists beside the tree) or by the pool (its Module.symvers, SYMVERS),
# and a module that uses a symbol of a namespace imports it.  NM: the nm
# of the modules' architecture.
imports_exported() {
	local kdir=$1 nm=$2 symvers=$3
	shift 3
	local ko
	[ $# -gt 0 ] || { echo "no module was built"; return 1; }
	for ko; do
		"$nm" -u "$ko" | awk -v ko="${ko##*/}" -v ns="$(modinfo -F import_ns "$ko" |
			tr -d '"' | tr '\n' ',')" '{ print $2, ko, "," ns }'
	done | sort -u | awk -v exports="$kdir/exports" -v prefixes="$kdir/export-prefixes" \
		-v namespaces="$kdir/exports-ns" -v symvers="$symvers" '
		BEGIN {
			while ((getline line < exports) > 0) known[line] = 1
			while ((getline line < symvers) > 0) { split(line, f, "\t"); known[f[2]] = 1 }
			while ((getline line < prefixes) > 0) prefix[line] = 1
			while ((getline line < namespaces) > 0) { split(line, f, " "); ns[f[1]] = f[2] }
		}
		($1 in ns) && index($3, "," ns[$1] ",") == 0 {
			print $1 " (" $2 "): in namespace " ns[$1] ", which the module does not import"
			bad = 1
		}
		{
			if ($1 in known) next
			for (p in prefix) if (index($1, p) == 1) next
			print $1 " (" $2 "): exported by neither the kernel source nor the pool"
			bad = 1
		}
		END { print NR " imports checked"; exit bad }'
}

# Whether sparse checked the build of LOG: kbuild says "CHECK" for each
# file it gives sparse, and quietly drops C= when sparse is too old for
# the kernel ("C=2 specified, but sparse is not available or not up to
# date", a make warning, not a compiler's).
sparse_ran() {
	grep -q '^  CHECK ' "$1" && ! grep -n 'C=[12] specified, but' "$1"
}

# Build the pool, the tests and the sample against the prepared tree
# KDIR (WHAT names it), as check_kernel does against a debug kernel:
# results into $ledger.  IGNORE: the log's lines that are not the code's
# warnings (besides NO_SYMVERS_IGNORE); the rest of the arguments go to
# every make (CHECK=...).
builds_against_tree() {
	local kdir=$1 what=$2 ignore=$3
	shift 3
	local args=()
	[ ! -f "$kdir/make-args" ] || read -ra args <"$kdir/make-args"
	args+=("$@" KBUILD_MODPOST_WARN=1)
	ignore="$NO_SYMVERS_IGNORE${ignore:+|$ignore}"

	build_pool_and_sample "$what" "$kdir" "$ignore" "$ignore" "${args[@]}"
	host_check "build: sparse checked that build" "$out/sparse.log" \
		sparse_ran "$out/build.log"

	local cross
	cross=$(sed -n 's/.*CROSS_COMPILE=\([^ ]*\).*/\1/p' "$kdir/make-args" 2>/dev/null)
	# shellcheck disable=SC2046
	host_check "build: every symbol the modules import is exported (modpost has no vmlinux to tell)" \
		"$out/imports.log" imports_exported "$kdir" "${cross}nm" "$src/Module.symvers" \
		$(find "$src" "$out/consumer" -name '*.ko' | sort)
}

# Prepare the tree of build-tree.sh ARGS..., described by WHAT: print
# its directory; one result in the ledger.
tree_for() {
	local what=$1 kdir
	shift
	if kdir=$("$MPOOL_ROOT"/scripts/build-tree.sh "$@" 2>"$out/tree.log"); then
		cat "$out/tree.log" >&2
		pass "build: $what, prepared for modules"
		echo "$kdir"
	else
		cat "$out/tree.log" >&2
		fail "build: $what, prepared for modules"
		return 1
	fi
}

# The checks of one architecture, $series (riscv64 or armhf), against
# Debian's 6.12 configured for it.
check_cross() {
	out=$checks/$series
	ledger=$out/ledger
	mkdir -p "$out"

	local kdir extra=()
	kdir=$(tree_for "Debian's 6.12 for $series (tinyconfig, debug.config, build-$series.config)" \
		"$series" 6.12) || return 0
	# bookworm's sparse stops on riscv's -march=..._zicsr_zifencei.
	[ "$series" != riscv64 ] || extra=(CHECK="$MPOOL_ROOT/scripts/sparse-riscv.sh")
	builds_against_tree "$kdir" "$series 6.12" '' "${extra[@]}"

	# The state byte's word-sized claim, which no kernel built here
	# picks (riscv before 6.10, arm for ARMv6, powerpc64, s390...): the
	# pool built with it forced, so that it keeps compiling cleanly.
	if [ "$series" = armhf ]; then
		local args=()
		read -ra args <"$kdir/make-args"
		copy_tree "$out/word"
		build_check "build: the pool with the word-sized state claim forced (W=1, sparse)" \
			"$out/word.log" "$NO_SYMVERS_IGNORE" nice -n 10 make -C "$out/word" \
			modules KDIR="$kdir" "${args[@]}" W=1 C=2 KBUILD_MODPOST_WARN=1 \
			KCFLAGS=-DMPOOL_STATE_CMPXCHG_WORD
	fi
}

# The checks against the newest kernel source of Debian sid, for x86_64;
# sid out of reach is said in one line, and recorded as not run.
check_newest() {
	series=newest
	# Its builds in a directory of their own: check-full's boot of the
	# newest kernel (check_kernel) builds in $checks/newest.
	out=$checks/$series/tree
	ledger=$checks/$series/ledger
	mkdir -p "$out"

	local rc=0 pkg='' version='' tarball='' sparse kdir
	read -r pkg version tarball < <("$MPOOL_ROOT"/scripts/newest-source.sh \
		2>"$out/sid.log" || echo "rc $?") || true
	[ "$pkg" != rc ] || rc=$version
	if [ "$rc" -eq 3 ]; then
		echo "==> $(stamp) newest: not built: $(sed 's/^newest-source: //' "$out/sid.log")" >&2
		not_run "build: against the newest kernel of Debian sid: $(sed 's/^newest-source: //' "$out/sid.log")"
		return 0
	elif [ "$rc" -ne 0 ] || [ -z "${tarball:-}" ]; then
		cat "$out/sid.log" >&2
		fail "build: the newest linux-source of Debian sid, fetched"
		return 0
	fi
	pass "build: the newest linux-source of Debian sid, fetched: $pkg $version"
	# C=2 on the newest kernel needs sid's sparse.
	if sparse=$("$MPOOL_ROOT"/scripts/newest-source.sh --sparse 2>"$out/sparse-build.log"); then
		cat "$out/sparse-build.log" >&2
		pass "build: sid's sparse, built from its source"
	else
		cat "$out/sparse-build.log" >&2
		fail "build: sid's sparse, built from its source"
		sparse=sparse
	fi
	kdir=$(tree_for "$pkg $version for x86_64 (tinyconfig, debug.config, build-x86_64.config)" \
		x86_64 newest) || return 0
	builds_against_tree "$kdir" "$pkg $version" "$NEWEST_SPARSE_IGNORE" \
		CHECK="$sparse"
}
