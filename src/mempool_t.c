// SPDX-License-Identifier: GPL-2.0
/*
 * A mempool_t whose elements are a pool's blocks: the alloc_fn and free_fn
 * for mempool_create(), as mm/mempool.c has mempool_alloc_slab() and
 * mempool_free_slab() for a kmem_cache.  mempool_create_mpool_pool(), in
 * mempool_mod.h, passes them.
 *
 * The element allocation never waits in the pool: mempool_t does the
 * waiting itself, on its reserve and its own wait queue, and only its own
 * mempool_free() wakes that queue.  What follows for the caller:
 *
 * - the reserve, @min_nr blocks, is taken from the pool at create:
 *   mempool_create() fails when the pool has fewer free;
 * - a task blocked in mempool_alloc(GFP_KERNEL) is woken by a
 *   mempool_free() only when that free refills the reserve
 *   (curr_nr < min_nr): with @min_nr 0, and for blocks given back with
 *   mpool_free() behind the mempool_t's back, it finds them only at
 *   mempool_alloc()'s next retry, up to 5 s later (io_schedule_timeout());
 * - the pool must outlive the mempool_t: mempool_destroy() gives the
 *   reserve back to it.
 */

/**
 * mpool_mempool_alloc - a mempool_t's alloc_fn that takes a pool's block
 * @gfp_mask: mempool_alloc()'s flags; never waits, whatever they allow
 * @pool_data: the struct mpool the mempool_t was created with
 *
 * For mempool_create(); mempool_create_mpool_pool() passes it.  An empty
 * pool returns NULL at once, so that mempool_alloc() falls back on its
 * reserve and, with a @gfp_mask that may block, waits where mempool_free()
 * wakes it.
 *
 * Context: Any context but NMI.
 * Return: a block of @pool_data, or NULL if none is free.
 */
void *mpool_mempool_alloc(gfp_t gfp_mask, void *pool_data)
{
	/*
	 * A task asleep in the pool's own wait queue would not be woken by
	 * mempool_free(): it refills the mempool_t's reserve first and wakes
	 * the mempool_t's queue.  mempool_alloc() waits there instead.
	 */
	return mpool_alloc(pool_data, gfp_mask & ~__GFP_DIRECT_RECLAIM);
}
EXPORT_SYMBOL_NS_GPL(mpool_mempool_alloc, MPOOL_NS);

/**
 * mpool_mempool_free - a mempool_t's free_fn that gives a block back
 * @element: a block from mpool_mempool_alloc() on @pool_data
 * @pool_data: the struct mpool the mempool_t was created with
 *
 * For mempool_create(); mempool_create_mpool_pool() passes it.  The block
 * goes back to the pool, checked as mpool_free() checks it.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_mempool_free(void *element, void *pool_data)
{
	mpool_free(pool_data, element);
}
EXPORT_SYMBOL_NS_GPL(mpool_mempool_free, MPOOL_NS);
