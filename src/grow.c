// SPDX-License-Identifier: GPL-2.0
/*
 * Growing a pool by whole regions: mpool_grow() in process context, and a
 * worker that an alloc asks for when the depot runs low, so that an alloc
 * in atomic context never allocates memory itself.  As bpf_mem_alloc
 * refills its lists, the ask is an irq_work, which may be queued under
 * the pool's raw lock from any context but NMI, and which queues the
 * worker: an alloc never takes a workqueue's lock itself.
 *
 * A grow makes the region and its table entry with no lock held, and
 * adds its blocks to the depot in one hold of the lock, uncarved: the
 * allocs carve them a run at a time, as the first region's.  It then
 * wakes every task waiting for a block.  A grow that finds no memory
 * counts a failure, and no worker is asked for again for a second, so
 * that allocs on a starved machine do not keep a worker in vmalloc.
 */

/* Whether another region fits under @max_blocks. */
static bool mpool_may_grow(const struct mpool *pool)
{
	return pool->grow_blocks &&
	       READ_ONCE(pool->nr_blocks) + pool->grow_blocks <=
	       pool->max_blocks;
}

/* Under the lock: a grow found no memory less than MPOOL_GROW_RETRY ago. */
static bool mpool_grow_paused(const struct mpool *pool)
{
	return pool->grow_failed &&
	       time_before(jiffies, pool->grow_failed + MPOOL_GROW_RETRY);
}

/*
 * The node a grow adds its region on: the pool's, or with MPOOL_NUMA the
 * caller's (under the pool's lock, this CPU's), or any.
 */
static int mpool_grow_node(const struct mpool *pool)
{
	return pool->flags & MPOOL_NUMA ? numa_mem_id() : pool->nid;
}

/*
 * Under the lock: ask for the worker when the depot has fewer free blocks
 * than the low mark, or, @empty, none that a waiting alloc could take,
 * and a region fits, and no worker is asked for or runs.  With
 * MPOOL_NUMA, the depot is this CPU's node's part of it, and the worker
 * grows on that node, as on every node that asked before it ran.
 */
static void mpool_grow_check(struct mpool *pool, bool empty)
{
	int nid = mpool_grow_node(pool);
	size_t free;

	lockdep_assert_held(&pool->lock);

	if (pool->dying || !mpool_may_grow(pool))
		return;
	free = pool->node_free ? pool->node_free[nid] :
				 mpool_depot_nr_free(pool);
	if (!empty && free >= pool->low_blocks)
		return;
	if (mpool_grow_paused(pool))
		return;
	if (pool->node_free)
		node_set(nid, pool->grow_nodes);
	if (pool->grow_queued)
		return;
	pool->grow_queued = true;
	irq_work_queue(&pool->grow_irq_work);
}

static void mpool_grow_irq_work(struct irq_work *work)
{
	struct mpool *pool = container_of(work, struct mpool, grow_irq_work);

	queue_work(system_unbound_wq, &pool->grow_work);
}

/*
 * Add one region of @grow_blocks on node @nid (NUMA_NO_NODE: any) in the
 * first free slot: its memory, poison and table entry first, then its
 * blocks to the depot in one hold.  Returns 0, -ENOSPC if it does not fit
 * under @max_blocks, -ENOMEM.
 */
static int mpool_add_region(struct mpool *pool, int nid)
{
	struct mpool_region_table *table;
	struct mpool_region *region;
	unsigned long flags;
	unsigned int slot;

	lockdep_assert_held(&pool->grow_lock);

	if (!mpool_may_grow(pool))
		return -ENOSPC;
	for (slot = 1; slot < pool->max_slots; slot++) {
		if (!rcu_access_pointer(pool->regions[slot]))
			break;
	}
	/* Cannot happen: @max_slots has room for @max_blocks. */
	if (WARN_ON_ONCE(slot == pool->max_slots))
		return -ENOSPC;
	/* Its indexes are reused: no claim in the last region's may remain. */
	cond_synchronize_rcu(pool->slot_gp[slot]);
	region = mpool_region_alloc(pool, slot, pool->grow_blocks, nid);
	if (!region)
		return -ENOMEM;
	/* A slot's states were all IN_DEPOT when its last region left. */
	if (pool->track)
		memset(&pool->track[region->first], 0,
		       region->nr_blocks * sizeof(*pool->track));
	mpool_debug_poison_region(pool, region);
	table = mpool_table_build(pool, region, NULL);
	if (IS_ERR(table)) {
		mpool_region_free(region);
		return PTR_ERR(table);
	}
	rcu_assign_pointer(pool->regions[slot], region);
	mpool_table_swap(pool, table);

	mpool_lock(pool, &flags);
	WRITE_ONCE(pool->nr_blocks, pool->nr_blocks + region->nr_blocks);
	WRITE_ONCE(pool->nr_regions, pool->nr_regions + 1);
	WRITE_ONCE(pool->grows, pool->grows + 1);
	mpool_region_count(pool, region, region->nr_blocks);
	mpool_unlock(pool, flags);
	return 0;
}

/*
 * Grow by @nr regions on node @nid: none if they do not all fit
 * (-ENOSPC), those made before memory ran out if it did (-ENOMEM).
 */
static int mpool_grow_regions(struct mpool *pool, size_t nr, int nid)
{
	unsigned long flags;
	size_t added = 0;
	int err = 0;

	mutex_lock(&pool->grow_lock);
	if (READ_ONCE(pool->nr_blocks) + nr * pool->grow_blocks >
	    pool->max_blocks)
		err = -ENOSPC;
	while (!err && added < nr) {
		err = mpool_add_region(pool, nid);
		added += !err;
	}
	mutex_unlock(&pool->grow_lock);

	mpool_lock(pool, &flags);
	if (err == -ENOMEM) {
		WRITE_ONCE(pool->grow_failures, pool->grow_failures + 1);
		pool->grow_failed = jiffies ?: 1;
	} else if (added) {
		pool->grow_failed = 0;
	}
	mpool_unlock(pool, flags);
	trace_mpool_grow(pool, nid, added * pool->grow_blocks, err);
	/* A waiting alloc finds the new blocks; one that failed, the news. */
	swake_up_all(&pool->wait);
	return err;
}

/*
 * A region on each node that asked for one (MPOOL_NUMA), or one on the
 * pool's node.  Runs in a kworker, never in an alloc's context.
 */
static void mpool_grow_worker(struct work_struct *work)
{
	struct mpool *pool = container_of(work, struct mpool, grow_work);
	unsigned long flags;
	nodemask_t nodes;
	int nid;

	mpool_test_point(pool, MPOOL_TEST_GROW_WORKER);
	if (pool->node_free) {
		mpool_lock(pool, &flags);
		nodes = pool->grow_nodes;
		nodes_clear(pool->grow_nodes);
		mpool_unlock(pool, flags);
		for_each_node_mask(nid, nodes)
			mpool_grow_regions(pool, 1, nid);
	} else {
		mpool_grow_regions(pool, 1, pool->nid);
	}
	/* Below the low mark still, as allocs went on: once more, asked. */
	mpool_lock(pool, &flags);
	pool->grow_queued = false;
	if (!pool->node_free) {
		mpool_grow_check(pool, false);
	} else if (!nodes_empty(pool->grow_nodes) && !pool->dying &&
		   mpool_may_grow(pool) && !mpool_grow_paused(pool)) {
		/* The nodes that asked while it ran, not this kworker's. */
		pool->grow_queued = true;
		irq_work_queue(&pool->grow_irq_work);
	}
	mpool_unlock(pool, flags);
}

/*
 * At create, with MPOOL_NUMA: a region on every other node with memory,
 * as far as @max_blocks allows, so that each node's CPUs start with
 * blocks of their own.  0 or -ENOMEM.
 */
static int mpool_grow_nodes(struct mpool *pool)
{
	int nid, err = 0;

	if (!pool->node_free)
		return 0;
	mutex_lock(&pool->grow_lock);
	for_each_node_state(nid, N_MEMORY) {
		if (nid == pool->home.nid || !mpool_may_grow(pool))
			continue;
		err = mpool_add_region(pool, nid);
		if (err)
			break;
	}
	mutex_unlock(&pool->grow_lock);
	return err;
}

static void mpool_grow_init(struct mpool *pool)
{
	mutex_init(&pool->grow_lock);
	init_irq_work(&pool->grow_irq_work, mpool_grow_irq_work);
	INIT_WORK(&pool->grow_work, mpool_grow_worker);
}

/*
 * At destroy, with @dying set under the lock, so that nothing asks for
 * the worker again: wait for an ask in flight, then for the worker.
 */
static void mpool_grow_exit(struct mpool *pool)
{
	irq_work_sync(&pool->grow_irq_work);
	cancel_work_sync(&pool->grow_work);
	mutex_destroy(&pool->grow_lock);
}

/**
 * mpool_grow - add regions to a pool
 * @pool: pool made by mpool_create_args() with @max_blocks above
 *	@min_blocks
 * @nr: blocks to add at least, rounded up to whole regions of the pool's
 *	@grow_blocks
 *
 * Allocates the regions with vmalloc and adds their blocks to the pool,
 * and wakes the allocs that wait for a block.  The regions are on the
 * pool's node, or with %MPOOL_NUMA on the caller's.  The pool's
 * own worker does the same, a region at a time, when an alloc leaves its
 * depot below the low mark: a driver calls this to grow ahead of a burst
 * it knows of.  Allocs and frees go on meanwhile.
 *
 * Context: Process context. May sleep.
 * Return: 0 when the blocks were added; -EINVAL for @nr 0; -ENOSPC when
 * they would take the pool past its @max_blocks (a pool made by
 * mpool_create() is at its bound from the start), and none was added;
 * -ENOMEM when memory ran out, counted in the pool's grow_failures: the
 * regions made before stay the pool's.
 */
int mpool_grow(struct mpool *pool, size_t nr)
{
	might_sleep();

	if (!nr)
		return -EINVAL;
	if (!pool->grow_blocks || nr > pool->max_blocks)
		return -ENOSPC;
	return mpool_grow_regions(pool, DIV_ROUND_UP(nr, pool->grow_blocks),
				  mpool_grow_node(pool));
}
EXPORT_SYMBOL_NS_GPL(mpool_grow, MPOOL_NS);
