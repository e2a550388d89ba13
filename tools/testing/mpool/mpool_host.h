/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a host test may call besides the pool's API (mempool_mod.h) and
 * its test hooks (src/test_hooks.h): the core's setup, and the shim's
 * control of CPUs, interrupts, allocations and printk.
 */
#ifndef MPOOL_HOST_H
#define MPOOL_HOST_H

#include "shim/mpool_shim.h"
#include "mempool_mod.h"
#include "src/test_hooks.h"

/* What module load and unload do for the core: before any pool, after all. */
int mpool_host_init(void);
void mpool_host_exit(void);
/* debug=, as the module parameter sets it: flags every new pool gets. */
void mpool_host_set_debug_flags(unsigned int flags);
/* The letters of debug flags, as debug= and the sysfs flags file show them. */
int mpool_host_flags_letters(unsigned int flags, char *buf, size_t size);
/* MPOOL_HOLD_MAX, the bound mpool_test_max_hold() must stay within. */
unsigned int mpool_host_hold_max(void);
/* IS_ENABLED(CONFIG_PREEMPT_COUNT) in the core: see mpool_core_nopc.c. */
bool mpool_host_preempt_count(void);

#endif /* MPOOL_HOST_H */
