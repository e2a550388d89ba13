// SPDX-License-Identifier: GPL-2.0
/*
 * The free list, hardened.
 *
 * A free block keeps the link to the next free block inside itself, so
 * a consumer that writes to a block after freeing it can corrupt the list
 * and make the pool hand out memory twice, or memory that is not the
 * pool's.  As with CONFIG_SLAB_FREELIST_HARDENED, a link is stored mixed
 * with a random per-pool key and its own address, and a link is checked
 * before it is followed: it must lead to a carved block in the depot.
 * A link that does not is never followed: its block is quarantined and
 * the list is rebuilt from the blocks' states, which live outside the
 * region and so out of a consumer's reach.
 *
 * The rebuild goes a batch of states per hold of the lock, from the top
 * of the carved blocks down: the blocks at and above @rescan are on the
 * list if they are in the depot, the ones below it are not yet, and a
 * block put back below it only has its state set, for the rescan to find.
 *
 * Every block popped is either handed out or quarantined before the next
 * pop, so a link that loops back to one of them fails the check as well.
 */

static unsigned long *mpool_link_slot(const struct mpool *pool, void *block)
{
	return block + pool->link_offset;
}

/* swab() puts the address's varying low bits where pointers vary least. */
static unsigned long mpool_link_mask(const struct mpool *pool,
				     const unsigned long *slot)
{
	return pool->link_key ^ swab((unsigned long)slot);
}

static void mpool_link_store(struct mpool *pool, void *block, void *next)
{
	unsigned long *slot = mpool_link_slot(pool, block);

	*slot = (unsigned long)next ^ mpool_link_mask(pool, slot);
}

static void *mpool_link_load(const struct mpool *pool, void *block)
{
	unsigned long *slot = mpool_link_slot(pool, block);

	return (void *)(*slot ^ mpool_link_mask(pool, slot));
}

/* Whether @next may follow a free block: the end, or a carved depot block. */
static bool mpool_link_valid(const struct mpool *pool, const void *next)
{
	unsigned long offset;
	size_t index;

	lockdep_assert_held(&pool->lock);

	if (!next)
		return true;
	offset = mpool_offset(pool, next);
	/* Below @rescan, a block in the depot is not on the list. */
	if (offset >= pool->nr_carved * pool->stride ||
	    offset < pool->rescan * pool->stride)
		return false;
	index = mpool_offset_index(pool, offset);
	return offset == index * pool->stride &&
	       READ_ONCE(pool->state[index]) == MPOOL_BLOCK_IN_DEPOT;
}

static void mpool_link_in(struct mpool *pool, void *block)
{
	mpool_link_store(pool, block, pool->free_list);
	WRITE_ONCE(pool->free_list, block);
}

/* Put a block the caller holds in the depot: on the list, or for the rescan. */
static void mpool_push_free(struct mpool *pool, void *block)
{
	size_t index = mpool_block_index(pool, block);

	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(pool->state[index], MPOOL_BLOCK_IN_DEPOT);
	if (index >= pool->rescan)
		mpool_link_in(pool, block);
}

static void mpool_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(pool->state[index], MPOOL_BLOCK_QUARANTINED);
	pool->quarantined++;
}

static bool mpool_rescan_pending(const struct mpool *pool)
{
	return pool->rescan;
}

/* One batch of the rebuild: list the depot's blocks among the next states. */
static void mpool_rescan_step(struct mpool *pool)
{
	size_t stop = pool->rescan - min_t(size_t, pool->rescan,
					   MPOOL_HOLD_BLOCKS);

	lockdep_assert_held(&pool->lock);

	mpool_hold_work(pool, pool->rescan - stop);
	while (pool->rescan > stop) {
		WRITE_ONCE(pool->rescan, pool->rescan - 1);
		if (READ_ONCE(pool->state[pool->rescan]) == MPOOL_BLOCK_IN_DEPOT)
			mpool_link_in(pool, mpool_block(pool, pool->rescan));
	}
}

/*
 * @block's link is corrupt: drop the block, and the list, which the
 * rescan rebuilds from the state map.  Whoever finds the list empty
 * while the rescan is pending takes the next step.
 */
static void mpool_link_corrupt(struct mpool *pool, void *block,
			       struct mpool_corruption *c)
{
	size_t index = mpool_block_index(pool, block);

	pool->freelist_errors++;
	mpool_quarantine(pool, index);
	mpool_record_corruption(pool, c, MPOOL_CORRUPT_LINK, index,
				pool->link_offset);
	WRITE_ONCE(pool->free_list, NULL);
	WRITE_ONCE(pool->rescan, pool->nr_carved);
	if (c->kind == MPOOL_CORRUPT_LINK && c->index == index)
		c->nr_free = mpool_depot_nr_free(pool) -
			     (pool->nr_blocks - pool->nr_carved);
}

/* Take the first free block off the list, or return NULL when it is empty. */
static void *mpool_pop_free(struct mpool *pool, struct mpool_corruption *c)
{
	void *block, *next;

	lockdep_assert_held(&pool->lock);

	while ((block = pool->free_list)) {
		next = mpool_link_load(pool, block);
		if (likely(next != block && mpool_link_valid(pool, next))) {
			WRITE_ONCE(pool->free_list, next);
			return block;
		}
		mpool_link_corrupt(pool, block, c);
	}
	return NULL;
}
