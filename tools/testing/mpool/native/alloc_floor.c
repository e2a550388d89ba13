// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: what an alloc+free pair costs with nothing but a per-CPU
 * array stack of pointers, no atomic, no check, no lock, no counter.  No
 * allocator that hands a block to another CPU can cost less.  Each CPU
 * has its own blocks, so the floor takes no part in remote frees.
 */
#include "../shim/mpool_shim.h"
#include "workloads.h"

struct floor_stack {
	void **top;
	void **base;
	char *blocks;
} __aligned(64);

struct floor_pool {
	struct floor_stack cpu[MPOOL_SHIM_MAX_CPUS];
};

static void floor_destroy(void *p)
{
	struct floor_pool *pool = p;
	int cpu;

	for (cpu = 0; cpu < MPOOL_SHIM_MAX_CPUS; cpu++) {
		free(pool->cpu[cpu].base);
		free(pool->cpu[cpu].blocks);
	}
	free(pool);
}

static void *floor_create(const struct bench_geometry *g)
{
	size_t align = max_t(size_t, g->align, sizeof(void *));
	size_t stride = ALIGN(g->size, align), i;
	struct floor_pool *pool;
	int cpu;

	pool = aligned_alloc(64, sizeof(*pool));
	if (!pool)
		return NULL;
	memset(pool, 0, sizeof(*pool));
	for (cpu = 0; cpu < num_possible_cpus(); cpu++) {
		struct floor_stack *s = &pool->cpu[cpu];

		s->base = malloc(g->nr_blocks * sizeof(void *));
		s->blocks = aligned_alloc(max_t(size_t, align, 64),
					  ALIGN(g->nr_blocks * stride, 64));
		if (!s->base || !s->blocks) {
			floor_destroy(pool);
			return NULL;
		}
		s->top = s->base;
		for (i = 0; i < g->nr_blocks; i++)
			*s->top++ = s->blocks + i * stride;
	}
	return pool;
}

static inline void *floor_alloc(void *p)
{
	struct floor_stack *s = &((struct floor_pool *)p)->cpu[smp_processor_id()];

	if (s->top == s->base)
		return NULL;
	return *--s->top;
}

static inline void floor_free(void *p, void *block)
{
	struct floor_stack *s = &((struct floor_pool *)p)->cpu[smp_processor_id()];

	*s->top++ = block;
}

BENCH_BULK_OF_SINGLES(floor)

BENCH_ALLOCATOR(floor, BENCH_HAS_PAIRS | BENCH_NO_REMOTE);
