/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempool_mod - a bounded pool of fixed-size blocks for other modules.
 *
 * A pool owns vmalloc regions carved into equal blocks.  Allocation and
 * free are O(1), work in any context, and never reach the page allocator:
 * a pool made by mpool_create() is one region, fixed for life, which can
 * only run out of blocks.  One made by mpool_create_args() may also grow
 * by whole regions up to a bound, in process context only (mpool_grow(),
 * or a worker when few blocks are left), and give wholly free regions
 * back (mpool_shrink(), or a shrinker).  Frees are checked: a pointer the
 * pool did not hand out is refused, counted and reported, and the pool
 * keeps working.
 *
 * Consumers import the symbol namespace:
 *
 *	MODULE_IMPORT_NS(MPOOL_NS);
 *
 * This file is the whole API: it is installed alone, for consumers built
 * against an installed mempool_mod.  Within one major version, a consumer
 * built against an older header works with a newer module: exports keep
 * their signatures, and struct mpool_stats and struct mpool_args only
 * grow at their ends.
 */
#ifndef _MEMPOOL_MOD_H
#define _MEMPOOL_MOD_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/mempool.h>
#include <linux/types.h>
#include <linux/version.h>

/*
 * The release, as modinfo shows it: major.minor.patch.  The single place
 * it is written; the Makefile, the packaging and the changelog follow it.
 */
#define MPOOL_VERSION		"1.1.0"

/*
 * The namespace of the exports, spelt as EXPORT_SYMBOL_NS_GPL() and
 * MODULE_IMPORT_NS() want it: a string since 6.13, an identifier before.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define MPOOL_NS		"MEMPOOL_MOD"
#else
#define MPOOL_NS		MEMPOOL_MOD
#endif

struct mpool;

/* Longest pool name, without the terminating NUL. */
#define MPOOL_NAME_MAX		31

/*
 * Debug flags for mpool_create(), as slub_debug's letters.  The module
 * parameter debug= ("P", "Z", "U" or any mix) adds them to every pool.
 *
 * MPOOL_POISON: a free block is filled with MPOOL_POISON_FREE and checked
 *	when handed out again; a mismatch (a write after free) is reported
 *	and the block is quarantined: never handed out again.
 * MPOOL_REDZONE: guard bytes after each block's usable size, written at
 *	alloc and checked at free; an overrun is reported.
 * MPOOL_TRACK_CALLER: remember who allocated and freed each block, for
 *	the reports, the debugfs "allocations" file and the leak report.
 */
#define MPOOL_POISON		BIT(0)
#define MPOOL_REDZONE		BIT(1)
#define MPOOL_TRACK_CALLER	BIT(2)

/*
 * MPOOL_NO_PERCPU: no per-CPU caches; every alloc and free goes to one
 * lock-free stack of free blocks, last freed first, whose links sit
 * outside the region (4 bytes a block).  For pools too small to share
 * among the CPUs' caches, or whose blocks must not sit in idle CPUs'
 * caches.
 */
#define MPOOL_NO_PERCPU		BIT(3)
/*
 * MPOOL_SHRINKABLE: under memory pressure, a shrinker gives back the
 * regions whose blocks are all free, as mpool_shrink() does; for a pool
 * of mpool_create_args() that may grow.
 */
#define MPOOL_SHRINKABLE	BIT(4)
/*
 * MPOOL_NUMA: regions on every node with memory, and each CPU's cache
 * refilled from its own node's, another node's blocks only when its own
 * has none free; the pool grows on the node that runs short.  For a pool
 * of mpool_create_args() that may grow by a region per node at least;
 * with MPOOL_NO_PERCPU, whose pool is one region, it changes nothing.
 */
#define MPOOL_NUMA		BIT(5)
#define MPOOL_VALID_FLAGS	(MPOOL_POISON | MPOOL_REDZONE | \
				 MPOOL_TRACK_CALLER | MPOOL_NO_PERCPU | \
				 MPOOL_SHRINKABLE | MPOOL_NUMA)

/* What a free block's usable bytes hold under MPOOL_POISON. */
#define MPOOL_POISON_FREE	0x6b
/* What the red zone holds while a block is handed out. */
#define MPOOL_REDZONE_ACTIVE	0xcc

/* Most blocks in one pool: a MPOOL_NO_PERCPU stack's links are 32 bits. */
#define MPOOL_MAX_BLOCKS	INT_MAX

/* Most free blocks one CPU caches for a pool. */
#define MPOOL_CACHE_MAX		64
/* Most CPUs' caches an alloc that steals looks at in one hold of the lock. */
#define MPOOL_STEAL_RINGS	8

/**
 * struct mpool_stats - a snapshot of one pool
 * @block_size:		usable bytes in each block, as asked at create
 * @align:		alignment of every block, after raising to a pointer
 * @stride:		distance between two blocks
 * @nr_blocks:		number of blocks in the pool now, in all its regions
 * @region_bytes:	bytes of the regions the blocks are carved from
 * @in_use:		blocks handed out now: @allocs - @frees
 * @peak_in_use:	highest @in_use since the pool was created; with
 *			per-CPU caches, the highest count of blocks out of
 *			the depot, which may exceed it by what the CPUs
 *			cache; with %MPOOL_NO_PERCPU, the blocks ever
 *			carved (less those quarantined), a run of
 *			%MPOOL_CACHE_MAX / 2 at a time when no freed one
 *			is left: at most a run less one above the most
 *			blocks out of the depot at once
 * @cached:		free blocks in the CPUs' caches
 * @cache_size:		most free blocks each CPU caches, 0 for none
 * @meta_bytes:		what the pool costs beyond @region_bytes: the
 *			vmalloc's slack, the state map (a cache line per
 *			8 to 32 blocks, for @max_blocks), the CPUs'
 *			caches, caller tracking and the pool itself
 * @allocs:		successful allocations
 * @frees:		accepted frees
 * @alloc_failures:	allocations that returned NULL
 * @invalid_frees:	frees refused: outside the pool or not a block start
 * @double_frees:	frees refused: the block was already free
 * @poison_errors:	free blocks found written to when handed out again
 * @redzone_errors:	blocks found overrun into their red zone when freed
 * @freelist_errors:	corrupt free-list links found (and not followed)
 * @quarantined:	blocks taken out of service after a corruption
 * @flags:		the pool's flags, debug= included
 * @redzone_bytes:	guard bytes after each block, 0 without MPOOL_REDZONE
 * @min_blocks:		blocks of the first region, which the pool keeps
 * @max_blocks:		most blocks the pool may grow to
 * @nr_regions:		regions the blocks are carved from now
 * @grows:		regions added since create
 * @shrinks:		regions given back since create
 * @grow_failures:	regions that could not be added: no memory
 *
 * @allocs and @frees are per-CPU counts summed when read, as with
 * CONFIG_SLUB_STATS, and the others are read under the pool's lock: each
 * is exact, and while the pool is idle they agree with each other.
 * @nr_blocks - @in_use - @quarantined blocks can still be handed out.
 *
 * New fields are only ever added at the end, and mpool_read_stats() fills
 * only as much of the struct as its caller knows: see there.
 */
struct mpool_stats {
	size_t block_size;
	size_t align;
	size_t stride;
	size_t nr_blocks;
	size_t region_bytes;
	size_t in_use;
	size_t peak_in_use;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 invalid_frees;
	u64 double_frees;
	u64 poison_errors;
	u64 redzone_errors;
	u64 freelist_errors;
	size_t quarantined;
	unsigned int flags;
	size_t redzone_bytes;
	size_t cached;
	size_t cache_size;
	size_t meta_bytes;
	size_t min_blocks;
	size_t max_blocks;
	size_t nr_regions;
	u64 grows;
	u64 shrinks;
	u64 grow_failures;
};

/**
 * struct mpool_args - what mpool_create_args() makes a pool of
 * @align: as for mpool_create()
 * @flags: as for mpool_create(), and %MPOOL_SHRINKABLE
 * @min_blocks: blocks made at create, in the pool's first region, which it
 *	keeps for life; at least 1
 * @max_blocks: most blocks the pool may ever hold; 0 for @min_blocks, a
 *	pool that never grows.  Rounded down to @min_blocks plus a whole
 *	number of regions of @grow_blocks
 * @grow_blocks: blocks in each region added later; 0 for @min_blocks
 *	rounded up to a power of two.  At most @max_blocks - @min_blocks
 * @low_blocks: a worker adds a region when an alloc leaves fewer free
 *	blocks than this in the depot (the CPUs' caches not counted), with
 *	%MPOOL_NUMA in its node's part of it; 0 for half of @grow_blocks
 * @node: MPOOL_NODE(nid) for every region on node @nid, as a driver wants
 *	for its device's node (dev_to_node()); 0, or MPOOL_NODE(NUMA_NO_NODE),
 *	for the node of the task that creates or grows the pool
 *
 * Zero what you do not set: fields are only ever added at the end, 0
 * meaning "the default" for each, and mpool_create_args() passes the size
 * the caller was built with (see mpool_create_sized()).
 */
struct mpool_args {
	size_t align;
	unsigned int flags;
	size_t min_blocks;
	size_t max_blocks;
	size_t grow_blocks;
	size_t low_blocks;
	int node;
};

/* struct mpool_args' @node for node @nid: 0 stays "any node". */
#define MPOOL_NODE(nid)		((nid) + 1)

struct mpool *mpool_create(const char *name, size_t block_size, size_t align,
			   size_t nr_blocks, unsigned int flags) __must_check;
struct mpool *mpool_create_sized(const char *name, size_t block_size,
				 const void *args, size_t size) __must_check;
struct mpool *mpool_create_node(const char *name, size_t block_size,
				size_t align, size_t nr_blocks,
				unsigned int flags, int nid) __must_check;
void mpool_destroy(struct mpool *pool);
int mpool_grow(struct mpool *pool, size_t nr);
size_t mpool_shrink(struct mpool *pool);
void *mpool_alloc(struct mpool *pool, gfp_t gfp) __malloc __must_check;
void *mpool_alloc_timeout(struct mpool *pool, gfp_t gfp,
			  unsigned long timeout) __malloc __must_check;
void *mpool_alloc_killable(struct mpool *pool, gfp_t gfp) __malloc __must_check;
void mpool_free(struct mpool *pool, void *block);
int mpool_alloc_bulk(struct mpool *pool, gfp_t gfp, size_t nr,
		     void **blocks) __must_check;
void mpool_free_bulk(struct mpool *pool, size_t nr, void **blocks);
bool mpool_owns(const struct mpool *pool, const void *ptr);
size_t mpool_read_stats(struct mpool *pool, void *stats, size_t size);
struct mpool *mpool_default(void);

/*
 * A mempool_t's alloc_fn and free_fn over a pool, as mempool_alloc_slab()
 * and mempool_free_slab() are over a kmem_cache; @pool_data is the pool.
 */
void *mpool_mempool_alloc(gfp_t gfp_mask, void *pool_data) __malloc;
void mpool_mempool_free(void *element, void *pool_data);

/**
 * mpool_get_stats - take a snapshot of a pool's statistics
 * @pool: pool to read
 * @stats: where to store the snapshot
 *
 * Passes mpool_read_stats() the size of struct mpool_stats as this header
 * has it, so a module built against an older header than the pool's gets
 * the fields it knows and nothing written past them.
 *
 * Context: Any context but NMI.
 * Return: nothing; @stats is filled in.
 */
static inline void mpool_get_stats(struct mpool *pool,
				   struct mpool_stats *stats)
{
	mpool_read_stats(pool, stats, sizeof(*stats));
}

/**
 * mpool_create_args - create a pool that may grow and shrink
 * @name: as for mpool_create()
 * @block_size: usable bytes in each block
 * @args: the rest: see struct mpool_args
 *
 * Passes mpool_create_sized() the size of struct mpool_args as this
 * header has it, so that a module built against an older header than the
 * pool's gets the defaults for the fields it does not know.
 *
 * Context: Process context. May sleep.
 * Return: as for mpool_create_sized().
 */
static inline struct mpool *mpool_create_args(const char *name,
					      size_t block_size,
					      const struct mpool_args *args)
{
	return mpool_create_sized(name, block_size, args, sizeof(*args));
}

/**
 * mempool_create_mpool_pool - create a mempool_t whose elements are blocks
 * @min_nr: elements kept in reserve, taken from @pool at once; at least 1
 *	for mempool_free() to wake a waiting mempool_alloc()
 * @pool: pool the elements come from; it must outlive the mempool_t
 *
 * As mempool_create_slab_pool() is for a kmem_cache.  mempool_alloc()
 * takes a block from @pool without waiting, then from the reserve; with a
 * gfp that may block, it then waits until a mempool_free() refills the
 * reserve, or for 5 s and tries again.  A block given back to @pool with
 * mpool_free() wakes no such waiter: it finds the block on its next try.
 * As with a slab-backed mempool_t, __GFP_ZERO is not supported (the
 * reserve's elements are not zeroed); each element alloc that finds the
 * pool empty counts in the pool's alloc_failures, mempool_alloc()'s
 * retries included; and the pool's call sites (trace events, caller
 * tracking) name mempool_alloc() and mempool_free(), not their callers.
 *
 * Context: Process context. May sleep.
 * Return: the mempool_t, or NULL if @pool has fewer than @min_nr free
 * blocks or no memory was left for the mempool_t.
 */
static inline mempool_t *mempool_create_mpool_pool(int min_nr,
						   struct mpool *pool)
{
	return mempool_create(min_nr, mpool_mempool_alloc, mpool_mempool_free,
			      pool);
}

#endif /* _MEMPOOL_MOD_H */
