/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-only hooks into mempool_mod, in the build `make check` makes
 * (MPOOL_TEST_HOOKS=y), never in the product: they let a test park a
 * thread at a racy point until the test lets it go, so that an
 * interleaving happens every time rather than by luck, and count the
 * work done under one hold of a pool's lock.
 */
#ifndef _MPOOL_TEST_HOOKS_H
#define _MPOOL_TEST_HOOKS_H

#include "../mempool_mod.h"

/* Where mempool_mod calls the test's hook; each may sleep but two. */
enum mpool_test_point {
	/* mpool_alloc_bulk() holds blocks it took and does not hold the lock */
	MPOOL_TEST_BULK_HOLDING,
	/* a sleeping mpool_alloc() was woken and has not retaken the lock */
	MPOOL_TEST_WAITER_WOKEN,
	/* a lock-free ring pop read its slots and has not yet claimed them */
	MPOOL_TEST_RING_POPPING,
	/* mpool_get_stats() read the first of two values that must agree */
	MPOOL_TEST_STATS_READING,
	/*
	 * a context adding to its CPU's ring wrote the slots and has not yet
	 * published them; preemption, maybe IRQs, are off: must not sleep
	 */
	MPOOL_TEST_RING_FILLING,
	/*
	 * a lock-free stack pop read the top and its link and has not yet
	 * swapped them; preemption is off: must not sleep
	 */
	MPOOL_TEST_STACK_POPPING,
	/* a free gave its blocks back and has not returned; may sleep */
	MPOOL_TEST_FREE_GIVEN_BACK,
	/* the grow worker runs and has not yet added a region; may sleep */
	MPOOL_TEST_GROW_WORKER,
	/*
	 * mpool_shrink() flushed the CPUs' rings and has not yet judged a
	 * region; may sleep
	 */
	MPOOL_TEST_SHRINK_FLUSHED,
};

/*
 * The most work one hold of a pool's lock may do: one batch, half a
 * ring, and the block a refill keeps for its caller.  Taking a block out
 * of the depot, a ring or a stash counts one, as does putting one into
 * the depot, checking its bytes, looking at one block's state in a
 * rebuild of the free list, or at one CPU's ring in a steal, which takes
 * fewer blocks for it.  (A refill puts what it took in its own ring: not
 * counted.)
 */
#define MPOOL_HOLD_MAX		(MPOOL_CACHE_MAX / 2 + 1)

void mpool_test_set_hook(void (*hook)(struct mpool *pool,
				      enum mpool_test_point point));
unsigned int mpool_test_max_hold(struct mpool *pool);
u64 mpool_test_holds(struct mpool *pool);
void mpool_test_ring_advance(struct mpool *pool, unsigned int cpu, u64 delta);
void mpool_test_make_small(bool small);
struct kobject *mpool_test_kobj(struct mpool *pool);

#endif /* _MPOOL_TEST_HOOKS_H */
