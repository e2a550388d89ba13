// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a freed block back: locating it, claiming its state, giving it
 * back to this CPU's ring or the depot, waking a waiter; and refusing a
 * bad free.
 */

static const char * const mpool_free_refusal[] = {
	[MPOOL_FREE_OUTSIDE]	= "outside the pool",
	[MPOOL_FREE_INTERIOR]	= "not the start of a block",
	[MPOOL_FREE_DOUBLE]	= "block is already free (double free?)",
	[MPOOL_FREE_QUARANTINED] = "block is quarantined: it was freed, then corrupted",
};

/*
 * MPOOL_FREE_OK and *@index if @block is the start of one of the first
 * region's blocks, MPOOL_FREE_FAR if it may be in another region, else
 * why it is not a block's start.
 */
static __always_inline enum mpool_free_verdict
mpool_locate(const struct mpool *pool, const void *block, size_t *index)
{
	unsigned long offset = mpool_offset(pool, block);

	if (offset >= pool->region_bytes)
		return pool->grow_blocks ? MPOOL_FREE_FAR : MPOOL_FREE_OUTSIDE;
	*index = mpool_offset_index(pool, offset);
	if (offset != *index * pool->stride)
		return MPOOL_FREE_INTERIOR;
	return MPOOL_FREE_OK;
}

/*
 * Make @block the freeing caller's, or say why it is not a block this pool
 * handed out.  Of two racing frees of one block, one wins the cmpxchg.
 */
static __always_inline enum mpool_free_verdict
mpool_claim(struct mpool *pool, void *block, size_t *index)
{
	enum mpool_free_verdict verdict = mpool_locate(pool, block, index);
	u8 state = MPOOL_BLOCK_IN_USE;

	if (verdict != MPOOL_FREE_OK)
		return verdict == MPOOL_FREE_FAR ?
		       mpool_claim_far(pool, block, index) : verdict;
	if (likely(mpool_state_cmpxchg(mpool_state(pool, *index), &state,
				       MPOOL_BLOCK_CACHED)))
		return MPOOL_FREE_OK;
	return state == MPOOL_BLOCK_QUARANTINED ? MPOOL_FREE_QUARANTINED :
						  MPOOL_FREE_DOUBLE;
}

/* Check and poison a claimed block, as the pool's flags ask. */
static __always_inline void mpool_take_back(struct mpool *pool, void *block,
					    size_t index, unsigned long caller)
{
	if (unlikely(pool->flags & MPOOL_DEBUG_FLAGS))
		mpool_debug_free(pool, block, index, caller);
	else if (want_init_on_free())
		memset(block, 0, pool->block_size);
}

/* Wake @nr tasks waiting for a block; with no lock held. */
static __always_inline void mpool_wake_waiters(struct mpool *pool,
					       unsigned int nr)
{
	while (unlikely(nr)) {
		swake_up_one(&pool->wait);
		nr--;
	}
}

/*
 * With preemption off, the blocks this CPU's ring did not take, at most a
 * batch: flush its oldest half to the depot and retry, or put them
 * straight in the depot when a task waits, or when @cache is NULL: the
 * pool has no caches, or this context interrupted an add to the ring.
 * Returns how many waiters to wake.
 */
static unsigned int mpool_give_back_slow(struct mpool *pool,
					 struct mpool_cpu_cache *cache,
					 void **blocks, size_t nr)
{
	unsigned int wake, pushed;
	unsigned long flags;

	lockdep_assert_preemption_disabled();

	for (;;) {
		mpool_lock(pool, &flags);
		if (!cache || pool->nr_waiters)
			break;
		mpool_cache_flush(pool, cache, mpool_cache_batch(pool));
		mpool_unlock(pool, flags);
		/* The ring is this context's (mpool_cache_own()): no lock. */
		pushed = mpool_cache_push(pool, cache, blocks, nr);
		blocks += pushed;
		nr -= pushed;
		if (!nr)
			return 0;
	}
	wake = mpool_depot_put_many(pool, blocks, nr);
	mpool_unlock(pool, flags);
	return wake;
}

/*
 * With preemption off, put up to @nr claimed blocks where the next allocs
 * find them without the lock: this CPU's ring (@cache, owned), or the
 * stack of a MPOOL_NO_PERCPU pool.  None while a task waits: the depot's
 * lock is what wakes it.  Returns how many it put.
 */
static __always_inline size_t mpool_give_back_fast(struct mpool *pool,
						   struct mpool_cpu_cache *cache,
						   void **blocks, size_t nr)
{
	if (unlikely(READ_ONCE(pool->nr_waiters)))
		return 0;
	if (cache)
		return mpool_cache_push(pool, cache, blocks, nr);
	if (pool->stack_next) {
		mpool_stack_push(pool, blocks, nr);
		return nr;
	}
	return 0;
}

/*
 * MPOOL_NUMA, with preemption off: whether @block is of this CPU's node
 * (the nearest with memory, for a CPU of a node without).  Another
 * node's block goes to the depot, not to this CPU's ring, as SLUB frees
 * a remote object to its own slab: the CPUs of its node find it there
 * first, and this CPU's ring holds its own node's blocks alone.
 */
static noinline bool mpool_block_local(struct mpool *pool, void *block)
{
	size_t index = mpool_block_index(pool, block);

	return mpool_index_region(pool, index)->nid == numa_mem_id();
}

/*
 * This CPU's ring, owned, for @blocks: NULL if the pool has no caches,
 * the ring is taken (mpool_cache_own()), or the blocks are not all of
 * this CPU's node.
 */
static __always_inline struct mpool_cpu_cache *
mpool_cache_for(struct mpool *pool, void **blocks, size_t nr)
{
	struct mpool_cpu_cache *cache = mpool_cache_own(pool);
	size_t i;

	if (likely(!(pool->flags & MPOOL_NUMA)) || !cache)
		return cache;
	for (i = 0; i < nr; i++) {
		if (!mpool_block_local(pool, blocks[i])) {
			mpool_cache_disown(cache);
			return NULL;
		}
	}
	return cache;
}

/* mpool_cache_for() of one block, its address never taken. */
static __always_inline struct mpool_cpu_cache *
mpool_cache_for_one(struct mpool *pool, void *block)
{
	struct mpool_cpu_cache *cache = mpool_cache_own(pool);

	if (unlikely(pool->flags & MPOOL_NUMA) && cache &&
	    !mpool_block_local(pool, block)) {
		mpool_cache_disown(cache);
		return NULL;
	}
	return cache;
}

/*
 * Put @nr claimed blocks, at most a batch, where the next allocs find
 * them: this CPU's cache, and when it is full, its oldest half to the
 * depot; or the stack.  With a task waiting, straight to the depot,
 * under its lock, which wakes it.
 */
static __always_inline void mpool_give_back_batch(struct mpool *pool,
						  void **blocks, size_t nr)
{
	struct mpool_cpu_cache *cache;
	unsigned int wake = 0;
	size_t pushed;

	/* Also the read side of mpool_wait_for_free()'s grace period. */
	preempt_disable();
	cache = mpool_cache_for(pool, blocks, nr);
	pushed = mpool_give_back_fast(pool, cache, blocks, nr);
	if (unlikely(pushed < nr))
		wake = mpool_give_back_slow(pool, cache, blocks + pushed,
					    nr - pushed);
	mpool_cache_disown(cache);
	preempt_enable();

	mpool_wake_waiters(pool, wake);
}

/* One claimed block: mpool_give_back_slow(), for mpool_free()'s fast path. */
static noinline unsigned int
mpool_give_back_one_slow(struct mpool *pool, struct mpool_cpu_cache *cache,
			 void *block)
{
	return mpool_give_back_slow(pool, cache, &block, 1);
}

/* mpool_give_back_batch() for one block, its address never taken. */
static __always_inline void mpool_give_back_one(struct mpool *pool,
						void *block)
{
	struct mpool_cpu_cache *cache;
	unsigned int wake = 0;

	/* Also the read side of mpool_wait_for_free()'s grace period. */
	preempt_disable();
	cache = mpool_cache_for_one(pool, block);
	if (unlikely(!mpool_give_back_fast(pool, cache, &block, 1)))
		wake = mpool_give_back_one_slow(pool, cache, block);
	mpool_cache_disown(cache);
	preempt_enable();

	mpool_wake_waiters(pool, wake);
}

/* Give @nr claimed blocks back a batch at a time, preemptible in between. */
static __always_inline void mpool_give_back(struct mpool *pool, void **blocks,
					    size_t nr)
{
	size_t batch;

	do {
		batch = min_t(size_t, nr, MPOOL_HOLD_BLOCKS);
		mpool_give_back_batch(pool, blocks, batch);
		blocks += batch;
		nr -= batch;
	} while (unlikely(nr));
}

/* Count a refused free and say precisely enough what was wrong to find it. */
static void mpool_refuse_free(struct mpool *pool, const void *block,
			      enum mpool_free_verdict verdict,
			      unsigned long caller)
{
	unsigned long offset, flags;
	char where[48] = "";
	size_t index;

	mpool_lock(pool, &flags);
	if (verdict == MPOOL_FREE_OUTSIDE || verdict == MPOOL_FREE_INTERIOR)
		pool->invalid_frees++;
	else
		pool->double_frees++;
	mpool_unlock(pool, flags);
	trace_mpool_refused_free(pool, block, caller, verdict);

	if (!__ratelimit(&pool->misuse_ratelimit))
		return;
	if (verdict != MPOOL_FREE_OUTSIDE) {
		mpool_place(pool, block, &index, &offset);
		snprintf(where, sizeof(where), " (block %zu + %lu)", index,
			 offset);
	}
	mpool_warn("pool %s: refused free of %p%s from %pS: %s\n", pool->name,
		   block, where, (void *)caller, mpool_free_refusal[verdict]);
}

/*
 * Make @block, freed by @caller, the pool's again: claimed, then checked
 * and poisoned as the flags ask; or refused, counted and reported.  True
 * if claimed.
 */
static __always_inline bool mpool_claim_back(struct mpool *pool, void *block,
					     unsigned long caller)
{
	enum mpool_free_verdict verdict;
	size_t index;

	verdict = mpool_claim(pool, block, &index);
	if (unlikely(verdict != MPOOL_FREE_OK)) {
		mpool_refuse_free(pool, block, verdict, caller);
		return false;
	}
	/* Before the block can be handed out again, and its alloc traced. */
	trace_mpool_free(pool, block, caller);
	mpool_take_back(pool, block, index, caller);
	return true;
}
