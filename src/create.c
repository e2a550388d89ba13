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

/*
 * Reserve the first region, the slots, the states and the caches;
 * -ENOMEM if refused.
 */
static int mpool_alloc_memory(struct mpool *pool)
{
	/* Never wake the OOM killer for a pool: fail and let the caller decide. */
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	int err;

	err = mpool_regions_init(pool);
	if (err)
		return err;
	/* Zeroed: every block starts MPOOL_BLOCK_IN_DEPOT, uncarved. */
	pool->state = mpool_kvzalloc_large(mpool_state_bytes(pool), 1, gfp);
	if (!pool->state)
		return -ENOMEM;
	return mpool_stack_init(pool, gfp) ?: mpool_caches_init(pool) ?:
	       mpool_debug_init(pool) ?: mpool_shrinker_init(pool);
}

static void mpool_free_memory(struct mpool *pool, bool leak)
{
	mpool_shrinker_exit(pool);
	mpool_debug_exit(pool);
	mpool_caches_exit(pool);
	kvfree(pool->stack_next);
	kvfree(pool->state);
	mpool_regions_exit(pool, leak);
}

/*
 * What the pool costs beyond its first region: the vmalloc's slack, the
 * state map, every possible CPU's cache or the stack's links, caller
 * tracking, the slots and the pool itself.
 */
static size_t mpool_meta_bytes(const struct mpool *pool, size_t vmem_bytes)
{
	size_t bytes = sizeof(*pool) + PAGE_ALIGN(vmem_bytes) -
		       pool->region_bytes + mpool_state_bytes(pool);

	bytes += num_possible_cpus() *
		 struct_size_t(struct mpool_cpu_cache, blocks, pool->cache_size);
	bytes += pool->max_slots * sizeof(*pool->regions) +
		 BITS_TO_LONGS(pool->max_slots) * sizeof(long);
	if (pool->stack_next)
		bytes += pool->min_blocks * sizeof(*pool->stack_next);
	if (pool->track)
		bytes += pool->index_end * sizeof(*pool->track);
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

/*
 * How many blocks the pool holds and may hold, and where their indexes go
 * (region.c): from @args, checked.  0, -EINVAL, -E2BIG or -EOVERFLOW.
 */
static int mpool_geometry(struct mpool *pool, const struct mpool_args *args,
			  size_t pad)
{
	size_t min = args->min_blocks, max = args->max_blocks ?: min;
	size_t grow = args->grow_blocks, bytes;

	int nid = args->node - 1;

	if (!min || max < min || grow > max - min)
		return -EINVAL;
	/* A node with memory, or none; not one node and every node. */
	if (nid != NUMA_NO_NODE &&
	    (nid < 0 || nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY) ||
	     (pool->flags & MPOOL_NUMA)))
		return -EINVAL;
	pool->nid = nid;
	/* All the blocks at once, and so any region with its slack. */
	if (check_mul_overflow(pool->stride, max, &bytes) ||
	    check_add_overflow(bytes, pad, &bytes) ||
	    bytes > SIZE_MAX - PAGE_SIZE)
		return -EOVERFLOW;
	/* A block's index + 1 is a stack's link: stack.c. */
	if (max > MPOOL_MAX_BLOCKS)
		return -E2BIG;
	if (max > min) {
		/* A stack's links cannot follow blocks into new regions. */
		if (pool->flags & MPOOL_NO_PERCPU)
			return -EINVAL;
		if (!grow)
			grow = min_t(size_t, roundup_pow_of_two(min), max - min);
	}
	pool->min_blocks = min;
	pool->grow_blocks = grow;
	pool->max_slots = 1 + (grow ? (max - min) / grow : 0);
	pool->max_blocks = min + (pool->max_slots - 1) * grow;
	pool->low_blocks = args->low_blocks ?: grow / 2;

	pool->cache_size = mpool_cache_size(pool->max_blocks, pool->flags);
	pool->run_shift = mpool_run_shift(pool->cache_size);
	pool->home_span = ALIGN(min, BIT(pool->run_shift));
	pool->slot_shift = max_t(unsigned int, order_base_2(grow),
				 pool->run_shift);
	pool->index_end = min;
	if (pool->max_slots > 1) {
		if ((u64)(pool->max_slots - 1) << pool->slot_shift >
		    MPOOL_MAX_BLOCKS - pool->home_span)
			return -E2BIG;
		pool->index_end = mpool_slot_first(pool, pool->max_slots);
	}
	pool->chunk_shift = max_t(unsigned int, PAGE_SHIFT,
				  order_base_2(grow * pool->stride + pad));
	/* Offsets within the largest region: the first, or a grown one. */
	pool->stride_recip = mpool_stride_recip(pool->stride,
						max(min, grow) * pool->stride);
	return 0;
}

/* mpool_create_sized() with the caller's args in this module's struct. */
static struct mpool *mpool_create_known(const char *name, size_t block_size,
					const struct mpool_args *args)
{
	unsigned int flags = args->flags;
	struct mpool_layout layout;
	size_t vmem_bytes, pad;
	struct mpool *pool;
	int err;

	might_sleep();

	if (!block_size || (flags & ~MPOOL_VALID_FLAGS) ||
	    !mpool_name_valid(name))
		return ERR_PTR(-EINVAL);
	flags |= READ_ONCE(mpool_debug_flags);
	err = mpool_layout(block_size, args->align, flags, &layout);
	if (err)
		return ERR_PTR(err);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->block_size = block_size;
	pool->zero_words = mpool_zero_words(block_size, flags);
	pool->align = mpool_effective_align(args->align);
	pool->stride = layout.stride;
	if (is_power_of_2(layout.stride))
		pool->stride_shift = ilog2(layout.stride);
	pool->link_offset = layout.link_offset;
	pool->redzone_bytes = layout.redzone_bytes;
	pool->flags = flags;
	/*
	 * vmalloc gives page alignment; larger alignments need slack.  And
	 * vmalloc rounds up to a page: that must not wrap either.
	 */
	pad = pool->align > PAGE_SIZE ? pool->align - PAGE_SIZE : 0;
	err = mpool_geometry(pool, args, pad);
	if (err) {
		kfree(pool);
		return ERR_PTR(err);
	}
	pool->region_bytes = pool->min_blocks * pool->stride;
	vmem_bytes = pool->region_bytes + pad;
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->stashes);
	init_swait_queue_head(&pool->wait);
	ratelimit_default_init(&pool->misuse_ratelimit);
	mpool_fail_alloc_init(pool);
	mpool_grow_init(pool);
	pool->link_key = get_random_long();
	strscpy(pool->name, name, sizeof(pool->name));

	/* Held across the vmalloc, so a taken name fails before it. */
	mutex_lock(&mpool_list_lock);
	err = mpool_find(name) ? -EEXIST : mpool_alloc_memory(pool);
	if (!err)
		err = mpool_grow_nodes(pool);
	if (!err) {
		pool->meta_bytes = mpool_meta_bytes(pool, vmem_bytes);
		err = mpool_sysfs_add(pool);
	}
	if (err) {
		mutex_unlock(&mpool_list_lock);
		mpool_free_memory(pool, false);
		mpool_grow_exit(pool);
		kfree(pool);
		return ERR_PTR(err);
	}
	list_add_tail(&pool->node, &mpool_list);
	mpool_debugfs_add(pool);
	mutex_unlock(&mpool_list_lock);
	mpool_debug_poison_region(pool, &pool->home);
	trace_mpool_create(pool);
	return pool;
}

/**
 * mpool_create_sized - create a pool that may grow and shrink, size-checked
 * @name: as for mpool_create()
 * @block_size: usable bytes in each block
 * @args: a struct mpool_args as the caller's mempool_mod.h defines it
 * @size: the size of that struct, as the caller was built with it
 *
 * Consumers call it through mpool_create_args(), which passes @size.  The
 * struct only grows at its end, as openat2()'s does: a caller built
 * against an older header gets the defaults of the fields it does not
 * know; one built against a newer header must leave the fields this
 * module does not know 0.
 *
 * mpool_create(), for a pool that starts with @args->min_blocks blocks in
 * its first region, kept for life, and may grow by regions of
 * @args->grow_blocks to @args->max_blocks: mpool_grow(), or the pool's
 * worker when an alloc leaves fewer than @args->low_blocks blocks in the
 * depot.  An alloc that may sleep waits for that growth; any other never
 * allocates memory, and gets NULL while no block is free.  Regions whose
 * blocks are all free go back with mpool_shrink(), and with
 * %MPOOL_SHRINKABLE under memory pressure.  The state map and caller
 * tracking are made for @args->max_blocks here: a cache line per run of
 * 8 to 32 blocks, and with %MPOOL_TRACK_CALLER 40 bytes a block.  With
 * @args->max_blocks at @args->min_blocks or 0, it is the pool
 * mpool_create() makes.
 *
 * Context: Process context. May sleep.  Not from a CPU-hotplug callback,
 * as for mpool_create().
 *
 * Return: the new pool, or an ERR_PTR(): the errors of mpool_create(),
 * and -EINVAL for @args->min_blocks 0, @args->max_blocks below it,
 * @args->grow_blocks above their difference, or a pool that may grow with
 * %MPOOL_NO_PERCPU; -E2BIG when @args->max_blocks, or the indexes its
 * regions take, pass %MPOOL_MAX_BLOCKS, or when @args has a field this
 * module does not know set; -EINVAL too for a @args->node that is no
 * node with memory, or with %MPOOL_NUMA.
 */
struct mpool *mpool_create_sized(const char *name, size_t block_size,
				 const void *args, size_t size)
{
	struct mpool_args known = {};

	if (size > sizeof(known) &&
	    memchr_inv(args + sizeof(known), 0, size - sizeof(known)))
		return ERR_PTR(-E2BIG);
	memcpy(&known, args, min(size, sizeof(known)));
	return mpool_create_known(name, block_size, &known);
}
EXPORT_SYMBOL_NS_GPL(mpool_create_sized, MPOOL_NS);

/**
 * mpool_create - create a pool of fixed-size blocks
 * @name: name of the pool, unique, in sysfs: up to %MPOOL_NAME_MAX
 *	characters from [A-Za-z0-9_.-], not starting with '.', not "pools"
 * @block_size: usable bytes in each block
 * @align: alignment of each block, a power of two; 0 means pointer-aligned,
 *	and smaller powers of two are raised to the size of a pointer
 * @nr_blocks: number of blocks, fixed for the life of the pool
 * @flags: debug flags, %MPOOL_POISON, %MPOOL_REDZONE, %MPOOL_TRACK_CALLER,
 *	and %MPOOL_NO_PERCPU, or 0; the module parameter debug= adds its own.
 *	%MPOOL_SHRINKABLE is taken and does nothing: such a pool never grows;
 *	%MPOOL_NUMA puts its one region on the creator's node
 *
 * Reserves nr_blocks * stride bytes with vmalloc, where stride is
 * @block_size raised to a pointer's size and rounded up to @align, plus a
 * link word and a red zone with the debug flags that need them, and a
 * state map of a cache line per 8 to 32 blocks.  Blocks are carved on
 * first use, so creating a large pool costs no more than the vmalloc,
 * but with %MPOOL_POISON every block is poisoned here.  Unless
 * %MPOOL_NO_PERCPU is given or the pool is too small to share, each CPU
 * caches a few free blocks, up to %MPOOL_CACHE_MAX.  A pool that may grow
 * and shrink: mpool_create_args().
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
	struct mpool_args args = {
		.align = align,
		.flags = flags,
		.min_blocks = nr_blocks,
	};

	return mpool_create_known(name, block_size, &args);
}
EXPORT_SYMBOL_NS_GPL(mpool_create, MPOOL_NS);

/**
 * mpool_create_node - create a pool of fixed-size blocks on one node
 * @name: as for mpool_create()
 * @block_size: as for mpool_create()
 * @align: as for mpool_create()
 * @nr_blocks: as for mpool_create()
 * @flags: as for mpool_create(); %MPOOL_NUMA only with @nid NUMA_NO_NODE
 * @nid: the node every block's memory is on, a node with memory, as
 *	dma_pool_create_node() takes it for a device's node; NUMA_NO_NODE
 *	for any, as mpool_create()
 *
 * mpool_create() on node @nid.  A pool that may grow on one node:
 * mpool_create_args() with @node set.
 *
 * Context: Process context. May sleep.  Not from a CPU-hotplug callback,
 * as for mpool_create().
 * Return: as for mpool_create(), and -EINVAL for a @nid that is no node
 * with memory, or with %MPOOL_NUMA.
 */
struct mpool *mpool_create_node(const char *name, size_t block_size,
				size_t align, size_t nr_blocks,
				unsigned int flags, int nid)
{
	struct mpool_args args = {
		.align = align,
		.flags = flags,
		.min_blocks = nr_blocks,
		.node = MPOOL_NODE(nid),
	};

	return mpool_create_known(name, block_size, &args);
}
EXPORT_SYMBOL_NS_GPL(mpool_create_node, MPOOL_NS);

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
	/* Nothing grows or shrinks the pool from here on. */
	mpool_shrinker_exit(pool);
	mpool_grow_exit(pool);
	mutex_lock(&mpool_list_lock);
	list_del(&pool->node);
	mpool_debugfs_remove(pool);
	mpool_sysfs_remove(pool);
	mutex_unlock(&mpool_list_lock);

	/* No alloc or free runs now, by contract. */
	in_use = mpool_in_use(pool);
	trace_mpool_destroy(pool, in_use);
	if (in_use) {
		pr_err("pool %s destroyed with %zu of %zu blocks still in use; leaving its regions allocated\n",
		       pool->name, in_use, pool->nr_blocks);
		mpool_report_leak(pool);
	}
	mpool_free_memory(pool, in_use);
	kfree(pool);
}

/**
 * mpool_destroy - destroy a pool
 * @pool: pool to destroy, or NULL
 *
 * Frees the pool and its regions.  When blocks are still handed out, the
 * pool says how many, and with %MPOOL_TRACK_CALLER who took them, and
 * leaves the regions allocated, as dma_pool_destroy() does, so that the
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
