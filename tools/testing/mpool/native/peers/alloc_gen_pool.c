// SPDX-License-Identifier: GPL-2.0
/*
 * gen_pool (lib/genalloc.c) as bench/mpool_bench.c sets it up and
 * calls it: one vmalloc'd chunk of the pool's blocks, a bitmap bit per
 * 2^ilog2(size) bytes, the default first fit.
 * gen_pool_alloc() and gen_pool_free() are inline in its header, each a
 * call of the exported function that does the work.  No bulk API.
 */
#include <linux/vmalloc.h>

#include <linux/genalloc.h>

#include "workloads.h"

/* What the in-kernel bench keeps of its target: the pool and the size. */
struct bench_gen_pool {
	struct gen_pool *pool;
	size_t size;
	void *region;
};

static inline void *genp_alloc(void *pool)
{
	struct bench_gen_pool *t = pool;

	return (void *)gen_pool_alloc(t->pool, t->size);
}

static inline void genp_free(void *pool, void *block)
{
	struct bench_gen_pool *t = pool;

	gen_pool_free(t->pool, (unsigned long)block, t->size);
}

BENCH_BULK_OF_SINGLES(genp)

/* Every block is back: genp_destroy() checks. */
static void genp_destroy(void *pool)
{
	struct bench_gen_pool *t = pool;

	if (t->pool)
		gen_pool_destroy(t->pool);
	vfree(t->region);
	kfree(t);
}

/* A size not a power of two takes two bits, as it would in the kernel. */
static void *genp_create(const struct bench_geometry *g)
{
	int order = ilog2(g->size);
	struct bench_gen_pool *t;
	size_t bytes;

	if (g->align > (1UL << order)) {
		fprintf(stderr, "gen_pool: no %zu-byte blocks aligned to %zu\n",
			g->size, g->align);
		return NULL;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->size = g->size;
	bytes = PAGE_ALIGN(g->nr_blocks * ALIGN(g->size, 1UL << order));
	t->region = vmalloc(bytes);
	t->pool = gen_pool_create(order, NUMA_NO_NODE);
	if (!t->region || !t->pool ||
	    gen_pool_add(t->pool, (unsigned long)t->region, bytes,
			 NUMA_NO_NODE)) {
		fprintf(stderr, "gen_pool: no memory for %zu blocks\n",
			g->nr_blocks);
		genp_destroy(t);
		return NULL;
	}
	return t;
}

BENCH_ALLOCATOR_OPS(gen_pool, genp, BENCH_HAS_PAIRS);
