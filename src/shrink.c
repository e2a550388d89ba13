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

static struct shrinker *mpool_shrinker_alloc(struct mpool *pool)
{
	struct shrinker *shrinker;

	shrinker = shrinker_alloc(0, "mempool_mod-%s", pool->name);
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

static struct shrinker *mpool_shrinker_alloc(struct mpool *pool)
{
	struct mpool_shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->pool = pool;
	s->shrinker.seeks = DEFAULT_SEEKS;
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

/* Regions freed per grace period. */
#define MPOOL_SHRINK_BATCH	16

/*
 * Take @region out of the depot, if all its blocks are there, in one hold
 * of the lock.  True if it is out.
 */
static bool mpool_region_leave(struct mpool *pool, struct mpool_region *region)
{
	unsigned long flags;
	bool out;

	mpool_lock(pool, &flags);
	out = region->nr_free == region->nr_blocks && !region->rescan;
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
 * Give back wholly free regions, the last added first, until @want blocks
 * went or none is left to give.  Returns the blocks given back.  Each
 * leaves the depot and the table first; its memory and its slot, whose
 * indexes a later grow reuses, are freed after a grace period, which a
 * free that found it in the table may still be in (mpool_claim_far()).
 */
static size_t mpool_shrink_regions(struct mpool *pool, size_t want)
{
	struct mpool_region *gone[MPOOL_SHRINK_BATCH];
	struct mpool_region_table *table;
	struct mpool_region *region;
	unsigned int slot, cpu, nr = 0, i;
	size_t freed = 0;

	lockdep_assert_held(&pool->grow_lock);

	if (READ_ONCE(pool->nr_regions) == 1)
		return 0;
	if (pool->cache_size) {
		for_each_possible_cpu(cpu)
			mpool_cache_empty(pool, cpu);
	}
	mpool_test_point(pool, MPOOL_TEST_SHRINK_FLUSHED);
	for (slot = pool->max_slots - 1;
	     slot && freed < want && nr < ARRAY_SIZE(gone); slot--) {
		region = rcu_dereference_protected(pool->regions[slot],
						   lockdep_is_held(&pool->grow_lock));
		if (!region || READ_ONCE(region->nr_free) != region->nr_blocks)
			continue;
		/* Built first: a region out of the depot must leave the table. */
		table = mpool_table_build(pool, NULL, region);
		if (IS_ERR(table))
			break;
		if (!mpool_region_leave(pool, region)) {
			kfree(table);
			continue;
		}
		mpool_table_swap(pool, table);
		/*
		 * Out of the next table this loop builds, too.  The slot stays
		 * empty until the grace period ends: @grow_lock is held.
		 */
		RCU_INIT_POINTER(pool->regions[slot], NULL);
		gone[nr++] = region;
		freed += region->nr_blocks;
	}
	if (!nr)
		return 0;
	synchronize_rcu();
	for (i = 0; i < nr; i++)
		mpool_region_free(gone[i]);
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
 * Context: Process context. May sleep: it waits for an RCU grace period
 * when it frees a region.
 * Return: the blocks given back, 0 if none could be (at once for a pool of
 * one region).
 */
size_t mpool_shrink(struct mpool *pool)
{
	size_t freed = 0, batch;

	might_sleep();

	mutex_lock(&pool->grow_lock);
	do {
		batch = mpool_shrink_regions(pool, SIZE_MAX);
		freed += batch;
	} while (batch);
	mutex_unlock(&pool->grow_lock);
	return freed;
}
EXPORT_SYMBOL_NS_GPL(mpool_shrink, MPOOL_NS);

/*
 * Blocks of the regions but the first that may be wholly free: those
 * whose blocks out of the depot are no more than the CPUs' rings hold,
 * which the scan empties before it judges them.  An estimate, as a count
 * may be; the scan is exact.
 */
static unsigned long mpool_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct mpool *pool = mpool_shrinker_pool(shrinker);
	struct mpool_region *region;
	unsigned long nr = 0;
	size_t cached = 0;
	unsigned int slot;

	if (READ_ONCE(pool->nr_regions) == 1)
		return SHRINK_EMPTY;
	if (pool->cache_size)
		cached = mpool_caches_count(pool);
	rcu_read_lock();
	for (slot = 1; slot < pool->max_slots; slot++) {
		region = rcu_dereference(pool->regions[slot]);
		if (region &&
		    READ_ONCE(region->nr_free) + cached >= region->nr_blocks)
			nr += region->nr_blocks;
	}
	rcu_read_unlock();
	return nr ?: SHRINK_EMPTY;
}

static unsigned long mpool_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct mpool *pool = mpool_shrinker_pool(shrinker);
	unsigned long freed;

	/* A grow or a shrink runs: this one would only wait for it. */
	if (!mutex_trylock(&pool->grow_lock))
		return SHRINK_STOP;
	freed = mpool_shrink_regions(pool, sc->nr_to_scan);
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
	pool->shrinker = mpool_shrinker_alloc(pool);
	if (!pool->shrinker)
		return -ENOMEM;
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
