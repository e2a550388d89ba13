// SPDX-License-Identifier: GPL-2.0
/*
 * A pool's regions: the memory its blocks are carved from, and how a block
 * is found from its index, and its index from its address.
 *
 * Every block has a global index, which the state map, caller tracking
 * and the reports use as they did when a pool was one region.  The first
 * region, made at create and kept for life, takes indexes 0 to
 * @min_blocks - 1 in slot 0, @home_span indexes long, a whole number of
 * the state map's runs.  Each later one takes a slot of 2^@slot_shift
 * indexes after it, at least @grow_blocks and a run, so that a region
 * starts a run, and a line of the state map, of its own.  A slot a shrink
 * freed is the next grow's.  The state map covers every slot from create
 * on (@index_end), a cache line per run of 8 to 32 indexes, for an index
 * to state lookup that takes no lock and no region.
 *
 * From an address, the first region is found as before, by one compare,
 * and the fast paths of a pool of one region are unchanged.  Any other is
 * found in @table, an open-addressed hash of the address's chunk, 2^
 * @chunk_shift bytes, no smaller than a region: a region meets two chunks
 * at most, and is in the table under each.  The table is never changed
 * once published: a grow or a shrink builds a new one under @grow_lock
 * and publishes it with RCU, so that a free from any context reads it
 * without a lock, in two loads and a compare or a few more.  A region
 * taken out is freed after a grace period: a free racing with the shrink
 * (a double free or a stray pointer, as no block of the region is out)
 * may still be reading it.
 *
 * A region's memory comes from vmalloc, or from one node's pages mapped
 * as vmalloc maps them, through mpool_region_memory() and
 * mpool_region_free() alone: another source (DMA-coherent memory for a
 * device) needs those two and nothing else.
 */

static size_t mpool_slot_first(const struct mpool *pool, unsigned int slot)
{
	if (!slot)
		return 0;
	return pool->home_span + ((size_t)(slot - 1) << pool->slot_shift);
}

static unsigned int mpool_index_slot(const struct mpool *pool, size_t index)
{
	if (index < pool->home_span)
		return 0;
	return 1 + ((index - pool->home_span) >> pool->slot_shift);
}

/*
 * The region of block @index, which the caller knows to be in one: it
 * holds the block, the pool's lock, or the RCU read lock.
 */
static struct mpool_region *mpool_index_region(const struct mpool *pool,
					       size_t index)
{
	if (likely(index < pool->min_blocks))
		return (struct mpool_region *)&pool->home;
	return rcu_dereference_check(pool->regions[mpool_index_slot(pool, index)],
				     rcu_read_lock_any_held());
}

/* Block @local of @region, counted from the region's first. */
static void *mpool_region_block(const struct mpool *pool,
				const struct mpool_region *region, size_t local)
{
	return region->base + local * pool->stride;
}

/* mpool_block() beyond the first region. */
static noinline void *mpool_far_block(const struct mpool *pool, size_t index)
{
	struct mpool_region *region;
	void *block;

	rcu_read_lock();
	region = mpool_index_region(pool, index);
	block = mpool_region_block(pool, region, index - region->first);
	rcu_read_unlock();
	return block;
}

static unsigned long mpool_chunk(const struct mpool *pool, const void *ptr)
{
	return (unsigned long)ptr >> pool->chunk_shift;
}

/* The region other than the first that holds byte @ptr, or NULL. */
static struct mpool_region *mpool_region_find(const struct mpool *pool,
					      const void *ptr)
{
	const struct mpool_region_table *table;
	struct mpool_region *region;
	unsigned int i, n, mask;

	table = rcu_dereference_check(pool->table, rcu_read_lock_any_held());
	if (!table)
		return NULL;
	mask = BIT(table->bits) - 1;
	i = hash_long(mpool_chunk(pool, ptr), table->bits);
	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		region = READ_ONCE(table->entries[i]);
		if (!region)
			return NULL;
		if ((unsigned long)ptr - (unsigned long)region->base <
		    region->nr_blocks * pool->stride)
			return region;
	}
	return NULL;
}

/*
 * mpool_locate() beyond the first region: MPOOL_FREE_OK and *@index if
 * @block starts a block of another region, else why it does not.
 */
static noinline enum mpool_free_verdict
mpool_locate_far(const struct mpool *pool, const void *block, size_t *index)
{
	enum mpool_free_verdict verdict = MPOOL_FREE_OUTSIDE;
	struct mpool_region *region;
	unsigned long offset;
	size_t local;

	if (!rcu_access_pointer(pool->table))
		return MPOOL_FREE_OUTSIDE;
	rcu_read_lock();
	region = mpool_region_find(pool, block);
	if (region) {
		offset = (unsigned long)block - (unsigned long)region->base;
		local = mpool_offset_index(pool, offset);
		*index = region->first + local;
		verdict = offset == local * pool->stride ? MPOOL_FREE_OK :
							   MPOOL_FREE_INTERIOR;
	}
	rcu_read_unlock();
	return verdict;
}

/*
 * mpool_claim() beyond the first region: locate @block and claim its
 * state in one RCU read-side section.  A shrink takes a region out of
 * the table, and its slot, whose indexes a later grow reuses, is reused
 * only after a grace period (mpool_add_region()): a free of a stale
 * pointer, preempted between finding the region and the cmpxchg, would
 * otherwise claim the state of the block of the same index in the new
 * region, which someone else holds.
 */
static noinline enum mpool_free_verdict
mpool_claim_far(const struct mpool *pool, const void *block, size_t *index)
{
	enum mpool_free_verdict verdict;
	u8 state = MPOOL_BLOCK_IN_USE;

	rcu_read_lock();
	verdict = mpool_locate_far(pool, block, index);
	if (unlikely(verdict == MPOOL_FREE_OUTSIDE)) {
		/*
		 * Our load of @table is not ordered after the caller's load of
		 * @block, which may hang on an address dependency alone (a
		 * pointer another CPU published): on a weakly ordered CPU a
		 * region published just before @block was handed out may be
		 * missed, and a good free refused.  Look again, ordered.
		 */
		smp_rmb();
		verdict = mpool_locate_far(pool, block, index);
	}
	if (verdict == MPOOL_FREE_OK &&
	    !mpool_state_cmpxchg(mpool_state(pool, *index), &state,
				 MPOOL_BLOCK_CACHED))
		verdict = state == MPOOL_BLOCK_QUARANTINED ?
			  MPOOL_FREE_QUARANTINED : MPOOL_FREE_DOUBLE;
	rcu_read_unlock();
	return verdict;
}

/*
 * For a report: the block @ptr falls in, by global index, and its offset
 * in it.  @ptr is in one of the pool's regions, or was a moment ago.
 */
static void mpool_place(const struct mpool *pool, const void *ptr,
			size_t *index, unsigned long *within)
{
	struct mpool_region *region = NULL;
	unsigned long offset = mpool_offset(pool, ptr);
	size_t first = 0;

	if (offset >= pool->region_bytes) {
		rcu_read_lock();
		region = mpool_region_find(pool, ptr);
		if (region) {
			offset = (unsigned long)ptr -
				 (unsigned long)region->base;
			first = region->first;
		}
		rcu_read_unlock();
	}
	*index = first + offset / pool->stride;
	*within = offset % pool->stride;
}

/* mpool_block_index() beyond the first region, for a block of the pool's. */
static noinline size_t mpool_far_index(const struct mpool *pool,
				       const void *block)
{
	size_t index = 0;

	/* Cannot happen: the caller holds the block, or it is in the depot. */
	WARN_ON_ONCE(mpool_locate_far(pool, block, &index) != MPOOL_FREE_OK);
	return index;
}

/* Put @region in @table under each chunk it meets. */
static void mpool_table_insert(const struct mpool *pool,
			       struct mpool_region_table *table,
			       struct mpool_region *region)
{
	unsigned long chunk, last;
	unsigned int i, mask = BIT(table->bits) - 1;

	chunk = mpool_chunk(pool, region->base);
	last = mpool_chunk(pool, region->base +
			   region->nr_blocks * pool->stride - 1);
	for (; chunk <= last; chunk++) {
		i = hash_long(chunk, table->bits);
		while (table->entries[i])
			i = (i + 1) & mask;
		table->entries[i] = region;
	}
}

/*
 * A table of every region but the first, with @add and without @drop
 * (either may be NULL), a quarter full at most; NULL for none.  An
 * ERR_PTR(-ENOMEM) if there is no memory for it.
 */
static struct mpool_region_table *
mpool_table_build(struct mpool *pool, struct mpool_region *add,
		  struct mpool_region *drop)
{
	struct mpool_region_table *table;
	struct mpool_region *region;
	unsigned int slot, nr = 0, bits;

	lockdep_assert_held(&pool->grow_lock);

	for (slot = 1; slot < pool->max_slots; slot++)
		nr += !!rcu_access_pointer(pool->regions[slot]);
	nr += !!add - !!drop;
	if (!nr)
		return NULL;
	/* Two chunks a region, four entries a chunk. */
	bits = max(3, order_base_2(8 * nr));
	table = kvzalloc(struct_size(table, entries, BIT(bits)), GFP_KERNEL);
	if (!table)
		return ERR_PTR(-ENOMEM);
	table->bits = bits;
	for (slot = 1; slot < pool->max_slots; slot++) {
		region = rcu_dereference_protected(pool->regions[slot],
						   lockdep_is_held(&pool->grow_lock));
		if (region && region != drop)
			mpool_table_insert(pool, table, region);
	}
	if (add)
		mpool_table_insert(pool, table, add);
	return table;
}

/* Make @table the pool's, and free the old one after a grace period. */
static void mpool_table_swap(struct mpool *pool,
			     struct mpool_region_table *table)
{
	struct mpool_region_table *old;

	old = rcu_replace_pointer(pool->table, table,
				  lockdep_is_held(&pool->grow_lock));
	if (old)
		kvfree_rcu(old, rcu);
}

/*
 * @region's memory for @nr blocks from vmalloc, on node @nid if it is
 * not NUMA_NO_NODE; and the node its first page came from.  -ENOMEM.
 */
/*
 * @bytes of pages of node @nid, and of no other, mapped as one area, as
 * vmalloc maps its own.  vmalloc_node() would take no gfp (it is
 * GFP_KERNEL, which may wake the OOM killer, and warns), and falls back
 * to other nodes page by page; __vmalloc_node() is exported only for
 * the vmalloc test module.  vfree() frees it all (VM_MAP_PUT_PAGES), and
 * kmemleak scans it as it scans a vmalloc area: a consumer's pointers
 * may live only in its blocks.
 */
static void *mpool_vmap_node(size_t bytes, gfp_t gfp, int nid)
{
	unsigned int i, nr = DIV_ROUND_UP(bytes, PAGE_SIZE);
	struct page **pages;
	void *mem;

	pages = kvmalloc_array(nr, sizeof(*pages), gfp);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_pages_node(nid, gfp | __GFP_THISNODE, 0);
		if (!pages[i])
			goto fail;
	}
	mem = vmap(pages, nr, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
	if (mem) {
		kmemleak_alloc(mem, bytes, 1, gfp);
		return mem;
	}
fail:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return NULL;
}

static int mpool_region_memory(struct mpool *pool, struct mpool_region *region,
			       size_t nr, int nid)
{
	/* Never wake the OOM killer for a pool: fail and let the caller decide. */
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	size_t pad = pool->align > PAGE_SIZE ? pool->align - PAGE_SIZE : 0;

	/* Cannot overflow: create checked every block's bytes with the slack. */
	if (nid == NUMA_NO_NODE)
		region->mem = __vmalloc(nr * pool->stride + pad, gfp);
	else
		region->mem = mpool_vmap_node(nr * pool->stride + pad, gfp, nid);
	if (!region->mem)
		return -ENOMEM;
	region->base = PTR_ALIGN(region->mem, pool->align);
	region->nr_blocks = nr;
	region->nid = page_to_nid(vmalloc_to_page(region->mem));
	return 0;
}

/*
 * A region of @nr blocks for slot @slot on node @nid (NUMA_NO_NODE: any),
 * its memory from vmalloc; not yet the pool's.  NULL if there is no
 * memory.
 */
static struct mpool_region *mpool_region_alloc(struct mpool *pool,
					       unsigned int slot, size_t nr,
					       int nid)
{
	struct mpool_region *region;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return NULL;
	if (mpool_region_memory(pool, region, nr, nid)) {
		kfree(region);
		return NULL;
	}
	region->slot = slot;
	region->first = mpool_slot_first(pool, slot);
	return region;
}

static void mpool_region_free(struct mpool_region *region)
{
	vfree(region->mem);
	kfree(region);
}

static void mpool_region_free_rcu(struct rcu_head *rcu)
{
	/* vfree() defers itself to a worker when called from a softirq. */
	mpool_region_free(container_of(rcu, struct mpool_region, rcu));
}

/*
 * At create: the slots, the first region's memory and its place in
 * slot 0, the map of slots with free blocks.  -ENOMEM if refused.
 */
static int mpool_regions_init(struct mpool *pool)
{
	struct mpool_region *home = &pool->home;
	int nid = pool->nid;
	unsigned int slot;

	pool->regions = kvcalloc(pool->max_slots, sizeof(*pool->regions),
				 GFP_KERNEL);
	pool->slot_gp = kvmalloc_array(pool->max_slots, sizeof(*pool->slot_gp),
				       GFP_KERNEL);
	pool->with_free = bitmap_zalloc(pool->max_slots, GFP_KERNEL);
	if (!pool->regions || !pool->slot_gp || !pool->with_free)
		return -ENOMEM;
	for (slot = 0; slot < pool->max_slots; slot++)
		pool->slot_gp[slot] = get_completed_synchronize_rcu();
	if (pool->flags & MPOOL_NUMA) {
		pool->node_with_free = kcalloc(nr_node_ids *
					       BITS_TO_LONGS(pool->max_slots),
					       sizeof(long), GFP_KERNEL);
		pool->node_free = kcalloc(nr_node_ids, sizeof(size_t),
					  GFP_KERNEL);
		if (!pool->node_with_free || !pool->node_free)
			return -ENOMEM;
		/* The creator's node, or its nearest with memory. */
		nid = numa_mem_id();
	}
	if (mpool_region_memory(pool, home, pool->min_blocks, nid))
		return -ENOMEM;
	pool->base = home->base;
	pool->nr_blocks = pool->min_blocks;
	pool->nr_regions = 1;
	RCU_INIT_POINTER(pool->regions[0], home);
	mpool_region_count(pool, home, home->nr_blocks);
	return 0;
}

/*
 * At destroy, the pool idle: free every region, but with @leak, whose
 * blocks some consumer still holds, keep their memory, known and
 * reported: not for kmemleak to report again.
 */
static void mpool_regions_exit(struct mpool *pool, bool leak)
{
	struct mpool_region *region;
	unsigned int slot;

	for (slot = 1; pool->regions && slot < pool->max_slots; slot++) {
		region = rcu_dereference_protected(pool->regions[slot], true);
		if (!region)
			continue;
		if (leak) {
			kmemleak_not_leak(region->mem);
			region->mem = NULL;
		}
		mpool_region_free(region);
	}
	if (leak)
		kmemleak_not_leak(pool->home.mem);
	else
		vfree(pool->home.mem);
	kvfree(rcu_dereference_protected(pool->table, true));
	kvfree(pool->slot_gp);
	kfree(pool->node_free);
	kfree(pool->node_with_free);
	bitmap_free(pool->with_free);
	kvfree(pool->regions);
}
