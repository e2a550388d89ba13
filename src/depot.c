// SPDX-License-Identifier: GPL-2.0
/*
 * The depot: the blocks no CPU caches, behind the pool's lock, on its
 * free list, or for MPOOL_NO_PERCPU on its lock-free stack (stack.c),
 * which allocs and frees also use without the lock.  It hands them out
 * in batches, carving fresh blocks only when no freed one is left, and
 * counts the blocks out of it for the peak.
 *
 * Every hold of the lock does at most one batch of work, whatever the
 * caller asked for: a bulk call or a rebuild of the free list goes a
 * batch at a time, dropping the lock in between.  A block is never out
 * of sight in between: a bulk alloc keeps what it has gathered in a stash
 * on the pool, where any alloc that finds nothing else takes from it.
 */

/*
 * Take up to @nr blocks into @blocks: freed ones first, then fresh ones.
 * Each is the caller's from here on, marked CACHED until it is handed out.
 * A fresh block of a MPOOL_POISON pool holds its poison since the pool
 * was created: no block's bytes are written under the lock.  For a single
 * block, a pool with a stack carves the rest of a batch onto it, in
 * order, for the next allocs to take without the lock (a bulk alloc
 * carves its own batches, and may check their poison in the same hold).
 */
static size_t mpool_depot_get(struct mpool *pool, void **blocks, size_t nr,
			      struct mpool_corruption *c)
{
	size_t got, carved = pool->nr_carved, more;

	lockdep_assert_held(&pool->lock);

	if (pool->stack_next)
		got = mpool_stack_pop_many(pool, blocks, nr);
	else
		got = mpool_pop_free(pool, blocks, nr, c);
	while (got < nr && carved < pool->nr_blocks) {
		WRITE_ONCE(pool->state[carved], MPOOL_BLOCK_CACHED);
		blocks[got++] = mpool_block(pool, carved++);
		/* After the block was taken: see stack.c. */
		atomic_long_inc(&pool->nr_out);
	}
	/* Carved just now: the stack was empty, and this one block is got. */
	if (pool->stack_next && nr == 1 && carved > pool->nr_carved) {
		more = min_t(size_t, MPOOL_HOLD_BLOCKS - 1,
			     pool->nr_blocks - carved);
		mpool_stack_push_fresh(pool, carved, more);
		carved += more;
		mpool_hold_work(pool, more);
	}
	WRITE_ONCE(pool->nr_carved, carved);
	mpool_hold_work(pool, got);
	return got;
}

/*
 * The blocks out of the depot are the caller's to keep: a new peak?  Not
 * for what a bulk alloc gathers and then gives back.
 */
static void mpool_depot_note_peak(struct mpool *pool)
{
	lockdep_assert_held(&pool->lock);

	mpool_note_peak(pool, atomic_long_read(&pool->nr_out));
}

/*
 * Take back @nr free blocks the caller holds, the last one first.
 * Returns how many tasks waiting for a block to wake for them.
 */
static unsigned int mpool_depot_put_many(struct mpool *pool, void **blocks,
					 size_t nr)
{
	lockdep_assert_held(&pool->lock);

	if (pool->stack_next) {
		mpool_stack_push(pool, blocks, nr);
	} else {
		mpool_push_free(pool, blocks, nr);
		atomic_long_sub(nr, &pool->nr_out);
	}
	mpool_hold_work(pool, nr);
	return min_t(size_t, nr, pool->nr_waiters);
}

/* Take a block the caller holds out of service: it was found corrupted. */
static void mpool_depot_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	mpool_quarantine(pool, index);
	atomic_long_dec(&pool->nr_out);
}

/* Free blocks in the depot: listed, awaiting the rescan, or never carved. */
static size_t mpool_depot_nr_free(const struct mpool *pool)
{
	return pool->nr_blocks - atomic_long_read(&pool->nr_out) -
	       pool->quarantined;
}

/* A bulk alloc's blocks, gathered a batch per hold, on pool->stashes. */
struct mpool_stash {
	struct list_head node;
	void **blocks;
	size_t nr;
};

/*
 * For a single alloc that found no other block: one block from a bulk
 * alloc's stash, which gathers again, or fails.  One: a refill that cached
 * a batch of them would only have it stolen back.  Bulk allocs do not
 * take from each other's stashes: two could take turns for ever.
 */
static size_t mpool_stashes_steal(struct mpool *pool, void **blocks)
{
	struct mpool_stash *stash;

	lockdep_assert_held(&pool->lock);

	list_for_each_entry(stash, &pool->stashes, node) {
		if (stash->nr) {
			blocks[0] = stash->blocks[--stash->nr];
			mpool_hold_work(pool, 1);
			return 1;
		}
	}
	return 0;
}

/*
 * Under the lock, one batch at most: take up to @nr free blocks from the
 * depot, then the CPUs' caches, then, for a single alloc (no @self of its
 * own), one block from a bulk alloc's stash, saying in *@source which
 * (left as it was when it returns 0).  Returns 0 with *@again when this
 * hold went to the free list's rebuild: the caller must look again, in a
 * new hold, before it concludes that no block is free.
 */
static size_t mpool_gather(struct mpool *pool, void **blocks, size_t nr,
			   struct mpool_stash *self, struct mpool_corruption *c,
			   bool *again, enum mpool_source *source)
{
	size_t got;

	lockdep_assert_held(&pool->lock);

	*again = mpool_rescan_pending(pool) && !pool->free_list;
	if (*again) {
		mpool_rescan_step(pool);
		return 0;
	}
	/* Steal only when the depot is empty: the next hold goes on. */
	got = mpool_depot_get(pool, blocks, nr, c);
	*source = got ? MPOOL_FROM_DEPOT : MPOOL_FROM_STEAL;
	if (!got)
		got = mpool_caches_steal(pool, blocks, nr);
	if (!got && !self)
		got = mpool_stashes_steal(pool, blocks);
	/* A corrupt link found just now started a rebuild. */
	*again = !got && mpool_rescan_pending(pool);
	return got;
}
