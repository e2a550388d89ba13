# SPDX-License-Identifier: GPL-2.0
#
# make                  build the modules for the running kernel (or KDIR=)
# make modules_install  install them
# make demo             build, boot Debian's stock kernel in QEMU, use the pool
# make check            every test, in debug 6.1 and 6.12 kernels under QEMU
#                       (KVER=6.1 or KVER=6.12: in that one only)
# make bench            time the pool against the kernel's allocators in QEMU

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules modules_install: have-kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

have-kdir:
	@test -f $(KDIR)/Makefile || { \
	 echo "no kernel build tree at $(KDIR): install its headers, set KDIR=, or run 'make demo' or 'make check' (they build one and run it in QEMU)"; \
	 exit 1; }

clean:
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C selftests/mempool_mod clean
	rm -rf out

demo:
	scripts/demo.sh

check:
	scripts/check.sh

bench:
	scripts/bench.sh
.PHONY: bench

.PHONY: all modules modules_install have-kdir clean demo check
