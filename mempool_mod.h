/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempool_mod - a bounded pool of fixed-size blocks for other modules.
 *
 * A pool owns one vmalloc region carved into equal blocks.  Allocation and
 * free are O(1), work in any context, and never reach the page allocator:
 * once created, a pool can neither grow nor fail for lack of memory, only
 * run out of blocks.  Frees are checked: a pointer the pool did not hand
 * out is refused, counted and reported, and the pool keeps working.
 *
 * Consumers import the symbol namespace:
 *
 *	MODULE_IMPORT_NS(MEMPOOL_MOD);
 */
#ifndef _MEMPOOL_MOD_H
#define _MEMPOOL_MOD_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct mpool;

/* Longest pool name, without the terminating NUL. */
#define MPOOL_NAME_MAX		31

/* No flags are defined yet: mpool_create() refuses any bit of this mask. */
#define MPOOL_VALID_FLAGS	0U

/**
 * struct mpool_stats - a snapshot of one pool, taken under its lock
 * @block_size:		usable bytes in each block, as asked at create
 * @align:		alignment of every block, after raising to a pointer
 * @stride:		distance between two blocks
 * @nr_blocks:		number of blocks in the pool
 * @region_bytes:	bytes of the region the blocks are carved from
 * @in_use:		blocks handed out now
 * @peak_in_use:	highest @in_use since the pool was created
 * @allocs:		successful allocations
 * @frees:		accepted frees
 * @alloc_failures:	allocations that returned NULL
 * @invalid_frees:	frees refused: outside the pool or not a block start
 * @double_frees:	frees refused: the block was already free
 *
 * All fields come from one critical section, so they agree with each
 * other: @allocs - @frees == @in_use.
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
};

struct mpool *mpool_create(const char *name, size_t block_size, size_t align,
			   size_t nr_blocks, unsigned int flags) __must_check;
void mpool_destroy(struct mpool *pool);
void *mpool_alloc(struct mpool *pool, gfp_t gfp) __malloc __must_check;
void mpool_free(struct mpool *pool, void *block);
bool mpool_owns(const struct mpool *pool, const void *ptr);
void mpool_get_stats(struct mpool *pool, struct mpool_stats *stats);
struct mpool *mpool_default(void);

#endif /* _MEMPOOL_MOD_H */
