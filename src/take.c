// SPDX-License-Identifier: GPL-2.0
/*
 * Taking blocks for an alloc: from this CPU's ring, from the depot or
 * another CPU's ring, waiting for a free, and handing a block out.
 */

/*
 * The fast path's helpers are __always_inline: an alloc and a free make
 * no call beyond their own until a ring is empty or full.  Each call and
 * return is as much work as the fast path itself, and more on kernels
 * whose returns go through a thunk (the retbleed and SRSO mitigations).
 */

/*
 * A blocking allocator's wake-up condition; the lock is retaken after.
 * A stash needs no wake-up: its bulk alloc wakes waiters when it fails.
 */
static bool mpool_depot_may_have_free(struct mpool *pool)
{
	if (pool->stack_next)
		return !mpool_stack_empty(pool) ||
		       READ_ONCE(pool->home.nr_carved) < pool->min_blocks ||
		       READ_ONCE(pool->dying);
	/* Each read alone: a wrong sum only wakes us to look again. */
	return READ_ONCE(pool->nr_blocks) - READ_ONCE(pool->nr_out) -
	       READ_ONCE(pool->quarantined) || READ_ONCE(pool->dying);
}

/* How an alloc that finds no free block waits for one, if it may. */
struct mpool_wait {
	unsigned int state;	/* TASK_IDLE, or TASK_KILLABLE */
	bool forever;		/* else until @deadline */
	unsigned long deadline;	/* in jiffies */
	u64 start;		/* ktime_get_ns() when the first wait began, or 0 */
};

/*
 * Sleep in @state until the depot may have a block, @timeout jiffies at
 * most.  swait has no killable wrapper; ___swait_event() is what its
 * wrappers are made of.  Returns 0 when the time ran out, -ERESTARTSYS
 * on a fatal signal, else more than 0.
 */
static long mpool_sleep(struct mpool *pool, unsigned int state, long timeout)
{
	/* Not a hung task: the pool is bounded by design, as mempool_t is. */
	return ___swait_event(pool->wait,
			      ___wait_cond_timeout(mpool_depot_may_have_free(pool)),
			      state, timeout, __ret = schedule_timeout(__ret));
}

/*
 * Sleep until the depot may have a block, or until @w says to give up.
 * The first time, announce the sleeper and wait for a grace period: a
 * free that read @nr_waiters before the announcement may still be putting
 * its block in its CPU's ring, where no wake-up follows, and it has done
 * so once the grace period ends, for the retry to find; every free after
 * the announcement takes the depot, which wakes us.  The frees'
 * preemption-off section is what the grace period waits for.  It costs
 * a few milliseconds, once per alloc that finds the whole pool taken.
 * Announced under the same hold that found the pool alive, so that
 * mpool_destroy() counts us.  Returns false when the time @w allows ran
 * out or a fatal signal came, with the lock held either way.
 */
static bool mpool_wait_for_free(struct mpool *pool, unsigned long *flags,
				struct mpool_wait *w)
	__releases(&pool->lock) __acquires(&pool->lock)
{
	long left = MAX_SCHEDULE_TIMEOUT, nap, slept;

	lockdep_assert_held(&pool->lock);

	if (!w->forever) {
		left = (long)(w->deadline - jiffies);
		if (left <= 0)
			return false;
	}
	if (!w->start) {
		WRITE_ONCE(pool->nr_waiters, pool->nr_waiters + 1);
		w->start = ktime_get_ns() ?: 1;
		mpool_unlock(pool, *flags);
		synchronize_rcu();
	} else {
		/*
		 * A pool that may grow, and whose last grow found no memory,
		 * asks for its worker again once the pause is over: a look
		 * that often, as no free may ever come to wake us.
		 */
		nap = mpool_may_grow(pool) ? min_t(long, left, MPOOL_GROW_RETRY) :
					     left;
		mpool_unlock(pool, *flags);
		slept = mpool_sleep(pool, w->state, nap);
		mpool_test_point(pool, MPOOL_TEST_WAITER_WOKEN);
		/* The pause ran out, not the caller's time: look again. */
		left = !slept && nap < left ? 1 : slept;
	}
	mpool_lock(pool, flags);
	return left > 0;
}

/*
 * This CPU's cache is empty: take a batch from the depot, or from the
 * other CPUs' caches when the depot is empty, keep one block for the
 * caller and cache the rest, rescheduling between holds if
 * @g->may_block.  With @w, wait for a free rather than fail,
 * counted in @nr_waiters from the first wait (@w->start set) until the
 * alloc returns.  Returns NULL only when no block was free anywhere (see
 * mpool_gather() for a rebuild of the free list), when @w gave up, or
 * when the pool is being destroyed.
 */
static void *mpool_refill(struct mpool *pool, struct mpool_gathering *g,
			  struct mpool_wait *w, enum mpool_source *source)
{
	/* Scratch: not zeroed (CONFIG_INIT_STACK_ALL_ZERO) on every refill. */
	void *blocks[MPOOL_HOLD_BLOCKS + 1] __uninitialized;
	unsigned long flags;
	size_t want, got = 0;

	mpool_lock(pool, &flags);
	while (likely(!pool->dying)) {
		/*
		 * Cache nothing while a task waits: it must find every
		 * block.  Nor more than this CPU's ring has room for.
		 */
		want = 1 + (pool->nr_waiters ? 0 :
			    mpool_cache_room(pool, this_cpu_ptr(pool->caches)));
		/* A run at most: the next refill's fresh blocks start one. */
		want = min_t(size_t, want, BIT(pool->run_shift));
		got = mpool_gather(pool, blocks, want, g);
		if (got)
			break;
		if (g->again) {
			/* One batch per hold: let others in, then go on. */
			mpool_unlock(pool, flags);
			if (g->may_block)
				cond_resched();
			mpool_lock(pool, &flags);
			continue;
		}
		if (!w || !mpool_wait_for_free(pool, &flags, w))
			break;
	}
	if (got) {
		*source = g->source;
		mpool_depot_note_peak(pool);
	} else {
		pool->alloc_failures++;
	}
	/* Evicted by mpool_destroy(): the pool will be gone, and its report. */
	if (unlikely(pool->dying))
		g->c->kind = MPOOL_CORRUPT_NONE;
	/*
	 * IRQs are off, and no context of this CPU was adding to its ring
	 * (mpool_cache_room()): this refill is its only writer, and there
	 * is room.
	 */
	if (got > 1)
		WARN_ON_ONCE(mpool_cache_push(pool, this_cpu_ptr(pool->caches),
					      blocks + 1, got - 1) != got - 1);
	mpool_unlock(pool, flags);
	return got ? blocks[0] : NULL;
}

/*
 * The last step of an alloc counted in @count, @nr_waiters or
 * @nr_gatherers: it no longer touches the pool, which mpool_destroy() may
 * free as soon as the lock is dropped.
 */
static void mpool_leave(struct mpool *pool, unsigned int *count)
{
	unsigned long flags;
	bool dying;

	mpool_lock(pool, &flags);
	WRITE_ONCE(*count, *count - 1);
	dying = pool->dying;
	mpool_unlock(pool, flags);
	/* Hashes the address, never reads it: safe on a freed pool. */
	if (dying)
		wake_up_var(&pool->nr_waiters);
}

/*
 * A pool too small for caches: one block in one hold, as mpool_refill()'s
 * first look takes it, or NULL for mpool_refill() to go on (another hold
 * for the free list's rebuild, waiting).
 */
static void *mpool_take_uncached(struct mpool *pool, struct mpool_gathering *g,
				 enum mpool_source *source)
{
	unsigned long flags;
	void *block = NULL;

	mpool_lock(pool, &flags);
	if (likely(!pool->dying) && mpool_gather(pool, &block, 1, g)) {
		*source = g->source;
		mpool_depot_note_peak(pool);
	}
	mpool_unlock(pool, flags);
	return block;
}

/* Where mpool_take_fast() takes from: the stack is a depot without a lock. */
static __always_inline enum mpool_source
mpool_fast_source(const struct mpool *pool)
{
	return pool->stack_next ? MPOOL_FROM_DEPOT : MPOOL_FROM_CACHE;
}

/*
 * A block without the lock: from this CPU's ring, or from the stack of a
 * MPOOL_NO_PERCPU pool.  NULL if there is none there.
 */
static __always_inline void *mpool_take_fast(struct mpool *pool)
{
	void *block;

	if (pool->stack_next)
		return mpool_stack_pop(pool);
	/* From another CPU's ring if preempted here: just as good. */
	if (mpool_cache_pop(pool, raw_cpu_ptr(pool->caches), &block, 1, false))
		return block;
	return NULL;
}

/*
 * Take a free block for an alloc: from this CPU's cache or the stack,
 * else through the depot's lock, rescheduling between its holds if it
 * @may_block, and waiting for a free as @w says if it is not NULL.
 * A block that fails its checks is quarantined and another taken.
 * *@source says where the block came from.
 */
static __always_inline void *mpool_take(struct mpool *pool, bool may_block,
					struct mpool_wait *w,
					struct mpool_corruption *c,
					enum mpool_source *source)
{
	struct mpool_gathering g = { .c = c, .may_block = may_block };
	void *block;

	do {
		*source = mpool_fast_source(pool);
		if (pool->cache_size || pool->stack_next)
			block = mpool_take_fast(pool);
		else
			block = mpool_take_uncached(pool, &g, source);
		if (!block)
			block = mpool_refill(pool, &g, w, source);
		if (!block)
			return NULL;
	} while (unlikely(pool->flags & MPOOL_POISON) &&
		 !mpool_debug_reusable(pool, block,
				       mpool_block_index(pool, block), c));
	return block;
}

/*
 * Whether the pool's fail_alloc fault injection fails this alloc; counted
 * as a failure if so.  Asked outside the lock: a verbose fault attribute
 * prints a stack.
 */
static bool mpool_injected_failure(struct mpool *pool)
{
	unsigned long flags;

	if (likely(!mpool_should_fail_alloc(pool)))
		return false;
	mpool_lock(pool, &flags);
	pool->alloc_failures++;
	mpool_unlock(pool, flags);
	return true;
}

/* Zero a block for init_on_alloc or __GFP_ZERO. */
static __always_inline void mpool_zero(const struct mpool *pool, void *block)
{
	unsigned int i, words = pool->zero_words;
	unsigned long *word = block;

	if (!words) {
		memset(block, 0, pool->block_size);
		return;
	}
	/*
	 * Four words a turn, as memset() does; the barriers keep GCC from
	 * turning the loops into the very memset() call they replace.
	 */
	for (i = 0; i + 4 <= words; i += 4) {
		word[i] = 0;
		word[i + 1] = 0;
		word[i + 2] = 0;
		word[i + 3] = 0;
		barrier();
	}
	for (; i < words; i++) {
		word[i] = 0;
		barrier();
	}
}

/* Make a block the caller holds the consumer's. */
static __always_inline void mpool_hand_out(struct mpool *pool, void *block,
					   gfp_t gfp, unsigned long caller)
{
	size_t index = mpool_block_index(pool, block);

	if (unlikely(pool->flags & MPOOL_DEBUG_FLAGS))
		mpool_debug_alloc(pool, block, index, caller);
	if (want_init_on_alloc(gfp))
		mpool_zero(pool, block);
	WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_IN_USE);
}
