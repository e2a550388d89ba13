// SPDX-License-Identifier: GPL-2.0
/*
 * dma_pool (mm/dmapool.c) as a driver uses it: a pool of one device,
 * grown a page of coherent memory at a time as it runs dry.  A block's
 * bus address is its virtual one (prelude.h's dma_alloc_coherent()),
 * so that the free passes what the alloc returned, as a driver would.
 * No bulk API.
 */
#include <linux/device.h>

#include <linux/dmapool.h>

#include "workloads.h"

/* The device every bench pool is for, as a driver's pools are. */
static struct device bench_dma_dev = {
	.init_name	= "bench_dma",
	.dma_pools	= LIST_HEAD_INIT(bench_dma_dev.dma_pools),
};

static inline void *dmap_alloc(void *pool)
{
	dma_addr_t dma;

	return dma_pool_alloc(pool, GFP_KERNEL, &dma);
}

static inline void dmap_free(void *pool, void *block)
{
	dma_pool_free(pool, block, (dma_addr_t)(uintptr_t)block);
}

BENCH_BULK_OF_SINGLES(dmap)

static void *dmap_create(const struct bench_geometry *g)
{
	struct dma_pool *pool;

	pool = dma_pool_create("bench", &bench_dma_dev, g->size,
			       g->align, g->boundary);
	if (!pool)
		fprintf(stderr,
			"dma_pool: no pool of %zu bytes, align %zu, boundary %zu\n",
			g->size, g->align, g->boundary);
	return pool;
}

static void dmap_destroy(void *pool)
{
	dma_pool_destroy(pool);
}

BENCH_ALLOCATOR_OPS(dma_pool, dmap, BENCH_HAS_PAIRS | BENCH_HAS_DMA);
