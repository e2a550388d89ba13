// SPDX-License-Identifier: GPL-2.0
/*
 * What each pool publishes in debugfs, under /sys/kernel/debug/mempool_mod/:
 * a "pools" summary, and per pool a directory with "stats", "regions", with
 * MPOOL_TRACK_CALLER an "allocations" listing, and with fault injection
 * in the kernel a "fail_alloc" fault attribute.
 */

static struct dentry *mpool_debugfs_root;

static int mpool_stats_show(struct seq_file *m, void *unused)
{
	struct mpool_stats st;
	char letters[8];

	mpool_get_stats(m->private, &st);
	mpool_flags_letters(st.flags, letters, sizeof(letters));
	seq_printf(m, "block_size: %zu\n", st.block_size);
	seq_printf(m, "align: %zu\n", st.align);
	seq_printf(m, "stride: %zu\n", st.stride);
	seq_printf(m, "nr_blocks: %zu\n", st.nr_blocks);
	seq_printf(m, "region_bytes: %zu\n", st.region_bytes);
	seq_printf(m, "meta_bytes: %zu\n", st.meta_bytes);
	seq_printf(m, "flags: %s\n", letters);
	seq_printf(m, "redzone_bytes: %zu\n", st.redzone_bytes);
	seq_printf(m, "cache_size: %zu\n", st.cache_size);
	seq_printf(m, "in_use: %zu\n", st.in_use);
	seq_printf(m, "free: %zu\n", st.nr_blocks - st.in_use - st.quarantined);
	seq_printf(m, "cached: %zu\n", st.cached);
	seq_printf(m, "peak_in_use: %zu\n", st.peak_in_use);
	seq_printf(m, "allocs: %llu\n", st.allocs);
	seq_printf(m, "frees: %llu\n", st.frees);
	seq_printf(m, "alloc_failures: %llu\n", st.alloc_failures);
	seq_printf(m, "invalid_frees: %llu\n", st.invalid_frees);
	seq_printf(m, "double_frees: %llu\n", st.double_frees);
	seq_printf(m, "poison_errors: %llu\n", st.poison_errors);
	seq_printf(m, "redzone_errors: %llu\n", st.redzone_errors);
	seq_printf(m, "freelist_errors: %llu\n", st.freelist_errors);
	seq_printf(m, "quarantined: %zu\n", st.quarantined);
	seq_printf(m, "min_blocks: %zu\n", st.min_blocks);
	seq_printf(m, "max_blocks: %zu\n", st.max_blocks);
	seq_printf(m, "nr_regions: %zu\n", st.nr_regions);
	seq_printf(m, "grows: %llu\n", st.grows);
	seq_printf(m, "shrinks: %llu\n", st.shrinks);
	seq_printf(m, "grow_failures: %llu\n", st.grow_failures);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_stats);

/*
 * One line per region: its slot, first block's global index, blocks,
 * those free in the depot (for a MPOOL_NO_PERCPU pool's stack, not kept:
 * its blocks) and those never carved.  Read without the lock: each count
 * is one the region had.
 */
static int mpool_regions_show(struct seq_file *m, void *unused)
{
	struct mpool *pool = m->private;
	struct mpool_region *region;
	unsigned int slot;

	seq_puts(m, "# slot node first blocks depot_free uncarved\n");
	rcu_read_lock();
	for (slot = 0; slot < pool->max_slots; slot++) {
		region = rcu_dereference(pool->regions[slot]);
		if (!region)
			continue;
		seq_printf(m, "%u %d %zu %zu %zu %zu\n", slot, region->nid,
			   region->first,
			   region->nr_blocks, READ_ONCE(region->nr_free),
			   region->nr_blocks - READ_ONCE(region->nr_carved));
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_regions);

/*
 * One line per node with a region: its regions, their blocks, those free
 * in the depot, and those out of it (handed out, in the CPUs' caches or
 * quarantined).  Not for a MPOOL_NO_PERCPU pool's stack, whose one region
 * keeps no count.
 */
static int mpool_nodes_show(struct seq_file *m, void *unused)
{
	struct mpool *pool = m->private;
	struct mpool_region *region;
	size_t *blocks, *free;
	unsigned int slot, *regions;
	int nid, err = -ENOMEM;

	blocks = kcalloc(nr_node_ids, sizeof(*blocks), GFP_KERNEL);
	free = kcalloc(nr_node_ids, sizeof(*free), GFP_KERNEL);
	regions = kcalloc(nr_node_ids, sizeof(*regions), GFP_KERNEL);
	if (!blocks || !free || !regions)
		goto out;
	rcu_read_lock();
	for (slot = 0; slot < pool->max_slots; slot++) {
		region = rcu_dereference(pool->regions[slot]);
		if (!region)
			continue;
		regions[region->nid]++;
		blocks[region->nid] += region->nr_blocks;
		free[region->nid] += READ_ONCE(region->nr_free);
	}
	rcu_read_unlock();
	seq_puts(m, "# node regions blocks depot_free out\n");
	for_each_node(nid) {
		if (regions[nid])
			seq_printf(m, "%d %u %zu %zu %zu\n", nid, regions[nid],
				   blocks[nid], free[nid],
				   blocks[nid] - min(free[nid], blocks[nid]));
	}
	err = 0;
out:
	kfree(regions);
	kfree(free);
	kfree(blocks);
	return err;
}
DEFINE_SHOW_ATTRIBUTE(mpool_nodes);

/* The blocks in use, by the caller that took them, as SLUB's alloc_traces. */
static int mpool_allocations_show(struct seq_file *m, void *unused)
{
	struct mpool_callers callers;
	struct mpool_caller *caller;
	size_t i;
	int err;

	err = mpool_callers_collect(m->private, &callers);
	if (err)
		return err;
	seq_puts(m, "# blocks caller oldest_ms\n");
	for (i = 0; i < callers.nr; i++) {
		caller = &callers.entries[i];
		seq_printf(m, "%8zu %pS oldest_ms=%u\n", caller->count,
			   (void *)caller->ip,
			   jiffies_to_msecs(jiffies - caller->oldest));
	}
	if (callers.others)
		seq_printf(m, "%8zu (more callers than listed)\n",
			   callers.others);
	kfree(callers.entries);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_allocations);

static int mpool_pools_show(struct seq_file *m, void *unused)
{
	struct mpool_stats st;
	struct mpool *pool;
	char letters[8];

	seq_printf(m, "# %-*s %10s %6s %6s %10s %10s %11s %12s %12s %14s %13s %12s %13s %14s %15s %11s %5s\n",
		   MPOOL_NAME_MAX - 2, "name", "block_size", "align", "stride",
		   "nr_blocks", "in_use", "peak_in_use", "allocs", "frees",
		   "alloc_failures", "invalid_frees", "double_frees",
		   "poison_errors", "redzone_errors", "freelist_errors",
		   "quarantined", "flags");
	mutex_lock(&mpool_list_lock);
	list_for_each_entry(pool, &mpool_list, node) {
		mpool_get_stats(pool, &st);
		mpool_flags_letters(st.flags, letters, sizeof(letters));
		seq_printf(m, "%-*s %10zu %6zu %6zu %10zu %10zu %11zu %12llu %12llu %14llu %13llu %12llu %13llu %14llu %15llu %11zu %5s\n",
			   MPOOL_NAME_MAX, pool->name, st.block_size, st.align,
			   st.stride, st.nr_blocks, st.in_use, st.peak_in_use,
			   st.allocs, st.frees, st.alloc_failures,
			   st.invalid_frees, st.double_frees, st.poison_errors,
			   st.redzone_errors, st.freelist_errors,
			   st.quarantined, letters);
	}
	mutex_unlock(&mpool_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_pools);

static void mpool_debugfs_init(void)
{
	mpool_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("pools", 0444, mpool_debugfs_root, NULL,
			    &mpool_pools_fops);
}

static void mpool_debugfs_exit(void)
{
	debugfs_remove_recursive(mpool_debugfs_root);
}

static void mpool_debugfs_add(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);

	pool->debugfs_dir = debugfs_create_dir(pool->name, mpool_debugfs_root);
	debugfs_create_file("stats", 0444, pool->debugfs_dir, pool,
			    &mpool_stats_fops);
	debugfs_create_file("regions", 0444, pool->debugfs_dir, pool,
			    &mpool_regions_fops);
	/* A stack keeps no count of its blocks by region. */
	if (!pool->stack_next)
		debugfs_create_file("nodes", 0444, pool->debugfs_dir, pool,
				    &mpool_nodes_fops);
	if (pool->flags & MPOOL_TRACK_CALLER)
		debugfs_create_file("allocations", 0444, pool->debugfs_dir,
				    pool, &mpool_allocations_fops);
	mpool_fail_alloc_debugfs(pool);
}

static void mpool_debugfs_remove(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);

	debugfs_remove_recursive(pool->debugfs_dir);
}
