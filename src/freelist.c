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
	if (offset >= pool->nr_carved * pool->stride)
		return false;
	index = mpool_offset_index(pool, offset);
	return offset == index * pool->stride &&
	       READ_ONCE(pool->state[index]) == MPOOL_BLOCK_IN_DEPOT;
}

static void mpool_push_free(struct mpool *pool, void *block)
{
	lockdep_assert_held(&pool->lock);

	mpool_link_store(pool, block, pool->free_list);
	pool->free_list = block;
}

static void mpool_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(pool->state[index], MPOOL_BLOCK_QUARANTINED);
	pool->quarantined++;
}

/* Chain every carved block that is in the depot. */
static size_t mpool_rebuild_free_list(struct mpool *pool)
{
	size_t index = pool->nr_carved, nr_free = 0;
	void *block;

	lockdep_assert_held(&pool->lock);

	pool->free_list = NULL;
	mpool_hold_work(pool, index);
	while (index--) {
		if (READ_ONCE(pool->state[index]) != MPOOL_BLOCK_IN_DEPOT)
			continue;
		block = mpool_block(pool, index);
		mpool_push_free(pool, block);
		nr_free++;
	}
	return nr_free;
}

/* @block's link is corrupt: drop the block and rebuild the list without it. */
static void mpool_link_corrupt(struct mpool *pool, void *block,
			       struct mpool_corruption *c)
{
	size_t index = mpool_block_index(pool, block);
	size_t nr_free;

	pool->freelist_errors++;
	mpool_quarantine(pool, index);
	mpool_record_corruption(pool, c, MPOOL_CORRUPT_LINK, index,
				pool->link_offset);
	nr_free = mpool_rebuild_free_list(pool);
	if (c->kind == MPOOL_CORRUPT_LINK && c->index == index)
		c->nr_free = nr_free;
}

/* Take the first free block off the list, or return NULL when it is empty. */
static void *mpool_pop_free(struct mpool *pool, struct mpool_corruption *c)
{
	void *block, *next;

	lockdep_assert_held(&pool->lock);

	while ((block = pool->free_list)) {
		next = mpool_link_load(pool, block);
		if (likely(next != block && mpool_link_valid(pool, next))) {
			pool->free_list = next;
			return block;
		}
		mpool_link_corrupt(pool, block, c);
	}
	return NULL;
}
