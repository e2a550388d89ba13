// SPDX-License-Identifier: GPL-2.0
/*
 * The depot: the blocks no CPU caches, behind the pool's lock.  It hands
 * them out in batches, carving fresh blocks only when no freed one is
 * left, and counts the blocks out of it for the peak.
 */

/*
 * Take up to @nr blocks into @blocks: freed ones first, then fresh ones.
 * Each is the caller's from here on, marked CACHED until it is handed out.
 */
static size_t mpool_depot_get(struct mpool *pool, void **blocks, size_t nr,
			      struct mpool_corruption *c)
{
	size_t got = 0;
	void *block;

	lockdep_assert_held(&pool->lock);

	while (got < nr) {
		block = mpool_pop_free(pool, c);
		if (!block) {
			if (pool->nr_carved == pool->nr_blocks)
				break;
			block = mpool_block(pool, pool->nr_carved++);
			/* Every free block holds the poison, fresh ones too. */
			if (pool->flags & MPOOL_POISON) {
				memset(block, MPOOL_POISON_FREE, pool->block_size);
				mpool_hold_work(pool, 1);
			}
		}
		WRITE_ONCE(pool->state[mpool_block_index(pool, block)],
			   MPOOL_BLOCK_CACHED);
		blocks[got++] = block;
		mpool_hold_work(pool, 1);
	}
	pool->nr_out += got;
	pool->peak_out = max(pool->peak_out, pool->nr_out);
	return got;
}

/* Take back a free block the caller holds. */
static void mpool_depot_put(struct mpool *pool, void *block)
{
	lockdep_assert_held(&pool->lock);

	WRITE_ONCE(pool->state[mpool_block_index(pool, block)],
		   MPOOL_BLOCK_IN_DEPOT);
	mpool_push_free(pool, block);
	pool->nr_out--;
	mpool_hold_work(pool, 1);
}

/* Take back @nr free blocks the caller holds, the last one first. */
static void mpool_depot_put_many(struct mpool *pool, void **blocks, size_t nr)
{
	while (nr--)
		mpool_depot_put(pool, blocks[nr]);
}

/* Take a block the caller holds out of service: it was found corrupted. */
static void mpool_depot_quarantine(struct mpool *pool, size_t index)
{
	lockdep_assert_held(&pool->lock);

	mpool_quarantine(pool, index);
	pool->nr_out--;
}
