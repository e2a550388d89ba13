// SPDX-License-Identifier: GPL-2.0
/*
 * The depot: the blocks no CPU caches, behind the pool's lock, on its
 * free list, or for MPOOL_NO_PERCPU on its lock-free stack (stack.c),
 * which allocs and frees also use without the lock.  It hands them out
 * in batches, carving fresh blocks only when no freed one is left, and
 * counts the blocks out of it for the peak (but a stack's: stack.c).
 *
 * Every hold of the lock does at most one batch of work, whatever the
 * caller asked for: a bulk call, a rebuild of the free list or a sweep
 * of the CPUs' rings goes a batch at a time, dropping the lock in
 * between.  A block is never out of sight in between: a bulk alloc keeps
 * what it has gathered in a stash on the pool, where any alloc that finds
 * nothing else takes from it.
 */

/*
 * Carve up to @nr fresh blocks of @region into @blocks, marked CACHED, to
 * the end of a run at most.  Returns how many.
 */
static size_t mpool_carve(struct mpool *pool, struct mpool_region *region,
			  void **blocks, size_t nr)
{
	size_t got = 0, carved = region->nr_carved;

	while (got < nr && carved < region->nr_blocks) {
		WRITE_ONCE(*mpool_state(pool, region->first + carved),
			   MPOOL_BLOCK_CACHED);
		blocks[got++] = mpool_region_block(pool, region, carved++);
		if (!(carved & (BIT(pool->run_shift) - 1)))
			break;
	}
	WRITE_ONCE(region->nr_carved, carved);
	return got;
}

/*
 * A MPOOL_NO_PERCPU pool's depot_get: its stack, then fresh blocks of its
 * one region.  For a single block, the rest of the run goes onto the
 * stack, in order, for the next allocs to take without the lock (a bulk
 * alloc carves its own batches, and may check their poison in the same
 * hold).
 */
static size_t mpool_depot_get_stack(struct mpool *pool, void **blocks,
				    size_t nr)
{
	struct mpool_region *home = &pool->home;
	size_t got, carved = home->nr_carved, more;

	got = mpool_stack_pop_many(pool, blocks, nr);
	got += mpool_carve(pool, home, blocks + got, nr - got);
	/* Carved just now: the stack was empty, and this one block is got. */
	if (nr == 1 && home->nr_carved > carved) {
		carved = home->nr_carved;
		/* The rest of its run. */
		more = min_t(size_t, ALIGN(carved, BIT(pool->run_shift)) - carved,
			     home->nr_blocks - carved);
		mpool_stack_push_fresh(pool, carved, more);
		WRITE_ONCE(home->nr_carved, carved + more);
		mpool_hold_work(pool, more);
	}
	/* A failed bulk alloc's carves too: the stack hands them out next. */
	mpool_depot_note_peak(pool);
	mpool_hold_work(pool, got);
	return got;
}

/*
 * mpool_depot_get() from the first region of the slots @slots that has
 * any: more than one is looked at only while a rebuild keeps its blocks
 * off its list.
 */
static size_t mpool_depot_get_from(struct mpool *pool,
				   const unsigned long *slots, void **blocks,
				   size_t nr, struct mpool_corruption *c)
{
	struct mpool_region *region;
	unsigned int slot;
	size_t got, fresh;

	for_each_set_bit(slot, slots, pool->max_slots) {
		region = rcu_dereference_protected(pool->regions[slot],
						   lockdep_is_held(&pool->lock));
		got = mpool_pop_free(pool, region, blocks, nr, c);
		fresh = mpool_carve(pool, region, blocks + got, nr - got);
		WRITE_ONCE(pool->nr_out, pool->nr_out + fresh);
		mpool_region_took(pool, region, fresh);
		got += fresh;
		if (got)
			return got;
	}
	return 0;
}

/*
 * Take up to @nr blocks into @blocks, all of one region: freed ones first,
 * then fresh ones, up to the end of a run at most, so that the next carve
 * begins a run, and its state line, of its own (mpool_state()).  The
 * region with the lowest slot that has any: the first region's blocks
 * are used first, and the last regions added are the first to empty out
 * for a shrink.  Each block is the caller's from here on, marked CACHED
 * until it is handed out.  A fresh block of a MPOOL_POISON pool holds its
 * poison since its region was made: no block's bytes are written under
 * the lock.  With MPOOL_NUMA, a region of this CPU's node if one has any,
 * else of any node: exhaustion stays exact.
 */
static size_t mpool_depot_get(struct mpool *pool, void **blocks, size_t nr,
			      struct mpool_corruption *c)
{
	size_t got = 0;

	lockdep_assert_held(&pool->lock);

	if (pool->stack_next)
		return mpool_depot_get_stack(pool, blocks, nr);
	/*
	 * This CPU's node first, or the nearest with memory if it has none:
	 * IRQs are off, the CPU stays.
	 */
	if (pool->node_with_free)
		got = mpool_depot_get_from(pool, mpool_node_slots(pool,
								  numa_mem_id()),
					   blocks, nr, c);
	if (!got)
		got = mpool_depot_get_from(pool, pool->with_free, blocks, nr, c);
	mpool_hold_work(pool, got);
	return got;
}

/*
 * The blocks out of the depot are the caller's to keep: a new peak?  With
 * caches, not for what a bulk alloc gathers and then gives back.  A stack
 * counts no blocks out (stack.c): a fresh block is carved only when the
 * stack is empty, when every carved block is out of the depot (handed
 * out, held by a free not yet pushed or by a bulk alloc gathering), so
 * its peak is what it carved, noted at each carve, a failed bulk alloc's
 * too: at most the rest of a run above the most blocks out at once.
 */
static void mpool_depot_note_peak(struct mpool *pool)
{
	unsigned long out;

	lockdep_assert_held(&pool->lock);

	if (pool->stack_next)
		out = pool->home.nr_carved - pool->quarantined;
	else
		out = pool->nr_out;
	/* Read without the lock in NMI: mpool_stats_counters(). */
	if (out > pool->peak_out)
		WRITE_ONCE(pool->peak_out, out);
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
		WRITE_ONCE(pool->nr_out, pool->nr_out - nr);
	}
	mpool_hold_work(pool, nr);
	return min_t(size_t, nr, pool->nr_waiters);
}

/* Take a block the caller holds out of service: it was found corrupted. */
static void mpool_depot_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	mpool_quarantine(pool, index);
	if (!pool->stack_next)
		WRITE_ONCE(pool->nr_out, pool->nr_out - 1);
}

/*
 * Free blocks in the depot, in every region: listed, awaiting the rescan,
 * or never carved.  Not for a stack, which counts no blocks out.
 */
static size_t mpool_depot_nr_free(const struct mpool *pool)
{
	return pool->nr_blocks - pool->nr_out - pool->quarantined;
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
 * depot, else from the CPUs' caches (a bounded part of a sweep per hold),
 * else, for a single alloc (no stash of its own), one block from a bulk
 * alloc's stash; @g->source says which.  Returns 0 with @g->again when a
 * new hold may still find one: the sweep of the rings is not done, or the
 * free list's rebuild took a step.  A call that may not block (its gfp
 * says so) takes one step of a rebuild at most, so that an alloc with
 * IRQs off makes a bounded number of holds; it fails meanwhile if that
 * step found nothing, and the allocs that follow take the next steps.
 * Fresh blocks are carved before the rebuild goes on: they are free just
 * as well.  A pool that may grow asks for its worker when the depot runs
 * low or empty (grow.c).
 */
static size_t mpool_gather(struct mpool *pool, void **blocks, size_t nr,
			   struct mpool_gathering *g)
{
	size_t got;

	lockdep_assert_held(&pool->lock);

	g->again = false;
	got = mpool_depot_get(pool, blocks, nr, g->c);
	/* Below the low mark now, or empty: a worker adds a region. */
	if (unlikely(pool->grow_blocks))
		mpool_grow_check(pool, !got);
	if (got) {
		g->source = MPOOL_FROM_DEPOT;
		return got;
	}
	got = mpool_caches_steal(pool, blocks, nr, g);
	if (!got && g->rings_left) {
		g->again = true;
		return 0;
	}
	if (!got && !g->self)
		got = mpool_stashes_steal(pool, blocks);
	if (got) {
		g->source = MPOOL_FROM_STEAL;
		return got;
	}
	if (mpool_rescan_pending(pool) && (g->may_block || !g->rebuilt)) {
		/* The rings this hold looked at were work too. */
		mpool_rescan_step(pool, MPOOL_HOLD_BLOCKS - g->visited);
		g->rebuilt = true;
		g->again = true;
	}
	return 0;
}
