// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only hooks, built by `make check` (MPOOL_TEST_HOOKS=y) and never
 * in the product: see test_hooks.h.
 */

#ifdef MPOOL_TEST_HOOKS

static void (*mpool_test_hook)(struct mpool *pool, enum mpool_test_point point);
static bool mpool_test_small;

static void mpool_test_point(struct mpool *pool, enum mpool_test_point point)
{
	void (*hook)(struct mpool *pool, enum mpool_test_point point);

	hook = READ_ONCE(mpool_test_hook);
	if (hook)
		hook(pool, point);
}

static void mpool_hold_work(struct mpool *pool, size_t work)
{
	lockdep_assert_held(&pool->lock);

	pool->hold_work += work;
}

static void mpool_hold_begin(struct mpool *pool)
{
	lockdep_assert_held(&pool->lock);

	pool->holds++;
}

static void mpool_hold_end(struct mpool *pool)
{
	lockdep_assert_held(&pool->lock);

	pool->max_hold = max(pool->max_hold, pool->hold_work);
	pool->hold_work = 0;
}

/**
 * mpool_test_set_hook - call a function at each of the racy points
 * @hook: the function, or NULL for none
 *
 * The hook runs in the context that reached the point, which may sleep
 * there but at %MPOOL_TEST_RING_FILLING and %MPOOL_TEST_STACK_POPPING;
 * it must return at once for every context it does not act on.
 *
 * Context: Process context.
 * Return: nothing.
 */
void mpool_test_set_hook(void (*hook)(struct mpool *pool,
				      enum mpool_test_point point))
{
	WRITE_ONCE(mpool_test_hook, hook);
	/* Whoever still runs the old hook has left it after this. */
	synchronize_rcu();
}
EXPORT_SYMBOL_NS_GPL(mpool_test_set_hook, MPOOL_NS);

/**
 * mpool_test_max_hold - the most work one hold of a pool's lock did
 * @pool: the pool
 *
 * Counted since the last call, which resets it; see %MPOOL_HOLD_MAX.
 *
 * Context: Any context but NMI.
 * Return: the most work done in one hold.
 */
unsigned int mpool_test_max_hold(struct mpool *pool)
{
	unsigned long flags;
	unsigned int max;

	raw_spin_lock_irqsave(&pool->lock, flags);
	max = pool->max_hold;
	pool->max_hold = 0;
	pool->hold_work = 0;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return max;
}
EXPORT_SYMBOL_NS_GPL(mpool_test_max_hold, MPOOL_NS);

/**
 * mpool_test_holds - how many times a pool's lock was taken
 * @pool: the pool
 *
 * Counted from the pool's creation by every path that takes the lock
 * through mpool_lock(); a test that reads it before and after one call,
 * with nothing else using the pool, has the call's number of holds.
 *
 * Context: Any context but NMI.
 * Return: the number of holds so far.
 */
u64 mpool_test_holds(struct mpool *pool)
{
	unsigned long flags;
	u64 holds;

	raw_spin_lock_irqsave(&pool->lock, flags);
	holds = pool->holds;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return holds;
}
EXPORT_SYMBOL_NS_GPL(mpool_test_holds, MPOOL_NS);

/**
 * mpool_test_ring_advance - move a CPU's ring on as if by many alloc+free
 * @pool: the pool
 * @cpu: whose ring
 * @delta: how far: a multiple of the ring's size keeps its contents
 *
 * What @delta allocs and frees of the blocks it holds would leave, in no
 * time: a test reaches a wrap of the ring's indices without 2^32 pops.
 * Nothing else may use the ring meanwhile.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_test_ring_advance(struct mpool *pool, unsigned int cpu, u64 delta)
{
	struct mpool_cpu_cache *cache = per_cpu_ptr(pool->caches, cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(cache->head, cache->head + delta);
	/* Its low word, as @head's: the count of blocks stays as it was. */
	WRITE_ONCE(cache->tail, cache->tail + (unsigned long)delta);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(mpool_test_ring_advance, MPOOL_NS);

/**
 * mpool_test_make_small - create pools as if too small to share
 * @small: true for the pools the test creates next, then false
 *
 * A pool created while it is on has no per-CPU caches, whatever the
 * number of CPUs, as a pool too small to give each a share: its free
 * blocks are all on the depot's hardened free list, last freed first,
 * where a test can reach their links.  MPOOL_NO_PERCPU has no such list:
 * its stack keeps no link in a block.
 *
 * Context: Process context.
 * Return: nothing.
 */
void mpool_test_make_small(bool small)
{
	WRITE_ONCE(mpool_test_small, small);
}
EXPORT_SYMBOL_NS_GPL(mpool_test_make_small, MPOOL_NS);

/**
 * mpool_test_kobj - the kobject of a pool's sysfs directory
 * @pool: the pool, live
 *
 * For a test that checks what releases the directory, which may happen
 * after the module is gone.  No reference is taken: the kobject is the
 * pool's until mpool_destroy().
 *
 * Context: Process context.
 * Return: the kobject of /sys/kernel/mempool_mod/<name>/.
 */
struct kobject *mpool_test_kobj(struct mpool *pool)
{
	return pool->kobj;
}
EXPORT_SYMBOL_NS_GPL(mpool_test_kobj, MPOOL_NS);

#endif /* MPOOL_TEST_HOOKS */
