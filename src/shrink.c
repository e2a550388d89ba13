// SPDX-License-Identifier: GPL-2.0
/*
 * Giving whole regions back: mpool_shrink(), and with MPOOL_SHRINKABLE a
 * shrinker that does the same under memory pressure.  A block never
 * moves: a region goes only when every one of its blocks is free in the
 * depot, none handed out, cached, stashed by a bulk alloc or quarantined,
 * and then in one hold of the lock, as its free list is its own.  The
 * CPUs' rings are emptied first, as SLUB's flush_all() empties the CPU
 * slabs before it judges its partial ones: a region whose last blocks sit
 * in an idle CPU's ring would never be found free.  The first region is
 * kept for life: a pool never goes below @min_blocks.
 */

/* The shrinker's API, by kernel: see compat.h. */
#ifdef MPOOL_HAVE_SHRINKER_ALLOC
static struct mpool *mpool_shrinker_pool(struct shrinker *shrinker)
{
	return shrinker->private_data;
}

static struct shrinker *mpool_shrinker_alloc(struct mpool *pool,
					     unsigned int flags)
{
	struct shrinker *shrinker;

	shrinker = shrinker_alloc(flags, "mempool_mod-%s", pool->name);
	if (shrinker)
		shrinker->private_data = pool;
	return shrinker;
}

static int mpool_shrinker_register(struct mpool *pool)
{
	shrinker_register(pool->shrinker);
	return 0;
}

static void mpool_shrinker_free(struct mpool *pool)
{
	shrinker_free(pool->shrinker);
}
#else
struct mpool_shrinker {
	struct shrinker shrinker;
	struct mpool *pool;
};

static struct mpool *mpool_shrinker_pool(struct shrinker *shrinker)
{
	return container_of(shrinker, struct mpool_shrinker, shrinker)->pool;
}

static struct shrinker *mpool_shrinker_alloc(struct mpool *pool,
					     unsigned int flags)
{
	struct mpool_shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->pool = pool;
	s->shrinker.seeks = DEFAULT_SEEKS;
	s->shrinker.flags = flags;
	return &s->shrinker;
}

/* Frees the shrinker if it fails. */
static int mpool_shrinker_register(struct mpool *pool)
{
	int err;

	err = register_shrinker(pool->shrinker, "mempool_mod-%s", pool->name);
	if (err)
		kfree(container_of(pool->shrinker, struct mpool_shrinker,
				   shrinker));
	return err;
}

static void mpool_shrinker_free(struct mpool *pool)
{
	unregister_shrinker(pool->shrinker);
	kfree(container_of(pool->shrinker, struct mpool_shrinker, shrinker));
}
#endif

/*
 * Take @region out of the depot, if all its blocks are there, in one hold
 * of the lock; for the shrinker, @keep_low, only if the low mark's worth
 * of free blocks stays, or the next alloc would ask for a region again.
 * True if it is out.
 */
static bool mpool_region_leave(struct mpool *pool, struct mpool_region *region,
			       bool keep_low)
{
	unsigned long flags;
	size_t left;
	bool out;

	mpool_lock(pool, &flags);
	out = region->nr_free == region->nr_blocks && !region->rescan;
	if (out && keep_low) {
		left = pool->node_free ? pool->node_free[region->nid] :
					 mpool_depot_nr_free(pool);
		out = left - region->nr_blocks >= pool->low_blocks;
	}
	if (out) {
		mpool_region_count(pool, region, -(long)region->nr_free);
		WRITE_ONCE(region->free_list, NULL);
		WRITE_ONCE(pool->nr_blocks, pool->nr_blocks - region->nr_blocks);
		WRITE_ONCE(pool->nr_regions, pool->nr_regions - 1);
		WRITE_ONCE(pool->shrinks, pool->shrinks + 1);
	}
	mpool_unlock(pool, flags);
	return out;
}

/*
 * The blocks of @region out of the depot: 0 for a region wholly free,
 * else how many a flush of the CPUs' rings would have to bring back.
 */
static size_t mpool_region_gap(const struct mpool_region *region)
{
	return region->nr_blocks - READ_ONCE(region->nr_free);
}

/*
 * Whether, of the regions but the first on node @nid (NUMA_NO_NODE: any),
 * one could be wholly free once the CPUs' rings, which hold @cached
 * blocks, are emptied; and *@free, the blocks of those that are now.
 */
static bool mpool_shrinkable(struct mpool *pool, int nid, size_t cached,
			     unsigned long *free)
{
	struct mpool_region *region;
	bool flush = false;
	unsigned int slot;
	size_t gap;

	*free = 0;
	rcu_read_lock();
	for (slot = 1; slot < pool->max_slots; slot++) {
		region = rcu_dereference(pool->regions[slot]);
		if (!region || (nid != NUMA_NO_NODE && region->nid != nid))
			continue;
		gap = mpool_region_gap(region);
		if (!gap)
			*free += region->nr_blocks;
		else if (gap <= cached)
			flush = true;
	}
	rcu_read_unlock();
	return flush;
}

/*
 * Give back wholly free regions of node @nid (NUMA_NO_NODE: any), the
 * last added first, until @want blocks went or none is left to give.
 * Returns the blocks given back.  Each leaves the depot and the table at
 * once; its memory goes after a grace period, as a free that found it in
 * the table may still be in it, and its slot, whose indexes a later grow
 * reuses, is reused only after that (mpool_add_region()).  Nothing here
 * waits: the shrinker calls it from reclaim.  The CPUs' rings are
 * emptied first when @flush.
 */
static size_t mpool_shrink_regions(struct mpool *pool, size_t want, int nid,
				   bool flush, bool keep_low)
{
	struct mpool_region_table *table;
	struct mpool_region *region;
	unsigned int slot, cpu;
	size_t freed = 0;

	lockdep_assert_held(&pool->grow_lock);

	if (READ_ONCE(pool->nr_regions) == 1)
		return 0;
	if (flush && pool->cache_size) {
		for_each_possible_cpu(cpu)
			mpool_cache_empty(pool, cpu);
	}
	mpool_test_point(pool, MPOOL_TEST_SHRINK_FLUSHED);
	for (slot = pool->max_slots - 1; slot && freed < want; slot--) {
		region = rcu_dereference_protected(pool->regions[slot],
						   lockdep_is_held(&pool->grow_lock));
		if (!region || mpool_region_gap(region) ||
		    (nid != NUMA_NO_NODE && region->nid != nid))
			continue;
		/* Built first: a region out of the depot must leave the table. */
		table = mpool_table_build(pool, NULL, region);
		if (IS_ERR(table))
			break;
		if (!mpool_region_leave(pool, region, keep_low)) {
			kvfree(table);
			continue;
		}
		mpool_table_swap(pool, table);
		/* Out of the next table this loop builds, too. */
		RCU_INIT_POINTER(pool->regions[slot], NULL);
		pool->slot_gp[slot] = get_state_synchronize_rcu();
		freed += region->nr_blocks;
		call_rcu(&region->rcu, mpool_region_free_rcu);
	}
	if (freed)
		trace_mpool_shrink(pool, freed);
	return freed;
}

/**
 * mpool_shrink - give a pool's wholly free regions back
 * @pool: pool to shrink
 *
 * Empties the CPUs' caches of free blocks into the depot, then frees
 * every region but the first whose blocks are all free.  A region with a
 * block handed out, cached again meanwhile, gathered by a bulk alloc or
 * quarantined stays: no block is ever moved.  The pool never goes below
 * its @min_blocks, and may grow again.
 *
 * Context: Process context. May sleep.  Each region's memory is freed
 * after an RCU grace period, which it does not wait for.
 * Return: the blocks given back, 0 if none could be (at once for a pool of
 * one region).
 */
size_t mpool_shrink(struct mpool *pool)
{
	size_t freed;

	might_sleep();

	mutex_lock(&pool->grow_lock);
	freed = mpool_shrink_regions(pool, SIZE_MAX, NUMA_NO_NODE, true,
				     false);
	mutex_unlock(&pool->grow_lock);
	return freed;
}
EXPORT_SYMBOL_NS_GPL(mpool_shrink, MPOOL_NS);

/* The node a scan or count is for: @sc's, if the pool is spread over them. */
static int mpool_shrink_node(const struct mpool *pool,
			     const struct shrink_control *sc)
{
	return pool->node_free ? sc->nid : NUMA_NO_NODE;
}

/*
 * Blocks of the regions but the first that are wholly free in the depot,
 * of @sc's node for a MPOOL_NUMA pool; or, if none is, the blocks of one
 * region whose blocks out of the depot the CPUs' rings may hold, which a
 * scan empties before it judges: else a region whose last free blocks
 * sit in an idle CPU's ring would never be offered.  An estimate, as a
 * count may be; the scan is exact.
 */
static unsigned long mpool_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct mpool *pool = mpool_shrinker_pool(shrinker);
	unsigned long free;
	size_t cached = 0;

	if (READ_ONCE(pool->nr_regions) == 1)
		return SHRINK_EMPTY;
	if (pool->cache_size)
		cached = mpool_caches_count(pool);
	if (mpool_shrinkable(pool, mpool_shrink_node(pool, sc), cached,
			     &free) && !free)
		free = pool->grow_blocks;
	return free ?: SHRINK_EMPTY;
}

/*
 * Regions back, leaving the low mark's worth free.  The CPUs' rings are
 * emptied only when that could free a region, and not again within a
 * tenth of a second of one that freed none: a flush costs every CPU its
 * cached blocks, which its next allocs take back through the lock, and
 * reclaim calls the scan over and over.
 */
static unsigned long mpool_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct mpool *pool = mpool_shrinker_pool(shrinker);
	int nid = mpool_shrink_node(pool, sc);
	unsigned long freed, free;
	size_t cached = 0;
	bool flush;

	/* A grow or a shrink runs: this one would only wait for it. */
	if (!mutex_trylock(&pool->grow_lock))
		return SHRINK_STOP;
	if (pool->cache_size)
		cached = mpool_caches_count(pool);
	flush = mpool_shrinkable(pool, nid, cached, &free) &&
		time_after(jiffies, pool->shrinker_flushed + HZ / 10);
	freed = mpool_shrink_regions(pool, sc->nr_to_scan, nid, flush, true);
	if (flush && !freed)
		pool->shrinker_flushed = jiffies;
	mutex_unlock(&pool->grow_lock);
	return freed ?: SHRINK_STOP;
}

/* With MPOOL_SHRINKABLE, at create, once the pool can be shrunk. */
static int mpool_shrinker_init(struct mpool *pool)
{
	int err;

	/* A pool that cannot grow has nothing to give back. */
	if (!(pool->flags & MPOOL_SHRINKABLE) || !pool->grow_blocks)
		return 0;
	/* Its scans by node: a pool spread over them gives back a node's. */
	pool->shrinker = mpool_shrinker_alloc(pool, pool->node_free ?
						    SHRINKER_NUMA_AWARE : 0);
	if (!pool->shrinker)
		return -ENOMEM;
	pool->shrinker_flushed = jiffies - HZ;
	pool->shrinker->count_objects = mpool_shrink_count;
	pool->shrinker->scan_objects = mpool_shrink_scan;
	err = mpool_shrinker_register(pool);
	if (err)
		pool->shrinker = NULL;
	return err;
}

/* At destroy, first: once it returns, no scan runs, nor will. */
static void mpool_shrinker_exit(struct mpool *pool)
{
	if (pool->shrinker)
		mpool_shrinker_free(pool);
	pool->shrinker = NULL;
}
