// SPDX-License-Identifier: GPL-2.0
/*
 * The pools: create, destroy, alloc, free and the queries, exported to
 * other modules.
 */

static const char * const mpool_free_refusal[] = {
	[MPOOL_FREE_OUTSIDE]	= "outside the pool",
	[MPOOL_FREE_INTERIOR]	= "not the start of a block",
	[MPOOL_FREE_DOUBLE]	= "block is already free (double free?)",
	[MPOOL_FREE_QUARANTINED] = "block is quarantined: it was freed, then corrupted",
};

static struct mpool *mpool_find(const char *name)
{
	struct mpool *pool;

	lockdep_assert_held(&mpool_list_lock);

	list_for_each_entry(pool, &mpool_list, node) {
		if (!strcmp(pool->name, name))
			return pool;
	}
	return NULL;
}

/* ---- taking and giving back blocks ------------------------------------ */

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
	return READ_ONCE(pool->free_list) ||
	       (pool->stack_next && !mpool_stack_empty(pool)) ||
	       READ_ONCE(pool->nr_carved) < pool->nr_blocks ||
	       READ_ONCE(pool->rescan) || READ_ONCE(pool->dying);
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
	long left = MAX_SCHEDULE_TIMEOUT;

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
		mpool_unlock(pool, *flags);
		left = mpool_sleep(pool, w->state, left);
		mpool_test_point(pool, MPOOL_TEST_WAITER_WOKEN);
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

/*
 * MPOOL_FREE_OK and *@index if @block is the start of one of the pool's
 * blocks, else why it is not.
 */
static __always_inline enum mpool_free_verdict
mpool_locate(const struct mpool *pool, const void *block, size_t *index)
{
	unsigned long offset = mpool_offset(pool, block);

	if (offset >= pool->region_bytes)
		return MPOOL_FREE_OUTSIDE;
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
		return verdict;
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
	cache = mpool_cache_own(pool);
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
	cache = mpool_cache_own(pool);
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
		offset = mpool_offset(pool, block);
		snprintf(where, sizeof(where), " (block %lu + %lu)",
			 offset / pool->stride, offset % pool->stride);
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

/* ---- create and destroy ------------------------------------------------ */

/* Reserve the region, the states and the caches; -ENOMEM if refused. */
static int mpool_alloc_memory(struct mpool *pool, size_t vmem_bytes)
{
	/* Never wake the OOM killer for a pool: fail and let the caller decide. */
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;

	pool->vmem = __vmalloc(vmem_bytes, gfp);
	pool->cache_size = mpool_cache_size(pool->nr_blocks, pool->flags);
	pool->run_shift = mpool_run_shift(pool->cache_size);
	/* Zeroed: every block starts MPOOL_BLOCK_IN_DEPOT, uncarved. */
	pool->state = mpool_kvzalloc_large(mpool_state_bytes(pool), 1, gfp);
	if (!pool->vmem || !pool->state)
		return -ENOMEM;
	pool->base = PTR_ALIGN(pool->vmem, pool->align);
	return mpool_stack_init(pool, gfp) ?: mpool_caches_init(pool) ?:
	       mpool_debug_init(pool);
}

static void mpool_free_memory(struct mpool *pool)
{
	mpool_debug_exit(pool);
	mpool_caches_exit(pool);
	kvfree(pool->stack_next);
	kvfree(pool->state);
	vfree(pool->vmem);
}

/*
 * What the pool costs beyond its region: the vmalloc's slack, the state
 * map, every possible CPU's cache or the stack's links, caller tracking
 * and the pool itself.
 */
static size_t mpool_meta_bytes(const struct mpool *pool, size_t vmem_bytes)
{
	size_t bytes = sizeof(*pool) + PAGE_ALIGN(vmem_bytes) -
		       pool->region_bytes + mpool_state_bytes(pool);

	bytes += num_possible_cpus() *
		 struct_size_t(struct mpool_cpu_cache, blocks, pool->cache_size);
	if (pool->stack_next)
		bytes += pool->nr_blocks * sizeof(*pool->stack_next);
	if (pool->track)
		bytes += pool->nr_blocks * sizeof(*pool->track);
	return bytes;
}

/*
 * Allocs in the pool that mpool_destroy() waits for: read under the lock,
 * as one that left has let go of the pool.
 */
static unsigned int mpool_nr_inside(struct mpool *pool)
{
	unsigned long flags;
	unsigned int nr;

	mpool_lock(pool, &flags);
	nr = pool->nr_waiters + pool->nr_gatherers;
	mpool_unlock(pool, flags);
	return nr;
}

/* Blocks handed out now: exact only while no alloc or free runs. */
static size_t mpool_in_use(struct mpool *pool)
{
	unsigned long allocs, frees;

	mpool_counters_sum(pool, &allocs, &frees);
	return allocs - frees;
}

/**
 * mpool_create - create a pool of fixed-size blocks
 * @name: name of the pool, unique, in sysfs: up to %MPOOL_NAME_MAX
 *	characters from [A-Za-z0-9_.-], not starting with '.', not "pools"
 * @block_size: usable bytes in each block
 * @align: alignment of each block, a power of two; 0 means pointer-aligned,
 *	and smaller powers of two are raised to the size of a pointer
 * @nr_blocks: number of blocks, fixed for the life of the pool
 * @flags: debug flags, %MPOOL_POISON, %MPOOL_REDZONE, %MPOOL_TRACK_CALLER,
 *	and %MPOOL_NO_PERCPU, or 0; the module parameter debug= adds its own
 *
 * Reserves nr_blocks * stride bytes with vmalloc, where stride is
 * @block_size raised to a pointer's size and rounded up to @align, plus a
 * link word and a red zone with the debug flags that need them, and a
 * state map of a cache line per 8 to 32 blocks.  Blocks are carved on
 * first use, so creating a large pool costs no more than the vmalloc,
 * but with %MPOOL_POISON every block is poisoned here.  Unless
 * %MPOOL_NO_PERCPU is given or the pool is too small to share, each CPU
 * caches a few free blocks, up to %MPOOL_CACHE_MAX.
 *
 * Context: Process context. May sleep.
 * Not from a CPU-hotplug callback: the per-CPU caches register with CPU
 * hotplug, which takes cpus_read_lock().
 *
 * Return: the new pool, or an ERR_PTR(): -EINVAL for a zero @block_size or
 * @nr_blocks, a bad @align, unknown @flags or a bad @name; -E2BIG for more
 * than %MPOOL_MAX_BLOCKS blocks; -EOVERFLOW when the region's size does
 * not fit in a size_t; -EEXIST when a pool named @name exists; -ENOMEM
 * when the memory cannot be allocated (the pool's sysfs files included).
 */
struct mpool *mpool_create(const char *name, size_t block_size, size_t align,
			   size_t nr_blocks, unsigned int flags)
{
	size_t region_bytes, vmem_bytes, pad;
	struct mpool_layout layout;
	struct mpool *pool;
	int err;

	might_sleep();

	if (!block_size || !nr_blocks || (flags & ~MPOOL_VALID_FLAGS) ||
	    !mpool_name_valid(name))
		return ERR_PTR(-EINVAL);
	flags |= READ_ONCE(mpool_debug_flags);
	err = mpool_layout(block_size, align, flags, &layout);
	if (err)
		return ERR_PTR(err);
	align = mpool_effective_align(align);

	/*
	 * vmalloc gives page alignment; larger alignments need slack.  And
	 * vmalloc rounds up to a page: that must not wrap either.
	 */
	pad = align > PAGE_SIZE ? align - PAGE_SIZE : 0;
	if (check_mul_overflow(layout.stride, nr_blocks, &region_bytes) ||
	    check_add_overflow(region_bytes, pad, &vmem_bytes) ||
	    vmem_bytes > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EOVERFLOW);
	/* A block's index + 1 is a stack's link: stack.c. */
	if (nr_blocks > MPOOL_MAX_BLOCKS)
		return ERR_PTR(-E2BIG);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->stashes);
	init_swait_queue_head(&pool->wait);
	ratelimit_default_init(&pool->misuse_ratelimit);
	mpool_fail_alloc_init(pool);
	pool->block_size = block_size;
	pool->zero_words = mpool_zero_words(block_size, flags);
	pool->align = align;
	pool->stride = layout.stride;
	if (is_power_of_2(layout.stride))
		pool->stride_shift = ilog2(layout.stride);
	pool->link_offset = layout.link_offset;
	pool->redzone_bytes = layout.redzone_bytes;
	pool->flags = flags;
	pool->link_key = get_random_long();
	pool->nr_blocks = nr_blocks;
	pool->region_bytes = region_bytes;
	pool->stride_recip = mpool_stride_recip(layout.stride, region_bytes);
	strscpy(pool->name, name, sizeof(pool->name));

	/* Held across the vmalloc, so a taken name fails before it. */
	mutex_lock(&mpool_list_lock);
	err = mpool_find(name) ? -EEXIST : mpool_alloc_memory(pool, vmem_bytes);
	if (!err) {
		pool->meta_bytes = mpool_meta_bytes(pool, vmem_bytes);
		err = mpool_sysfs_add(pool);
	}
	if (err) {
		mutex_unlock(&mpool_list_lock);
		mpool_free_memory(pool);
		kfree(pool);
		return ERR_PTR(err);
	}
	list_add_tail(&pool->node, &mpool_list);
	mpool_debugfs_add(pool);
	mutex_unlock(&mpool_list_lock);
	mpool_debug_poison_region(pool);
	trace_mpool_create(pool);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(mpool_create, MPOOL_NS);

/*
 * Tasks still wait in mpool_alloc(), or gather in mpool_alloc_bulk(): the
 * caller's bug, as with mempool_destroy(), but one that a teardown racing
 * its last user makes easily.  Say so, wake the sleepers to return NULL,
 * stop the gatherers, and wait until each has left the pool: it is freed
 * next.
 */
static void mpool_evict_waiters(struct mpool *pool)
{
	unsigned int nr_waiters, nr_gatherers;
	unsigned long flags;

	mpool_lock(pool, &flags);
	WRITE_ONCE(pool->dying, true);
	nr_waiters = pool->nr_waiters;
	nr_gatherers = pool->nr_gatherers;
	mpool_unlock(pool, flags);
	if (likely(!nr_waiters && !nr_gatherers))
		return;
	if (nr_waiters)
		pr_err("pool %s destroyed while %u tasks wait in mpool_alloc(); they get NULL\n",
		       pool->name, nr_waiters);
	if (nr_gatherers)
		pr_err("pool %s destroyed while %u calls of mpool_alloc_bulk() gather blocks; they get 0\n",
		       pool->name, nr_gatherers);
	swake_up_all(&pool->wait);
	wait_var_event(&pool->nr_waiters, !mpool_nr_inside(pool));
}

/* Destroy @pool, whoever owns it. */
static void mpool_release(struct mpool *pool)
{
	size_t in_use;

	mpool_evict_waiters(pool);
	mutex_lock(&mpool_list_lock);
	list_del(&pool->node);
	mpool_debugfs_remove(pool);
	mpool_sysfs_remove(pool);
	mutex_unlock(&mpool_list_lock);

	/* No alloc or free runs now, by contract. */
	in_use = mpool_in_use(pool);
	trace_mpool_destroy(pool, in_use);
	if (in_use) {
		pr_err("pool %s destroyed with %zu of %zu blocks still in use; leaving its region allocated\n",
		       pool->name, in_use, pool->nr_blocks);
		mpool_report_leak(pool);
		/* Known and reported: not for kmemleak to report again. */
		kmemleak_not_leak(pool->vmem);
		pool->vmem = NULL;
	}
	mpool_free_memory(pool);
	kfree(pool);
}

/**
 * mpool_destroy - destroy a pool
 * @pool: pool to destroy, or NULL
 *
 * Frees the pool and its region.  When blocks are still handed out, the
 * pool says how many, and with %MPOOL_TRACK_CALLER who took them, and
 * leaves the region allocated, as dma_pool_destroy() does, so that the
 * outstanding blocks stay valid memory; only the pool's bookkeeping goes.
 * No alloc or free on @pool may run concurrently or later.  Tasks that
 * wait in mpool_alloc() nonetheless are woken, get NULL, and are waited
 * for, with an error in the log.  The default pool belongs to mempool_mod
 * and is refused.
 *
 * Context: Process context. May sleep.  Not from a CPU-hotplug callback,
 * as for mpool_create().
 * Return: nothing.
 */
void mpool_destroy(struct mpool *pool)
{
	if (!pool)
		return;
	might_sleep();

	if (pool == mpool_default_pool) {
		pr_warn_ratelimited("refused to destroy the default pool, from %pS: it lives as long as mempool_mod\n",
				    (void *)_RET_IP_);
		return;
	}
	mpool_release(pool);
}
EXPORT_SYMBOL_NS_GPL(mpool_destroy, MPOOL_NS);

/* ---- alloc and free ---------------------------------------------------- */

/*
 * Whether an alloc with @gfp waits for a free when the pool is empty:
 * when it may block, and has not asked to fail rather than wait long, as
 * __GFP_NORETRY and __GFP_RETRY_MAYFAIL ask the page allocator.  A pool
 * gets no block back by trying harder; only a free gives one, and a
 * consumer that leaks one would leave such a caller asleep for ever.
 */
static bool mpool_gfp_waits(gfp_t gfp)
{
	return gfpflags_allow_blocking(gfp) &&
	       !(gfp & (__GFP_NORETRY | __GFP_RETRY_MAYFAIL));
}

/*
 * mpool_alloc() when this CPU's ring is empty, or the block must be
 * checked first: refill, steal or wait (in @state, @timeout jiffies at
 * most), and report what was found.
 */
static noinline void *mpool_alloc_slow(struct mpool *pool, gfp_t gfp,
				       unsigned long caller,
				       unsigned int state,
				       unsigned long timeout)
{
	struct mpool_corruption corruption = { .kind = MPOOL_CORRUPT_NONE };
	struct mpool_wait wait = { .state = state }, *w = NULL;
	enum mpool_source source;
	void *block;

	if (mpool_gfp_waits(gfp) && timeout) {
		wait.forever = timeout >= MAX_SCHEDULE_TIMEOUT;
		wait.deadline = jiffies + timeout;
		w = &wait;
	}
	block = mpool_take(pool, gfpflags_allow_blocking(gfp), w, &corruption,
			   &source);
	if (block) {
		mpool_hand_out(pool, block, gfp, caller);
		this_cpu_inc(pool->caches->allocs);
		trace_mpool_alloc(pool, block, caller, gfp, source);
	} else {
		trace_mpool_alloc_fail(pool, caller, gfp, 1);
	}
	if (unlikely(corruption.kind != MPOOL_CORRUPT_NONE))
		mpool_report_corruption(pool, &corruption);
	if (unlikely(wait.start)) {
		trace_mpool_wait(pool, caller, ktime_get_ns() - wait.start,
				 block);
		mpool_leave(pool, &pool->nr_waiters);
	}
	return block;
}

/* Every single alloc: the fast path, or the slow one, which may wait. */
static __always_inline void *mpool_alloc_wait(struct mpool *pool, gfp_t gfp,
					      unsigned long caller,
					      unsigned int state,
					      unsigned long timeout)
{
	void *block;

	/*
	 * might_sleep()'s check, not its voluntary preemption point: that is
	 * a call on every alloc of a kernel booted preempt=voluntary
	 * (Debian's default), for an alloc that sleeps only on an empty pool.
	 */
	if (gfpflags_allow_blocking(gfp))
		__might_sleep(__FILE__, __LINE__);

	if (WARN_ON_ONCE(in_nmi()))
		return NULL;
	if (unlikely(mpool_injected_failure(pool))) {
		trace_mpool_alloc_fail(pool, caller, gfp, 1);
		return NULL;
	}
	/* The fast path: a block without the lock, nothing to check. */
	if (likely(!(pool->flags & MPOOL_POISON))) {
		block = mpool_take_fast(pool);
		if (likely(block)) {
			mpool_hand_out(pool, block, gfp, caller);
			this_cpu_inc(pool->caches->allocs);
			/* Nothing of the event's is loaded while it is off. */
			if (trace_mpool_alloc_enabled())
				trace_mpool_alloc(pool, block, caller, gfp,
						  mpool_fast_source(pool));
			return block;
		}
	}
	return mpool_alloc_slow(pool, gfp, caller, state, timeout);
}

/**
 * mpool_alloc - allocate one block from a pool
 * @pool: pool to allocate from
 * @gfp: %__GFP_ZERO to zero the block; whether the caller may sleep
 *
 * When every block is in use, a @gfp that allows blocking (GFP_KERNEL)
 * waits until another context frees one, as mempool_alloc() does, unless
 * it has %__GFP_NORETRY or %__GFP_RETRY_MAYFAIL; any other @gfp
 * (GFP_ATOMIC, GFP_NOWAIT) fails at once.  A wait that may last is better
 * bounded: mpool_alloc_timeout(), mpool_alloc_killable().  The pool never
 * asks the page allocator for memory.  The block is zeroed for
 * %__GFP_ZERO and on a kernel booted with init_on_alloc=1.  A block found
 * corrupted on the way out (debug flags, hardened free list) is reported,
 * quarantined and replaced by another.  An alloc whose @gfp does not
 * allow blocking does a bounded amount of work, whatever the pool's
 * size: while the free list is rebuilt after a corruption it may fail
 * with free blocks left, which the allocs after it find; one whose @gfp
 * allows blocking finishes the rebuild.
 *
 * Context: Any context but NMI if @gfp does not allow blocking; process
 * context otherwise.
 * Return: a pointer to a block of at least block_size bytes, aligned as
 * asked at create, or NULL when no block is free and the call may not
 * wait (see above), when the pool's fail_alloc fault injection fires, or
 * when the pool is destroyed while the call waits (the caller's bug).
 */
void *mpool_alloc(struct mpool *pool, gfp_t gfp)
{
	return mpool_alloc_wait(pool, gfp, _RET_IP_, TASK_IDLE,
				MAX_SCHEDULE_TIMEOUT);
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc, MPOOL_NS);

/**
 * mpool_alloc_timeout - allocate one block, waiting a bounded time for it
 * @pool: pool to allocate from
 * @gfp: as for mpool_alloc()
 * @timeout: the longest wait for a free, in jiffies; %MAX_SCHEDULE_TIMEOUT
 *	or more waits as mpool_alloc() does, 0 does not wait
 *
 * mpool_alloc(), but a wait for a free ends after @timeout jiffies, and a
 * little more: the first wait of a call also waits for an RCU grace
 * period.  Only a @gfp that allows mpool_alloc() to wait allows this one.
 *
 * Context: as for mpool_alloc().
 * Return: a block, or NULL as for mpool_alloc() and when the time ran out.
 */
void *mpool_alloc_timeout(struct mpool *pool, gfp_t gfp, unsigned long timeout)
{
	return mpool_alloc_wait(pool, gfp, _RET_IP_, TASK_IDLE, timeout);
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc_timeout, MPOOL_NS);

/**
 * mpool_alloc_killable - allocate one block, waiting until killed at most
 * @pool: pool to allocate from
 * @gfp: as for mpool_alloc()
 *
 * mpool_alloc(), but a wait for a free ends when the task gets a fatal
 * signal (TASK_KILLABLE), so that a consumer's leak leaves no unkillable
 * task behind.  Only a @gfp that allows mpool_alloc() to wait allows this
 * one.
 *
 * Context: Process context, as for mpool_alloc() with a @gfp that may
 * block.
 * Return: a block, or NULL as for mpool_alloc() and on a fatal signal.
 */
void *mpool_alloc_killable(struct mpool *pool, gfp_t gfp)
{
	return mpool_alloc_wait(pool, gfp, _RET_IP_, TASK_KILLABLE,
				MAX_SCHEDULE_TIMEOUT);
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc_killable, MPOOL_NS);

/* Eight state bytes at once: a word whose every byte is @state. */
#define MPOOL_EIGHT_STATES(state)	((u64)(state) * 0x0101010101010101ULL)

/*
 * Claim @blocks[0..7] with one cmpxchg, if they are the eight blocks of
 * an aligned word of the state map, in order, all in use: a bulk free
 * of what a bulk alloc or a refill gave out often is.  Their state bytes
 * are then one aligned u64 (mpool_state(): a run's bytes are contiguous),
 * and its cmpxchg refuses racing frees as eight would.  *@index is then
 * the first one's.  False, having claimed none, for anything else: a bad
 * pointer, another order, a block already free; the caller claims them
 * one by one, refusing the bad.
 *
 * On a 64-bit kernel only: a 32-bit one claims the eight one by one.
 * Most have a cmpxchg64(), but 32-bit arm's is an exclusive pair of
 * loads and stores no cheaper than eight claims of bytes, and some have
 * none (riscv32).
 */
static __always_inline bool mpool_claim_eight(struct mpool *pool,
					      void **blocks, size_t *index)
{
#if BITS_PER_LONG == 64
	u64 in_use = MPOOL_EIGHT_STATES(MPOOL_BLOCK_IN_USE);
	u64 cached = MPOOL_EIGHT_STATES(MPOOL_BLOCK_CACHED);
	size_t i;

	/*
	 * Not a constant to sparse, which sees arm64's cmpxchg cast it to
	 * the sizes it does not have too: it costs a 64-bit immediate, which
	 * the cmpxchg needs in a register anyway.
	 */
	OPTIMIZER_HIDE_VAR(cached);

	if (mpool_locate(pool, blocks[0], index) != MPOOL_FREE_OK ||
	    *index % 8 || *index + 8 > pool->nr_blocks)
		return false;
	for (i = 1; i < 8; i++) {
		if (blocks[i] != blocks[0] + i * pool->stride)
			return false;
	}
	return try_cmpxchg((u64 *)mpool_state(pool, *index), &in_use, cached);
#else
	return false;
#endif
}

/*
 * Free @nr blocks for @caller: each is checked, a bad one refused alone,
 * and the good ones, compacted to the front of @blocks, go back together.
 */
static __always_inline void mpool_free_many(struct mpool *pool, size_t nr,
					    void **blocks, unsigned long caller)
{
	size_t i, k, index, claimed = 0;
	void *block;

	if (WARN_ON_ONCE(in_nmi()))
		return;
	for (i = 0; i < nr; i++) {
		block = blocks[i];
		if (nr - i >= 8 && block &&
		    mpool_claim_eight(pool, blocks + i, &index)) {
			/* As mpool_claim_back() does after its claim. */
			for (k = 0; k < 8; k++, i++) {
				trace_mpool_free(pool, blocks[i], caller);
				mpool_take_back(pool, blocks[i], index + k,
						caller);
				blocks[claimed++] = blocks[i];
			}
			i--;
			continue;
		}
		if (block && mpool_claim_back(pool, block, caller))
			blocks[claimed++] = block;
	}
	if (!claimed)
		return;
	/* Counted first: see mpool_counters_sum(). */
	this_cpu_add(pool->caches->frees, claimed);
	mpool_give_back(pool, blocks, claimed);
	if (mpool_test_may_park())
		mpool_test_point(pool, MPOOL_TEST_FREE_GIVEN_BACK);
}

/**
 * mpool_free - return a block to its pool
 * @pool: pool the block came from
 * @block: block from mpool_alloc() on @pool, or NULL
 *
 * A pointer that is not a block handed out by @pool (outside the region,
 * inside a block, a block already free or quarantined) is refused: the
 * pool is left untouched, the refusal is counted in invalid_frees or
 * double_frees, and a rate-limited warning names the pool, the pointer,
 * the caller and the reason.  With %MPOOL_REDZONE, an overrun is reported
 * and counted, and the block is taken back.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_free(struct mpool *pool, void *block)
{
	/* mpool_free_many() for one block, with no array to go through. */
	if (unlikely(!block) || WARN_ON_ONCE(in_nmi()) ||
	    !mpool_claim_back(pool, block, _RET_IP_))
		return;
	/* Counted first: see mpool_counters_sum(). */
	this_cpu_inc(pool->caches->frees);
	mpool_give_back_one(pool, block);
	if (mpool_test_may_park())
		mpool_test_point(pool, MPOOL_TEST_FREE_GIVEN_BACK);
}
EXPORT_SYMBOL_NS_GPL(mpool_free, MPOOL_NS);

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
	if (nr > pool->nr_blocks - READ_ONCE(pool->quarantined)) {
		mpool_lock(pool, &flags);
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

/* ---- queries ----------------------------------------------------------- */

/**
 * mpool_owns - tell whether a pointer lies inside a pool's region
 * @pool: pool to look in
 * @ptr: pointer to test
 *
 * True for any byte of any block, handed out or free; use it to tell which
 * of several pools a pointer belongs to.
 *
 * Context: Any context.
 * Return: true if @ptr points into @pool's blocks, false otherwise.
 */
bool mpool_owns(const struct mpool *pool, const void *ptr)
{
	return mpool_offset(pool, ptr) < pool->region_bytes;
}
EXPORT_SYMBOL_NS_GPL(mpool_owns, MPOOL_NS);

/* What is fixed at create: no lock, no walk over the CPUs. */
static void mpool_stats_geometry(const struct mpool *pool,
				 struct mpool_stats *stats)
{
	stats->block_size = pool->block_size;
	stats->align = pool->align;
	stats->stride = pool->stride;
	stats->nr_blocks = pool->nr_blocks;
	stats->region_bytes = pool->region_bytes;
	stats->meta_bytes = pool->meta_bytes;
	stats->flags = pool->flags;
	stats->redzone_bytes = pool->redzone_bytes;
	stats->cache_size = pool->cache_size;
}

/*
 * The counters kept under the lock.  In NMI, which may have interrupted
 * this CPU's hold of it, read without it: each is then a value it had,
 * not one cut of them all.
 */
static void mpool_stats_counters(struct mpool *pool, struct mpool_stats *stats)
{
	stats->peak_in_use = READ_ONCE(pool->peak_out);
	stats->alloc_failures = READ_ONCE(pool->alloc_failures);
	stats->invalid_frees = READ_ONCE(pool->invalid_frees);
	stats->double_frees = READ_ONCE(pool->double_frees);
	stats->poison_errors = READ_ONCE(pool->poison_errors);
	stats->redzone_errors = READ_ONCE(pool->redzone_errors);
	stats->freelist_errors = READ_ONCE(pool->freelist_errors);
	stats->quarantined = READ_ONCE(pool->quarantined);
}

/*
 * Each field is exact while the pool is idle.  While other CPUs allocate
 * and free, each is a value it had during the call, @in_use one that the
 * pool had too (mpool_counters_sum()), the ones summed over CPUs within
 * what the pool can hold: @in_use + @cached + @quarantined never exceed
 * @nr_blocks.
 */
static void mpool_stats_fill(struct mpool *pool, struct mpool_stats *stats)
{
	unsigned long flags, allocs, frees;
	size_t most;

	mpool_stats_geometry(pool, stats);
	if (in_nmi()) {
		mpool_stats_counters(pool, stats);
	} else {
		mpool_lock(pool, &flags);
		mpool_stats_counters(pool, stats);
		mpool_unlock(pool, flags);
	}

	/*
	 * Read while CPUs run: each value is bounded by what the pool could
	 * hold at once, so a snapshot never shows an impossible one.
	 */
	mpool_counters_sum(pool, &allocs, &frees);
	stats->allocs = allocs;
	stats->frees = frees;
	most = pool->nr_blocks - stats->quarantined;
	/*
	 * A difference of longs that wrap at 2^32 on a 32-bit kernel: still
	 * exact there, and negative when the frees' sum caught up on allocs
	 * the allocs' did not see (mpool_counters_sum()).
	 */
	stats->in_use = (long)(allocs - frees) < 0 ? 0 :
			min_t(unsigned long, allocs - frees, most);
	stats->cached = min(mpool_caches_count(pool), most - stats->in_use);
}

/**
 * mpool_read_stats - take a snapshot of a pool's statistics, size-checked
 * @pool: pool to read
 * @stats: a struct mpool_stats as the caller's mempool_mod.h defines it
 * @size: the size of that struct, as the caller was built with it
 *
 * Consumers call it through mpool_get_stats(), which passes @size.  The
 * struct only grows at its end, so a caller built against an older header
 * knows a prefix of today's: it gets that prefix and nothing written past
 * @size.  A caller built against a newer header than the module's gets
 * zeroes in the fields this module does not know.  Snapshot semantics as
 * described at struct mpool_stats.  In NMI the pool's lock is not taken:
 * the error counters are then each a value they had, not one cut.
 *
 * Context: Any context, NMI included.
 * Return: the bytes of @stats filled with values: the smaller of @size
 * and this module's sizeof(struct mpool_stats).  A field is valid when it
 * ends within them (offsetofend(struct mpool_stats, field) <= return).
 */
size_t mpool_read_stats(struct mpool *pool, void *stats, size_t size)
{
	struct mpool_stats snap;
	size_t known = min(size, sizeof(snap));

	/* The padding too: the caller gets no stale stack bytes. */
	memset(&snap, 0, sizeof(snap));
	mpool_stats_fill(pool, &snap);
	memcpy(stats, &snap, known);
	memset(stats + known, 0, size - known);
	return known;
}
EXPORT_SYMBOL_NS_GPL(mpool_read_stats, MPOOL_NS);

/**
 * mpool_default - the pool made at module load from the module parameters
 *
 * Context: Any context.
 * Return: the default pool; it lives as long as the module.
 */
struct mpool *mpool_default(void)
{
	return mpool_default_pool;
}
EXPORT_SYMBOL_NS_GPL(mpool_default, MPOOL_NS);
