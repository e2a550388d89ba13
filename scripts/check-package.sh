# SPDX-License-Identifier: GPL-2.0
# The packaging checks of `make check`, sourced by scripts/check.sh: what
# a user or a packager does on a real machine, done on this host against
# Debian's stock 6.1 and 6.12 headers, and in QEMU on their kernels.
# This host is a throwaway CI machine: the checks install the .deb with
# dpkg and take it out again, and assert that nothing of it is left.

# The version, from the one place it is written, as the Makefile reads it.
mpool_version() {
	make -s -C "$MPOOL_ROOT" --no-print-directory version
}

# Every other place that names the version agrees with the header.
check_versions() {
	local v=$1 bad=0 tag
	printf 'header: %s\n' "$v"
	grep -q "^PACKAGE_VERSION=\"$v\"\$" "$MPOOL_ROOT/dkms.conf" ||
		{ echo "dkms.conf disagrees"; bad=1; }
	grep -q "^PACKAGE_VERSION=\"$v\"\$" "$MPOOL_ROOT/samples/mpool_sample/dkms.conf" ||
		{ echo "samples/mpool_sample/dkms.conf disagrees"; bad=1; }
	[ "$(dpkg-parsechangelog -l "$MPOOL_ROOT/debian/changelog" -S Version)" = "$v" ] ||
		{ echo "debian/changelog disagrees"; bad=1; }
	[ "$(sed -n 's/^## \([0-9][^ ]*\).*/\1/p' "$MPOOL_ROOT/CHANGELOG.md" | sed -n 1p)" = "$v" ] ||
		{ echo "CHANGELOG.md's newest entry disagrees"; bad=1; }
	# A release tag on this commit must be the header's.
	for tag in $(git -C "$MPOOL_ROOT" tag --points-at HEAD 'v*' 2>/dev/null); do
		[ "$tag" = "v$v" ] || { echo "tag $tag disagrees"; bad=1; }
	done
	return $bad
}

# The files `make install` installs, as the README lists them.
documented_install_files() {
	awk '/<!-- make install.s files/ { list = 1; next }
	     list && /^```$/ { if (started) exit; started = 1; next }
	     list && started { print }' "$MPOOL_ROOT/README.md"
}

# make install DESTDIR= KVER= stages exactly the documented files.
check_install() {
	local abi=$1 dest=$2 v=$3
	make -C "$src" install KVER="$abi" DESTDIR="$dest" &&
	(cd "$dest" && find . -type f | sed 's/^\.//' | sort) >"$out/install-got" &&
	documented_install_files | sed -e "s/<kver>/$abi/g" -e "s/<version>/$v/g" |
		sort >"$out/install-want" &&
	[ -s "$out/install-want" ] &&
	diff -u "$out/install-want" "$out/install-got"
}

# The promise of the README: a later 1.x adds fields to struct
# mpool_stats and struct mpool_args (at their ends) and to the private
# struct mpool, and no
# export's CRC changes, so a consumer built against the older module
# still loads on a MODVERSIONS kernel (Debian's).
check_crcs_stable() {
	local abi=$1 grown=$out/grown
	copy_tree "$grown"
	# A field at the end of each struct the header lets grow.
	awk '/^struct mpool_(stats|args) \{$/ { grow = 1 }
	     grow && /^};$/ { print "\tu64 a_field_added_later;"; grow = 0 }
	     { print }' "$src/mempool_mod.h" >"$grown/mempool_mod.h"
	sed -i 's/^\tchar name\[MPOOL_NAME_MAX + 1\];$/&\n\tunsigned long a_private_field_added_later;/' \
		"$grown/src/mpool.h"
	[ "$(grep -c a_field_added_later "$grown/mempool_mod.h")" = 2 ] &&
	grep -q a_private_field_added_later "$grown/src/mpool.h" &&
	make -C "$grown" KVER="$abi" modules &&
	cut -f1,2 "$src/Module.symvers" | sort >"$out/crcs-before" &&
	cut -f1,2 "$grown/Module.symvers" | sort >"$out/crcs-after" &&
	[ -s "$out/crcs-before" ] &&
	diff -u "$out/crcs-before" "$out/crcs-after"
}

# What the packages and DKMS may leave on the host, and nothing else: the
# depmod indexes of a kernel that had none, and DKMS's signing key.
host_files() {
	{ find /usr/src /lib/modules /var/lib/dkms /usr/share/doc/mempool-mod-dkms \
		/etc/modprobe.d /usr/bin/mpoolstat /usr/share/man/man1/mpoolstat.1.gz \
		/usr/share/doc/mempool-mod-utils 2>/dev/null || true; } |
		grep -Ev '^/lib/modules/[^/]+/modules\.[a-z.]+$|^/var/lib/dkms/mok\.(key|pub)$' |
		sort
}

# dpkg -i the utils package DEB: it puts the tool and its man page where
# a user finds them.
install_utils() {
	local f
	dpkg -i "$1" || return 1
	for f in /usr/bin/mpoolstat /usr/share/man/man1/mpoolstat.1.gz; do
		dpkg -L mempool-mod-utils | grep -qx "$f" ||
			{ echo "$f: not in the package"; return 1; }
		ls -l "$f" || return 1
	done
	[ -x /usr/bin/mpoolstat ]
}

# `man mpoolstat` finds the page and renders it without a warning.
man_page_renders() {
	MANWIDTH=80 man --warnings mpoolstat >"$out/man.txt" 2>"$out/man.err"
	cat "$out/man.err"
	[ ! -s "$out/man.err" ] && grep -q '^NAME' "$out/man.txt"
}

# This host never has the module loaded (it cannot load modules): the
# installed mpoolstat must say so, with its documented status 3.
mpoolstat_without_module() {
	local rc=0
	[ ! -e /sys/kernel/mempool_mod ] ||
		{ echo "/sys/kernel/mempool_mod exists on this host"; return 1; }
	env -u MPOOLSTAT_SYSFS /usr/bin/mpoolstat >"$out/mpoolstat.out" \
		2>"$out/mpoolstat.err" || rc=$?
	cat "$out/mpoolstat.out" "$out/mpoolstat.err"
	[ "$rc" -eq 3 ] && [ ! -s "$out/mpoolstat.out" ] &&
		grep -q 'mempool_mod is not loaded' "$out/mpoolstat.err"
}

remove_sample() {
	dkms remove -m mpool_sample -v "$1" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/mpool_sample-$1"
}

# Boot Debian's stock ABI with its DKMS-installed modules and the example
# modprobe.d file; the guest modprobes the sample and takes both out.
check_modprobe() {
	local abi=$1 v=$2 run=$out/modprobe-$abi overlay image
	overlay=$run/root
	mkdir -p "$overlay/lib/modules/$abi" "$overlay/etc/modprobe.d"
	cp -a "/lib/modules/$abi/updates" "$overlay/lib/modules/$abi/"
	depmod -b "$overlay" "$abi" 2>"$run/depmod.log"
	cp "$MPOOL_ROOT/examples/mempool_mod.conf" "$overlay/etc/modprobe.d/"
	sed -n 's/^options mempool_mod //p' "$MPOOL_ROOT/examples/mempool_mod.conf" \
		>"$run/options"
	echo "$v" >"$run/version"
	image=$(stock_image "$abi" "$run/download.log") || return 1
	MPOOL_OVERLAY=$overlay run_logged "package: pack the $abi initramfs" \
		"$run/initramfs.log" "$MPOOL_ROOT/scripts/make-initramfs.sh" \
		"$run/initramfs.cpio.gz" "$MPOOL_ROOT/scripts/guest/modprobe-job.sh" \
		"$run/options" "$run/version" || return 1
	echo "==> package: boot Debian's $abi with the installed modules" >&2
	"$MPOOL_ROOT/scripts/run-guest.sh" "$image" "$run/initramfs.cpio.gz" \
		"$run" 300 || true
	touch "$run/results.txt"
}

# Debian's headers of the arm64 kernel ABI (6.12.NNN+deb12-arm64), made a
# tree that DKMS builds against on this amd64 host; print its directory.
# Debian cross-builds that package (its .kernelvariables set ARCH=arm64
# and CROSS_COMPILE=aarch64-linux-gnu-), but ships the arm64 build of
# scripts/ (fixdep, modpost: "Exec format error" here): they point at
# this host's linux-kbuild of the same version instead, and the common
# headers are this host's (both come with linux-headers-*-amd64).  The
# tree keeps the arm64 kernel's .config and Module.symvers: modpost
# checks every symbol and records the CRCs, as on an arm64 machine.
arm64_headers() {
	local abi=$1 log=$2 ver=${1%-arm64}
	local dir=$MPOOL_CACHE/arm64-headers/$abi
	local tree=$dir/usr/src/linux-headers-$abi
	if [ ! -f "$dir/.done" ]; then
		if [ ! -d "/usr/lib/linux-kbuild-$ver" ] ||
			[ ! -d "/usr/src/linux-headers-$ver-common" ]; then
			echo "linux-headers-$ver-amd64 is not installed: no kbuild $ver to build with" >"$log"
			return 1
		fi
		rm -rf "$dir"
		mkdir -p "$dir"
		{
			APT_ARCH=arm64 foreign_apt apt-get update &&
			(cd "$dir" && APT_ARCH=arm64 foreign_apt apt-get download "linux-headers-$abi") &&
			dpkg -x "$dir"/linux-headers-*.deb "$dir" &&
			rm "$dir"/linux-headers-*.deb &&
			ln -sfn "/usr/lib/linux-kbuild-$ver/scripts" "$tree/scripts" &&
			ln -sfn "/usr/lib/linux-kbuild-$ver/tools" "$tree/tools" &&
			touch "$dir/.done"
		} >"$log" 2>&1 || return 1
	fi
	echo "$tree"
}

# The installed package's DKMS module builds for arm64, as `dkms build`
# on an arm64 machine with Debian's ABI headers would: its dkms.conf
# (BUILD_EXCLUSIVE_ARCH), its make, its POST_BUILD keeping the API.
# Cross, with -a aarch64 and the headers' tree; the strip DKMS runs on
# what it built is the cross one (this host's cannot read an aarch64
# object).  The build is taken out again.
dkms_builds_arm64() {
	local v=$1 abi=$2 tree=$3 bin=$out/cross-bin rc=0
	local built=/var/lib/dkms/mempool_mod/$v/$abi/aarch64
	mkdir -p "$bin"
	ln -sf "$(command -v aarch64-linux-gnu-strip)" "$bin/strip"
	PATH=$bin:$PATH dkms build -m mempool_mod -v "$v" -k "$abi" -a aarch64 \
		--kernelsourcedir "$tree" || rc=$?
	[ ! -f "$built/log/make.log" ] || cp "$built/log/make.log" "$out/dkms-arm64-make.log"
	if [ "$rc" -eq 0 ]; then
		local status elf vermagic
		status=$(dkms status -m mempool_mod -v "$v" -k "$abi" -a aarch64)
		elf=$(readelf -h "$built/module/mempool_mod.ko" | grep 'Machine:')
		vermagic=$(modinfo -F vermagic "$built/module/mempool_mod.ko")
		printf '%s\n' "$status" "$elf" "vermagic: $vermagic"
		grep -q ': built' <<<"$status" &&
		grep -q 'AArch64' <<<"$elf" &&
		grep -q "^$abi SMP .*aarch64" <<<"$vermagic" &&
		ls -l "$built/mempool_mod.h" "$built/Module.symvers" || rc=1
	fi
	dkms unbuild -m mempool_mod -v "$v" -k "$abi" -a aarch64 >/dev/null 2>&1 || true
	return "$rc"
}

check_package() {
	series=package
	out=$MPOOL_ROOT/out/check/package
	ledger=$out/ledger
	rm -rf "$out"
	mkdir -p "$out"

	local v abi abis=() rc api
	v=$(mpool_version)
	host_check "version: the header's $v in dkms.conf, the changelogs and the tag" \
		"$out/version.log" check_versions "$v"

	for abi_series in 6.1 6.12; do
		abis+=("$(stock_abi "$abi_series")")
	done

	# The newest are built in every kernel series' checks.  A fresh
	# bookworm install without its updates has the oldest, and a 6.1.y
	# point release may lack what a later one took (struct_size_t).
	local oldest
	for abi_series in 6.1 6.12; do
		oldest=$(stock_abi "$abi_series" oldest) || oldest=
		if [ -z "$oldest" ] || ! need_packages "linux-headers-$oldest"; then
			fail "build: the oldest $abi_series headers apt has: none installed"
			continue
		fi
		product_build_check "the oldest $abi_series headers apt has," \
			"$oldest" "$out/build-$oldest"
	done

	src=$out/src
	copy_tree "$src"
	host_check "make install DESTDIR= KVER=${abis[-1]} installs the README's list" \
		"$out/install.log" check_install "${abis[-1]}" "$out/destdir" "$v"
	host_check "abi: fields added to struct mpool_stats and struct mpool change no export's CRC" \
		"$out/crcs.log" check_crcs_stable "${abis[-1]}"

	rc=0
	run_logged "package: make deb" "$out/deb.log" "$MPOOL_ROOT/scripts/make-deb.sh" || rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then pass "deb: the .debs build"; else fail "deb: the .debs build"; fi
	if [ "$rc" -eq 0 ]; then pass "deb: lintian reports no error or warning on either"; else fail "deb: lintian reports no error or warning on either"; fi
	local deb utils_deb
	deb=$(ls "$MPOOL_ROOT"/out/deb/mempool-mod-dkms_"$v"_all.deb 2>/dev/null) || {
		fail "deb: nothing to install"
		return
	}
	utils_deb=$(ls "$MPOOL_ROOT"/out/deb/mempool-mod-utils_"$v"_"$(dpkg --print-architecture)".deb \
		2>/dev/null) || utils_deb=

	# From a host without the packages, whatever an earlier run left.
	remove_sample "$v"
	dpkg -r mempool-mod-dkms mempool-mod-utils >/dev/null 2>&1 || true
	host_files >"$out/files-before"

	if [ -n "$utils_deb" ]; then
		host_check "utils: dpkg -i installs /usr/bin/mpoolstat and its man page" \
			"$out/utils-install.log" install_utils "$utils_deb"
		host_check "utils: man mpoolstat renders without a warning" \
			"$out/utils-man.log" man_page_renders
		host_check "utils: mpoolstat says the module is not loaded, exit status 3" \
			"$out/utils-run.log" mpoolstat_without_module
	else
		fail "utils: no mempool-mod-utils .deb to install"
	fi

	host_check "deb: dpkg -i builds and installs the module with DKMS" \
		"$out/dpkg-install.log" dpkg -i "$deb"
	for abi in "${abis[@]}"; do
		host_check "deb: dkms status shows mempool_mod $v installed for $abi" \
			"$out/dkms-status-$abi.log" bash -c \
			"dkms status -m mempool_mod -v '$v' -k '$abi' | tee /dev/stderr | grep -q ': installed'"
		api=/var/lib/dkms/mempool_mod/kernel-$abi-x86_64
		host_check "deb: the API for $abi is in $api/" \
			"$out/api-$abi.log" ls -lL "$api/mempool_mod.h" "$api/Module.symvers"
	done

	# The other architecture the module is tested on (in QEMU): DKMS
	# builds it there too, against Debian's own arm64 headers.
	local abi64=${abis[-1]%-amd64}-arm64 tree64
	if tree64=$(arm64_headers "$abi64" "$out/arm64-headers.log"); then
		if run_logged "package: dkms build for $abi64 (aarch64, cross)" \
			"$out/dkms-arm64.log" dkms_builds_arm64 "$v" "$abi64" "$tree64"; then
			pass "deb: DKMS builds mempool_mod $v for Debian's $abi64 (aarch64), its API kept"
			log_clean "deb: DKMS's arm64 build: no warning" "$out/dkms-arm64-make.log" \
				'warning:|WARNING:|error:|ERROR:'
		else
			fail "deb: DKMS builds mempool_mod $v for Debian's $abi64 (aarch64), its API kept"
		fi
	else
		cat "$out/arm64-headers.log" >&2
		fail "deb: Debian's $abi64 headers fetched, to build for with DKMS"
	fi

	# The sample as a consumer's DKMS module: its copy in /usr/src has
	# nothing of this tree but its own files.
	cp -r "$MPOOL_ROOT/samples/mpool_sample" "/usr/src/mpool_sample-$v"
	host_check "consumer: dkms add the sample" "$out/sample-add.log" \
		dkms add -m mpool_sample -v "$v"
	for abi in "${abis[@]}"; do
		host_check "consumer: the sample's DKMS module builds for $abi against the package alone" \
			"$out/sample-$abi.log" dkms install -m mpool_sample -v "$v" -k "$abi"
	done

	for abi in "${abis[@]}"; do
		if check_modprobe "$abi" "$v"; then
			awk -v required=modprobe -v series="package: $abi" \
				-f "$MPOOL_ROOT/scripts/parse-results.awk" \
				"$out/modprobe-$abi/results.txt" >>"$ledger"
		else
			fail "modprobe on $abi: the guest could not be set up"
		fi
	done

	remove_sample "$v"
	host_check "deb: dpkg -r removes both" "$out/dpkg-remove.log" \
		dpkg -r mempool-mod-dkms mempool-mod-utils
	host_files >"$out/files-after"
	host_check "deb: nothing of it is left on the host" "$out/files-left.log" \
		diff -u "$out/files-before" "$out/files-after"
}
