// SPDX-License-Identifier: GPL-2.0
/*
 * objpool (lib/objpool.c) as kretprobes use it: every object allocated
 * up front and spread over the possible CPUs' rings; objpool_pop() and
 * objpool_push(), inline in its header, are the alloc and the free.  No
 * bulk API.
 */
#include <linux/slab.h>

#include <linux/objpool.h>

#include "workloads.h"

static inline void *objp_alloc(void *pool)
{
	return objpool_pop(pool);
}

static inline void objp_free(void *pool, void *block)
{
	objpool_push(block, pool);
}

BENCH_BULK_OF_SINGLES(objp)

static void *objp_create(const struct bench_geometry *g)
{
	struct objpool_head *pool;
	int err;

	if (g->align > sizeof(long) || g->nr_blocks > OBJPOOL_NR_OBJECT_MAX) {
		fprintf(stderr, "objpool: no %zu blocks aligned to %zu\n",
			g->nr_blocks, g->align);
		return NULL;
	}
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	err = objpool_init(pool, g->nr_blocks, g->size, GFP_KERNEL, NULL,
			   NULL, NULL);
	if (err) {
		fprintf(stderr, "objpool: objpool_init: %d\n", err);
		kfree(pool);
		return NULL;
	}
	return pool;
}

/* Every object is back: objpool_fini() frees the rings with them. */
static void objp_destroy(void *pool)
{
	objpool_fini(pool);
	kfree(pool);
}

BENCH_ALLOCATOR_OPS(objpool, objp, BENCH_HAS_PAIRS);
