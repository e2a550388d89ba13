# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the scripts: sourced, not run.

MPOOL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MPOOL_CACHE=${MPOOL_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mempool_mod}

# The time since the script that sourced this started, as [+MM:SS].
stamp() {
	printf '[+%02d:%02d]' $((SECONDS / 60)) $((SECONDS % 60))
}

# Say that the step WHAT, begun at STARTED ($SECONDS then), is done, and
# how long it took; with MPOOL_STEPS set, append "SECONDS WHAT" to that
# file too.
step_done() {
	local started=$1 what=$2
	echo "    $(stamp) $((SECONDS - started)) s: $what" >&2
	[ -z "${MPOOL_STEPS:-}" ] ||
		echo "$((SECONDS - started)) $what" >>"$MPOOL_STEPS"
}

# Print a short line with the time it started and one with how long it
# took (step_done); keep the long output of "$@" in $log, shown on
# failure.
run_logged() {
	local what=$1 log=$2 started=$SECONDS rc=0
	shift 2
	echo "==> $(stamp) $what (log: $log)" >&2
	"$@" >"$log" 2>&1 || rc=$?
	step_done "$started" "$what"
	if [ "$rc" -ne 0 ]; then
		echo "FAILED: $what; last lines of $log:" >&2
		tail -n 40 "$log" >&2
		return 1
	fi
}

# Install the Debian packages in "$@" that are missing; as non-root, say how.
need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	mkdir -p "$MPOOL_CACHE"
	run_logged "apt-get install ${missing[*]}" "$MPOOL_CACHE/apt.log" \
		sh -c "apt-get -o DPkg::Lock::Timeout=600 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y ${missing[*]}"
}

# The packages every build-and-boot script needs.
BASE_PACKAGES="build-essential bc flex bison libelf-dev libssl-dev cpio dwarves
	kmod xz-utils qemu-system-x86 busybox-static libc6-dev"
# What building, checking and installing the Debian package needs.
PACKAGING_PACKAGES="debhelper dh-dkms dkms dpkg-dev lintian"

# Print the ABIs of the stock kernels of SERIES whose headers apt offers,
# oldest first: 6.1.0-NN-amd64 and 6.12.NNN+deb12-amd64 alike.  SERIES
# 6.12-rt (or 6.1-rt) gives the PREEMPT_RT flavour, -rt-amd64.
stock_abis() {
	local series=${1%-rt} flavour=amd64 re

	[ "$series" = "$1" ] || flavour=rt-amd64
	re=${series//./\\.}
	apt-cache search --names-only \
		"^linux-headers-$re(\.0-[0-9]+|\.[0-9]+\+deb[0-9]+)-$flavour\$" 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | sort -V
}

# Print the ABI of Debian's current stock kernel of SERIES: 6.1.0-NN-amd64
# as the linux-image-amd64 metapackage names it, else (6.12, which no
# metapackage points at) the newest of stock_abis; with WHICH=oldest, the
# oldest of them.  Refresh apt if it knows of none.
stock_abi() {
	local series=${1%-rt} which=${2:-current} flavour=amd64 abi re

	[ "$series" = "$1" ] || flavour=rt-amd64
	re=${series//./\\.}
	lookup() {
		if [ "$which" = oldest ]; then
			stock_abis "$1" | sed -n 1p
			return
		fi
		{
			apt-cache depends linux-image-$flavour 2>/dev/null |
				sed -n "s/.*Depends: linux-image-\($re\.[^ ]*-$flavour\)\$/\1/p"
			stock_abis "$1" | tac
		} | sed -n 1p
	}
	abi=$(lookup "$1")
	if [ -z "$abi" ]; then
		apt-get update >/dev/null 2>&1 || true
		abi=$(lookup "$1")
	fi
	[ -n "$abi" ] || { echo "no stock $series kernel in apt" >&2; return 1; }
	echo "$abi"
}

# Print the path of the boot image of Debian's stock kernel ABI, unpacked
# into the cache the first time from its package, downloaded and never
# installed: it is only booted.  LOG gets the download's output.
stock_image() {
	local abi=$1 log=$2 image=$MPOOL_CACHE/stock/$1/boot/vmlinuz-$1

	if [ ! -f "$image" ]; then
		mkdir -p "$MPOOL_CACHE/stock/$abi"
		run_logged "download linux-image-$abi" "$log" bash -c \
			"cd '$MPOOL_CACHE/stock' && apt-get download linux-image-$abi &&
			 dpkg-deb --fsys-tarfile linux-image-${abi}_*.deb |
				tar -C '$MPOOL_CACHE/stock/$abi' -x ./boot &&
			 rm -f linux-image-${abi}_*.deb"
	fi
	echo "$image"
}

# Copy the project's files to DEST, to build there: the clone stays clean
# and builds for different kernels don't mix.  In a git checkout, only the
# files git knows or would add: stale build products never stand in for a
# failed build.
copy_tree() {
	mkdir -p "$1"
	if git -C "$MPOOL_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$MPOOL_ROOT" ls-files -z -co --exclude-standard |
			tar -C "$MPOOL_ROOT" --null --ignore-failed-read -T - -cf -
	else
		tar -C "$MPOOL_ROOT" --exclude=./.git --exclude=./out \
			--exclude='*.o' --exclude='*.ko' -cf - .
	fi | tar -C "$1" -xf -
}

# Run apt-get or apt-cache ("$@") on the private apt state in DIR, whose
# sources.list the caller wrote: its own lists, cache and an empty dpkg
# status, so that neither the system's apt state nor what this host has
# installed plays a part; nothing is installed (apt-get download, then
# dpkg -x).  With APT_ARCH set, for that architecture alone.
private_apt() {
	local dir=$1 cmd=$2
	shift 2
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: >"$dir/status"
	"$cmd" -o Dir::Etc::sourcelist="$dir/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::status="$dir/status" \
		-o Dir::Cache="$dir/cache" \
		${APT_ARCH:+-o APT::Architecture="$APT_ARCH" -o APT::Architectures="$APT_ARCH"} \
		-o Acquire::Languages=none -o Acquire::Retries=1 \
		-o Acquire::http::Timeout=30 -o APT::Sandbox::User=root "$@"
}

# private_apt for the foreign architecture $APT_ARCH (e.g. arm64) under
# $MPOOL_CACHE/apt-$APT_ARCH/: this host's own Debian suites (deb822
# stanzas of /etc/apt/sources.list.d/debian.sources, with their
# Signed-By), for that architecture.  foreign_apt apt-get update first.
foreign_apt() {
	local dir=$MPOOL_CACHE/apt-$APT_ARCH
	mkdir -p "$dir"
	if [ ! -f "$dir/sources.list" ] || [ "$*" = "apt-get update" ]; then
		awk 'function flush() {
			if (uris != "" && suites != "") {
				n = split(uris, u, " "); m = split(suites, s, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
					printf "deb [%s] %s %s %s\n", opts, u[i], s[j], comps
			}
			uris = suites = comps = ""; opts = "trusted=yes"
		}
		BEGIN { opts = "trusted=yes" }
		/^[[:space:]]*$/ { flush(); next }
		/^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
		/^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
		/^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
		/^Signed-By:[[:space:]]*\// { opts = "signed-by=" $2 }
		END { flush() }' /etc/apt/sources.list.d/debian.sources >"$dir/sources.list"
	fi
	private_apt "$dir" "$@"
}
