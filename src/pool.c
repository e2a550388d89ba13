// SPDX-License-Identifier: GPL-2.0
/*
 * The pools: create, destroy, alloc, free and the queries, exported to
 * other modules.
 */

/* What mpool_free() made of a pointer. */
enum mpool_free_verdict {
	MPOOL_FREE_OK,
	MPOOL_FREE_OUTSIDE,
	MPOOL_FREE_INTERIOR,
	MPOOL_FREE_DOUBLE,
	MPOOL_FREE_QUARANTINED,
};

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

/* ---- taking and giving back blocks, under the lock --------------------- */

/*
 * Hand out one block, or return NULL when every block is in use.  Blocks
 * that fail their checks on the way are quarantined and skipped.
 */
static void *mpool_take_block(struct mpool *pool, unsigned long caller,
			      struct mpool_corruption *c)
{
	size_t index;
	void *block;

	lockdep_assert_held(&pool->lock);

	while ((block = mpool_pop_free(pool, c))) {
		index = mpool_block_index(pool, block);
		if (mpool_debug_reusable(pool, block, index, c))
			goto take;
	}
	if (pool->nr_carved == pool->nr_blocks)
		return NULL;
	index = pool->nr_carved++;
	block = mpool_block(pool, index);
take:
	__set_bit(index, pool->in_use_map);
	if (unlikely(pool->flags & MPOOL_DEBUG_FLAGS))
		mpool_debug_alloc(pool, block, index, caller);
	pool->allocs++;
	WRITE_ONCE(pool->in_use, pool->in_use + 1);
	if (pool->in_use > pool->peak_in_use)
		pool->peak_in_use = pool->in_use;
	return block;
}

/* Take @block back, or say why it is not a block this pool handed out. */
static enum mpool_free_verdict mpool_put_block(struct mpool *pool,
					       void *block,
					       unsigned long caller,
					       struct mpool_corruption *c)
{
	unsigned long offset = mpool_offset(pool, block);
	size_t index;

	lockdep_assert_held(&pool->lock);

	if (offset >= pool->region_bytes) {
		pool->invalid_frees++;
		return MPOOL_FREE_OUTSIDE;
	}
	index = offset / pool->stride;
	if (offset != index * pool->stride) {
		pool->invalid_frees++;
		return MPOOL_FREE_INTERIOR;
	}
	if (test_bit(index, pool->quarantine_map)) {
		pool->double_frees++;
		return MPOOL_FREE_QUARANTINED;
	}
	if (!__test_and_clear_bit(index, pool->in_use_map)) {
		pool->double_frees++;
		return MPOOL_FREE_DOUBLE;
	}
	if (unlikely(pool->flags & MPOOL_DEBUG_FLAGS))
		mpool_debug_free(pool, block, index, caller, c);
	else if (want_init_on_free())
		memset(block, 0, pool->block_size);
	mpool_push_free(pool, block);
	WRITE_ONCE(pool->in_use, pool->in_use - 1);
	pool->frees++;
	return MPOOL_FREE_OK;
}

/*
 * Say what was wrong with a refused free, precisely enough to find the bug:
 * the caller, and where in the region the pointer fell.
 */
static void mpool_report_refused_free(struct mpool *pool, const void *block,
				      enum mpool_free_verdict verdict,
				      unsigned long caller)
{
	unsigned long offset;
	char where[48] = "";

	if (!__ratelimit(&pool->misuse_ratelimit))
		return;
	if (verdict != MPOOL_FREE_OUTSIDE) {
		offset = mpool_offset(pool, block);
		snprintf(where, sizeof(where), " (block %lu + %lu)",
			 offset / pool->stride, offset % pool->stride);
	}
	pr_warn("pool %s: refused free of %p%s from %pS: %s\n", pool->name,
		block, where, (void *)caller, mpool_free_refusal[verdict]);
}

/* A blocking allocator's wake-up condition; the lock is retaken after. */
static bool mpool_may_have_free(struct mpool *pool)
{
	return READ_ONCE(pool->in_use) + READ_ONCE(pool->quarantined) <
	       pool->nr_blocks;
}

/* Sleep until a block may be free. */
static void mpool_wait_for_free(struct mpool *pool, unsigned long *flags)
	__releases(&pool->lock) __acquires(&pool->lock)
{
	lockdep_assert_held(&pool->lock);

	pool->nr_waiters++;
	raw_spin_unlock_irqrestore(&pool->lock, *flags);
	/* Not a hung task: the pool is bounded by design, as mempool_t is. */
	swait_event_idle_exclusive(pool->wait, mpool_may_have_free(pool));
	raw_spin_lock_irqsave(&pool->lock, *flags);
	pool->nr_waiters--;
}

/* ---- create and destroy ------------------------------------------------ */

/* Reserve the region and the maps; -ENOMEM if any is refused. */
static int mpool_alloc_memory(struct mpool *pool, size_t vmem_bytes)
{
	/* Never wake the OOM killer for a pool: fail and let the caller decide. */
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	size_t map_longs = BITS_TO_LONGS(pool->nr_blocks);

	pool->vmem = __vmalloc(vmem_bytes, gfp);
	pool->in_use_map = kvcalloc(map_longs, sizeof(unsigned long), gfp);
	pool->quarantine_map = kvcalloc(map_longs, sizeof(unsigned long), gfp);
	if (!pool->vmem || !pool->in_use_map || !pool->quarantine_map)
		return -ENOMEM;
	pool->base = PTR_ALIGN(pool->vmem, pool->align);
	return mpool_debug_init(pool);
}

static void mpool_free_memory(struct mpool *pool)
{
	mpool_debug_exit(pool);
	kvfree(pool->quarantine_map);
	kvfree(pool->in_use_map);
	vfree(pool->vmem);
}

/**
 * mpool_create - create a pool of fixed-size blocks
 * @name: name of the pool, unique, in debugfs: up to %MPOOL_NAME_MAX
 *	characters from [A-Za-z0-9_.-], not starting with '.', not "pools"
 * @block_size: usable bytes in each block
 * @align: alignment of each block, a power of two; 0 means pointer-aligned,
 *	and smaller powers of two are raised to the size of a pointer
 * @nr_blocks: number of blocks, fixed for the life of the pool
 * @flags: debug flags, %MPOOL_POISON, %MPOOL_REDZONE, %MPOOL_TRACK_CALLER,
 *	or 0; the module parameter debug= adds its own
 *
 * Reserves nr_blocks * stride bytes with vmalloc, where stride is
 * @block_size raised to a pointer's size and rounded up to @align, plus a
 * link word and a red zone with the debug flags that need them.  Blocks
 * are carved on first use, so creating a large pool costs no more than the
 * vmalloc.
 *
 * Context: Process context. May sleep.
 * Return: the new pool, or an ERR_PTR(): -EINVAL for a zero @block_size or
 * @nr_blocks, a bad @align, unknown @flags or a bad @name; -EOVERFLOW when
 * the region's size does not fit in a size_t; -EEXIST when a pool named
 * @name exists; -ENOMEM when the memory cannot be allocated.
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

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	init_swait_queue_head(&pool->wait);
	ratelimit_default_init(&pool->misuse_ratelimit);
	mpool_fail_alloc_init(pool);
	pool->block_size = block_size;
	pool->align = align;
	pool->stride = layout.stride;
	pool->link_offset = layout.link_offset;
	pool->redzone_bytes = layout.redzone_bytes;
	pool->flags = flags;
	pool->link_key = get_random_long();
	pool->nr_blocks = nr_blocks;
	pool->region_bytes = region_bytes;
	strscpy(pool->name, name, sizeof(pool->name));

	/* Held across the vmalloc, so a taken name fails before it. */
	mutex_lock(&mpool_list_lock);
	err = mpool_find(name) ? -EEXIST : mpool_alloc_memory(pool, vmem_bytes);
	if (err) {
		mutex_unlock(&mpool_list_lock);
		mpool_free_memory(pool);
		kfree(pool);
		return ERR_PTR(err);
	}
	list_add_tail(&pool->node, &mpool_list);
	mpool_debugfs_add(pool);
	mutex_unlock(&mpool_list_lock);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(mpool_create, MPOOL_NS);

/* Destroy @pool, whoever owns it. */
static void mpool_release(struct mpool *pool)
{
	mutex_lock(&mpool_list_lock);
	list_del(&pool->node);
	mpool_debugfs_remove(pool);
	mutex_unlock(&mpool_list_lock);

	/* No alloc or free runs now, by contract. */
	if (pool->in_use) {
		pr_err("pool %s destroyed with %zu of %zu blocks still in use; leaving its region allocated\n",
		       pool->name, pool->in_use, pool->nr_blocks);
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
 * No alloc or free on @pool may run concurrently or later.  The default
 * pool belongs to mempool_mod and is refused.
 *
 * Context: Process context. May sleep.
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

/**
 * mpool_alloc - allocate one block from a pool
 * @pool: pool to allocate from
 * @gfp: %__GFP_ZERO to zero the block; whether the caller may sleep
 *
 * When every block is in use, a @gfp that allows blocking (GFP_KERNEL)
 * waits until another context frees one, as mempool_alloc() does; any
 * other @gfp (GFP_ATOMIC, GFP_NOWAIT) fails at once.  The pool never asks
 * the page allocator for memory.  The block is zeroed for %__GFP_ZERO and
 * on a kernel booted with init_on_alloc=1.  A block found corrupted on
 * the way out (debug flags, hardened free list) is reported, quarantined
 * and replaced by another.
 *
 * Context: Any context but NMI if @gfp does not allow blocking; process
 * context otherwise.
 * Return: a pointer to a block of at least block_size bytes, aligned as
 * asked at create, or NULL when the pool is empty and @gfp may not block,
 * or when the pool's fail_alloc fault injection fires.
 */
void *mpool_alloc(struct mpool *pool, gfp_t gfp)
{
	struct mpool_corruption corruption = { .kind = MPOOL_CORRUPT_NONE };
	bool can_block = gfpflags_allow_blocking(gfp);
	bool inject_failure;
	unsigned long flags;
	void *block = NULL;

	might_sleep_if(can_block);

	/* Outside the lock: a verbose fault attribute prints a stack. */
	inject_failure = mpool_should_fail_alloc(pool);
	raw_spin_lock_irqsave(&pool->lock, flags);
	while (likely(!inject_failure)) {
		block = mpool_take_block(pool, _RET_IP_, &corruption);
		if (block || !can_block)
			break;
		mpool_wait_for_free(pool, &flags);
	}
	if (!block)
		pool->alloc_failures++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (unlikely(corruption.kind != MPOOL_CORRUPT_NONE))
		mpool_report_corruption(pool, &corruption);
	if (block && want_init_on_alloc(gfp))
		memset(block, 0, pool->block_size);
	return block;
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc, MPOOL_NS);

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
	struct mpool_corruption corruption = { .kind = MPOOL_CORRUPT_NONE };
	enum mpool_free_verdict verdict;
	unsigned long flags;
	bool wake;

	if (!block)
		return;

	raw_spin_lock_irqsave(&pool->lock, flags);
	verdict = mpool_put_block(pool, block, _RET_IP_, &corruption);
	/* Counted under the lock: no barrier on the common, waiterless path. */
	wake = pool->nr_waiters;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (unlikely(verdict != MPOOL_FREE_OK))
		mpool_report_refused_free(pool, block, verdict, _RET_IP_);
	else if (unlikely(wake))
		swake_up_one(&pool->wait);
	if (unlikely(corruption.kind != MPOOL_CORRUPT_NONE))
		mpool_report_corruption(pool, &corruption);
}
EXPORT_SYMBOL_NS_GPL(mpool_free, MPOOL_NS);

int mpool_alloc_bulk(struct mpool *pool, gfp_t gfp, size_t nr, void **blocks)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		blocks[i] = mpool_alloc(pool, gfp);
		if (!blocks[i]) {
			mpool_free_bulk(pool, i, blocks);
			return 0;
		}
	}
	return nr;
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc_bulk, MPOOL_NS);

void mpool_free_bulk(struct mpool *pool, size_t nr, void **blocks)
{
	while (nr--)
		mpool_free(pool, blocks[nr]);
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

/**
 * mpool_get_stats - take a consistent snapshot of a pool's statistics
 * @pool: pool to read
 * @stats: where to store the snapshot
 *
 * Context: Any context but NMI.
 * Return: nothing; @stats is filled in.
 */
void mpool_get_stats(struct mpool *pool, struct mpool_stats *stats)
{
	unsigned long flags;

	stats->block_size = pool->block_size;
	stats->align = pool->align;
	stats->stride = pool->stride;
	stats->nr_blocks = pool->nr_blocks;
	stats->region_bytes = pool->region_bytes;
	stats->flags = pool->flags;
	stats->redzone_bytes = pool->redzone_bytes;

	raw_spin_lock_irqsave(&pool->lock, flags);
	stats->in_use = pool->in_use;
	stats->peak_in_use = pool->peak_in_use;
	stats->allocs = pool->allocs;
	stats->frees = pool->frees;
	stats->alloc_failures = pool->alloc_failures;
	stats->invalid_frees = pool->invalid_frees;
	stats->double_frees = pool->double_frees;
	stats->poison_errors = pool->poison_errors;
	stats->redzone_errors = pool->redzone_errors;
	stats->freelist_errors = pool->freelist_errors;
	stats->quarantined = pool->quarantined;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(mpool_get_stats, MPOOL_NS);

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
