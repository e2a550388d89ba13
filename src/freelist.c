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
 * region and so out of a consumer's reach.  A link that does, but skips
 * free blocks (an old value written back), is found when the list ends
 * short of the blocks the depot counts free, and the list is rebuilt.
 *
 * A call that may not block takes one step of a rebuild at most
 * (mpool_gather()): the work of one alloc with IRQs off stays bounded,
 * whatever the pool's size.
 *
 * The rebuild goes a batch of states per hold of the lock, from the top
 * of the carved blocks down: the blocks at and above @rescan are on the
 * list if they are in the depot, the ones below it are not yet, and a
 * block put back below it only has its state set, for the rescan to find.
 *
 * Every block popped is marked CACHED before the next link is followed,
 * so a link that loops back to one of them fails the check as well.
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

/*
 * Where a link may lead in this hold of the lock: the carved blocks at
 * and above @rescan, as offsets.  Loaded once per batch.
 */
struct mpool_link_bounds {
	unsigned long lo;
	unsigned long hi;
};

static void mpool_link_bounds(const struct mpool *pool,
			      struct mpool_link_bounds *b)
{
	lockdep_assert_held(&pool->lock);

	b->lo = pool->rescan * pool->stride;
	b->hi = pool->nr_carved * pool->stride;
}

/*
 * Whether @next may follow a free block: the end, or a carved block in
 * the depot at or above @rescan, whose index goes to *@index.
 */
static __always_inline bool mpool_link_valid(const struct mpool *pool,
					     const struct mpool_link_bounds *b,
					     const void *next, size_t *index)
{
	unsigned long offset;

	if (!next)
		return true;
	offset = mpool_offset(pool, next);
	if (offset >= b->hi || offset < b->lo)
		return false;
	*index = mpool_offset_index(pool, offset);
	return offset == *index * pool->stride &&
	       READ_ONCE(*mpool_state(pool, *index)) == MPOOL_BLOCK_IN_DEPOT;
}

/* Carved blocks in the depot: on the list, or awaiting the rescan. */
static size_t mpool_carved_free(const struct mpool *pool)
{
	return mpool_depot_nr_free(pool) - (pool->nr_blocks - pool->nr_carved);
}

static void mpool_link_in(struct mpool *pool, void *block)
{
	mpool_link_store(pool, block, pool->free_list);
	WRITE_ONCE(pool->free_list, block);
}

/*
 * Put @nr blocks the caller holds in the depot, the last one first: on
 * the list, or, below @rescan, for the rescan to find.  The list's head
 * stays in a register until the last one is in.
 */
static void mpool_push_free(struct mpool *pool, void **blocks, size_t nr)
{
	void *head = pool->free_list;
	size_t rescan = pool->rescan;
	size_t index;

	lockdep_assert_held(&pool->lock);

	while (nr--) {
		index = mpool_block_index(pool, blocks[nr]);
		WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_IN_DEPOT);
		if (index >= rescan) {
			mpool_link_store(pool, blocks[nr], head);
			head = blocks[nr];
		}
	}
	WRITE_ONCE(pool->free_list, head);
}

static void mpool_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_QUARANTINED);
	pool->quarantined++;
}

static bool mpool_rescan_pending(const struct mpool *pool)
{
	return pool->rescan;
}

/*
 * One batch of the rebuild, @max states at most: list the depot's blocks
 * among them.
 */
static void mpool_rescan_step(struct mpool *pool, size_t max)
{
	size_t stop = pool->rescan - min(pool->rescan, max);

	lockdep_assert_held(&pool->lock);

	mpool_hold_work(pool, pool->rescan - stop);
	while (pool->rescan > stop) {
		WRITE_ONCE(pool->rescan, pool->rescan - 1);
		if (READ_ONCE(*mpool_state(pool, pool->rescan)) == MPOOL_BLOCK_IN_DEPOT)
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
		c->nr_free = mpool_carved_free(pool);
}

/*
 * The list ran out while the depot counts carved blocks free that no
 * rescan is to find: their links were skipped.  A free block's link that
 * a consumer overwrote with an older value of its own still decodes, to
 * a block that was free then and is free again, and the blocks freed in
 * between drop off the list.  Count it, and rebuild the list from the
 * states.
 */
static void mpool_list_ended(struct mpool *pool, struct mpool_corruption *c)
{
	size_t lost = mpool_carved_free(pool);

	if (likely(!lost) || mpool_rescan_pending(pool))
		return;
	pool->freelist_errors++;
	mpool_record_corruption(pool, c, MPOOL_CORRUPT_LOST, 0, 0);
	if (c->kind == MPOOL_CORRUPT_LOST)
		c->nr_free = lost;
	WRITE_ONCE(pool->rescan, pool->nr_carved);
}

/*
 * Take up to @nr blocks off the list into @blocks, each marked CACHED and
 * counted out of the depot: the caller's.  Returns how many; fewer when
 * the list runs out, or at a corrupt link, which drops the list for a
 * rebuild.  Each block is marked
 * before its successor's link is followed, so a link that loops back to
 * a block taken fails the check as well.
 */
static size_t mpool_pop_free(struct mpool *pool, void **blocks, size_t nr,
			     struct mpool_corruption *c)
{
	void *block = pool->free_list, *next;
	struct mpool_link_bounds bounds;
	size_t got = 0, index, next_index = 0;

	lockdep_assert_held(&pool->lock);

	if (!block)
		return 0;
	mpool_link_bounds(pool, &bounds);
	/* The head was checked as a link when it was put there. */
	index = mpool_block_index(pool, block);
	while (got < nr && block) {
		next = mpool_link_load(pool, block);
		if (unlikely(next == block ||
			     !mpool_link_valid(pool, &bounds, next,
					       &next_index))) {
			/* Those taken are out: the report counts the rest. */
			pool->nr_out += got;
			mpool_link_corrupt(pool, block, c);
			return got;
		}
		WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_CACHED);
		blocks[got++] = block;
		block = next;
		index = next_index;
	}
	WRITE_ONCE(pool->free_list, block);
	pool->nr_out += got;
	if (!block)
		mpool_list_ended(pool, c);
	return got;
}
