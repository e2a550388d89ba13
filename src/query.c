// SPDX-License-Identifier: GPL-2.0
/*
 * The exported queries: whether a pool owns a pointer, its statistics,
 * the default pool.
 */

/**
 * mpool_owns - tell whether a pointer lies inside one of a pool's regions
 * @pool: pool to look in
 * @ptr: pointer to test
 *
 * True for any byte of any block, handed out or free; use it to tell which
 * of several pools a pointer belongs to.
 *
 * Context: Any context.
 * Return: true if @ptr points into @pool's blocks, false otherwise.
 */
bool mpool_owns(const struct mpool *pool, const void *ptr)
{
	size_t index;

	if (likely(mpool_offset(pool, ptr) < pool->region_bytes))
		return true;
	if (mpool_locate_far(pool, ptr, &index) != MPOOL_FREE_OUTSIDE)
		return true;
	/* Ordered after the load of @ptr: see mpool_claim_far(). */
	smp_rmb();
	return mpool_locate_far(pool, ptr, &index) != MPOOL_FREE_OUTSIDE;
}
EXPORT_SYMBOL_NS_GPL(mpool_owns, MPOOL_NS);

/* What is fixed at create: no lock, no walk over the CPUs. */
static void mpool_stats_geometry(const struct mpool *pool,
				 struct mpool_stats *stats)
{
	stats->block_size = pool->block_size;
	stats->align = pool->align;
	stats->stride = pool->stride;
	stats->meta_bytes = pool->meta_bytes;
	stats->flags = pool->flags;
	stats->redzone_bytes = pool->redzone_bytes;
	stats->cache_size = pool->cache_size;
	stats->min_blocks = pool->min_blocks;
	stats->max_blocks = pool->max_blocks;
}

/*
 * The counters kept under the lock.  In NMI, which may have interrupted
 * this CPU's hold of it, read without it: each is then a value it had,
 * not one cut of them all.
 */
static void mpool_stats_counters(struct mpool *pool, struct mpool_stats *stats)
{
	stats->peak_in_use = READ_ONCE(pool->peak_out);
	stats->alloc_failures = READ_ONCE(pool->alloc_failures);
	stats->invalid_frees = READ_ONCE(pool->invalid_frees);
	stats->double_frees = READ_ONCE(pool->double_frees);
	stats->poison_errors = READ_ONCE(pool->poison_errors);
	stats->redzone_errors = READ_ONCE(pool->redzone_errors);
	stats->freelist_errors = READ_ONCE(pool->freelist_errors);
	stats->quarantined = READ_ONCE(pool->quarantined);
	stats->nr_blocks = READ_ONCE(pool->nr_blocks);
	stats->region_bytes = stats->nr_blocks * pool->stride;
	stats->nr_regions = READ_ONCE(pool->nr_regions);
	stats->grows = READ_ONCE(pool->grows);
	stats->shrinks = READ_ONCE(pool->shrinks);
	stats->grow_failures = READ_ONCE(pool->grow_failures);
}

/*
 * Each field is exact while the pool is idle.  While other CPUs allocate
 * and free, each is a value it had during the call, @in_use one that the
 * pool had too (mpool_counters_sum()), the ones summed over CPUs within
 * what the pool can hold: @in_use + @cached + @quarantined never exceed
 * @nr_blocks.
 */
static void mpool_stats_fill(struct mpool *pool, struct mpool_stats *stats)
{
	unsigned long flags, allocs, frees;
	size_t most;

	mpool_stats_geometry(pool, stats);
	if (in_nmi()) {
		mpool_stats_counters(pool, stats);
	} else {
		mpool_lock(pool, &flags);
		mpool_stats_counters(pool, stats);
		mpool_unlock(pool, flags);
	}

	/*
	 * Read while CPUs run: each value is bounded by what the pool could
	 * hold at once, so a snapshot never shows an impossible one.
	 */
	mpool_counters_sum(pool, &allocs, &frees);
	stats->allocs = allocs;
	stats->frees = frees;
	most = stats->nr_blocks - stats->quarantined;
	/*
	 * A difference of longs that wrap at 2^32 on a 32-bit kernel: still
	 * exact there, and negative when the frees' sum caught up on allocs
	 * the allocs' did not see (mpool_counters_sum()).
	 */
	stats->in_use = (long)(allocs - frees) < 0 ? 0 :
			min_t(unsigned long, allocs - frees, most);
	stats->cached = min(mpool_caches_count(pool), most - stats->in_use);
}

/**
 * mpool_read_stats - take a snapshot of a pool's statistics, size-checked
 * @pool: pool to read
 * @stats: a struct mpool_stats as the caller's mempool_mod.h defines it
 * @size: the size of that struct, as the caller was built with it
 *
 * Consumers call it through mpool_get_stats(), which passes @size.  The
 * struct only grows at its end, so a caller built against an older header
 * knows a prefix of today's: it gets that prefix and nothing written past
 * @size.  A caller built against a newer header than the module's gets
 * zeroes in the fields this module does not know.  Snapshot semantics as
 * described at struct mpool_stats.  In NMI the pool's lock is not taken:
 * the error counters are then each a value they had, not one cut.
 *
 * Context: Any context, NMI included.
 * Return: the bytes of @stats filled with values: the smaller of @size
 * and this module's sizeof(struct mpool_stats).  A field is valid when it
 * ends within them (offsetofend(struct mpool_stats, field) <= return).
 */
size_t mpool_read_stats(struct mpool *pool, void *stats, size_t size)
{
	struct mpool_stats snap;
	size_t known = min(size, sizeof(snap));

	/* The padding too: the caller gets no stale stack bytes. */
	memset(&snap, 0, sizeof(snap));
	mpool_stats_fill(pool, &snap);
	memcpy(stats, &snap, known);
	memset(stats + known, 0, size - known);
	return known;
}
EXPORT_SYMBOL_NS_GPL(mpool_read_stats, MPOOL_NS);

/**
 * mpool_default - the pool made at module load from the module parameters
 *
 * Context: Any context.
 * Return: the default pool; it lives as long as the module.
 */
struct mpool *mpool_default(void)
{
	return mpool_default_pool;
}
EXPORT_SYMBOL_NS_GPL(mpool_default, MPOOL_NS);
