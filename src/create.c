// SPDX-License-Identifier: GPL-2.0
/*
 * Creating and destroying pools, and the memory each holds.
 */

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
