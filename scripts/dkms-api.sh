#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's POST_BUILD and POST_REMOVE for mempool_mod (see dkms.conf):
# install the API a consumer builds against, mempool_mod.h and the
# Module.symvers of the kernel just built for, into DIR; or remove it.
# POST_BUILD runs in the build directory, before DKMS deletes it.
#
# Usage: dkms-api.sh install|remove DIR
set -eu

case $1 in
install)
	install -d "$2"
	install -m 0644 mempool_mod.h Module.symvers "$2/"
	;;
remove)
	rm -f "$2/mempool_mod.h" "$2/Module.symvers"
	if [ -d "$2" ]; then
		rmdir "$2"
	fi
	;;
*)
	echo "usage: $0 install|remove DIR" >&2
	exit 1
	;;
esac
