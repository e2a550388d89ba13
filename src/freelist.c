// SPDX-License-Identifier: GPL-2.0
/*
 * The free lists, hardened: one per region, so that a region whose
 * blocks are all free leaves the depot in one step.
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
 * The rebuild is a region's, and goes a batch of states per hold of the
 * lock, from the top of its carved blocks down: the blocks at and above
 * its @rescan are on the list if they are in the depot, the ones below it
 * are not yet, and a block put back below it only has its state set, for
 * the rescan to find.
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
 * Where a link may lead in this hold of the lock: the region's carved
 * blocks at and above its @rescan, as offsets from its base.  Loaded once
 * per batch.
 */
struct mpool_link_bounds {
	unsigned long lo;
	unsigned long hi;
};

static void mpool_link_bounds(const struct mpool *pool,
			      const struct mpool_region *region,
			      struct mpool_link_bounds *b)
{
	lockdep_assert_held(&pool->lock);

	b->lo = region->rescan * pool->stride;
	b->hi = region->nr_carved * pool->stride;
}

/*
 * Whether @next may follow a free block of @region: the end, or a carved
 * block of the same region in the depot at or above its @rescan, whose
 * global index goes to *@index.  A link never leads to another region:
 * each keeps its own list.
 */
static __always_inline bool mpool_link_valid(const struct mpool *pool,
					     const struct mpool_region *region,
					     const struct mpool_link_bounds *b,
					     const void *next, size_t *index)
{
	unsigned long offset;
	size_t local;

	if (!next)
		return true;
	offset = (unsigned long)next - (unsigned long)region->base;
	if (offset >= b->hi || offset < b->lo)
		return false;
	local = mpool_offset_index(pool, offset);
	*index = region->first + local;
	return offset == local * pool->stride &&
	       READ_ONCE(*mpool_state(pool, *index)) == MPOOL_BLOCK_IN_DEPOT;
}

/* Carved blocks of @region in the depot: on its list, or to rescan. */
static size_t mpool_carved_free(const struct mpool_region *region)
{
	return region->nr_free - (region->nr_blocks - region->nr_carved);
}

/* MPOOL_NUMA: the slots of node @nid's regions with free blocks. */
static unsigned long *mpool_node_slots(const struct mpool *pool, int nid)
{
	return pool->node_with_free + nid * BITS_TO_LONGS(pool->max_slots);
}

/*
 * @region has @nr more blocks in the depot, or fewer with @nr negative:
 * its count, the maps of slots with free blocks, its node's count.
 */
static void mpool_region_count(struct mpool *pool, struct mpool_region *region,
			       long nr)
{
	bool was_empty = !region->nr_free;

	/* Read without the lock by the shrinker's count and debugfs. */
	WRITE_ONCE(region->nr_free, region->nr_free + nr);
	if (pool->node_free)
		WRITE_ONCE(pool->node_free[region->nid],
			   pool->node_free[region->nid] + nr);
	if (was_empty == !region->nr_free)
		return;
	if (was_empty) {
		__set_bit(region->slot, pool->with_free);
		if (pool->node_with_free)
			__set_bit(region->slot,
				  mpool_node_slots(pool, region->nid));
	} else {
		__clear_bit(region->slot, pool->with_free);
		if (pool->node_with_free)
			__clear_bit(region->slot,
				    mpool_node_slots(pool, region->nid));
	}
}

/* Put @block, of @region, at the head of its list. */
static void mpool_link_in(struct mpool *pool, struct mpool_region *region,
			  void *block)
{
	mpool_link_store(pool, block, region->free_list);
	WRITE_ONCE(region->free_list, block);
}

/* @nr of @region's blocks in the depot are now the caller's. */
static void mpool_region_took(struct mpool *pool, struct mpool_region *region,
			      size_t nr)
{
	lockdep_assert_held(&pool->lock);

	mpool_region_count(pool, region, -(long)nr);
	if (region->nr_free)
		return;
	/* No block of it in the depot: nothing is left to rebuild. */
	if (region->rescan) {
		WRITE_ONCE(region->rescan, 0);
		WRITE_ONCE(pool->nr_rescans, pool->nr_rescans - 1);
	}
}

/*
 * Put @nr blocks the caller holds in the depot, the last one first: each
 * on its region's list, or, below the region's @rescan, for the rescan to
 * find.  The list's head stays in a register while the blocks are of one
 * region, as a pool of one region's always are.
 */
static void mpool_push_free(struct mpool *pool, void **blocks, size_t nr)
{
	struct mpool_region *region = NULL, *next;
	void *head = NULL;
	size_t index, here = 0;

	lockdep_assert_held(&pool->lock);

	while (nr--) {
		index = mpool_block_index(pool, blocks[nr]);
		next = mpool_index_region(pool, index);
		if (next != region) {
			if (region) {
				WRITE_ONCE(region->free_list, head);
				mpool_region_count(pool, region, here);
			}
			region = next;
			head = region->free_list;
			here = 0;
		}
		here++;
		WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_IN_DEPOT);
		if (index - region->first >= region->rescan) {
			mpool_link_store(pool, blocks[nr], head);
			head = blocks[nr];
		}
	}
	if (region) {
		WRITE_ONCE(region->free_list, head);
		mpool_region_count(pool, region, here);
	}
}

static void mpool_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_QUARANTINED);
	/* Read without the lock by a sleeper's wake-up condition. */
	WRITE_ONCE(pool->quarantined, pool->quarantined + 1);
}

static bool mpool_rescan_pending(const struct mpool *pool)
{
	return pool->nr_rescans;
}

/* Drop @region's list, for the rescan to rebuild from the state map. */
static void mpool_rescan_begin(struct mpool *pool, struct mpool_region *region)
{
	WRITE_ONCE(region->free_list, NULL);
	if (!region->rescan)
		WRITE_ONCE(pool->nr_rescans, pool->nr_rescans + 1);
	WRITE_ONCE(region->rescan, region->nr_carved);
}

/* The first region whose list is being rebuilt. */
static struct mpool_region *mpool_rescanning(struct mpool *pool)
{
	struct mpool_region *region;
	unsigned int slot;

	for_each_set_bit(slot, pool->with_free, pool->max_slots) {
		region = rcu_dereference_protected(pool->regions[slot],
						   lockdep_is_held(&pool->lock));
		if (region->rescan)
			return region;
	}
	return NULL;
}

/*
 * One batch of the rebuild, @max states at most: list the depot's blocks
 * among them, of the first region being rebuilt.
 */
static void mpool_rescan_step(struct mpool *pool, size_t max)
{
	struct mpool_region *region = mpool_rescanning(pool);
	size_t stop, local;

	lockdep_assert_held(&pool->lock);

	/* Cannot happen: a region to rebuild has blocks in the depot. */
	if (WARN_ON_ONCE(!region)) {
		WRITE_ONCE(pool->nr_rescans, 0);
		return;
	}
	stop = region->rescan - min(region->rescan, max);
	mpool_hold_work(pool, region->rescan - stop);
	while (region->rescan > stop) {
		local = region->rescan - 1;
		WRITE_ONCE(region->rescan, local);
		if (READ_ONCE(*mpool_state(pool, region->first + local)) ==
		    MPOOL_BLOCK_IN_DEPOT)
			mpool_link_in(pool, region,
				      mpool_region_block(pool, region, local));
	}
	if (!region->rescan)
		WRITE_ONCE(pool->nr_rescans, pool->nr_rescans - 1);
}

/*
 * @block's link is corrupt: drop the block, and its region's list, which
 * the rescan rebuilds from the state map.  Whoever finds the depot empty
 * while the rescan is pending takes the next step.
 */
static void mpool_link_corrupt(struct mpool *pool, struct mpool_region *region,
			       void *block, struct mpool_corruption *c)
{
	size_t index = mpool_block_index(pool, block);

	pool->freelist_errors++;
	mpool_quarantine(pool, index);
	mpool_record_corruption(pool, c, MPOOL_CORRUPT_LINK, index,
				pool->link_offset);
	mpool_rescan_begin(pool, region);
	/* Out of the depot, into quarantine. */
	mpool_region_took(pool, region, 1);
	if (c->kind == MPOOL_CORRUPT_LINK && c->index == index)
		c->nr_free = mpool_carved_free(region);
}

/*
 * @region's list ran out while it counts carved blocks free that no
 * rescan is to find: their links were skipped.  A free block's link that
 * a consumer overwrote with an older value of its own still decodes, to
 * a block that was free then and is free again, and the blocks freed in
 * between drop off the list.  Count it, and rebuild the list from the
 * states.
 */
static void mpool_list_ended(struct mpool *pool, struct mpool_region *region,
			     struct mpool_corruption *c)
{
	size_t lost = mpool_carved_free(region);

	if (likely(!lost) || region->rescan)
		return;
	pool->freelist_errors++;
	mpool_record_corruption(pool, c, MPOOL_CORRUPT_LOST, 0, 0);
	if (c->kind == MPOOL_CORRUPT_LOST)
		c->nr_free = lost;
	mpool_rescan_begin(pool, region);
}

/*
 * Take up to @nr blocks off @region's list into @blocks, each marked
 * CACHED and counted out of the depot: the caller's.  Returns how many;
 * fewer when the list runs out, or at a corrupt link, which drops the
 * list for a rebuild.  Each block is marked before its successor's link
 * is followed, so a link that loops back to a block taken fails the
 * check as well.
 */
static size_t mpool_pop_free(struct mpool *pool, struct mpool_region *region,
			     void **blocks, size_t nr,
			     struct mpool_corruption *c)
{
	void *block = region->free_list, *next;
	struct mpool_link_bounds bounds;
	size_t got = 0, index, next_index = 0;

	lockdep_assert_held(&pool->lock);

	if (!block)
		return 0;
	mpool_link_bounds(pool, region, &bounds);
	/* The head was checked as a link when it was put there. */
	index = mpool_block_index(pool, block);
	while (got < nr && block) {
		next = mpool_link_load(pool, block);
		if (unlikely(next == block ||
			     !mpool_link_valid(pool, region, &bounds, next,
					       &next_index))) {
			/* Those taken are out: the report counts the rest. */
			WRITE_ONCE(pool->nr_out, pool->nr_out + got);
			mpool_region_took(pool, region, got);
			mpool_link_corrupt(pool, region, block, c);
			return got;
		}
		WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_CACHED);
		blocks[got++] = block;
		block = next;
		index = next_index;
	}
	WRITE_ONCE(region->free_list, block);
	WRITE_ONCE(pool->nr_out, pool->nr_out + got);
	mpool_region_took(pool, region, got);
	if (!block)
		mpool_list_ended(pool, region, c);
	return got;
}
