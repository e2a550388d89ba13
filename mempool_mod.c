// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod - a bounded pool of fixed-size blocks for other modules.
 *
 * A pool reserves one region with vmalloc and carves it into nr_blocks
 * blocks, stride bytes apart.  Free blocks are kept on an unsorted singly
 * linked free list stored inside the free blocks themselves, so a block
 * costs no memory of its own while it is handed out.  The region is carved
 * lazily: blocks at and above @nr_carved have never been handed out and are
 * not on the list, so creating a pool costs the vmalloc and nothing more.
 *
 * One bit per block says whether it is handed out.  mpool_free() checks it,
 * so a double free, an interior pointer or a foreign pointer is refused,
 * counted and reported, and never corrupts the free list.
 *
 * Concurrency: mpool_alloc() and mpool_free() may be called from any
 * context but NMI, on the same pool, concurrently.  Each pool has one
 * IRQ-safe raw spinlock, held for O(1) work only, so this holds on
 * PREEMPT_RT too.  mpool_create() and mpool_destroy() may sleep.  The
 * caller guarantees that no alloc or free on a pool runs during or after
 * its mpool_destroy().
 *
 * Each pool publishes its statistics in debugfs, under
 * /sys/kernel/debug/mempool_mod/<name>/stats, and one line in .../pools.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/align.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kmemleak.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/ratelimit.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/swait.h>
#include <linux/vmalloc.h>

#include "mempool_mod.h"

/* What a free block holds: the link to the next free block. */
struct mpool_free_block {
	struct mpool_free_block *next;
};

struct mpool {
	/* Fixed at create, read without the lock. */
	void *base;		/* first block, @align-aligned */
	size_t stride;		/* distance between blocks */
	size_t region_bytes;	/* @nr_blocks * @stride, from @base */
	size_t nr_blocks;
	size_t block_size;	/* usable bytes, as asked */
	unsigned long *in_use_map; /* bit set: handed out; bits under @lock */

	/*
	 * Under @lock.  Apart from the fields above, an alloc+free pair
	 * touches only this group, which starts a cache line of its own.
	 */
	raw_spinlock_t lock ____cacheline_aligned_in_smp; /* this group */
	struct mpool_free_block *free_list; /* freed blocks, in any order */
	size_t nr_carved;	/* blocks at and above it never handed out */
	size_t in_use;		/* also read locklessly by waiters */
	unsigned int nr_waiters; /* tasks sleeping in mpool_alloc() */
	u64 allocs;
	u64 frees;
	size_t peak_in_use;
	u64 alloc_failures;
	u64 invalid_frees;
	u64 double_frees;

	/* Rarely used; not under @lock. */
	struct swait_queue_head wait; /* blocking allocators sleep here */
	/* Per pool, so that one noisy consumer hides no other's misuse. */
	struct ratelimit_state misuse_ratelimit;
	void *vmem;		/* what vmalloc returned, for vfree */
	size_t align;
	struct list_head node;	/* on mpool_list */
	struct dentry *debugfs_dir;
	char name[MPOOL_NAME_MAX + 1];
};

/* What mpool_free() made of a pointer. */
enum mpool_free_verdict {
	MPOOL_FREE_OK,
	MPOOL_FREE_OUTSIDE,
	MPOOL_FREE_INTERIOR,
	MPOOL_FREE_DOUBLE,
};

static const char * const mpool_free_refusal[] = {
	[MPOOL_FREE_OUTSIDE]	= "outside the pool",
	[MPOOL_FREE_INTERIOR]	= "not the start of a block",
	[MPOOL_FREE_DOUBLE]	= "block is already free (double free?)",
};

static LIST_HEAD(mpool_list);
/*
 * Protects mpool_list, and so the uniqueness of names, and keeps the
 * debugfs directories in step with the list.
 */
static DEFINE_MUTEX(mpool_list_lock);
static struct dentry *mpool_debugfs_root;
static struct mpool *mpool_default_pool;

/* The default pool's geometry, set at insmod. */
static unsigned long param_pool_size = SZ_1M;
module_param_named(pool_size, param_pool_size, ulong, 0444);
MODULE_PARM_DESC(pool_size, "Bytes of the default pool's region (default 1 MiB)");

static unsigned long param_block_size = 64;
module_param_named(block_size, param_block_size, ulong, 0444);
MODULE_PARM_DESC(block_size, "Usable bytes per block of the default pool (default 64)");

static unsigned long param_align;
module_param_named(align, param_align, ulong, 0444);
MODULE_PARM_DESC(align, "Block alignment of the default pool, a power of two (default 0: pointer size)");

/* ---- geometry ---------------------------------------------------------- */

/* 0 and powers of two below a pointer's size mean "pointer-aligned". */
static size_t mpool_effective_align(size_t align)
{
	return max_t(size_t, align, sizeof(void *));
}

/*
 * Compute the distance between blocks, or fail with -EINVAL (align is not
 * a power of two) or -EOVERFLOW.  The free-list link lives in free blocks,
 * so a block is never smaller than a pointer.
 */
static int mpool_stride(size_t block_size, size_t align, size_t *stride)
{
	size_t size = max_t(size_t, block_size, sizeof(void *));

	if (align && !is_power_of_2(align))
		return -EINVAL;
	align = mpool_effective_align(align);
	if (size > SIZE_MAX - (align - 1))
		return -EOVERFLOW;
	*stride = ALIGN(size, align);
	return 0;
}

static bool mpool_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, MPOOL_NAME_MAX + 1);
	if (!len || len > MPOOL_NAME_MAX || name[0] == '.')
		return false;
	/* "pools" is the summary file next to the pools' directories. */
	if (!strcmp(name, "pools"))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		/* The kernel's isalnum() also takes Latin-1 letters. */
		if (!(isascii(c) && isalnum(c)) && !strchr("_-.", c))
			return false;
	}
	return true;
}

static void *mpool_block(const struct mpool *pool, size_t index)
{
	return pool->base + index * pool->stride;
}

/* Where @ptr falls in the region; beyond @region_bytes when outside it. */
static unsigned long mpool_offset(const struct mpool *pool, const void *ptr)
{
	return (unsigned long)ptr - (unsigned long)pool->base;
}

static size_t mpool_block_index(const struct mpool *pool, const void *block)
{
	return mpool_offset(pool, block) / pool->stride;
}

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

/* ---- debugfs ----------------------------------------------------------- */

static int mpool_stats_show(struct seq_file *m, void *unused)
{
	struct mpool_stats st;

	mpool_get_stats(m->private, &st);
	seq_printf(m, "block_size: %zu\n", st.block_size);
	seq_printf(m, "align: %zu\n", st.align);
	seq_printf(m, "stride: %zu\n", st.stride);
	seq_printf(m, "nr_blocks: %zu\n", st.nr_blocks);
	seq_printf(m, "region_bytes: %zu\n", st.region_bytes);
	seq_printf(m, "in_use: %zu\n", st.in_use);
	seq_printf(m, "free: %zu\n", st.nr_blocks - st.in_use);
	seq_printf(m, "peak_in_use: %zu\n", st.peak_in_use);
	seq_printf(m, "allocs: %llu\n", st.allocs);
	seq_printf(m, "frees: %llu\n", st.frees);
	seq_printf(m, "alloc_failures: %llu\n", st.alloc_failures);
	seq_printf(m, "invalid_frees: %llu\n", st.invalid_frees);
	seq_printf(m, "double_frees: %llu\n", st.double_frees);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_stats);

static int mpool_pools_show(struct seq_file *m, void *unused)
{
	struct mpool_stats st;
	struct mpool *pool;

	seq_printf(m, "# %-*s %10s %6s %6s %10s %10s %11s %12s %12s %14s %13s %12s\n",
		   MPOOL_NAME_MAX - 2, "name", "block_size", "align", "stride",
		   "nr_blocks", "in_use", "peak_in_use", "allocs", "frees",
		   "alloc_failures", "invalid_frees", "double_frees");
	mutex_lock(&mpool_list_lock);
	list_for_each_entry(pool, &mpool_list, node) {
		mpool_get_stats(pool, &st);
		seq_printf(m, "%-*s %10zu %6zu %6zu %10zu %10zu %11zu %12llu %12llu %14llu %13llu %12llu\n",
			   MPOOL_NAME_MAX, pool->name, st.block_size, st.align,
			   st.stride, st.nr_blocks, st.in_use, st.peak_in_use,
			   st.allocs, st.frees, st.alloc_failures,
			   st.invalid_frees, st.double_frees);
	}
	mutex_unlock(&mpool_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpool_pools);

static void mpool_debugfs_add(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);

	pool->debugfs_dir = debugfs_create_dir(pool->name, mpool_debugfs_root);
	debugfs_create_file("stats", 0444, pool->debugfs_dir, pool,
			    &mpool_stats_fops);
}

/* ---- the free list ----------------------------------------------------- */

/* Hand out one block, or return NULL when every block is in use. */
static void *mpool_take_block(struct mpool *pool)
{
	struct mpool_free_block *block = pool->free_list;
	size_t index;

	lockdep_assert_held(&pool->lock);

	if (block) {
		pool->free_list = block->next;
		index = mpool_block_index(pool, block);
	} else if (pool->nr_carved < pool->nr_blocks) {
		index = pool->nr_carved++;
		block = mpool_block(pool, index);
	} else {
		return NULL;
	}
	__set_bit(index, pool->in_use_map);
	pool->allocs++;
	WRITE_ONCE(pool->in_use, pool->in_use + 1);
	if (pool->in_use > pool->peak_in_use)
		pool->peak_in_use = pool->in_use;
	return block;
}

/* Take @block back, or say why it is not a block this pool handed out. */
static enum mpool_free_verdict mpool_put_block(struct mpool *pool,
					       void *block)
{
	unsigned long offset = mpool_offset(pool, block);
	struct mpool_free_block *free_block = block;
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
	if (!__test_and_clear_bit(index, pool->in_use_map)) {
		pool->double_frees++;
		return MPOOL_FREE_DOUBLE;
	}
	free_block->next = pool->free_list;
	pool->free_list = free_block;
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
	return READ_ONCE(pool->in_use) < pool->nr_blocks;
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

/**
 * mpool_create - create a pool of fixed-size blocks
 * @name: name of the pool, unique, in debugfs: up to %MPOOL_NAME_MAX
 *	characters from [A-Za-z0-9_.-], not starting with '.', not "pools"
 * @block_size: usable bytes in each block
 * @align: alignment of each block, a power of two; 0 means pointer-aligned,
 *	and smaller powers of two are raised to the size of a pointer
 * @nr_blocks: number of blocks, fixed for the life of the pool
 * @flags: 0; reserved for later use
 *
 * Reserves nr_blocks * stride bytes with vmalloc, where stride is
 * @block_size raised to a pointer's size and rounded up to @align.  Blocks
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
	size_t stride, region_bytes, vmem_bytes, pad;
	struct mpool *pool;
	int err;

	might_sleep();

	if (!block_size || !nr_blocks || (flags & ~MPOOL_VALID_FLAGS) ||
	    !mpool_name_valid(name))
		return ERR_PTR(-EINVAL);
	err = mpool_stride(block_size, align, &stride);
	if (err)
		return ERR_PTR(err);
	align = mpool_effective_align(align);

	/*
	 * vmalloc gives page alignment; larger alignments need slack.  And
	 * vmalloc rounds up to a page: that must not wrap either.
	 */
	pad = align > PAGE_SIZE ? align - PAGE_SIZE : 0;
	if (check_mul_overflow(stride, nr_blocks, &region_bytes) ||
	    check_add_overflow(region_bytes, pad, &vmem_bytes) ||
	    vmem_bytes > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EOVERFLOW);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	init_swait_queue_head(&pool->wait);
	ratelimit_default_init(&pool->misuse_ratelimit);
	pool->block_size = block_size;
	pool->align = align;
	pool->stride = stride;
	pool->nr_blocks = nr_blocks;
	pool->region_bytes = region_bytes;
	strscpy(pool->name, name, sizeof(pool->name));

	/* Held across the vmalloc, so a taken name fails before it. */
	mutex_lock(&mpool_list_lock);
	if (mpool_find(name)) {
		err = -EEXIST;
		goto err_unlock;
	}
	/* Never wake the OOM killer for a pool: fail and let the caller decide. */
	pool->vmem = __vmalloc(vmem_bytes,
			       GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (pool->vmem)
		pool->in_use_map = kvcalloc(BITS_TO_LONGS(nr_blocks),
					    sizeof(unsigned long),
					    GFP_KERNEL | __GFP_NOWARN |
					    __GFP_RETRY_MAYFAIL);
	if (!pool->in_use_map) {
		err = -ENOMEM;
		goto err_unlock;
	}
	pool->base = PTR_ALIGN(pool->vmem, align);
	list_add_tail(&pool->node, &mpool_list);
	mpool_debugfs_add(pool);
	mutex_unlock(&mpool_list_lock);
	return pool;

err_unlock:
	mutex_unlock(&mpool_list_lock);
	vfree(pool->vmem);
	kfree(pool);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(mpool_create, MEMPOOL_MOD);

/* Destroy @pool, whoever owns it. */
static void mpool_release(struct mpool *pool)
{
	mutex_lock(&mpool_list_lock);
	list_del(&pool->node);
	debugfs_remove_recursive(pool->debugfs_dir);
	mutex_unlock(&mpool_list_lock);

	/* No alloc or free runs now, by contract: no lock needed. */
	if (pool->in_use) {
		pr_err("pool %s destroyed with %zu of %zu blocks still in use; leaving its region allocated\n",
		       pool->name, pool->in_use, pool->nr_blocks);
		/* Known and reported: not for kmemleak to report again. */
		kmemleak_not_leak(pool->vmem);
	} else {
		vfree(pool->vmem);
	}
	kvfree(pool->in_use_map);
	kfree(pool);
}

/**
 * mpool_destroy - destroy a pool
 * @pool: pool to destroy, or NULL
 *
 * Frees the pool and its region.  When blocks are still handed out, the
 * pool says how many and leaves the region allocated, as dma_pool_destroy()
 * does, so that the outstanding blocks stay valid memory; only the pool's
 * bookkeeping goes.  No alloc or free on @pool may run concurrently or later.
 * The default pool belongs to mempool_mod and is refused.
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
EXPORT_SYMBOL_NS_GPL(mpool_destroy, MEMPOOL_MOD);

/* ---- alloc and free ---------------------------------------------------- */

/**
 * mpool_alloc - allocate one block from a pool
 * @pool: pool to allocate from
 * @gfp: %__GFP_ZERO to zero the block; whether the caller may sleep
 *
 * When every block is in use, a @gfp that allows blocking (GFP_KERNEL)
 * waits until another context frees one, as mempool_alloc() does; any
 * other @gfp (GFP_ATOMIC, GFP_NOWAIT) fails at once.  The pool never asks
 * the page allocator for memory.
 *
 * Context: Any context but NMI if @gfp does not allow blocking; process
 * context otherwise.
 * Return: a pointer to a block of at least block_size bytes, aligned as
 * asked at create, or NULL when the pool is empty and @gfp may not block.
 */
void *mpool_alloc(struct mpool *pool, gfp_t gfp)
{
	bool can_block = gfpflags_allow_blocking(gfp);
	unsigned long flags;
	void *block;

	might_sleep_if(can_block);

	raw_spin_lock_irqsave(&pool->lock, flags);
	for (;;) {
		block = mpool_take_block(pool);
		if (block || !can_block)
			break;
		mpool_wait_for_free(pool, &flags);
	}
	if (!block)
		pool->alloc_failures++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (block && (gfp & __GFP_ZERO))
		memset(block, 0, pool->block_size);
	return block;
}
EXPORT_SYMBOL_NS_GPL(mpool_alloc, MEMPOOL_MOD);

/**
 * mpool_free - return a block to its pool
 * @pool: pool the block came from
 * @block: block from mpool_alloc() on @pool, or NULL
 *
 * A pointer that is not a block handed out by @pool (outside the region,
 * inside a block, or a block already free) is refused: the pool is left
 * untouched, the refusal is counted in invalid_frees or double_frees, and a
 * rate-limited warning names the pool, the pointer, the caller and the
 * reason.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_free(struct mpool *pool, void *block)
{
	enum mpool_free_verdict verdict;
	unsigned long flags;
	bool wake;

	if (!block)
		return;

	raw_spin_lock_irqsave(&pool->lock, flags);
	verdict = mpool_put_block(pool, block);
	/* Counted under the lock: no barrier on the common, waiterless path. */
	wake = pool->nr_waiters;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (unlikely(verdict != MPOOL_FREE_OK))
		mpool_report_refused_free(pool, block, verdict, _RET_IP_);
	else if (unlikely(wake))
		swake_up_one(&pool->wait);
}
EXPORT_SYMBOL_NS_GPL(mpool_free, MEMPOOL_MOD);

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
EXPORT_SYMBOL_NS_GPL(mpool_owns, MEMPOOL_MOD);

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

	raw_spin_lock_irqsave(&pool->lock, flags);
	stats->in_use = pool->in_use;
	stats->peak_in_use = pool->peak_in_use;
	stats->allocs = pool->allocs;
	stats->frees = pool->frees;
	stats->alloc_failures = pool->alloc_failures;
	stats->invalid_frees = pool->invalid_frees;
	stats->double_frees = pool->double_frees;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(mpool_get_stats, MEMPOOL_MOD);

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
EXPORT_SYMBOL_NS_GPL(mpool_default, MEMPOOL_MOD);

/* ---- module load and unload -------------------------------------------- */

/* Refuse bad parameters with one line that names the parameter. */
static int __init mpool_check_params(size_t *stride)
{
	int err;

	if (!param_block_size) {
		pr_err("block_size=0: must be at least 1\n");
		return -EINVAL;
	}
	/* mpool_stride() knows the rules: turn its verdict into a message. */
	err = mpool_stride(param_block_size, param_align, stride);
	if (err == -EINVAL) {
		pr_err("align=%lu: must be 0 or a power of two\n", param_align);
		return -EINVAL;
	}
	if (err) {
		pr_err("block_size=%lu: too large for align=%lu\n",
		       param_block_size, param_align);
		return -EINVAL;
	}
	if (param_pool_size < *stride) {
		pr_err("pool_size=%lu: smaller than one block (stride %zu)\n",
		       param_pool_size, *stride);
		return -EINVAL;
	}
	return 0;
}

static int __init mpool_init(void)
{
	struct mpool *pool;
	size_t stride;
	int err;

	err = mpool_check_params(&stride);
	if (err)
		return err;

	mpool_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("pools", 0444, mpool_debugfs_root, NULL,
			    &mpool_pools_fops);

	pool = mpool_create("default", param_block_size, param_align,
			    param_pool_size / stride, 0);
	if (IS_ERR(pool)) {
		err = PTR_ERR(pool);
		pr_err("pool_size=%lu: cannot create the default pool: %pe\n",
		       param_pool_size, pool);
		debugfs_remove_recursive(mpool_debugfs_root);
		/* A size that overflows is a bad parameter, like the others. */
		return err == -EOVERFLOW ? -EINVAL : err;
	}
	mpool_default_pool = pool;
	return 0;
}

static void __exit mpool_exit(void)
{
	struct mpool *pool;

	mpool_release(mpool_default_pool);

	/* Consumers are unloaded by now: what is left was forgotten. */
	for (;;) {
		mutex_lock(&mpool_list_lock);
		pool = list_first_entry_or_null(&mpool_list, struct mpool, node);
		mutex_unlock(&mpool_list_lock);
		if (!pool)
			break;
		pr_warn("pool %s was never destroyed; destroying it\n",
			pool->name);
		mpool_release(pool);
	}
	debugfs_remove_recursive(mpool_debugfs_root);
}

module_init(mpool_init);
module_exit(mpool_exit);

MODULE_DESCRIPTION("Bounded pools of fixed-size blocks for other modules");
MODULE_LICENSE("GPL");
