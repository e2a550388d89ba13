# SPDX-License-Identifier: GPL-2.0
#
# make                  build the modules for the running kernel (or KDIR=)
# make modules_install  install them
# make demo             build, boot Debian's stock kernel in QEMU, use the pool
# make check            every test, in debug 6.1 and 6.12 kernels under QEMU,
#                       and a PREEMPT_RT 6.12 (KVER=6.1, 6.12 or 6.12-rt:
#                       in that one only)
# make bench            time the pool against the kernel's allocators in QEMU
# make fuzz             the model-checked random test in the debug kernel:
#                       SECONDS=N per case (default 60) from SEED=S (default
#                       random); KVER= as for check

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

fuzz:
	scripts/fuzz.sh "$(SECONDS)" "$(SEED)"

.PHONY: all modules modules_install have-kdir clean demo check fuzz
