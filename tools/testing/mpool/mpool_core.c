// SPDX-License-Identifier: GPL-2.0
/*
 * The pool's core, built for user space: the files of src/ that hold the
 * allocator's logic, included unchanged and in mempool_mod.c's order,
 * against the kernel of shim/.  What is left out talks to the rest of the
 * kernel: sysfs.c, debugfs.c, mempool_t.c and module.c.  In their place,
 * the few functions of theirs the core calls do nothing, and
 * mpool_host_init() and mpool_host_exit() do what module load and unload
 * do for the core: register the CPU hotplug state.
 *
 * Built with MPOOL_TEST_HOOKS, as make check builds the module for its
 * tests: the tests park nothing, but use the hooks to interrupt a ring
 * mid-fill and to bound the work done per hold of a pool's lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/align.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swait.h>
#include <linux/vmalloc.h>

#include "mempool_mod.h"
#include "src/mpool.h"
#include "src/trace_events.h"

#include "src/test_hooks.c"
#include "src/layout.c"
#include "src/region.c"
#include "src/freelist.c"
#include "src/stack.c"
#include "src/depot.c"
#include "src/cpu_cache.c"
#include "src/debug.c"
#include "src/fault_inject.c"
#include "src/take.c"
#include "src/give_back.c"
#include "src/create.c"
#include "src/grow.c"
#include "src/shrink.c"
#include "src/alloc.c"
#include "src/free.c"
#include "src/bulk.c"
#include "src/query.c"

#include "mpool_host.h"

/* ---- what sysfs.c and debugfs.c do for a pool: nothing here ---- */

static int mpool_sysfs_init(void)
{
	return 0;
}

static void mpool_sysfs_exit(void)
{
}

static int mpool_sysfs_add(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);
	return 0;
}

static void mpool_sysfs_remove(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);
}

static void mpool_debugfs_init(void)
{
}

static void mpool_debugfs_exit(void)
{
}

static void mpool_debugfs_add(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);
	/* Without CONFIG_FAULT_INJECTION_DEBUG_FS, as here, it does nothing. */
	mpool_fail_alloc_debugfs(pool);
}

static void mpool_debugfs_remove(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);
}

/* ---- module load and unload, as far as the core needs them ---- */

int mpool_host_init(void)
{
	int err = mpool_cpuhp_init();

	if (err)
		return err;
	err = mpool_sysfs_init();
	if (err) {
		mpool_cpuhp_exit();
		return err;
	}
	mpool_debugfs_init();
	return 0;
}

void mpool_host_exit(void)
{
	mpool_debugfs_exit();
	mpool_sysfs_exit();
	mpool_cpuhp_exit();
}

void mpool_host_set_debug_flags(unsigned int flags)
{
	WRITE_ONCE(mpool_debug_flags, flags);
}

int mpool_host_flags_letters(unsigned int flags, char *buf, size_t size)
{
	return mpool_flags_letters(flags, buf, size);
}

unsigned int mpool_host_hold_max(void)
{
	return MPOOL_HOLD_MAX;
}

bool mpool_host_preempt_count(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT);
}
