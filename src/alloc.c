// SPDX-License-Identifier: GPL-2.0
/*
 * The exported allocs of one block, and how each waits for a free.
 */

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
