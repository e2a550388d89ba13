#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: build the Debian packages mempool-mod-dkms and
# mempool-mod-utils from a copy of the tree (the clone stays clean) and
# check both with lintian.  The .debs and lintian's report land in
# out/deb/.  Exits 2 when only lintian failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_packages $PACKAGING_PACKAGES

out=$MPOOL_ROOT/out/deb
rm -rf "$out"
mkdir -p "$out/build"
copy_tree "$out/build/mempool-mod"
run_logged "dpkg-buildpackage" "$out/build.log" \
	bash -c "cd '$out/build/mempool-mod' && dpkg-buildpackage -b -us -uc"
mv "$out"/build/*.deb "$out/"
debs=$(ls "$out"/mempool-mod-dkms_*_all.deb "$out"/mempool-mod-utils_*_"$(dpkg --print-architecture)".deb)
# Root lintian says so once; every other E: or W: line is a finding.
lintian --fail-on error,warning $debs >"$out/lintian.log" 2>&1 || {
	cat "$out/lintian.log" >&2
	echo "lintian: errors or warnings in" $debs >&2
	exit 2
}
echo "$debs"
