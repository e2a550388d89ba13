#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: build the Debian package mempool-mod-dkms from a copy of the
# tree (the clone stays clean) and check it with lintian.  The .deb and
# lintian's report land in out/deb/.  Exits 2 when only lintian failed.
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
deb=$(ls "$out"/mempool-mod-dkms_*_all.deb)
# Root lintian says so once; every other E: or W: line is a finding.
lintian --fail-on error,warning "$deb" >"$out/lintian.log" 2>&1 || {
	cat "$out/lintian.log" >&2
	echo "lintian: errors or warnings in $deb" >&2
	exit 2
}
echo "$deb"
