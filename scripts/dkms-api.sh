#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's POST_BUILD for mempool_mod (see dkms.conf): keep the API a
# consumer builds against, mempool_mod.h and the Module.symvers of the
# kernel just built for, in DIR, DKMS's own directory for that kernel's
# build, which DKMS removes with it.  It runs in the build directory,
# before DKMS deletes that.
#
# Usage: dkms-api.sh DIR
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 1
fi
install -d "$1"
install -m 0644 mempool_mod.h Module.symvers "$1/"
