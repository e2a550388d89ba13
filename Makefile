# SPDX-License-Identifier: GPL-2.0
#
# make                  build mempool_mod.ko, and nothing else, for the
#                       running kernel (or KVER=, or KDIR=)
# make install          install it under /lib/modules/$(KVER)/updates/, run
#                       depmod, and install the API for consumers in
#                       /usr/src/mempool_mod-$(VERSION)/$(KVER)/ (DESTDIR=
#                       stages the files and leaves depmod to the package)
# make uninstall        remove what make install installed
# make modules_install  the module and depmod only
# make tests            build the test modules and the sample as well
# make tools            build the user-space tool tools/mpoolstat/mpoolstat
#                       (CC=, CFLAGS=, LDFLAGS= as for any program)
# make deb              the Debian package mempool-mod-dkms, in out/deb/
# make version          print the version (MPOOL_VERSION in mempool_mod.h)
# make demo             build, boot Debian's stock kernel in QEMU, use the pool
# make check            the tests tests.manifest gives `make check`: on this
#                       host (the pool's core on this CPU, the static
#                       checks), in debug 6.1, 6.12, PREEMPT_RT 6.12 and
#                       arm64 6.12 kernels under QEMU, the packaging, and
#                       builds for riscv64, armhf and sid's newest kernel;
#                       KVER= one or more of host, package, riscv64,
#                       armhf, newest, 6.1, 6.12, 6.12-rt, 6.12-arm64
# make check-full       every suite on every kernel, the long soaks and a
#                       fuzz run (KVER= as for check)
# make check-host       the host's part of make check alone, in minutes
# make bench            time the pool against the kernel's allocators in
#                       QEMU, or on this machine's kernel with HOST=1;
#                       ABLATE=NAME: a build without one guarantee
#                       (bench/ablate/NAME.patch), to see what it costs;
#                       NATIVE=1: the pool's core and the kernel's objpool,
#                       dma_pool and gen_pool on this machine's CPU, in
#                       user space (QUICK=1: a few thousand ops a cell)
# make fuzz             the model-checked random test in the debug kernel:
#                       SECONDS=N per case (default 60) from SEED=S (default
#                       random); KVER= as for check.  HOST=1: libFuzzer on
#                       the pool's core on this CPU for SECONDS=N

VERSION := $(shell sed -n 's/^\#define MPOOL_VERSION[[:space:]]*"\(.*\)"$$/\1/p' $(CURDIR)/mempool_mod.h)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
DESTDIR ?=

moddir := $(DESTDIR)/lib/modules/$(KVER)/updates
apidir := $(DESTDIR)/usr/src/mempool_mod-$(VERSION)/$(KVER)
kbuild := $(MAKE) -C $(KDIR)

all: modules

modules: have-kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The test modules resolve the pool's exports through its Module.symvers,
# so they build after it, each directory a pass of its own.
tests: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kunit modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/mempool_mod modules
	$(MAKE) -C samples/mpool_sample KDIR=$(KDIR) MPOOL_DIR=$(CURDIR)

# User space: built by the targets that use it, never by `make`.
tools:
	$(MAKE) -C tools/mpoolstat

# Our own install rather than kbuild's modules_install: that one skips
# depmod where the headers ship no System.map (Debian's do not), and
# compresses the module as the kernel's config says, so the installed
# file's name would depend on the kernel.
modules_install: modules
	install -D -m 0644 mempool_mod.ko $(moddir)/mempool_mod.ko
	$(if $(DESTDIR),,depmod -a $(KVER))

install: modules_install
	install -D -m 0644 mempool_mod.h $(apidir)/mempool_mod.h
	install -D -m 0644 Module.symvers $(apidir)/Module.symvers

uninstall:
	rm -f $(moddir)/mempool_mod.ko $(apidir)/mempool_mod.h \
		$(apidir)/Module.symvers
	-rmdir --ignore-fail-on-non-empty $(moddir) $(apidir) $(dir $(apidir))
	$(if $(DESTDIR),,depmod -a $(KVER))

have-kdir:
	@test -f $(KDIR)/Makefile || { \
	 echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER), set KVER= or KDIR=, or run 'make demo' or 'make check' (they build one and run it in QEMU)"; \
	 exit 1; }

clean:
	@if [ -f $(KDIR)/Makefile ]; then \
		for d in . kunit selftests/mempool_mod samples/mpool_sample bench; do \
			if [ -d $$d ]; then $(kbuild) M=$(CURDIR)/$$d clean; fi; \
		done; \
	fi
	if [ -d selftests/mempool_mod ]; then $(MAKE) -C selftests/mempool_mod clean; fi
	if [ -d tools/mpoolstat ]; then $(MAKE) -C tools/mpoolstat clean; fi
	rm -rf out

deb:
	scripts/make-deb.sh

version:
	@echo $(VERSION)

demo:
	scripts/demo.sh

check:
	scripts/check.sh

check-full:
	TIER=full scripts/check.sh

check-host:
	KVER=host scripts/check.sh

ifeq ($(NATIVE),1)
bench:
	QUICK=$(QUICK) scripts/bench-native.sh
else
bench:
	scripts/bench.sh
endif

ifeq ($(HOST),1)
fuzz:
	$(MAKE) -C tools/testing/mpool fuzz SECONDS=$(or $(SECONDS),60)
else
fuzz:
	scripts/fuzz.sh "$(SECONDS)" "$(SEED)"
endif

.PHONY: all modules tests tools modules_install install uninstall have-kdir clean \
	deb version demo check check-full check-host bench fuzz
