#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a busybox initramfs whose /init runs JOB (a shell script) with the
# given files next to it in /mpool.  MPOOL_OVERLAY=DIR adds DIR's tree at
# the root (an installed /lib/modules, an /etc/modprobe.d).
#
# Usage: make-initramfs.sh OUT.cpio.gz JOB [FILE...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1 job=$2
shift 2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,mpool}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$MPOOL_ROOT/scripts/guest/init" "$root/init"
install -m 0755 "$job" "$root/mpool/job.sh"
for f in "$@"; do
	cp "$f" "$root/mpool/"
done
if [ -n "${MPOOL_OVERLAY:-}" ]; then
	cp -a "$MPOOL_OVERLAY/." "$root/"
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
