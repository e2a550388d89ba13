// SPDX-License-Identifier: GPL-2.0
/*
 * The exported bulk alloc and free.
 */

/*
 * Under the lock: keep the blocks of @blocks whose poison is intact, in
 * order, and quarantine the others.  Checked here, not once the blocks
 * are the caller's: a bulk alloc that fails gives its blocks back, and
 * none may be out of every other alloc's sight meanwhile.  Says how many.
 */
static size_t mpool_keep_reusable(struct mpool *pool, void **blocks,
				  size_t nr, struct mpool_corruption *c)
{
	size_t i, kept = 0;

	lockdep_assert_held(&pool->lock);

	for (i = 0; i < nr; i++) {
		if (mpool_poison_intact_locked(pool, blocks[i], c))
			blocks[kept++] = blocks[i];
	}
	mpool_hold_work(pool, nr);
	return kept;
}

/*
 * How many blocks a bulk alloc gathers in one hold: a batch, and for
 * MPOOL_POISON, whose blocks are checked under the lock, half of what a
 * steal leaves of one and no more than a page's worth of bytes (one
 * block at least).
 */
static size_t mpool_bulk_step(const struct mpool *pool, size_t nr)
{
	size_t step = MPOOL_HOLD_BLOCKS;

	if (pool->flags & MPOOL_POISON)
		step = clamp_t(size_t, PAGE_SIZE / pool->block_size, 1,
			       (MPOOL_HOLD_BLOCKS - MPOOL_STEAL_RINGS) / 2);
	return min(nr, step);
}

/*
 * A failed bulk alloc: put what its stash holds back in the depot, a
 * batch per hold, visible to every alloc all along, letting the CPU go
 * between holds if it @may_sleep.  Called and returns
 * with the lock held and the stash on the pool.
 */
static void mpool_stash_give_back(struct mpool *pool,
				  struct mpool_stash *stash,
				  unsigned long *flags, bool may_sleep)
	__releases(&pool->lock) __acquires(&pool->lock)
{
	unsigned int wake;
	size_t batch;

	lockdep_assert_held(&pool->lock);

	while (stash->nr) {
		batch = min_t(size_t, stash->nr, MPOOL_HOLD_BLOCKS);
		stash->nr -= batch;
		wake = mpool_depot_put_many(pool, stash->blocks + stash->nr,
					    batch);
		mpool_unlock(pool, *flags);
		mpool_wake_waiters(pool, wake);
		if (may_sleep)
			cond_resched();
		mpool_lock(pool, flags);
	}
}

/*
 * Take @nr free blocks into @blocks, or none.  All from this CPU's ring
 * in one cmpxchg if it holds them; else a batch per hold of the lock,
 * into a stash on the pool, from which an alloc that finds no other
 * block takes, so that the blocks are never out of sight: an alloc that
 * returns NULL meanwhile saw no block free anywhere, and a bulk alloc
 * that fails puts its stash back where sleepers are woken.  A call that
 * gathers is counted in @nr_gatherers, *@counted set, until it leaves,
 * so that mpool_destroy() waits for it.  With @may_sleep, it lets the
 * CPU go between holds, and rebuilds the free list to its end if it must.
 * *@source says where the blocks came from, MPOOL_FROM_STEAL if any one
 * was stolen.
 */
static bool mpool_take_bulk(struct mpool *pool, void **blocks, size_t nr,
			    bool may_sleep, struct mpool_corruption *c,
			    enum mpool_source *source, bool *counted)
{
	struct mpool_stash stash = { .blocks = blocks };
	struct mpool_gathering g = {
		.c = c, .self = &stash, .may_block = may_sleep,
	};
	unsigned long flags;
	size_t got, want;

	/* More than the pool has: no need to gather them all first. */
	if (nr > READ_ONCE(pool->nr_blocks) - READ_ONCE(pool->quarantined)) {
		mpool_lock(pool, &flags);
		/* More than it holds, not than it may hold: ask for a region. */
		if (pool->grow_blocks &&
		    nr <= pool->max_blocks - pool->quarantined)
			mpool_grow_check(pool, true);
		pool->alloc_failures++;
		mpool_unlock(pool, flags);
		return false;
	}
	/* Taken at once, never given back: checked outside the lock. */
	*source = MPOOL_FROM_CACHE;
	if (!(pool->flags & MPOOL_POISON) && nr <= pool->cache_size &&
	    mpool_cache_pop(pool, raw_cpu_ptr(pool->caches), blocks, nr, true))
		return true;

	*source = MPOOL_FROM_DEPOT;
	mpool_lock(pool, &flags);
	list_add(&stash.node, &pool->stashes);
	pool->nr_gatherers++;
	*counted = true;
	while (stash.nr < nr && likely(!pool->dying)) {
		want = mpool_bulk_step(pool, nr - stash.nr);
		got = mpool_gather(pool, blocks + stash.nr, want, &g);
		if (!got && !g.again)
			break;
		if (got && g.source == MPOOL_FROM_STEAL)
			*source = g.source;
		if (unlikely(pool->flags & MPOOL_POISON))
			got = mpool_keep_reusable(pool, blocks + stash.nr, got,
						  c);
		stash.nr += got;
		if (stash.nr == nr)
			break;
		mpool_unlock(pool, flags);
		mpool_test_point(pool, MPOOL_TEST_BULK_HOLDING);
		if (may_sleep)
			cond_resched();
		mpool_lock(pool, &flags);
	}
	got = stash.nr;
	if (got == nr) {
		mpool_depot_note_peak(pool);
	} else {
		mpool_stash_give_back(pool, &stash, &flags, may_sleep);
		pool->alloc_failures++;
	}
	list_del(&stash.node);
	mpool_unlock(pool, flags);
	return got == nr;
}

/**
 * mpool_alloc_bulk - allocate several blocks from a pool at once
 * @pool: pool to allocate from
 * @gfp: %__GFP_ZERO to zero the blocks; whether the caller may sleep
 * @nr: number of blocks wanted
 * @blocks: where to store the @nr pointers
 *
 * All or nothing, as kmem_cache_alloc_bulk(): either @nr blocks, or none
 * is the caller's and @blocks holds nothing to use.  Takes them all from
 * this CPU's cache when it holds them (not with %MPOOL_POISON), else a
 * batch per hold of the pool's lock, where a single alloc that finds no
 * other block may take one of those gathered so far.  Two bulk allocs
 * that gather at once do not take from each other: both may fail where
 * one alone would not.  Unlike mpool_alloc(), never waits for frees,
 * whatever @gfp allows: @nr blocks at once may never come free; with a
 * @gfp that allows blocking it lets the CPU go between batches, and
 * finishes a rebuild of the free list that it finds under way, which a
 * call that may not block takes one step of at most.  The blocks are
 * checked and zeroed as mpool_alloc() does.  A bulk alloc that gathers
 * when mpool_destroy() begins returns 0, and the destroy waits for it.
 *
 * Context: Any context but NMI if @gfp does not allow blocking; process
 * context otherwise.
 * Return: @nr, or 0 when fewer than @nr blocks are free to it (see
 * above) or fail_alloc fires.
 */
int mpool_alloc_bulk(struct mpool *pool, gfp_t gfp, size_t nr, void **blocks)
{
	struct mpool_corruption corruption = { .kind = MPOOL_CORRUPT_NONE };
	enum mpool_source source;
	bool counted = false;
	size_t got, i;

	if (WARN_ON_ONCE(in_nmi()))
		return 0;
	if (unlikely(mpool_injected_failure(pool))) {
		trace_mpool_alloc_fail(pool, _RET_IP_, gfp, nr);
		return 0;
	}
	might_sleep_if(gfpflags_allow_blocking(gfp));
	got = nr && mpool_take_bulk(pool, blocks, nr,
				    gfpflags_allow_blocking(gfp), &corruption,
				    &source, &counted) ? nr : 0;
	if (nr && !got)
		trace_mpool_alloc_fail(pool, _RET_IP_, gfp, nr);
	for (i = 0; i < got; i++)
		mpool_hand_out(pool, blocks[i], gfp, _RET_IP_);
	/* A loop of its own, out of the way of the one above while off. */
	if (trace_mpool_alloc_enabled()) {
		for (i = 0; i < got; i++)
			trace_mpool_alloc(pool, blocks[i], _RET_IP_, gfp,
					  source);
	}
	this_cpu_add(pool->caches->allocs, got);
	if (unlikely(corruption.kind != MPOOL_CORRUPT_NONE))
		mpool_report_corruption(pool, &corruption);
	if (counted)
		mpool_leave(pool, &pool->nr_gatherers);
	return got;
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc_bulk, MPOOL_NS);

/**
 * mpool_free_bulk - return several blocks to their pool at once
 * @pool: pool the blocks came from
 * @nr: number of blocks
 * @blocks: blocks from mpool_alloc() or mpool_alloc_bulk() on @pool; NULL
 *	entries are skipped
 *
 * Each block is checked as mpool_free() checks it, and a bad one is
 * refused, counted and reported alone; the good ones go back together.
 * @blocks is used as scratch space, as kmem_cache_free_bulk() does: its
 * contents are undefined on return.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_free_bulk(struct mpool *pool, size_t nr, void **blocks)
{
	mpool_free_many(pool, nr, blocks, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(mpool_free_bulk, MPOOL_NS);
