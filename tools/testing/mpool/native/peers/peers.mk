# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own allocators, objpool, dma_pool and gen_pool, compiled
# unchanged from $(LINUX_TARBALL) against ../shim and prelude.h, each
# with an adaptor that instantiates the workloads on its API.  Included
# by ../Makefile, which links $(PEER_OBJS) into build/product.
#
# Only the files named below are extracted, into $(B)/linux, and
# compiled from there: nothing of the kernel's enters the git tree.  A
# line that cannot compile against a shim would be changed by
# peers/patches/NAME.patch, applied to the extracted copy; there is none.
#
# $(B)/linux/version holds the tarball's VERSION.PATCHLEVEL.SUBLEVEL, as
# $(PEERS_LINUX_VERSION) does once it is built.

peers_kernel_srcs := lib/objpool.c mm/dmapool.c lib/genalloc.c
peers_kernel_hdrs := include/linux/objpool.h include/linux/dmapool.h \
	include/linux/genalloc.h
peers_members := $(addprefix linux-source-6.12/,$(peers_kernel_srcs) \
	$(peers_kernel_hdrs) Makefile)
peers_patches := $(sort $(wildcard peers/patches/*.patch))
peers_adaptors := alloc_objpool alloc_dma_pool alloc_gen_pool kernel_lib

PEERS_OUT := $(B)/product/peers
PEERS_LINUX_VERSION = $(shell cat $(B)/linux/version 2>/dev/null)

# Our headers, the kernel's three, then the shim; warnings as the
# kernel's Makefile has them (it disables address-of-packed-member).
PEERS_CFLAGS := -Ipeers/include -I$(KSRC)/include $(NATIVE_CFLAGS) \
	$(KERNEL_CODEGEN) \
	-Wno-address-of-packed-member -include peers/prelude.h

$(B)/linux/.stamp: $(LINUX_TARBALL) peers/peers.mk $(peers_patches)
	@echo "  TAR     $(B)/linux"
	$(Q)rm -rf $(B)/linux && mkdir -p $(B)/linux
	$(Q)tar -xJf $(LINUX_TARBALL) -C $(B)/linux --wildcards $(peers_members)
	$(Q)for p in $(peers_patches); do \
		echo "  PATCH   $$p"; \
		patch -s -d $(KSRC) -p1 -i $(abspath .)/$$p || exit 1; \
	done
	@touch $@

$(B)/linux/version: $(B)/linux/.stamp
	$(Q)awk '$$1 == "VERSION" { v = $$3 } $$1 == "PATCHLEVEL" { p = $$3 } \
		$$1 == "SUBLEVEL" { s = $$3 } END { print v "." p "." s }' \
		$(KSRC)/Makefile > $@

# $(1): a kernel source, relative to $(KSRC).
define peers_kernel_obj
$(PEERS_OUT)/$(notdir $(1:.c=.o)): $(B)/linux/.stamp $(deps) \
		| $(B)/linux/version
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(Q)$(CC) $(PEERS_CFLAGS) -c $(KSRC)/$(1) -o $$@
endef

$(foreach f,$(peers_kernel_srcs),$(eval $(call peers_kernel_obj,$(f))))

$(PEERS_OUT)/%.o: peers/%.c $(B)/linux/.stamp $(deps)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(PEERS_CFLAGS) -DBENCH_PEERS -c $< -o $@

PEER_OBJS := $(addprefix $(PEERS_OUT)/,$(notdir $(peers_kernel_srcs:.c=.o)) \
	$(addsuffix .o,$(peers_adaptors)))

peers: $(PEER_OBJS)

.PHONY: peers
