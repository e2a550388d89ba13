// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod as a consumer module calls it: mpool_alloc() and
 * mpool_free() are the exported functions of the core (../mpool_core.c,
 * built from this variant's tree), GFP_KERNEL, with every check the
 * product has.  mpool has per-CPU caches; mpool_nopcpu is MPOOL_NO_PERCPU.
 */
#include "../shim/mpool_shim.h"
#include "mempool_mod.h"
#include "workloads.h"

static void *mp_create_flags(const struct bench_geometry *g,
			     unsigned int flags)
{
	static unsigned int seq;
	struct mpool *pool;
	char name[32];

	/* A new name each time: a pool's name is unique while it lives. */
	snprintf(name, sizeof(name), "bench%u", seq++);
	pool = mpool_create(name, g->size, g->align, g->nr_blocks, flags);
	if (IS_ERR(pool)) {
		fprintf(stderr, "mpool_create(%zu, %zu, %zu, %#x): %ld\n",
			g->size, g->align, g->nr_blocks, flags, PTR_ERR(pool));
		return NULL;
	}
	return pool;
}

static void *mp_create(const struct bench_geometry *g)
{
	return mp_create_flags(g, 0);
}

static void *mp_nopcpu_create(const struct bench_geometry *g)
{
	return mp_create_flags(g, MPOOL_NO_PERCPU);
}

static void mp_destroy(void *pool)
{
	mpool_destroy(pool);
}

static inline void *mp_alloc(void *pool)
{
	return mpool_alloc(pool, GFP_KERNEL);
}

static inline void mp_free(void *pool, void *block)
{
	mpool_free(pool, block);
}

static inline bool mp_alloc_bulk(void *pool, unsigned int nr, void **blocks)
{
	return mpool_alloc_bulk(pool, GFP_KERNEL, nr, blocks) == nr;
}

static inline void mp_free_bulk(void *pool, unsigned int nr, void **blocks)
{
	mpool_free_bulk(pool, nr, blocks);
}

#define mp_nopcpu_destroy	mp_destroy
#define mp_nopcpu_alloc		mp_alloc
#define mp_nopcpu_free		mp_free
#define mp_nopcpu_alloc_bulk	mp_alloc_bulk
#define mp_nopcpu_free_bulk	mp_free_bulk

BENCH_ALLOCATOR_OPS(mpool, mp, BENCH_HAS_PAIRS | BENCH_HAS_DMA |
		    BENCH_HAS_BULK_API);
BENCH_ALLOCATOR_OPS(mpool_nopcpu, mp_nopcpu, BENCH_HAS_PAIRS |
		    BENCH_HAS_DMA | BENCH_HAS_BULK_API);
